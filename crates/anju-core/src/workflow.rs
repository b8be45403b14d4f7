//! The reporting workflow (填报—审核): the states a reported figure goes
//! through and the steps between them, and when a figure is late. Pure: the
//! storage applies these rules, the clock is a parameter.
//!
//! A figure is never overwritten. Editing a draft, re-entering a returned
//! figure, or correcting an approved one makes a new version. A draft it
//! replaces becomes `superseded`; a returned version stays `returned` (with who
//! returned it and why); an approved figure becomes `superseded` only when its
//! correction is approved, so the evaluation always has an approved figure.

use std::fmt;

use crate::period::{Period, YearMonth};

/// Where a version of a figure stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// 草稿 — being filled in by its reporter.
    Draft,
    /// 待审核 — submitted, waiting for review.
    Submitted,
    /// 已审核 — counts in evaluation, airing and assessment.
    Approved,
    /// 已退回 — sent back with a reason; re-entered as a new version.
    Returned,
    /// 已替代 — replaced by a later version; kept for the record.
    Superseded,
}

/// A step a user takes on a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// 报送
    Submit,
    /// 审核通过
    Approve,
    /// 退回
    Return,
    /// 撤回 — the reporter takes a submission back before it is reviewed.
    Withdraw,
}

/// A step that the version's state does not allow (HTTP 409).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}的数据不能{}", from.label(), step.label())]
pub struct NotAllowed {
    /// The version's state.
    pub from: State,
    /// The step asked for.
    pub step: Step,
}

impl State {
    /// All states.
    pub const ALL: [State; 5] = [
        State::Draft,
        State::Submitted,
        State::Approved,
        State::Returned,
        State::Superseded,
    ];

    /// The name stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::Approved => "approved",
            State::Returned => "returned",
            State::Superseded => "superseded",
        }
    }

    /// The state of a stored name.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The Chinese word.
    pub fn label(self) -> &'static str {
        match self {
            State::Draft => "草稿",
            State::Submitted => "待审核",
            State::Approved => "已审核",
            State::Returned => "已退回",
            State::Superseded => "已替代",
        }
    }

    /// The state after `step`.
    pub fn after(self, step: Step) -> Result<State, NotAllowed> {
        match (self, step) {
            (State::Draft, Step::Submit) => Ok(State::Submitted),
            (State::Submitted, Step::Approve) => Ok(State::Approved),
            (State::Submitted, Step::Return) => Ok(State::Returned),
            (State::Submitted, Step::Withdraw) => Ok(State::Draft),
            (from, step) => Err(NotAllowed { from, step }),
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Step {
    /// The Chinese word.
    pub fn label(self) -> &'static str {
        match self {
            Step::Submit => "报送",
            Step::Approve => "审核通过",
            Step::Return => "退回",
            Step::Withdraw => "撤回",
        }
    }
}

/// A calendar date (no time zone: China keeps one, +08:00, without DST).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
}

impl Date {
    /// Days since 1970-01-01 (the proleptic Gregorian calendar).
    pub fn days(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (y, m) = if self.month <= 2 {
            (i64::from(self.year) - 1, i64::from(self.month) + 9)
        } else {
            (i64::from(self.year), i64::from(self.month) - 3)
        };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * m + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Days from `self` to `later` (negative when it is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days() - self.days()
    }

    /// The date `days` days since 1970-01-01 (the inverse of [`Date::days`]).
    pub fn from_days(days: i64) -> Date {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u32::try_from(month).unwrap_or(1),
            day: u32::try_from(day).unwrap_or(1),
        }
    }

    /// The date `n` days later (earlier when negative).
    pub fn plus_days(self, n: i64) -> Date {
        Date::from_days(self.days() + n)
    }

    /// A date written `YYYY-MM-DD` (also `YYYY/MM/DD` and `YYYY年M月D日`, as
    /// people type them), checked to exist; if not, why, in words.
    pub fn parse(text: &str) -> Result<Date, String> {
        let t = text.trim();
        let bad = || format!("“{t}”不是日期(应写作 2026-12-31)");
        let cleaned: String = t
            .chars()
            .map(|c| match c {
                '/' | '.' | '年' | '月' => '-',
                '日' => ' ',
                c => c,
            })
            .collect();
        let mut parts = cleaned.trim().split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let num = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let (Some(year), Some(month), Some(day)) = (num(y), num(m), num(d)) else {
            return Err(bad());
        };
        if y.len() != 4 {
            return Err(bad());
        }
        let date = Date {
            year: i32::try_from(year).map_err(|_| bad())?,
            month,
            day,
        };
        if !(1..=12).contains(&month) || day == 0 || Date::from_days(date.days()) != date {
            return Err(format!("{t}:没有这一天"));
        }
        Ok(date)
    }
}

impl fmt::Display for Date {
    /// `2026-12-31`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The last day on which figures for `period` are on time: the plan's
/// `report_deadline_day` of the month after the period ends.
pub fn deadline(period: Period, deadline_day: u8) -> Date {
    let end: YearMonth = period.end();
    let (year, month) = if end.month() == 12 {
        (end.year() + 1, 1)
    } else {
        (end.year(), end.month() + 1)
    };
    Date {
        year,
        month,
        day: u32::from(deadline_day),
    }
}

/// Whether `period` has ended by `today` (China time), so that its figures
/// may be entered: a month from the first day of the next, a quarter or a
/// year from the day after its last month. If not, why, in a clerk's words.
pub fn check_ended(period: Period, today: Date) -> Result<(), String> {
    let end = period.end();
    if (today.year, today.month) > (end.year(), end.month()) {
        Ok(())
    } else {
        Err(format!(
            "期间 {period} 尚未结束,不能填报(今天是 {}年{}月{}日;数据在期间结束后的次月填报)",
            today.year, today.month, today.day
        ))
    }
}

/// Whether a figure for `period` submitted on `submitted` is late.
pub fn is_late(period: Period, deadline_day: u8, submitted: Date) -> bool {
    submitted > deadline(period, deadline_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_written_and_counted_back() {
        let d = |year, month, day| Date { year, month, day };
        assert_eq!(Date::parse("2026-12-31"), Ok(d(2026, 12, 31)));
        assert_eq!(Date::parse(" 2027/1/5 "), Ok(d(2027, 1, 5)));
        assert_eq!(Date::parse("2027年3月1日"), Ok(d(2027, 3, 1)));
        assert!(
            Date::parse("2026-02-29")
                .unwrap_err()
                .contains("没有这一天")
        );
        assert!(Date::parse("2024-02-29").is_ok(), "a leap day");
        assert!(Date::parse("2026-13-01").is_err());
        assert!(Date::parse("26-12-01").is_err());
        assert!(Date::parse("明天").unwrap_err().contains("不是日期"));
        for n in [-1_000_000, -1, 0, 1, 19_700, 20_453, 2_000_000] {
            assert_eq!(Date::from_days(n).days(), n);
        }
        assert_eq!(d(2027, 3, 1).plus_days(-1), d(2027, 2, 28));
        assert_eq!(d(2024, 3, 1).plus_days(-1), d(2024, 2, 29));
        assert_eq!(d(2026, 12, 31).to_string(), "2026-12-31");
    }

    #[test]
    fn days_are_counted_across_months_and_years() {
        let d = |year, month, day| Date { year, month, day };
        assert_eq!(d(1970, 1, 1).days(), 0);
        assert_eq!(d(2026, 12, 1).days_until(d(2026, 12, 5)), 4);
        assert_eq!(d(2026, 12, 28).days_until(d(2027, 1, 5)), 8);
        assert_eq!(d(2024, 2, 28).days_until(d(2024, 3, 1)), 2, "a leap year");
        assert_eq!(d(2026, 12, 8).days_until(d(2026, 12, 5)), -3);
    }

    #[test]
    fn only_an_ended_period_is_entered() {
        let day = |year, month, day| Date { year, month, day };
        let month = |s: &str| Period::parse(s).unwrap();
        assert!(check_ended(month("2026-11"), day(2026, 12, 1)).is_ok());
        let refused = check_ended(month("2026-12"), day(2026, 12, 1)).unwrap_err();
        assert!(refused.contains("2026-12 尚未结束"), "{refused}");
        assert!(check_ended(month("2027-06"), day(2026, 12, 1)).is_err());
        // A quarter ends with its last month, a year with December.
        assert!(check_ended(month("2026-Q4"), day(2026, 12, 31)).is_err());
        assert!(check_ended(month("2026-Q3"), day(2026, 10, 1)).is_ok());
        assert!(check_ended(month("2026"), day(2027, 1, 1)).is_ok());
        assert!(check_ended(month("2026"), day(2026, 12, 31)).is_err());
    }

    #[test]
    fn the_workflow_allows_only_its_steps() {
        assert_eq!(State::Draft.after(Step::Submit), Ok(State::Submitted));
        assert!(
            State::Returned.after(Step::Submit).is_err(),
            "a returned figure is entered again"
        );
        assert_eq!(State::Submitted.after(Step::Approve), Ok(State::Approved));
        assert_eq!(State::Submitted.after(Step::Withdraw), Ok(State::Draft));
        for reviewed in [
            State::Approved,
            State::Returned,
            State::Draft,
            State::Superseded,
        ] {
            assert!(
                reviewed.after(Step::Withdraw).is_err(),
                "only a submission waiting for review is withdrawn"
            );
        }
        assert_eq!(State::Submitted.after(Step::Return), Ok(State::Returned));
        for s in State::ALL {
            for step in [Step::Submit, Step::Approve, Step::Return] {
                let allowed = matches!(
                    (s, step),
                    (State::Draft, Step::Submit) | (State::Submitted, Step::Approve | Step::Return)
                );
                assert_eq!(s.after(step).is_ok(), allowed, "{s} {step:?}");
            }
        }
        let e = State::Approved.after(Step::Submit).unwrap_err();
        assert_eq!(e.to_string(), "已审核的数据不能报送");
        assert!(
            State::ALL
                .iter()
                .all(|s| State::parse(s.as_str()) == Some(*s))
        );
    }

    #[test]
    fn a_figure_is_late_after_the_deadline_day_of_the_next_month() {
        let june = Period::parse("2024-06").unwrap();
        let d = |y, m, day| Date {
            year: y,
            month: m,
            day,
        };
        assert_eq!(deadline(june, 5), d(2024, 7, 5));
        assert!(!is_late(june, 5, d(2024, 7, 5)));
        assert!(is_late(june, 5, d(2024, 7, 6)));
        assert_eq!(
            deadline(Period::parse("2024-12").unwrap(), 5),
            d(2025, 1, 5)
        );
        assert_eq!(
            deadline(Period::parse("2024-Q3").unwrap(), 10),
            d(2024, 10, 10)
        );
    }
}
