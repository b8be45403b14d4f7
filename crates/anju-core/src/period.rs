//! Periods: a month (`2023-06`), a quarter (`2023-Q2`) or a year (`2023`), and
//! the as-of month of an evaluation. Owns parsing of the forms people write
//! (`2023年6月`, `2023/6/1` as Excel saves a month, `2023年第2季度` …) and the
//! order of periods in time. Knows nothing of indicators.

use std::fmt;

/// A calendar month, the as-of date of an evaluation (截至某月).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u8,
}

/// Earliest and latest years a period may name.
pub const MIN_YEAR: i32 = 1900;
/// See [`MIN_YEAR`].
pub const MAX_YEAR: i32 = 2999;

impl YearMonth {
    /// The earliest month a period may name.
    pub const MIN: YearMonth = YearMonth {
        year: MIN_YEAR,
        month: 1,
    };
    /// The latest month a period may name.
    pub const MAX: YearMonth = YearMonth {
        year: MAX_YEAR,
        month: 12,
    };

    /// A month; `None` outside 1–12 or outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        if (MIN_YEAR..=MAX_YEAR).contains(&year) && (1..=12).contains(&month) {
            Some(YearMonth {
                year,
                month: month as u8,
            })
        } else {
            None
        }
    }
    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }
    /// The month, 1–12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }
    /// The month before (none before the first year kept).
    pub fn previous(self) -> Option<YearMonth> {
        if self.month() == 1 {
            YearMonth::new(self.year() - 1, 12)
        } else {
            YearMonth::new(self.year(), self.month() - 1)
        }
    }
    /// Parses `YYYY-MM` or `YYYY年M月` (and the other month forms of [`Period::parse`]).
    pub fn parse(s: &str) -> Result<YearMonth, PeriodError> {
        match Period::parse(s)? {
            Period(k) if k & 3 == FINE_MONTH => Ok(Period(k).end()),
            _ => Err(PeriodError(s.trim().to_string())),
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The granularity of a period, coarse to fine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// `YYYY`
    Year,
    /// `YYYY-Qn`
    Quarter,
    /// `YYYY-MM`
    Month,
}

const FINE_YEAR: u32 = 0;
const FINE_QUARTER: u32 = 1;
const FINE_MONTH: u32 = 2;

/// A reporting period. Ordered by the month it ends in; at the same end month a
/// finer period sorts later (a June figure is "later" than Q2's, which is later
/// than … nothing else ends in June), so "the latest value at or before month m"
/// prefers the month's own figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period(u32);

/// A period that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("无法识别的期间“{0}”(应为 2023-06、2023年6月、2023-Q2 或 2023)")]
pub struct PeriodError(pub String);

impl Period {
    fn pack(year: i32, end_month: u32, fine: u32) -> Period {
        Period(((year as u32) << 6) | (end_month << 2) | fine)
    }
    /// A month.
    pub fn month(ym: YearMonth) -> Period {
        Period::pack(ym.year, ym.month(), FINE_MONTH)
    }
    /// A quarter, 1–4.
    pub fn quarter(year: i32, q: u32) -> Option<Period> {
        ((1..=4).contains(&q) && (MIN_YEAR..=MAX_YEAR).contains(&year))
            .then(|| Period::pack(year, q * 3, FINE_QUARTER))
    }
    /// A whole year.
    pub fn year_of(year: i32) -> Option<Period> {
        (MIN_YEAR..=MAX_YEAR)
            .contains(&year)
            .then(|| Period::pack(year, 12, FINE_YEAR))
    }
    /// The year the period lies in.
    pub fn year(self) -> i32 {
        (self.0 >> 6) as i32
    }
    /// The month the period ends in, 1–12.
    pub fn end_month(self) -> u32 {
        (self.0 >> 2) & 15
    }
    /// The month the period ends in.
    pub fn end(self) -> YearMonth {
        YearMonth {
            year: self.year(),
            month: self.end_month() as u8,
        }
    }
    /// Month, quarter or year.
    pub fn granularity(self) -> Granularity {
        match self.0 & 3 {
            FINE_YEAR => Granularity::Year,
            FINE_QUARTER => Granularity::Quarter,
            _ => Granularity::Month,
        }
    }
    /// The largest period ending at or before `ym` (for range searches).
    pub fn upper_bound(ym: YearMonth) -> Period {
        Period::pack(ym.year, ym.month(), 3)
    }
    /// A compact key, monotone in time.
    pub fn key(self) -> u32 {
        self.0
    }

    /// Parses the forms people write: `2023-06`, `2023-6`, `2023/06`, `2023.06`,
    /// `202306`, `2023年6月`, `2023年06月份`; `2023/6/1` and `2023-06-01` (a date,
    /// as Excel turns a typed month into one: taken as its month); `2023-Q2`,
    /// `2023Q2`, `2023年第2季度`, `2023年二季度`; `2023`, `2023年`, `2023年度`.
    ///
    /// ```
    /// use anju_core::period::Period;
    /// assert_eq!(Period::parse("2023年6月").unwrap().to_string(), "2023-06");
    /// assert_eq!(Period::parse("2023年第二季度").unwrap().to_string(), "2023-Q2");
    /// assert!(Period::parse("2023-13").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<Period, PeriodError> {
        let s = raw.trim();
        let err = || PeriodError(s.to_string());
        let b = s.as_bytes();
        // Fast path: YYYY-MM
        if b.len() == 7 && b[4] == b'-' && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit) {
            let year = num(&b[..4]);
            let month = num(&b[5..]);
            return YearMonth::new(year as i32, month)
                .map(Period::month)
                .ok_or_else(err);
        }
        if s.len() < 4 || !b[..4].iter().all(u8::is_ascii_digit) {
            return Err(err());
        }
        let year = num(&b[..4]) as i32;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(err());
        }
        let rest = &s[4..];
        if rest.is_empty() || rest == "年" || rest == "年度" {
            return Period::year_of(year).ok_or_else(err);
        }
        if let Some(r) = rest.strip_prefix('年') {
            let r = r.trim();
            if let Some(m) = r.strip_suffix("月份").or_else(|| r.strip_suffix('月')) {
                return digits(m)
                    .and_then(|m| YearMonth::new(year, m))
                    .map(Period::month)
                    .ok_or_else(err);
            }
            if let Some(q) = r.strip_suffix("季度") {
                let q = q.strip_prefix('第').unwrap_or(q);
                let q = match q {
                    "一" | "1" => 1,
                    "二" | "2" => 2,
                    "三" | "3" => 3,
                    "四" | "4" => 4,
                    _ => return Err(err()),
                };
                return Period::quarter(year, q).ok_or_else(err);
            }
            return Err(err());
        }
        let r = rest.strip_prefix(['-', '/', '.']).unwrap_or(rest);
        if let Some(q) = r.strip_prefix(['Q', 'q']) {
            return digits(q)
                .and_then(|q| Period::quarter(year, q))
                .ok_or_else(err);
        }
        // Month, possibly followed by a day (a date saved by Excel).
        let mut parts = r.split(['-', '/', '.']);
        let m = parts.next().ok_or_else(err)?;
        let day = parts.next();
        if parts.next().is_some() {
            return Err(err());
        }
        if rest.len() == r.len() && m.len() != 2 {
            // `202306` only with two month digits and no separator.
            return Err(err());
        }
        let m = digits(m).ok_or_else(err)?;
        if let Some(d) = day {
            let d = digits(d).ok_or_else(err)?;
            if !(1..=31).contains(&d) {
                return Err(err());
            }
        }
        YearMonth::new(year, m).map(Period::month).ok_or_else(err)
    }
}

fn num(b: &[u8]) -> u32 {
    b.iter().fold(0, |a, d| a * 10 + u32::from(d - b'0'))
}

fn digits(s: &str) -> Option<u32> {
    let s = s.trim();
    (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| num(s.as_bytes()))
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.granularity() {
            Granularity::Month => write!(f, "{:04}-{:02}", self.year(), self.end_month()),
            Granularity::Quarter => write!(f, "{:04}-Q{}", self.year(), self.end_month() / 3),
            Granularity::Year => write!(f, "{:04}", self.year()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        Period::parse(s)
            .map(|p| p.to_string())
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn months_in_the_forms_people_write() {
        for s in [
            "2023-06",
            "2023-6",
            "2023/06",
            "2023.6",
            "202306",
            "2023年6月",
            "2023年06月份",
            "2023/6/1",
            "2023-06-01",
        ] {
            assert_eq!(p(s), "2023-06", "{s}");
        }
    }

    #[test]
    fn quarters_and_years() {
        for s in [
            "2023-Q2",
            "2023Q2",
            "2023q2",
            "2023年第2季度",
            "2023年二季度",
        ] {
            assert_eq!(p(s), "2023-Q2", "{s}");
        }
        for s in ["2023", "2023年", "2023年度"] {
            assert_eq!(p(s), "2023", "{s}");
        }
    }

    #[test]
    fn bad_periods_are_refused() {
        for s in [
            "2023-13",
            "2023-00",
            "23-06",
            "2023年13月",
            "2023-Q5",
            "June 2023",
            "",
            "2023-06-40",
            "20236",
        ] {
            assert!(Period::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn order_is_by_end_month_then_finer() {
        let m6 = Period::parse("2023-06").unwrap();
        let q2 = Period::parse("2023-Q2").unwrap();
        let m7 = Period::parse("2023-07").unwrap();
        let y = Period::parse("2023").unwrap();
        let m12 = Period::parse("2023-12").unwrap();
        assert!(q2 < m6 && m6 < m7 && m7 < y && y < m12);
        assert_eq!(q2.end_month(), 6);
        assert!(m6 <= Period::upper_bound(YearMonth::new(2023, 6).unwrap()));
        assert!(m7 > Period::upper_bound(YearMonth::new(2023, 6).unwrap()));
    }
}
