//! Stored figures as the engine reads them: what a store keeps of an
//! approved figure (its record id, indicator code, unit name as stored,
//! period and amount) resolved against the plan in force, and the rule when
//! two records meet on one figure — the newer record wins. The store only
//! hands its records over ([`Figure`]); what counts is decided here.

use rust_decimal::Decimal;

use crate::period::Period;

/// Stored figures as the engine reads them, and those it cannot.
#[derive(Debug, Default)]
pub struct Observations {
    /// The figures the plan knows.
    pub observations: Vec<crate::input::Observation>,
    /// The figures left out, each naming its record (as the line) and why:
    /// a unit or indicator the plan in force no longer has (a revised plan
    /// keeps the history of the old one, which simply does not count).
    pub skipped: Vec<crate::input::InputError>,
}

/// A stored figure as the engine reads it: a full version, or the lean
/// record the evaluation keeps.
pub trait Figure {
    /// The version's id.
    fn id(&self) -> i64;
    /// The indicator's code.
    fn indicator(&self) -> u16;
    /// The unit's name as stored.
    fn org_unit(&self) -> &str;
    /// The period.
    fn period(&self) -> Result<Period, String>;
    /// Value, numerator, denominator.
    fn amount(&self) -> (Option<Decimal>, Option<Decimal>, Option<Decimal>);
}

/// Approved figures as the engine's observations. Units and indicators are
/// resolved against `plan`; a figure the plan does not know is left out and
/// listed in `skipped`. The `line` of each observation's source is its record id.
pub fn observations<'a, F: Figure + 'a>(
    plan: &crate::plan::Plan,
    values: impl IntoIterator<Item = &'a F>,
    file_index: u16,
) -> Observations {
    let values = values.into_iter();
    use crate::input::{Amount, InputError, Observation, Source};
    use crate::plan::IndicatorCode;
    let mut out = Vec::with_capacity(values.size_hint().0);
    let mut seen = std::collections::HashMap::with_capacity(values.size_hint().0);
    let mut errors = Vec::new();
    // Units by name, resolved once each (a province has a thousand names
    // and a million figures).
    let mut units: std::collections::HashMap<&str, Option<crate::plan::OrgId>> =
        std::collections::HashMap::new();
    for v in values {
        let id = v.id();
        let fail = |message: String| InputError {
            file: "数据库".into(),
            line: u64::try_from(id).unwrap_or(0),
            field: None,
            cell: None,
            message,
        };
        let Some(ix) = plan.indicator_index(IndicatorCode(v.indicator())) else {
            errors.push(fail(format!("计划中没有指标 {}", v.indicator())));
            continue;
        };
        let name = v.org_unit();
        let org = *units.entry(name).or_insert_with(|| {
            plan.orgs
                .resolve(name)
                .ok()
                .and_then(|o| plan.reporting_unit(o))
        });
        let Some(org) = org else {
            errors.push(fail(format!("“{name}”不在本计划的填报范围内")));
            continue;
        };
        let period = match v.period() {
            Ok(p) => p,
            Err(e) => {
                errors.push(fail(e));
                continue;
            }
        };
        let (value, numerator, denominator) = v.amount();
        let amount = match (value, numerator, denominator) {
            (_, Some(num), Some(den)) => Amount::Ratio { num, den },
            (Some(x), _, _) => Amount::Value(x),
            _ => {
                errors.push(fail("记录没有数值".into()));
                continue;
            }
        };
        let source = Source {
            file: file_index,
            line: u32::try_from(id).unwrap_or(u32::MAX),
        };
        let Some(o) = Observation::new(ix as u16, org, period, amount, source) else {
            errors.push(fail("数值超出可精确保存的范围".into()));
            continue;
        };
        // One approved figure per unit and period: two can meet only when a
        // revised plan made two stored names one unit. The newer counts.
        match seen.entry((ix, org, period)) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(out.len());
                out.push((id, o));
            }
            std::collections::hash_map::Entry::Occupied(e) => {
                let kept = &mut out[*e.get()];
                let (newer, older) = (kept.0.max(id), kept.0.min(id));
                if id > kept.0 {
                    *kept = (id, o);
                }
                errors.push(InputError {
                    file: "数据库".into(),
                    line: u64::try_from(older).unwrap_or(0),
                    field: None,
                    cell: None,
                    message: format!(
                        "与记录 {newer} 是同一单位同一期间的已审核数据(计划已将两个单位名称视为同一单位),以较新的记录 {newer} 为准"
                    ),
                });
            }
        }
    }
    Observations {
        observations: out.into_iter().map(|(_, o)| o).collect(),
        skipped: errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Amount;

    struct Rec(i64, u16, &'static str, &'static str, i64);

    impl Figure for Rec {
        fn id(&self) -> i64 {
            self.0
        }
        fn indicator(&self) -> u16 {
            self.1
        }
        fn org_unit(&self) -> &str {
            self.2
        }
        fn period(&self) -> Result<Period, String> {
            Period::parse(self.3).map_err(|e| e.to_string())
        }
        fn amount(&self) -> (Option<Decimal>, Option<Decimal>, Option<Decimal>) {
            (Some(Decimal::from(self.4)), None, None)
        }
    }

    #[test]
    fn the_newer_record_wins_when_two_names_are_one_unit_and_unknown_ones_are_left_out() {
        let plan = crate::builtin_plan().unwrap();
        // "海宁" is an alias of 海宁市 in the built-in plan: records 7 and 3
        // are one figure; 7 is newer whichever comes first.
        for order in [[0, 1], [1, 0]] {
            let recs = [
                Rec(3, 1, "海宁市", "2025-06", 10),
                Rec(7, 1, "海宁", "2025-06", 20),
            ];
            let mut recs: Vec<&Rec> = order.iter().map(|&k| &recs[k]).collect();
            let extra = [
                Rec(9, 999, "海宁市", "2025-06", 1),
                Rec(11, 1, "不存在的镇", "2025-06", 1),
            ];
            recs.extend(extra.iter());
            let obs = observations(&plan, recs, 0);
            assert_eq!(obs.observations.len(), 1, "{:?}", obs.skipped);
            let o = &obs.observations[0];
            assert_eq!(o.amount(), Amount::Value(Decimal::from(20)));
            assert_eq!(o.source().line, 7);
            let lines: Vec<(u64, &str)> = obs
                .skipped
                .iter()
                .map(|e| (e.line, e.message.as_str()))
                .collect();
            assert_eq!(lines.len(), 3, "{lines:?}");
            assert!(
                lines
                    .iter()
                    .any(|(l, m)| *l == 3 && m.contains("以较新的记录 7 为准"))
            );
            assert!(
                lines
                    .iter()
                    .any(|(l, m)| *l == 9 && m.contains("计划中没有指标 999"))
            );
            assert!(
                lines
                    .iter()
                    .any(|(l, m)| *l == 11 && m.contains("不在本计划的填报范围内"))
            );
        }
    }
}
