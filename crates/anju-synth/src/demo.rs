//! Demo data (`anju serve --demo`): plausible synthetic figures for every
//! town of a plan from the first plan month on, and the decomposition of the
//! city's targets to the towns they are measured against. Deterministic (the
//! same plan and month give the same figures), exact decimals, and made to
//! look like a living plan: most towns near their trajectory, some behind,
//! cumulative totals that never fall. Nothing here is real data; every page
//! that shows it says so.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use anju_core::period::YearMonth;
use anju_core::plan::{Frequency, Kind, OrgId, Plan, Reporter};

/// One demo figure of its owner (a town, or the city for a department).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figure {
    /// Indicator code (序号).
    pub indicator: u16,
    /// The unit the figure is of (a town, or the city).
    pub org: OrgId,
    /// The month.
    pub month: YearMonth,
    /// A plain value, or a ratio's numerator and denominator.
    pub amount: Amount,
}

/// A figure's amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    /// A value in the display unit.
    Value(Decimal),
    /// Numerator and denominator of a ratio.
    Ratio {
        /// Σ numerator.
        num: Decimal,
        /// Σ denominator.
        den: Decimal,
    },
}

/// A small deterministic hash (splitmix64) of a few numbers.
fn mix(parts: &[u64]) -> u64 {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for &p in parts {
        x ^= p
            .wrapping_add(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(x << 6)
            .wrapping_add(x >> 2);
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x = z ^ (z >> 31);
    }
    x
}

/// The towns: the reporting root's children.
fn towns(plan: &Plan) -> Vec<OrgId> {
    plan.orgs.get(plan.reporting_root).children.clone()
}

/// Each town's share of the city (weights 60–139, by town).
fn weights(plan: &Plan) -> Vec<Decimal> {
    towns(plan)
        .iter()
        .enumerate()
        .map(|(k, _)| Decimal::from(60 + mix(&[7, k as u64]) % 80))
        .collect()
}

/// Splits `total` by `weights` at `dp` places; the last share takes what
/// rounding left, so the shares add up to `total` exactly.
fn split(total: Decimal, weights: &[Decimal], dp: u32) -> Vec<Decimal> {
    let sum: Decimal = weights.iter().sum();
    let mut out = Vec::with_capacity(weights.len());
    let mut given = Decimal::ZERO;
    for (k, w) in weights.iter().enumerate() {
        if k + 1 == weights.len() {
            out.push(total - given);
        } else {
            let share = (total * w / sum)
                .round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::ToZero);
            given += share;
            out.push(share);
        }
    }
    out
}

/// The decomposition file (CSV: 指标,单位,年份,目标) that gives every town a
/// baseline and yearly targets adding up to the city's, for the indicators
/// that add up (not milestones); for ratios, each town's baseline (its
/// targets are the city's). Comparators stay as the plan writes them.
pub fn decomposition_csv(plan: &Plan) -> String {
    let mut out = String::from("指标,单位,年份,目标\n");
    let towns = towns(plan);
    let w = weights(plan);
    for ind in &plan.indicators {
        let code = ind.code.0;
        if matches!(ind.reporter, Reporter::Unit(_)) {
            // A department reports the city's figure: no town targets.
            continue;
        }
        match ind.kind {
            Kind::Milestone => {}
            Kind::Ratio => {
                if let Some(b) = ind.baseline {
                    for (k, &t) in towns.iter().enumerate() {
                        let wobble = Decimal::from(mix(&[11, u64::from(code), k as u64]) % 9)
                            - Decimal::from(4);
                        let v = (b + b * wobble / Decimal::from(100))
                            .round_dp(ind.decimals)
                            .min(if ind.multiplier == Some(Decimal::ONE_HUNDRED) {
                                Decimal::ONE_HUNDRED
                            } else {
                                Decimal::MAX
                            });
                        out.push_str(&format!(
                            "{code},{},{},{}\n",
                            plan.orgs.get(t).name,
                            plan.meta.baseline_year,
                            v.normalize()
                        ));
                    }
                }
            }
            _ => {
                let mut years: Vec<(i32, Decimal, &'static str)> = Vec::new();
                if let Some(b) = ind.baseline {
                    years.push((plan.meta.baseline_year, b, ""));
                }
                for (&y, t) in &ind.targets {
                    if let Some(t) = t {
                        let strict = if t.comparator.symbol() == ">" {
                            ">"
                        } else {
                            ""
                        };
                        years.push((y, t.value, strict));
                    }
                }
                for (y, total, strict) in years {
                    for (k, share) in split(total, &w, ind.decimals).into_iter().enumerate() {
                        out.push_str(&format!(
                            "{code},{},{y},{strict}{}\n",
                            plan.orgs.get(towns[k]).name,
                            share.normalize()
                        ));
                    }
                }
            }
        }
    }
    out
}

/// How well a town does on an indicator in a year: 0.92–1.14 of its
/// trajectory (8 of the 23 paces, about a third, fall short).
fn pace(code: u16, town: usize, year: i32) -> Decimal {
    Decimal::new(
        92 + (mix(&[3, u64::from(code), town as u64, year as u64]) % 23) as i64,
        2,
    )
}

/// The figures of every owner for every indicator (填报责任: each town its
/// own, or the city's for a department-reported one), month by month from
/// the first plan month to `until` — a yearly indicator only in December.
pub fn figures(plan: &Plan, until: YearMonth) -> Vec<Figure> {
    let towns = towns(plan);
    let first_year = plan.meta.baseline_year + 1;
    let mut out = Vec::new();
    for ind in &plan.indicators {
        let code = ind.code.0;
        let dp = ind.decimals;
        // The units with figures, and their weights: the towns, or the city
        // alone (its whole target).
        let (units, w) = match ind.reporter {
            Reporter::Towns => (towns.clone(), weights(plan)),
            Reporter::Unit(d) => match plan.orgs.get(d).parent {
                Some(city) => (vec![city], vec![Decimal::ONE]),
                None => continue,
            },
        };
        let yearly = matches!(ind.frequency, Frequency::Yearly { .. });
        // Town targets and baselines as the decomposition gives them.
        let town_targets = |y: i32| -> Option<Vec<Decimal>> {
            let t = ind.targets.get(&y).copied().flatten()?;
            Some(split(t.value, &w, dp))
        };
        let baselines = ind.baseline.map(|b| split(b, &w, dp));
        for (k, &town) in units.iter().enumerate() {
            // The town's size, for ratios: 2,000–9,999 (households, people…).
            let den_base = Decimal::from(2000 + mix(&[5, u64::from(code), k as u64]) % 8000);
            let mut start: Option<Decimal> = match ind.kind {
                Kind::Ratio => ind.baseline.map(|b| {
                    let wobble =
                        Decimal::from(mix(&[11, u64::from(code), k as u64]) % 9) - Decimal::from(4);
                    (b + b * wobble / Decimal::from(100)).round_dp(dp)
                }),
                _ => baselines.as_ref().map(|b| b[k]),
            };
            let mut year = first_year;
            while year <= until.year() {
                let pace = pace(code, k, year);
                let target = match ind.kind {
                    Kind::Ratio => ind.targets.get(&year).copied().flatten().map(|t| t.value),
                    Kind::Milestone => None,
                    _ => town_targets(year).map(|t| t[k]),
                };
                let last_month = if year == until.year() {
                    until.month()
                } else {
                    12
                };
                let mut previous: Option<Decimal> = None;
                for m in 1..=last_month {
                    let Some(month) = YearMonth::new(year, m) else {
                        continue;
                    };
                    let share = Decimal::from(m) / Decimal::from(12);
                    let amount = match ind.kind {
                        Kind::Milestone => {
                            // One town builds its village in the plan's third year.
                            let done = k == 6 && (year, m) >= (first_year + 2, 6);
                            Some(Amount::Value(if done {
                                Decimal::ONE
                            } else {
                                Decimal::ZERO
                            }))
                        }
                        Kind::Flow => {
                            target.map(|t| Amount::Value((t * share * pace).round_dp(dp)))
                        }
                        Kind::Cumulative | Kind::Stock => {
                            let s = start.or(target);
                            match (s, target) {
                                (Some(s), Some(t)) => {
                                    let mut v = (s + (t - s) * share * pace).round_dp(dp);
                                    if ind.kind == Kind::Cumulative {
                                        v = v.max(previous.unwrap_or(s).max(s));
                                    }
                                    Some(Amount::Value(v))
                                }
                                _ => None,
                            }
                        }
                        Kind::Ratio => {
                            let s = start.or(target.map(|t| t * Decimal::new(9, 1)));
                            match (s, target) {
                                (Some(s), Some(t)) => {
                                    let mult = ind.multiplier.unwrap_or(Decimal::ONE);
                                    let mut rate = s + (t - s) * share * pace;
                                    if mult == Decimal::ONE_HUNDRED {
                                        rate = rate.min(Decimal::ONE_HUNDRED);
                                    }
                                    // Denominators grow a little each month.
                                    let months = (year - first_year) * 12 + m as i32;
                                    let den = den_base + Decimal::from(months * 3);
                                    let num = (rate * den / mult).round_dp(0).min(
                                        if mult == Decimal::ONE_HUNDRED {
                                            den
                                        } else {
                                            Decimal::MAX
                                        },
                                    );
                                    Some(Amount::Ratio { num, den })
                                }
                                _ => None,
                            }
                        }
                    };
                    if let Some(a) = amount
                        && (!yearly || m == 12)
                    {
                        if let Amount::Value(v) = a {
                            previous = Some(v);
                        }
                        out.push(Figure {
                            indicator: code,
                            org: town,
                            month,
                            amount: a,
                        });
                    }
                    if m == 12 {
                        start = match amount {
                            Some(Amount::Value(v)) => Some(v),
                            Some(Amount::Ratio { num, den }) => {
                                ind.rate(num, den).and_then(|r| r.round(dp))
                            }
                            None => start,
                        };
                    }
                }
                year += 1;
            }
        }
    }
    out
}

/// A figure's amount as a float, for tests and plausibility checks only.
pub fn approx(plan: &Plan, f: &Figure) -> Option<f64> {
    let ind = plan.indicators.iter().find(|i| i.code.0 == f.indicator)?;
    match f.amount {
        Amount::Value(v) => v.to_f64(),
        Amount::Ratio { num, den } => ind.rate(num, den)?.round(4)?.to_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anju_core::targets::TargetBook;

    fn plan() -> Plan {
        anju_core::builtin_plan().unwrap()
    }

    #[test]
    fn the_demo_decomposition_adds_up_to_the_city_targets() {
        let plan = plan();
        let csv = decomposition_csv(&plan);
        let rows = anju_core::input::read_targets(&plan, "demo.csv", csv.as_bytes(), 1).unwrap();
        assert!(rows.len() > 12 * 9 * 5, "{} rows", rows.len());
        let mut book = TargetBook::from_plan(&plan);
        book.decompose(&plan, "demo.csv", &rows).unwrap();
        let sums = book.check_sums(&plan);
        assert!(
            sums.is_empty(),
            "{:?}",
            sums.iter().map(|w| w.message.clone()).collect::<Vec<_>>()
        );
        // A town has a target of its own for a cumulative indicator.
        let xiashi = plan.orgs.resolve("硖石街道").unwrap();
        let ix = plan
            .indicator_index(anju_core::plan::IndicatorCode(8))
            .unwrap();
        assert!(book.target(&plan, ix, xiashi, 2025).is_some());
    }

    #[test]
    fn every_owner_reports_when_due_and_totals_never_fall() {
        let plan = plan();
        let until = YearMonth::new(2024, 6).unwrap();
        let figures = figures(&plan, until);
        let towns = plan.orgs.get(plan.reporting_root).children.clone();
        let city = plan.reporting_root;
        // Town-reported, monthly (1–13): 18 months × 12 towns; department-
        // reported, yearly (14, 15): the city's December 2023 only.
        assert_eq!(figures.len(), 18 * towns.len() * 13 + 2);
        for (ix, ind) in plan.indicators.iter().enumerate() {
            for &unit in towns.iter().chain([&city]) {
                let series: Vec<f64> = figures
                    .iter()
                    .filter(|f| f.indicator == ind.code.0 && f.org == unit)
                    .map(|f| approx(&plan, f).unwrap())
                    .collect();
                let want = match plan.reporter_of(ix, unit) {
                    None => 0,
                    Some(_) if ind.frequency != anju_core::plan::Frequency::Monthly => 1,
                    Some(_) => 18,
                };
                assert_eq!(series.len(), want, "indicator {}", ind.code.0);
                assert!(
                    figures
                        .iter()
                        .filter(|f| f.indicator == ind.code.0 && f.org == unit)
                        .all(|f| want != 1 || f.month.month() == 12),
                    "a yearly figure is of December"
                );
                if matches!(ind.kind, Kind::Cumulative | Kind::Milestone) {
                    assert!(
                        series.windows(2).all(|w| w[1] >= w[0]),
                        "indicator {} falls: {series:?}",
                        ind.code.0
                    );
                }
                if ind.multiplier == Some(Decimal::ONE_HUNDRED) {
                    assert!(
                        series.iter().all(|&v| (0.0..=100.0).contains(&v)),
                        "{series:?}"
                    );
                }
            }
        }
        assert_eq!(
            figures,
            super::figures(&plan, until),
            "the same month gives the same figures"
        );
    }

    #[test]
    fn shares_add_up_exactly() {
        let w = [Decimal::from(3), Decimal::from(3), Decimal::from(3)];
        let parts = split(Decimal::new(100, 0), &w, 2);
        assert_eq!(parts.iter().sum::<Decimal>(), Decimal::from(100));
        assert_eq!(parts[0], Decimal::new(3333, 2));
    }
}
