//! Aggregation invariants, for any figures: the order of the input does not
//! matter, and a parent's actual is the sum (or Σnum/Σden) of its children's.

use anju_core::engine::{self, Evaluation};
use anju_core::input;
use anju_core::num::Exact;
use anju_core::period::YearMonth;
use anju_core::plan::{self, Plan};
use anju_core::targets::TargetBook;
use anju_core::values::ValueSet;
use proptest::prelude::*;
use rust_decimal::Decimal;

const PLAN: &str = r#"
[plan]
id = "props"
name = "性质测试"
baseline_year = 2022
first_year = 2023
last_year = 2024
reporting_root = "甲县"

[[org_unit]]
name = "甲县"
level = "county"

[[org_unit]]
name = "北片"
parent = "甲县"
level = "town"

[[org_unit]]
name = "南片"
parent = "甲县"
level = "town"

[[org_unit]]
name = "一村镇"
parent = "北片"
level = "town"

[[org_unit]]
name = "二村镇"
parent = "北片"
level = "town"

[[org_unit]]
name = "三村镇"
parent = "南片"
level = "town"

[[indicator]]
code = 1
domain = "d"
name = "累计"
unit = "万套"
kind = "cumulative"
decimals = 4
baseline = "1"
targets = { 2023 = "2", 2024 = "3" }

[[indicator]]
code = 2
domain = "d"
name = "比率"
unit = "%"
kind = "ratio"
multiplier = "100"
baseline = "50"
targets = { 2023 = "60", 2024 = "70" }
"#;

const LEAVES: [&str; 3] = ["一村镇", "二村镇", "三村镇"];

fn plan() -> Plan {
    plan::load("props.toml", PLAN).unwrap()
}

fn evaluate(plan: &Plan, lines: &[String], as_of: YearMonth) -> Evaluation {
    let text = format!(
        "indicator,org_unit,period,value,numerator,denominator\n{}\n",
        lines.join("\n")
    );
    let obs = input::read_values(plan, "p.csv", 0, text.as_bytes(), 1, None).unwrap();
    let values = ValueSet::build(plan, obs, &["p.csv".into()]).unwrap();
    engine::evaluate(plan, &values, &TargetBook::from_plan(plan), as_of)
}

fn dec(units: u32, scale: u32) -> Decimal {
    Decimal::new(i64::from(units), scale)
}

/// Figures for the three leaves: (month, cumulative value in 万套 with 4
/// decimals, numerator, denominator) per leaf.
fn figures() -> impl Strategy<Value = Vec<(usize, u32, u32, u32, u32)>> {
    prop::collection::vec(
        (
            0usize..3,
            1u32..=12,
            0u32..5_000_000,
            0u32..1000,
            1u32..1000,
        ),
        1..20,
    )
}

fn lines_of(figs: &[(usize, u32, u32, u32, u32)]) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut lines = Vec::new();
    for &(leaf, month, v, n, d) in figs {
        if !seen.insert((leaf, month)) {
            continue; // one figure per unit and period
        }
        let org = LEAVES[leaf];
        lines.push(format!("1,{org},2023-{month:02},{},,", dec(v, 4)));
        lines.push(format!("2,{org},2023-{month:02},,{},{}", n.min(d), d));
    }
    lines
}

proptest! {
    #[test]
    fn the_order_of_the_input_does_not_matter(figs in figures(), seed in any::<u64>(), month in 1u32..=12) {
        let p = plan();
        let lines = lines_of(&figs);
        let mut shuffled = lines.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let as_of = YearMonth::new(2023, month).unwrap();
        let a = evaluate(&p, &lines, as_of);
        let b = evaluate(&p, &shuffled, as_of);
        prop_assert_eq!(a.rows.len(), b.rows.len());
        for (x, y) in a.rows.iter().zip(&b.rows) {
            prop_assert_eq!(x.org, y.org);
            prop_assert_eq!(x.status, y.status);
            prop_assert_eq!(x.actual.as_ref().map(|a| a.value.clone()), y.actual.as_ref().map(|a| a.value.clone()));
            prop_assert_eq!(x.rank, y.rank);
            prop_assert_eq!(&x.reason, &y.reason);
        }
    }

    #[test]
    fn a_parents_actual_is_the_sum_of_its_childrens(figs in figures()) {
        let p = plan();
        let lines = lines_of(&figs);
        let as_of = YearMonth::new(2023, 12).unwrap();
        let e = evaluate(&p, &lines, as_of);
        let actual = |code: u16, org: &str| {
            let org = p.orgs.resolve(org).unwrap();
            e.rows.iter().find(|r| p.indicators[r.indicator].code.0 == code && r.org == org)
                .and_then(|r| r.actual.as_ref().map(|a| (a.value.clone(), a.amount)))
        };
        // Latest figure of each leaf.
        let mut latest: [Option<(u32, u32, u32, u32)>; 3] = [None; 3];
        let mut seen = std::collections::BTreeSet::new();
        for &(leaf, month, v, n, d) in &figs {
            if seen.insert((leaf, month)) && latest[leaf].is_none_or(|(m, ..)| month > m) {
                latest[leaf] = Some((month, v, n.min(d), d));
            }
        }
        let sum = |leaves: &[usize]| -> Option<(Exact, Exact, Exact)> {
            let present: Vec<_> = leaves.iter().filter_map(|&l| latest[l]).collect();
            if present.is_empty() { return None; }
            let v = present.iter().fold(Exact::ZERO, |acc, f| acc.add(&Exact::from(dec(f.1, 4))));
            let n = present.iter().fold(Exact::ZERO, |acc, f| acc.add(&Exact::int(i64::from(f.2))));
            let d = present.iter().fold(Exact::ZERO, |acc, f| acc.add(&Exact::int(i64::from(f.3))));
            Some((v, n, d))
        };
        for (parent, leaves) in [("北片", &[0usize, 1][..]), ("南片", &[2][..]), ("甲县", &[0, 1, 2][..])] {
            let expected = sum(leaves);
            let got1 = actual(1, parent).map(|a| a.0);
            let got2 = actual(2, parent).map(|a| a.0);
            match expected {
                None => { prop_assert!(got1.is_none()); prop_assert!(got2.is_none()); }
                Some((v, n, d)) => {
                    prop_assert_eq!(got1, Some(v));
                    let rate = n.mul(&Exact::int(100)).div(&d).unwrap();
                    prop_assert_eq!(got2, Some(rate));
                }
            }
        }
    }
}
