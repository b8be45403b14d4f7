//! 月晾晒 standings: the order of towns in a month's airing table, from the
//! lights of their indicators. The plan says towns are ranked and aired each
//! month but not how; the rule here is ours (docs/RULES.md): fewer red lights
//! and missing figures together first (a figure not reported counts as badly
//! as a red light: a town must not rank first by reporting nothing), then
//! fewer yellow, then more green; units equal on all three share a rank
//! (1, 2, 2, 4). Indicators without a target or not yet due count neither way,
//! with or without a figure.

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
    /// Counts one row by its light and status as the evaluation rows name
    /// them (`green`, `yellow`, `red`; status `no_data`; anything else
    /// neither). A missing figure counts only when it is `due`: the unit has
    /// a target for the year and, for a milestone, its deadline has come
    /// (the engine says `no_data` before it looks at the target).
    pub fn add(&mut self, light: &str, status: &str, due: bool) {
        match (light, status) {
            ("green", _) => self.green += 1,
            ("yellow", _) => self.yellow += 1,
            ("red", _) => self.red += 1,
            (_, "no_data") if due => self.no_data += 1,
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
        for (l, s, due) in [
            ("green", "achieved", true),
            ("red", "severe", true),
            ("yellow", "lagging", true),
            ("none", "no_data", true),
            ("none", "no_data", false),
            ("green", "on_track", true),
            ("none", "no_target", true),
            ("none", "pending", false),
        ] {
            n.add(l, s, due);
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
}
