//! 项目库 as rules: a project's stages (储备 → 年度实施 → 在建 → 竣工 → 交付),
//! its milestones counted back from the planned completion by its type's
//! phases (倒排工期), 有效投资 (planned against completed, exact, 投资完成率
//! and 超前/正常/滞后) and its light. Pure: dates and amounts are parameters.

use rust_decimal::Decimal;

use crate::plan::{Phase, Settings};
use crate::workflow::Date;

/// Where a project stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// 储备 — in the pipeline, not yet in a year's programme.
    Reserve,
    /// 年度实施 — in this year's programme.
    Planned,
    /// 在建 — started.
    Building,
    /// 竣工 — completed (its contribution goes to its indicator's figure).
    Completed,
    /// 交付 — handed over.
    Delivered,
}

impl Stage {
    /// All stages in order.
    pub const ALL: [Stage; 5] = [
        Stage::Reserve,
        Stage::Planned,
        Stage::Building,
        Stage::Completed,
        Stage::Delivered,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Reserve => "reserve",
            Stage::Planned => "planned",
            Stage::Building => "building",
            Stage::Completed => "completed",
            Stage::Delivered => "delivered",
        }
    }

    /// The word shown (also accepted as input).
    pub fn label(self) -> &'static str {
        match self {
            Stage::Reserve => "储备",
            Stage::Planned => "年度实施",
            Stage::Building => "在建",
            Stage::Completed => "竣工",
            Stage::Delivered => "交付",
        }
    }

    /// The stage of a name or word.
    pub fn parse(s: &str) -> Option<Stage> {
        let t = s.trim();
        Stage::ALL
            .into_iter()
            .find(|x| x.as_str() == t || x.label() == t)
    }
}

/// A milestone of a project: planned (counted back), and when it was met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Milestone {
    /// Its name (the phase it ends).
    pub name: String,
    /// When it is planned.
    pub planned: Date,
    /// When it was met, if it was.
    pub actual: Option<Date>,
}

/// The milestones of a schedule of `phases` ending on `completion`: the
/// last on the completion, each earlier one the later phases' days before
/// it (倒排工期).
pub fn milestones(phases: &[Phase], completion: Date) -> Vec<Milestone> {
    let mut out = Vec::with_capacity(phases.len());
    let mut at = completion;
    for p in phases.iter().rev() {
        out.push(Milestone {
            name: p.name.clone(),
            planned: at,
            actual: None,
        });
        at = at.plus_days(-i64::from(p.days));
    }
    out.reverse();
    out
}

/// When the schedule of `phases` ending on `completion` starts (the first
/// phase's beginning).
pub fn schedule_start(phases: &[Phase], completion: Date) -> Date {
    let days: i64 = phases.iter().map(|p| i64::from(p.days)).sum();
    completion.plus_days(-days)
}

/// 投资完成率, in percent to two places: completed ÷ planned to date (none
/// when nothing is planned yet).
pub fn investment_rate(planned: Decimal, completed: Decimal) -> Option<Decimal> {
    if planned <= Decimal::ZERO {
        return None;
    }
    Some((completed * Decimal::from(100) / planned).round_dp(2))
}

/// How investment keeps pace with its plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    /// 超前 — more than `behind_yellow_points` ahead.
    Ahead,
    /// 正常 — within them.
    OnPlan,
    /// 滞后 — more than `behind_yellow_points` behind.
    Behind,
}

impl Pace {
    /// The word shown.
    pub fn label(self) -> &'static str {
        match self {
            Pace::Ahead => "超前",
            Pace::OnPlan => "正常",
            Pace::Behind => "滞后",
        }
    }

    /// The name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Pace::Ahead => "ahead",
            Pace::OnPlan => "on_plan",
            Pace::Behind => "behind",
        }
    }
}

/// The pace of a 投资完成率 (percent): behind below 100 − the plan's
/// `behind_yellow_points`, ahead above 100 + them.
pub fn pace(rate: Decimal, settings: &Settings) -> Pace {
    let hundred = Decimal::from(100);
    if rate < hundred - settings.behind_yellow_points {
        Pace::Behind
    } else if rate > hundred + settings.behind_yellow_points {
        Pace::Ahead
    } else {
        Pace::OnPlan
    }
}

/// A project's light (the same colours as the figures' and 督办's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProjectLight {
    /// Delivered, or a reserve project (no schedule runs yet).
    None,
    /// On schedule.
    Green,
    /// Investment behind its plan, or progress behind its 序时进度.
    Yellow,
    /// A milestone passed without its actual date, or progress far behind.
    Red,
}

impl ProjectLight {
    /// The name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectLight::None => "none",
            ProjectLight::Green => "green",
            ProjectLight::Yellow => "yellow",
            ProjectLight::Red => "red",
        }
    }

    /// The word shown.
    pub fn label(self) -> &'static str {
        match self {
            ProjectLight::None => "—",
            ProjectLight::Green => "正常",
            ProjectLight::Yellow => "滞后",
            ProjectLight::Red => "严重滞后",
        }
    }
}

/// The light of a project on `today`, and why: red when a milestone's
/// planned date has passed without its actual date, or its 形象进度 is more
/// than `behind_red_points` behind 序时进度; yellow when more than
/// `behind_yellow_points` behind, or investment is behind its plan; green
/// otherwise. A reserve or delivered project has none.
#[allow(clippy::too_many_arguments)]
pub fn light(
    stage: Stage,
    milestones: &[Milestone],
    start: Date,
    completion: Date,
    percent: Option<Decimal>,
    pace: Option<Pace>,
    today: Date,
    settings: &Settings,
) -> (ProjectLight, String) {
    if matches!(stage, Stage::Reserve | Stage::Delivered) {
        return (ProjectLight::None, stage.label().to_string());
    }
    let missed: Vec<String> = milestones
        .iter()
        .filter(|m| m.actual.is_none() && m.planned < today)
        .map(|m| format!("{}(计划 {})", m.name, m.planned))
        .collect();
    if !missed.is_empty() {
        return (
            ProjectLight::Red,
            format!("节点已过未完成:{}", missed.join("、")),
        );
    }
    if stage == Stage::Completed {
        return (ProjectLight::Green, "已竣工".into());
    }
    let expected = crate::supervision::time_percent(start, completion, today);
    let done = percent.unwrap_or(Decimal::ZERO);
    let behind = expected - done;
    let words = || {
        format!(
            "形象进度 {}%,落后序时进度({}%){} 个百分点",
            done.normalize(),
            expected.normalize(),
            behind.normalize()
        )
    };
    if behind > settings.behind_red_points {
        return (ProjectLight::Red, words());
    }
    if behind > settings.behind_yellow_points {
        return (ProjectLight::Yellow, words());
    }
    if pace == Some(Pace::Behind) {
        return (ProjectLight::Yellow, "投资完成滞后于计划".into());
    }
    (ProjectLight::Green, "按计划推进".into())
}

/// Whether a photo taken on `taken` is too old for an entry of `entered`:
/// more than `days` days before it.
pub fn photo_is_old(taken: Date, entered: Date, days: i64) -> bool {
    taken.days_until(entered) > days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: i32, month: u32, day: u32) -> Date {
        Date { year, month, day }
    }

    fn settings() -> Settings {
        Settings {
            lagging_threshold: Decimal::new(10, 2),
            report_deadline_day: 5,
            supervision_near_days: 3,
            behind_yellow_points: Decimal::from(10),
            behind_red_points: Decimal::from(30),
        }
    }

    fn phases() -> Vec<Phase> {
        [
            ("居民协商签约", 30),
            ("审批备案", 30),
            ("开工", 15),
            ("竣工验收", 75),
        ]
        .into_iter()
        .map(|(n, days)| Phase {
            name: n.into(),
            days,
        })
        .collect()
    }

    #[test]
    fn milestones_are_counted_back_from_the_completion() {
        let m = milestones(&phases(), d(2027, 6, 30));
        let dates: Vec<(String, Date)> = m.iter().map(|x| (x.name.clone(), x.planned)).collect();
        assert_eq!(
            dates,
            vec![
                ("居民协商签约".to_string(), d(2027, 3, 2)),
                ("审批备案".to_string(), d(2027, 4, 1)),
                ("开工".to_string(), d(2027, 4, 16)),
                ("竣工验收".to_string(), d(2027, 6, 30)),
            ]
        );
        assert_eq!(schedule_start(&phases(), d(2027, 6, 30)), d(2027, 1, 31));
    }

    #[test]
    fn investment_is_exact_and_paced() {
        let s = settings();
        let rate = investment_rate(Decimal::new(3000, 1), Decimal::new(1355, 1)).unwrap();
        assert_eq!(rate, Decimal::new(4517, 2), "135.5 / 300 = 45.17 %");
        assert_eq!(pace(rate, &s), Pace::Behind);
        assert_eq!(pace(Decimal::from(95), &s), Pace::OnPlan);
        assert_eq!(pace(Decimal::new(1101, 1), &s), Pace::Ahead);
        assert_eq!(investment_rate(Decimal::ZERO, Decimal::ONE), None);
    }

    #[test]
    fn a_missed_milestone_turns_the_project_red() {
        let s = settings();
        let mut m = milestones(&phases(), d(2027, 6, 30));
        let start = schedule_start(&phases(), d(2027, 6, 30));
        let at = |ms: &[Milestone], today, pct: i64| {
            light(
                Stage::Building,
                ms,
                start,
                d(2027, 6, 30),
                Some(Decimal::from(pct)),
                None,
                today,
                &s,
            )
        };
        assert_eq!(
            at(&m, d(2027, 3, 2), 20).0,
            ProjectLight::Green,
            "due today"
        );
        let (l, why) = at(&m, d(2027, 3, 3), 20);
        assert_eq!(l, ProjectLight::Red);
        assert!(why.contains("居民协商签约(计划 2027-03-02)"), "{why}");
        m[0].actual = Some(d(2027, 3, 3));
        // 32 of 150 days gone (21.3 %), 20 % done.
        assert_eq!(at(&m, d(2027, 3, 4), 20).0, ProjectLight::Green);
        assert_eq!(
            at(&m, d(2027, 4, 2), 25).0,
            ProjectLight::Red,
            "审批备案 missed"
        );
        m[1].actual = Some(d(2027, 4, 1));
        // 69 of 150 days gone (46 %): 30 % done is 16 points behind, 10 % 36.
        let (l, why) = at(&m, d(2027, 4, 10), 30);
        assert_eq!(l, ProjectLight::Yellow, "{why}");
        assert!(why.contains("落后序时进度(46%)16 个百分点"), "{why}");
        assert_eq!(
            at(&m, d(2027, 4, 10), 10).0,
            ProjectLight::Red,
            "far behind"
        );
        assert_eq!(
            light(
                Stage::Reserve,
                &m,
                start,
                d(2027, 6, 30),
                None,
                None,
                d(2028, 1, 1),
                &s
            )
            .0,
            ProjectLight::None
        );
    }

    #[test]
    fn an_old_photo_is_told_apart() {
        assert!(photo_is_old(d(2026, 10, 1), d(2026, 12, 1), 30));
        assert!(!photo_is_old(d(2026, 11, 15), d(2026, 12, 1), 30));
    }
}
