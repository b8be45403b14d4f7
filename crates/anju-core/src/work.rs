//! 年度工作要点: the yearly work items of the plan's 13 tasks as rules —
//! the light of an item from its deadline, its dated milestones and its
//! 序时进度 against the percent its owner last reported and the task force
//! approved. Pure: the day is a parameter.

use rust_decimal::Decimal;

use crate::plan::Settings;
use crate::workflow::Date;

/// A milestone of a work item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What is to be done by then.
    pub name: String,
    /// By when.
    pub due: Date,
    /// When it was done.
    pub done: Option<Date>,
}

/// A work item's light.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkLight {
    /// Done (100 % approved).
    Done,
    /// On time.
    Green,
    /// Behind its 序时进度 by more than `behind_yellow_points`.
    Yellow,
    /// A milestone or the deadline missed, or behind by more than
    /// `behind_red_points`.
    Red,
}

impl WorkLight {
    /// The name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkLight::Done => "done",
            WorkLight::Green => "green",
            WorkLight::Yellow => "yellow",
            WorkLight::Red => "red",
        }
    }

    /// The word shown.
    pub fn label(self) -> &'static str {
        match self {
            WorkLight::Done => "已完成",
            WorkLight::Green => "正常",
            WorkLight::Yellow => "滞后",
            WorkLight::Red => "严重滞后",
        }
    }
}

/// The light of an item running from `start` to `deadline` with `steps`,
/// whose last approved report said `percent`, on `today`, and why.
pub fn light(
    start: Date,
    deadline: Date,
    steps: &[Step],
    percent: Option<Decimal>,
    today: Date,
    settings: &Settings,
) -> (WorkLight, String) {
    let done = percent.unwrap_or(Decimal::ZERO);
    if done >= Decimal::from(100) {
        return (WorkLight::Done, "已完成".into());
    }
    if today > deadline {
        return (
            WorkLight::Red,
            format!("已过完成时限 {deadline}(完成 {}%)", done.normalize()),
        );
    }
    let missed: Vec<String> = steps
        .iter()
        .filter(|s| s.done.is_none() && s.due < today)
        .map(|s| format!("{}({})", s.name, s.due))
        .collect();
    if !missed.is_empty() {
        return (
            WorkLight::Red,
            format!(
                "节点已过未完成:{}(完成 {}%)",
                missed.join("、"),
                done.normalize()
            ),
        );
    }
    let expected = crate::supervision::time_percent(start, deadline, today);
    let behind = expected - done;
    let words = || {
        format!(
            "完成 {}%,落后序时进度({}%){} 个百分点",
            done.normalize(),
            expected.normalize(),
            behind.normalize()
        )
    };
    if behind > settings.behind_red_points {
        (WorkLight::Red, words())
    } else if behind > settings.behind_yellow_points {
        (WorkLight::Yellow, words())
    } else {
        (
            WorkLight::Green,
            format!(
                "完成 {}%,序时进度 {}%",
                done.normalize(),
                expected.normalize()
            ),
        )
    }
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

    #[test]
    fn behind_by_ten_to_thirty_points_is_yellow_more_is_red() {
        let s = settings();
        let (start, end) = (d(2027, 1, 1), d(2027, 12, 31));
        let mid = d(2027, 7, 2); // 182 of 364 days: 50 %
        let at = |p: i64| light(start, end, &[], Some(Decimal::from(p)), mid, &s).0;
        assert_eq!(at(45), WorkLight::Green);
        assert_eq!(at(39), WorkLight::Yellow);
        assert_eq!(
            at(20),
            WorkLight::Yellow,
            "30 points behind is still yellow"
        );
        assert_eq!(at(19), WorkLight::Red);
        assert_eq!(at(100), WorkLight::Done);
        let (l, why) = light(start, end, &[], None, d(2028, 1, 1), &s);
        assert_eq!(l, WorkLight::Red);
        assert!(why.contains("已过完成时限 2027-12-31"), "{why}");
    }

    #[test]
    fn a_missed_milestone_is_red() {
        let s = settings();
        let steps = vec![Step {
            name: "出台实施细则".into(),
            due: d(2027, 3, 31),
            done: None,
        }];
        let (l, why) = light(
            d(2027, 1, 1),
            d(2027, 12, 31),
            &steps,
            Some(Decimal::from(40)),
            d(2027, 4, 1),
            &s,
        );
        assert_eq!(l, WorkLight::Red);
        assert!(why.contains("出台实施细则(2027-03-31)"), "{why}");
        let met = vec![Step {
            done: Some(d(2027, 3, 30)),
            ..steps[0].clone()
        }];
        let (l, _) = light(
            d(2027, 1, 1),
            d(2027, 12, 31),
            &met,
            Some(Decimal::from(40)),
            d(2027, 4, 1),
            &s,
        );
        assert_eq!(l, WorkLight::Green);
    }
}
