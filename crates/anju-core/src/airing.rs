//! 月晾晒 standings: the order of towns in a month's airing table, from the
//! lights of their indicators. The plan says towns are ranked and aired each
//! month but not how; the rule here is ours (docs/RULES.md): fewer red lights
//! and missing figures together first (a figure not reported counts as badly
//! as a red light: a town must not rank first by reporting nothing), then
//! fewer yellow, then more green; units equal on all three share a rank
//! (1, 2, 2, 4). Indicators without a target or not yet due count neither way,
//! with or without a figure.

use crate::engine::{Light, Status};
use crate::period::YearMonth;
use crate::plan::{IndicatorCode, Plan};

/// Whether a row's missing figure counts against its unit (`org`, when
/// the plan knows it) as of `as_of`: it has a target (`has_target`), someone
/// reports it there (the unit itself, or the towns below it — a town has no
/// figure of a department's indicator, 填报责任), a figure is due that month
/// (a yearly indicator's in December only, `Plan::is_due`) and, for a
/// milestone, the deadline has come. An indicator the plan no longer has
/// counts only by its target.
pub fn counts_if_missing(
    plan: &Plan,
    indicator: IndicatorCode,
    org: Option<crate::plan::OrgId>,
    as_of: YearMonth,
    has_target: bool,
) -> bool {
    let Some(ix) = plan.indicator_index(indicator) else {
        return has_target;
    };
    let ind = &plan.indicators[ix];
    let reported_there = match (ind.reporter, org) {
        (crate::plan::Reporter::Unit(d), Some(o)) => plan.orgs.get(d).parent == Some(o),
        _ => true,
    };
    let milestone_ahead = ind.milestone.is_some_and(|m| as_of < m.deadline);
    has_target && reported_there && !milestone_ahead && plan.is_due(ix, as_of)
}

/// How many indicators of one unit show each light.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LightCount {
    /// 绿灯 (achieved, on track).
    pub green: u32,
    /// 黄灯 (lagging).
    pub yellow: u32,
    /// 红灯 (severe, missed).
    pub red: u32,
    /// No figure (`no_data`).
    pub no_data: u32,
    /// Neither (no target, not yet due).
    pub none: u32,
}

impl LightCount {
    /// Counts one row by its status and light. A missing figure counts only
    /// when it is `due` ([`counts_if_missing`]): the unit has a target for
    /// the year, a figure is due that month and, for a milestone, its
    /// deadline has come (the engine says `no_data` before it looks at the
    /// target). A `stale` row — its actual wholly an earlier month's — is
    /// 未报 when due, whatever its old light (docs/RULES.md).
    pub fn add(&mut self, status: Status, due: bool, stale: bool) {
        if due && stale {
            self.no_data += 1;
            return;
        }
        match (status.light(), status) {
            (Light::Green, _) => self.green += 1,
            (Light::Yellow, _) => self.yellow += 1,
            (Light::Red, _) => self.red += 1,
            (_, Status::NoData) if due => self.no_data += 1,
            _ => self.none += 1,
        }
    }

    fn key(&self) -> (u32, u32, std::cmp::Reverse<u32>) {
        (
            self.red + self.no_data,
            self.yellow,
            std::cmp::Reverse(self.green),
        )
    }
}

/// The standing of each unit (same order as `counts`): 1 is best; equal
/// counts share a rank and the next rank skips (1, 2, 2, 4).
pub fn standings(counts: &[LightCount]) -> Vec<u32> {
    counts
        .iter()
        .map(|c| 1 + counts.iter().filter(|o| o.key() < c.key()).count() as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(green: u32, yellow: u32, red: u32) -> LightCount {
        LightCount {
            green,
            yellow,
            red,
            ..LightCount::default()
        }
    }

    #[test]
    fn fewer_red_lights_rank_first_then_fewer_yellow_then_more_green() {
        let counts = [c(10, 0, 2), c(5, 5, 0), c(9, 1, 0), c(9, 1, 0), c(12, 0, 0)];
        assert_eq!(standings(&counts), vec![5, 4, 2, 2, 1]);
    }

    #[test]
    fn a_unit_that_reported_nothing_does_not_rank_first() {
        let silent = LightCount {
            no_data: 15,
            ..LightCount::default()
        };
        let one_red = LightCount {
            green: 1,
            red: 1,
            no_data: 12,
            none: 1,
            ..LightCount::default()
        };
        assert_eq!(standings(&[silent, one_red]), vec![2, 1]);
        // A missing figure weighs as much as a red light.
        assert_eq!(
            standings(&[
                c(0, 0, 2),
                LightCount {
                    no_data: 2,
                    ..LightCount::default()
                }
            ]),
            vec![1, 1]
        );
    }

    #[test]
    fn rows_are_counted_by_light_and_status() {
        let mut n = LightCount::default();
        for (s, due) in [
            (Status::Achieved, true),
            (Status::Severe, true),
            (Status::Lagging, true),
            (Status::NoData, true),
            (Status::NoData, false),
            (Status::OnTrack, true),
            (Status::NoTarget, true),
            (Status::Pending, false),
        ] {
            n.add(s, due, false);
        }
        assert_eq!(
            n,
            LightCount {
                green: 2,
                yellow: 1,
                red: 1,
                no_data: 1,
                none: 3
            }
        );
    }

    #[test]
    fn a_figure_carried_from_an_earlier_month_counts_as_not_reported_when_due() {
        let mut n = LightCount::default();
        n.add(Status::OnTrack, true, true);
        n.add(Status::Severe, true, true);
        n.add(Status::OnTrack, false, true);
        n.add(Status::OnTrack, true, false);
        assert_eq!(
            n,
            LightCount {
                green: 2,
                no_data: 2,
                ..LightCount::default()
            },
            "stale and due: 未报, its old light ignored; not due: its light"
        );
    }

    #[test]
    fn a_missing_figure_counts_once_the_target_is_there_and_a_milestone_due() {
        let plan = crate::builtin_plan().unwrap();
        let ym = |s: &str| YearMonth::parse(s).unwrap();
        let milestone = plan
            .indicators
            .iter()
            .find_map(|i| i.milestone.map(|m| (i.code, m.deadline)))
            .expect("the plan has a milestone");
        let (code, deadline) = milestone;
        let before = deadline.previous().unwrap();
        assert!(
            !counts_if_missing(&plan, code, None, before, true),
            "before its deadline"
        );
        assert!(
            counts_if_missing(&plan, code, None, deadline, true),
            "at its deadline"
        );
        assert!(
            !counts_if_missing(&plan, code, None, deadline, false),
            "no target"
        );
        assert!(counts_if_missing(
            &plan,
            IndicatorCode(1),
            None,
            ym("2024-01"),
            true
        ));
        // A yearly figure (15) is due in December only, and of the city only
        // (海宁公积金分中心 reports it): never of a town.
        let city = Some(plan.reporting_root);
        let town = plan.orgs.resolve("硖石街道").ok();
        assert!(!counts_if_missing(
            &plan,
            IndicatorCode(15),
            city,
            ym("2024-06"),
            true
        ));
        assert!(counts_if_missing(
            &plan,
            IndicatorCode(15),
            city,
            ym("2024-12"),
            true
        ));
        assert!(!counts_if_missing(
            &plan,
            IndicatorCode(15),
            town,
            ym("2024-12"),
            true
        ));
        assert!(counts_if_missing(
            &plan,
            IndicatorCode(1),
            town,
            ym("2024-12"),
            true
        ));
        assert!(
            Status::ALL
                .iter()
                .all(|s| Status::parse(s.as_str()) == Some(*s))
        );
        assert_eq!(Status::parse("green"), None);
    }
}
