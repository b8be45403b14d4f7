//! The evaluation rules of DESIGN.md, one by one, on a small plan whose
//! figures make each rule decide.

use anju_core::engine::{self, ActualOrigin, Evaluation, Row, StartOrigin, Status};
use anju_core::input;
use anju_core::num::Exact;
use anju_core::period::YearMonth;
use anju_core::plan::{self, Plan};
use anju_core::targets::{TargetBook, TargetOrigin};
use anju_core::validate;
use anju_core::values::ValueSet;
use rust_decimal::Decimal;
use std::str::FromStr;

const PLAN: &str = r#"
[plan]
id = "rules"
name = "规则测试计划"
baseline_year = 2022
first_year = 2023
last_year = 2025
reporting_root = "甲市"

[[org_unit]]
name = "甲市"
level = "county"

[[org_unit]]
name = "一镇"
parent = "甲市"
level = "town"

[[org_unit]]
name = "二镇"
parent = "甲市"
level = "town"

[[org_unit]]
name = "三街道"
parent = "甲市"
level = "subdistrict"

[[department]]
name = "市住建局"
aliases = ["市住房和城乡建设局"]

[[indicator]]
code = 1
domain = "住房保障"
name = "累计指标"
unit = "个"
kind = "cumulative"
baseline = "10"
targets = { 2023 = "20", 2024 = "30", 2025 = ">30" }

[[indicator]]
code = 2
domain = "住房保障"
name = "存量指标"
unit = "万户"
kind = "stock"
decimals = 4
baseline = "5"
targets = { 2023 = "8", 2024 = "8", 2025 = "9" }

[[indicator]]
code = 3
domain = "住房品质"
name = "年度指标"
unit = "个"
kind = "flow"
baseline = "12"
targets = { 2023 = "12", 2024 = "24", 2025 = "24" }

[[indicator]]
code = 4
domain = "住房品质"
name = "比率指标"
unit = "%"
kind = "ratio"
multiplier = "100"
baseline = "50"
targets = { 2023 = "60", 2024 = "70", 2025 = "80" }

[[indicator]]
code = 5
domain = "住房品质"
name = "节点指标"
unit = "个"
kind = "milestone"
milestone = { deadline = "2024-06", target = "1" }

[[indicator]]
code = 6
domain = "住房品质"
name = "无起点指标"
unit = "%"
kind = "ratio"
multiplier = "100"
baseline = "/"
targets = { 2023 = "10", 2024 = "12", 2025 = "/" }

[[indicator]]
code = 7
domain = "住房安全"
name = "保持指标"
unit = "%"
kind = "ratio"
multiplier = "100"
baseline = "100"
targets = { 2023 = "100", 2024 = "100", 2025 = "100" }

[[indicator]]
code = 8
domain = "住房安全"
name = "从零起步指标"
unit = "个"
kind = "cumulative"
baseline = "0"
targets = { 2023 = "12", 2024 = "24", 2025 = "36" }
"#;

fn plan() -> Plan {
    plan::load("rules.toml", PLAN).unwrap()
}

fn ym(s: &str) -> YearMonth {
    YearMonth::parse(s).unwrap()
}

fn eval_with(plan: &Plan, csv: &str, targets: Option<&str>, as_of: &str) -> Evaluation {
    let text = format!("indicator,org_unit,period,value,numerator,denominator\n{csv}");
    let obs = input::read_values(plan, "v.csv", 0, text.as_bytes(), 1, None).unwrap();
    let values = ValueSet::build(plan, obs, &["v.csv".into()]).unwrap();
    let mut book = TargetBook::from_plan(plan);
    if let Some(t) = targets {
        let text = format!("indicator,org_unit,year,target\n{t}");
        let rows = input::read_targets(plan, "t.csv", text.as_bytes(), 1).unwrap();
        book.decompose(plan, "t.csv", &rows).unwrap();
    }
    engine::evaluate(plan, &values, &book, ym(as_of))
}

fn eval(csv: &str, as_of: &str) -> (Plan, Evaluation) {
    let p = plan();
    let e = eval_with(&p, csv, None, as_of);
    (p, e)
}

fn row<'a>(plan: &Plan, e: &'a Evaluation, code: u16, org: &str) -> &'a Row {
    let org = plan.orgs.resolve(org).unwrap();
    e.rows
        .iter()
        .find(|r| plan.indicators[r.indicator].code.0 == code && r.org == org)
        .unwrap()
}

fn status(csv: &str, as_of: &str, code: u16) -> Status {
    let (p, e) = eval(csv, as_of);
    row(&p, &e, code, "甲市").status
}

fn d(s: &str) -> Exact {
    Exact::from(Decimal::from_str(s).unwrap())
}

#[test]
fn one_row_for_every_indicator_and_unit_of_the_reporting_tree() {
    let (p, e) = eval("", "2023-06");
    assert_eq!(e.rows.len(), 8 * 4);
    assert!(e.rows.iter().all(|r| r.status == Status::NoData));
    assert_eq!(p.reporting.len(), 4);
}

#[test]
fn rule_1_no_value_in_the_year_is_no_data_even_with_last_years_value() {
    assert_eq!(status("1,甲市,2022-12,15,,", "2023-06", 1), Status::NoData);
}

#[test]
fn rule_1_no_target_outside_the_plan_years_and_for_undecomposed_towns() {
    let (p, e) = eval("1,甲市,2026-03,15,,\n1,一镇,2023-03,5,,", "2026-03");
    assert_eq!(row(&p, &e, 1, "甲市").status, Status::NoTarget);
    let (p, e) = eval("1,一镇,2023-03,5,,", "2023-03");
    assert_eq!(row(&p, &e, 1, "一镇").status, Status::NoTarget);
    assert!(row(&p, &e, 1, "一镇").reason.contains("未分解"));
    // "/" in the plan is no target.
    assert_eq!(status("6,甲市,2025-03,5,,", "2025-03", 6), Status::NoTarget);
}

#[test]
fn rule_2_meeting_the_target_is_achieved() {
    assert_eq!(
        status("1,甲市,2023-05,20,,", "2023-05", 1),
        Status::Achieved
    );
    // Just short of the target is not achieved (May: t = 5/12, p = 0.9999: on track).
    assert_eq!(
        status("1,甲市,2023-05,19.999,,", "2023-05", 1),
        Status::OnTrack
    );
}

#[test]
fn rule_2_strict_targets_need_more_than_the_value() {
    // 2025: ">30". 30 is not enough, even at the last month.
    let base = "1,甲市,2024-12,30,,\n";
    assert_eq!(
        status(&format!("{base}1,甲市,2025-12,30,,"), "2025-12", 1),
        Status::Missed
    );
    assert_eq!(
        status(&format!("{base}1,甲市,2025-12,30.000001,,"), "2025-12", 1),
        Status::Achieved
    );
    // T (30) ≤ S (30) and not met: rule 6.
    assert_eq!(
        status(&format!("{base}1,甲市,2025-06,30,,"), "2025-06", 1),
        Status::Severe
    );
}

#[test]
fn rule_3_a_milestone_is_pending_until_its_deadline_then_missed() {
    assert_eq!(status("5,甲市,2023-06,0,,", "2023-06", 5), Status::Pending);
    assert_eq!(
        status("5,甲市,2023-12,0,,", "2023-12", 5),
        Status::Pending,
        "not missed at a year end before the deadline"
    );
    assert_eq!(status("5,甲市,2024-05,0,,", "2024-05", 5), Status::Pending);
    assert_eq!(status("5,甲市,2024-06,0,,", "2024-06", 5), Status::Missed);
    assert_eq!(
        status("5,甲市,2025-01,0,,", "2025-01", 5),
        Status::Missed,
        "still missed after the deadline year"
    );
    assert_eq!(status("5,甲市,2024-03,1,,", "2024-03", 5), Status::Achieved);
    let (p, e) = eval("5,甲市,2023-06,0,,", "2023-06");
    let r = row(&p, &e, 5, "甲市");
    assert_eq!(
        r.target.unwrap().target.value,
        Decimal::ONE,
        "the deadline target holds in 2023"
    );
    assert!(r.expected.is_none());
}

#[test]
fn rule_4_not_met_in_december_is_missed() {
    assert_eq!(status("1,甲市,2023-12,19,,", "2023-12", 1), Status::Missed);
    // In November the same figure is only lagging (t = 11/12, p = 0.9).
    assert_eq!(status("1,甲市,2023-11,19,,", "2023-11", 1), Status::Lagging);
}

#[test]
fn rule_5_an_unknown_start_is_lagging() {
    // Indicator 6 has "/" as its baseline and no December 2022 value.
    let (p, e) = eval("6,甲市,2023-06,,1,20", "2023-06");
    let r = row(&p, &e, 6, "甲市");
    assert_eq!(r.status, Status::Lagging);
    assert!(r.start.is_none());
    assert!(r.reason.contains("缺少起点值"), "{}", r.reason);
    // A December 2022 figure gives it a start.
    let (p, e) = eval("6,甲市,2022-12,,1,20\n6,甲市,2023-06,,3,40", "2023-06");
    let r = row(&p, &e, 6, "甲市");
    assert_eq!(r.start.as_ref().unwrap().0, d("5"));
    assert_eq!(r.status, Status::OnTrack);
}

#[test]
fn rule_6_a_target_not_above_the_start_and_not_met_is_severe() {
    // Stock 2024: T = 8; December 2023 was 9, now 7.5.
    let csv = "2,甲市,2023-12,9,,\n2,甲市,2024-03,7.5,,";
    assert_eq!(status(csv, "2024-03", 2), Status::Severe);
    // Hold-the-level ratio at 100: 99.5% is severe at once.
    assert_eq!(
        status("7,甲市,2023-02,,199,200", "2023-02", 7),
        Status::Severe
    );
    assert_eq!(
        status("7,甲市,2023-02,,200,200", "2023-02", 7),
        Status::Achieved
    );
    // Its completion, for ranking: the share of the level reached, 1 when met.
    let (p, e) = eval("7,甲市,2023-02,,199,200", "2023-02");
    assert_eq!(
        row(&p, &e, 7, "甲市").completion.clone().unwrap(),
        d("0.995")
    );
    let (p, e) = eval("7,甲市,2023-02,,200,200", "2023-02");
    assert_eq!(
        row(&p, &e, 7, "甲市").completion.clone().unwrap(),
        Exact::ONE
    );
}

#[test]
fn rule_7_lag_thresholds_at_the_exact_boundaries() {
    // Indicator 1 in 2023: S = 10 (baseline), T = 20; June: t = 0.5.
    let at = |a: &str| status(&format!("1,甲市,2023-06,{a},,"), "2023-06", 1);
    assert_eq!(at("16"), Status::OnTrack, "ahead");
    assert_eq!(at("15"), Status::OnTrack, "lag exactly 0 is on track");
    assert_eq!(at("14.999999"), Status::Lagging);
    assert_eq!(at("14"), Status::Lagging, "lag exactly 0.10 is lagging");
    assert_eq!(at("13.999999"), Status::Severe);
}

#[test]
fn rule_7_a_lag_of_exactly_ten_points_is_lagging_where_binary_floats_say_severe() {
    // S = 0, T = 12, July: t = 7/12, A = 5.8, so t − p = (7 − 5.8)/12 = 0.1 exactly.
    // In f64, 7.0/12.0 − 5.8/12.0 = 0.10000000000000003 > 0.1.
    let (p, e) = eval("8,甲市,2023-07,5.8,,", "2023-07");
    let r = row(&p, &e, 8, "甲市");
    assert_eq!(r.lag.clone().unwrap(), d("0.1"));
    assert_eq!(r.status, Status::Lagging);
}

#[test]
fn the_threshold_is_a_plan_setting() {
    let p = plan::load(
        "rules.toml",
        &PLAN.replace(
            "[[org_unit]]\nname = \"甲市\"",
            "[settings]\nlagging_threshold = \"0.05\"\n\n[[org_unit]]\nname = \"甲市\"",
        ),
    )
    .unwrap();
    let e = eval_with(&p, "1,甲市,2023-06,14,,", None, "2023-06");
    assert_eq!(row(&p, &e, 1, "甲市").status, Status::Severe);
    let e = eval_with(&p, "1,甲市,2023-06,14.5,,", None, "2023-06");
    assert_eq!(row(&p, &e, 1, "甲市").status, Status::Lagging);
}

#[test]
fn a_prior_december_actual_overrides_the_prior_target_as_the_start() {
    // 2024: T = 30; T(2023) = 20, but December 2023 was 22.
    let (p, e) = eval("1,甲市,2023-12,22,,\n1,甲市,2024-06,25,,", "2024-06");
    let r = row(&p, &e, 1, "甲市");
    assert_eq!(
        r.start.as_ref().unwrap(),
        &(d("22"), StartOrigin::PriorDecember)
    );
    assert_eq!(r.completion.clone().unwrap(), d("0.375"));
    assert_eq!(r.expected.clone().unwrap(), d("26"));
    assert_eq!(r.status, Status::Severe, "p = 3/8, lag 0.125");
    // Without December, the prior target is the start: p = 0.5, on track.
    let (p, e) = eval("1,甲市,2023-11,22,,\n1,甲市,2024-06,25,,", "2024-06");
    let r = row(&p, &e, 1, "甲市");
    assert_eq!(
        r.start.as_ref().unwrap(),
        &(d("20"), StartOrigin::PriorTarget)
    );
    assert_eq!(r.status, Status::OnTrack);
    // In the first year the baseline is the start.
    let (p, e) = eval("1,甲市,2023-06,15,,", "2023-06");
    assert_eq!(
        row(&p, &e, 1, "甲市").start.as_ref().unwrap(),
        &(d("10"), StartOrigin::Baseline)
    );
}

#[test]
fn a_fourth_quarter_or_annual_figure_is_a_december_figure() {
    let (p, e) = eval("1,甲市,2023-Q4,22,,\n1,甲市,2024-06,25,,", "2024-06");
    assert_eq!(row(&p, &e, 1, "甲市").start.as_ref().unwrap().0, d("22"));
    let (p, e) = eval("1,甲市,2023,22,,\n1,甲市,2024-06,25,,", "2024-06");
    assert_eq!(row(&p, &e, 1, "甲市").start.as_ref().unwrap().0, d("22"));
}

#[test]
fn the_flow_indicator_counts_from_zero_each_year() {
    // 2024: T = 24 within the year; June: expected 12.
    let (p, e) = eval("3,甲市,2023-12,30,,\n3,甲市,2024-06,12,,", "2024-06");
    let r = row(&p, &e, 3, "甲市");
    assert_eq!(r.expected.clone().unwrap(), d("12"));
    assert_eq!(r.completion.clone().unwrap(), d("0.5"));
    assert_eq!(r.status, Status::OnTrack);
    assert!(r.start.is_none(), "a flow has no start");
    assert_eq!(status("3,甲市,2024-06,10,,", "2024-06", 3), Status::Lagging);
    assert_eq!(status("3,甲市,2024-06,9.5,,", "2024-06", 3), Status::Severe);
    assert_eq!(
        status("3,甲市,2024-06,24,,", "2024-06", 3),
        Status::Achieved
    );
    // Last year's total does not count this year.
    assert_eq!(status("3,甲市,2023-12,30,,", "2024-06", 3), Status::NoData);
}

#[test]
fn values_after_the_as_of_month_are_ignored() {
    let csv = "1,甲市,2023-06,14,,\n1,甲市,2023-07,30,,\n1,甲市,2023-Q3,30,,";
    let (p, e) = eval(csv, "2023-06");
    let r = row(&p, &e, 1, "甲市");
    assert_eq!(r.actual.as_ref().unwrap().value, d("14"));
    assert_eq!(r.status, Status::Lagging);
}

#[test]
fn a_quarter_counts_at_its_last_month_and_a_month_wins_over_its_quarter() {
    let (p, e) = eval("1,甲市,2023-Q2,14,,", "2023-06");
    assert_eq!(
        row(&p, &e, 1, "甲市").actual.as_ref().unwrap().value,
        d("14")
    );
    let (p, e) = eval("1,甲市,2023-Q2,14,,", "2023-05");
    assert_eq!(row(&p, &e, 1, "甲市").status, Status::NoData);
    let (p, e) = eval("1,甲市,2023-Q2,14,,\n1,甲市,2023-06,15,,", "2023-06");
    assert_eq!(
        row(&p, &e, 1, "甲市").actual.as_ref().unwrap().value,
        d("15")
    );
}

#[test]
fn a_figure_of_an_earlier_month_is_marked_carried_and_the_aggregate_counts_only_this_months() {
    // 一镇 reported June, 二镇 only May, 三镇 nothing: as of June, 二镇 carries
    // May, the city sums two figures of which one is June's.
    let (p, e) = eval(
        "1,一镇,2023-06,14,,\n1,二镇,2023-05,10,,\n1,二镇,2023-04,9,,",
        "2023-06",
    );
    assert_eq!(row(&p, &e, 1, "一镇").carried_from, None);
    let second = row(&p, &e, 1, "二镇");
    assert_eq!(second.carried_from, YearMonth::new(2023, 5));
    assert!(
        second.reason.contains("沿用2023年5月数据"),
        "{}",
        second.reason
    );
    let city = row(&p, &e, 1, "甲市");
    assert_eq!(
        city.carried_from,
        YearMonth::new(2023, 5),
        "the earliest summed"
    );
    assert_eq!(
        city.actual.as_ref().unwrap().origin,
        ActualOrigin::Aggregate {
            reported: 2,
            current: 1,
            children: 3
        }
    );
    assert!(
        city.reason
            .contains("其中 1/3 个为6月数据,1 个沿用此前月份"),
        "{}",
        city.reason
    );
    // As of May, 二镇's May figure is the month's own; 一镇 has none yet.
    let (p, e) = eval("1,一镇,2023-06,14,,\n1,二镇,2023-05,10,,", "2023-05");
    assert_eq!(row(&p, &e, 1, "二镇").carried_from, None);
    assert_eq!(row(&p, &e, 1, "甲市").carried_from, None);
    assert_eq!(
        row(&p, &e, 1, "一镇").carried_from,
        None,
        "no actual, nothing carried"
    );
    // A quarter's figure is of its last month.
    let (p, e) = eval("1,一镇,2023-Q2,14,,", "2023-06");
    assert_eq!(row(&p, &e, 1, "一镇").carried_from, None);
    let (p, e) = eval("1,一镇,2023-Q2,14,,", "2023-08");
    assert_eq!(row(&p, &e, 1, "一镇").carried_from, YearMonth::new(2023, 6));
}

#[test]
fn ratio_aggregation_is_the_sum_of_numerators_over_the_sum_of_denominators() {
    // 80% of 100 and 10% of 10: the city is 81/110, not the mean 45%.
    let (p, e) = eval("4,一镇,2023-06,,80,100\n4,二镇,2023-06,,1,10", "2023-06");
    let r = row(&p, &e, 4, "甲市");
    let a = r.actual.as_ref().unwrap();
    assert_eq!(a.value, Exact::fraction(8100, 110).unwrap());
    assert_eq!(
        a.origin,
        ActualOrigin::Aggregate {
            reported: 2,
            current: 2,
            children: 3
        }
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("2/3")),
        "{:?}",
        r.warnings
    );
    // Towns inherit the city's rate target.
    let t = row(&p, &e, 4, "一镇").target.unwrap();
    assert_eq!(t.origin, TargetOrigin::Inherited(p.reporting_root));
    assert_eq!(row(&p, &e, 4, "一镇").status, Status::Achieved);
}

#[test]
fn a_units_own_value_wins_over_its_childrens_and_a_mismatch_is_a_warning() {
    let csv =
        "1,一镇,2023-06,5,,\n1,二镇,2023-06,5,,\n1,三街道,2023-06,5,,\n1,市住建局,2023-06,16,,";
    let (p, e) = eval(csv, "2023-06");
    let r = row(&p, &e, 1, "甲市");
    assert_eq!(
        r.actual.as_ref().unwrap().value,
        d("16"),
        "a department reports for its unit"
    );
    assert!(matches!(
        r.actual.as_ref().unwrap().origin,
        ActualOrigin::Own { .. }
    ));
    assert!(
        r.warnings.iter().any(|w| w.contains("不一致")),
        "{:?}",
        r.warnings
    );
    let csv = "1,一镇,2023-06,5,,\n1,二镇,2023-06,5,,\n1,三街道,2023-06,5,,\n1,甲市,2023-06,15,,";
    let (p, e) = eval(csv, "2023-06");
    assert!(row(&p, &e, 1, "甲市").warnings.is_empty());
}

#[test]
fn towns_rank_by_completion_and_ties_share_a_rank() {
    let targets = "1,一镇,2022,2\n1,二镇,2022,3\n1,三街道,2022,5\n1,一镇,2023,6\n1,二镇,2023,6\n1,三街道,2023,8";
    // Completions: 一镇 (4−2)/(6−2) = 0.5; 二镇 (4.5−3)/(6−3) = 0.5; 三街道 (7−5)/(8−5) = 0.667.
    let csv = "1,一镇,2023-06,4,,\n1,二镇,2023-06,4.5,,\n1,三街道,2023-06,7,,";
    let p = plan();
    let e = eval_with(&p, csv, Some(targets), "2023-06");
    let ranks: Vec<Option<u32>> = ["三街道", "一镇", "二镇"]
        .iter()
        .map(|o| row(&p, &e, 1, o).rank)
        .collect();
    assert_eq!(ranks, vec![Some(1), Some(2), Some(2)]);
    assert_eq!(row(&p, &e, 1, "一镇").rank_of, Some(3));
    assert_eq!(
        row(&p, &e, 1, "甲市").rank,
        None,
        "the root has no siblings"
    );
    assert_eq!(
        row(&p, &e, 1, "一镇").target.unwrap().origin,
        TargetOrigin::Decomposed
    );
}

#[test]
fn a_decomposition_that_does_not_add_up_is_flagged() {
    let p = plan();
    let targets = |text: &str| {
        input::read_targets(
            &p,
            "t.csv",
            format!("indicator,org_unit,year,target\n{text}").as_bytes(),
            1,
        )
    };
    let mut book = TargetBook::from_plan(&p);
    book.decompose(
        &p,
        "t.csv",
        &targets("1,一镇,2023,6\n1,二镇,2023,6\n1,三街道,2023,7\n1,一镇,2024,9\n").unwrap(),
    )
    .unwrap();
    let w = book.check_sums(&p);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w.iter()
            .any(|w| w.message.contains("19") && w.message.contains("20"))
    );
    assert!(w.iter().any(|w| w.message.contains("1/3")));
    // A target for the root itself is refused: the plan fixes it.
    let err = book
        .decompose(&p, "t.csv", &targets("1,甲市,2023,21\n").unwrap())
        .unwrap_err();
    assert_eq!(err.0[0].line, 2);
    // A target too large to add up exactly is refused with its line.
    let err = targets("1,一镇,2025,50000000000000000000000000000\n").unwrap_err();
    assert_eq!(
        (err.0[0].line, err.0[0].field.as_deref()),
        (2, Some("target"))
    );
}

#[test]
fn several_decomposition_files_add_up_together_and_a_bad_one_changes_nothing() {
    let p = plan();
    let read = |text: &str| {
        input::read_targets(
            &p,
            "x.csv",
            format!("indicator,org_unit,year,target\n{text}").as_bytes(),
            1,
        )
        .unwrap()
    };
    let mut book = TargetBook::from_plan(&p);
    book.decompose(&p, "a.csv", &read("1,一镇,2023,6\n"))
        .unwrap();
    book.decompose(&p, "b.csv", &read("1,二镇,2023,6\n1,三街道,2023,8\n"))
        .unwrap();
    assert!(
        book.check_sums(&p).is_empty(),
        "complete once both files are in"
    );
    // The same cell again, in a third file: refused, naming the first.
    let err = book
        .decompose(&p, "c.csv", &read("1,二镇,2024,9\n1,二镇,2023,7\n"))
        .unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert!(err.0[0].message.contains("b.csv 第 2 行"), "{:?}", err.0);
    // Nothing of c.csv stayed: its good row can be given again.
    assert!(
        book.target(&p, 0, p.orgs.resolve("二镇").unwrap(), 2024)
            .is_none()
    );
    book.decompose(&p, "d.csv", &read("1,二镇,2024,9\n"))
        .unwrap();
}

#[test]
fn reasons_never_show_a_rounded_figure_that_seems_to_meet_the_target() {
    // Stock in 万户 (4 places): a figure with 5 places is shown exactly.
    let (p, e) = eval("2,甲市,2023-12,7.99996,,", "2023-12");
    let r = row(&p, &e, 2, "甲市");
    assert_eq!(r.status, Status::Missed);
    assert!(r.reason.contains("7.99996万户"), "{}", r.reason);
    // A rate of 59.996% against ≥60%: not “60%”.
    let (p, e) = eval("4,甲市,2023-12,,14999,25000", "2023-12");
    let r = row(&p, &e, 4, "甲市");
    assert_eq!(r.status, Status::Missed);
    assert!(
        r.reason.contains("59.996%") && r.reason.contains("≥60%"),
        "{}",
        r.reason
    );
}

#[test]
fn suspicious_figures_are_warned_about_with_their_line() {
    let p = plan();
    let csv = "indicator,org_unit,period,value,numerator,denominator\n2,甲市,2023-01,5.1,,\n2,甲市,2023-02,52000,,\n3,甲市,2023-03,5,,\n3,甲市,2023-04,4,,\n1,甲市,2023-01,12,,\n1,甲市,2023-02,11,,\n3,甲市,2024-01,1,,\n";
    let obs = input::read_values(&p, "v.csv", 0, csv.as_bytes(), 1, None).unwrap();
    let values = ValueSet::build(&p, obs, &["v.csv".into()]).unwrap();
    let w = validate::check_values(&p, &values, ym("2024-06"), 1);
    let lines: Vec<u32> = w.iter().map(|w| w.source.unwrap().line).collect();
    assert_eq!(lines, vec![7, 3, 5], "{w:?}");
    assert!(
        w.iter()
            .any(|w| w.message.contains("倍") && w.message.contains("单位"))
    );
    assert!(w.iter().any(|w| w.message.contains("本年累计值")));
    // Nothing after the as-of month is checked.
    assert!(validate::check_values(&p, &values, ym("2023-01"), 1).is_empty());
    // Rates compare as rates: 10% → 30% → 0.5% (numerators and denominators
    // that change together are no jump), and 3.1% → 31.5% is more than tenfold.
    let csv = "indicator,org_unit,period,value,numerator,denominator\n4,甲市,2023-01,,10,100\n4,甲市,2023-02,,60,200\n4,甲市,2023-03,,1,200\n4,甲市,2023-04,,2,200\n\
               4,一镇,2023-01,,31,1000\n4,一镇,2023-02,,63,200\n";
    let obs = input::read_values(&p, "r.csv", 0, csv.as_bytes(), 1, None).unwrap();
    let values = ValueSet::build(&p, obs, &["r.csv".into()]).unwrap();
    let w = validate::check_values(&p, &values, ym("2023-12"), 1);
    let lines: Vec<u32> = w.iter().map(|w| w.source.unwrap().line).collect();
    assert_eq!(lines, vec![4, 7], "{w:?}");
}

#[test]
fn the_fast_json_writer_writes_what_serde_writes() {
    // Rows of every kind: own and aggregated, ratios, warnings, every status.
    let csv = "1,一镇,2023-06,5,,\n1,二镇,2023-06,5,,\n1,三街道,2023-06,5,,\n1,市住建局,2023-06,16,,\n\
               4,一镇,2023-06,,80,100\n4,二镇,2023-06,,1,10\n4,三街道,2023-06,55,,\n5,甲市,2023-06,0,,\n\
               2,甲市,2022-12,9,,\n2,甲市,2023-06,7.5,,\n3,甲市,2023-06,6,,\n6,甲市,2023-06,,1,20";
    for as_of in ["2023-06", "2023-12", "2024-06"] {
        let (p, e) = eval(csv, as_of);
        for r in &e.rows {
            let v = anju_reports::view::RowView::new(&p, &e, r);
            let mut fast = Vec::new();
            v.write_json(&mut fast);
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
        }
    }
    // Strings that need escaping.
    let (p, e) = eval("", "2023-06");
    let mut r = e.rows[0].clone();
    r.reason = "引号\"、反斜杠\\、换行\n、制表\t、回车\r、\u{1}\u{1f}\u{8}\u{c}、\u{7f}".into();
    r.warnings = vec!["a\"b".into(), "c\\d".into()];
    let v = anju_reports::view::RowView::new(&p, &e, &r);
    let mut fast = Vec::new();
    v.write_json(&mut fast);
    assert_eq!(
        String::from_utf8(fast).unwrap(),
        serde_json::to_string(&v).unwrap()
    );
}

#[test]
fn a_bare_rate_counts_for_its_unit_but_stays_out_of_the_aggregate() {
    let (p, e) = eval("4,一镇,2023-06,,80,100\n4,二镇,2023-06,55,,", "2023-06");
    let city = row(&p, &e, 4, "甲市");
    assert_eq!(
        city.actual.as_ref().unwrap().value,
        d("80"),
        "only 一镇's 80/100"
    );
    assert!(
        city.warnings.iter().any(|w| w.contains("只填了比率值")),
        "{:?}",
        city.warnings
    );
    assert_eq!(
        row(&p, &e, 4, "二镇").actual.as_ref().unwrap().value,
        d("55")
    );
}

#[test]
fn a_start_from_children_needs_every_childs_december() {
    // Two of three children have a December figure: not a start, the prior target is.
    let (p, e) = eval(
        "1,一镇,2023-12,9,,\n1,二镇,2023-12,9,,\n1,甲市,2024-06,25,,",
        "2024-06",
    );
    assert_eq!(
        row(&p, &e, 1, "甲市").start.as_ref().unwrap(),
        &(d("20"), StartOrigin::PriorTarget)
    );
    // All three: their sum is.
    let (p, e) = eval(
        "1,一镇,2023-12,9,,\n1,二镇,2023-12,9,,\n1,三街道,2023-Q4,4,,\n1,甲市,2024-06,25,,",
        "2024-06",
    );
    assert_eq!(
        row(&p, &e, 1, "甲市").start.as_ref().unwrap(),
        &(d("22"), StartOrigin::PriorDecember)
    );
}

#[test]
fn baselines_are_never_inherited() {
    // 一镇 has a 2023 target but no baseline of its own: its start is unknown.
    let p = plan();
    let e = eval_with(&p, "1,一镇,2023-06,3,,", Some("1,一镇,2023,6"), "2023-06");
    let r = row(&p, &e, 1, "一镇");
    assert!(r.start.is_none());
    assert_eq!(r.status, Status::Lagging);
    // With one, it has.
    let e = eval_with(
        &p,
        "1,一镇,2023-06,3,,",
        Some("1,一镇,2022,2\n1,一镇,2023,6"),
        "2023-06",
    );
    assert_eq!(
        row(&p, &e, 1, "一镇").start.as_ref().unwrap(),
        &(d("2"), StartOrigin::Baseline)
    );
}

#[test]
fn a_flow_target_of_zero() {
    let strict = plan::load(
        "rules.toml",
        &PLAN.replace(
            "2025 = \"24\" }\n\n[[indicator]]\ncode = 4",
            "2025 = \">0\" }\n\n[[indicator]]\ncode = 4",
        ),
    )
    .unwrap();
    let e = eval_with(&strict, "3,甲市,2025-06,0,,", None, "2025-06");
    assert_eq!(
        row(&strict, &e, 3, "甲市").status,
        Status::Severe,
        "nothing yet, and > 0 is wanted"
    );
    let e = eval_with(&strict, "3,甲市,2025-06,1,,", None, "2025-06");
    assert_eq!(row(&strict, &e, 3, "甲市").status, Status::Achieved);
    let zero = plan::load(
        "rules.toml",
        &PLAN.replace(
            "2025 = \"24\" }\n\n[[indicator]]\ncode = 4",
            "2025 = \"0\" }\n\n[[indicator]]\ncode = 4",
        ),
    )
    .unwrap();
    let e = eval_with(&zero, "3,甲市,2025-06,0,,", None, "2025-06");
    assert_eq!(
        row(&zero, &e, 3, "甲市").status,
        Status::Achieved,
        ">= 0 is met by 0"
    );
}

#[test]
fn an_adjusted_target_is_judged_and_shown_beside_the_original() {
    use anju_core::plan::{Comparator, Target};
    use anju_core::targets::TargetOrigin;
    let plan = anju_core::builtin_plan().unwrap();
    let ix = plan
        .indicator_index(anju_core::plan::IndicatorCode(6))
        .unwrap();
    let city = plan.reporting_root;
    let town = plan.orgs.resolve("硖石街道").unwrap();
    let mut book = anju_core::targets::TargetBook::from_plan(&plan);
    let before = book.target(&plan, ix, city, 2024).unwrap();
    assert_eq!(before.original, None);
    let lower = Target {
        value: "85".parse().unwrap(),
        comparator: Comparator::AtLeast,
    };
    book.adjust(&plan, ix, city, 2024, lower).unwrap();
    let after = book.target(&plan, ix, city, 2024).unwrap();
    assert_eq!(
        (after.target, after.origin, after.original),
        (lower, TargetOrigin::Adjusted, Some(before.target))
    );
    // A town inheriting the city's rate inherits the adjusted one, and shows the original.
    let inherited = book.target(&plan, ix, town, 2024).unwrap();
    assert_eq!(
        (inherited.target, inherited.original),
        (lower, Some(before.target))
    );
    // Adjusting again keeps the first original; other years are untouched.
    let again = Target {
        value: "86".parse().unwrap(),
        comparator: Comparator::AtLeast,
    };
    book.adjust(&plan, ix, city, 2024, again).unwrap();
    assert_eq!(
        book.target(&plan, ix, city, 2024).unwrap().original,
        Some(before.target)
    );
    assert_eq!(
        book.target(&plan, ix, city, 2025).unwrap().origin,
        TargetOrigin::Plan
    );
    // No target to adjust (a summed indicator at a town, not decomposed): refused.
    let count = plan
        .indicator_index(anju_core::plan::IndicatorCode(8))
        .unwrap();
    assert!(book.adjust(&plan, count, town, 2024, lower).is_err());

    // The evaluation judges against the adjusted target and shows both.
    let values = anju_core::values::ValueSet::build(&plan, Vec::new(), &[]).unwrap();
    let eval = anju_core::engine::evaluate(
        &plan,
        &values,
        &book,
        anju_core::period::YearMonth::new(2024, 6).unwrap(),
    );
    let row = eval
        .rows
        .iter()
        .find(|r| r.indicator == ix && r.org == city)
        .unwrap();
    let view = anju_reports::view::RowView::new(&plan, &eval, row);
    assert_eq!(
        (
            view.target.map(|n| n.0.to_string()),
            view.target_origin,
            view.original_target.map(|n| n.0.to_string())
        ),
        (
            Some("86".into()),
            Some("adjusted"),
            Some(before.target.value.to_string())
        )
    );
    assert!(view.reason.contains("目标已调整"), "{}", view.reason);
}

#[test]
fn reasons_are_said_as_people_say_them() {
    // 老旧小区 (5): 2026's target is ">17"; the city holds 17 from last
    // December: "more than 17" is said so, not as "不高于起点值 … 却未达到".
    let plan = anju_core::builtin_plan().unwrap();
    let e = eval_with(
        &plan,
        "5,海宁市,2025-12,17,,\n5,海宁市,2026-06,17,,",
        None,
        "2026-06",
    );
    let city = row(&plan, &e, 5, "海宁市");
    assert_eq!(city.status, Status::Severe);
    assert!(
        city.reason
            .starts_with("目标为超过 17个,目前 17个,尚未超过"),
        "{}",
        city.reason
    );
    // An actual below its start: no negative completion in words.
    let e = eval_with(
        &plan,
        "8,海宁市,2025-12,80,,\n8,海宁市,2026-06,60,,",
        None,
        "2026-06",
    );
    let below = row(&plan, &e, 8, "海宁市");
    assert!(
        below.reason.contains("实际值低于起点值") && !below.reason.contains("-"),
        "{}",
        below.reason
    );
    // Expected values at the indicator's display precision (2 places for %).
    let e = eval_with(&plan, "1,海宁市,2026-06,,2400,10000", None, "2026-06");
    let r = row(&plan, &e, 1, "海宁市");
    let expected = r.reason.split("序时应达 ").nth(1).unwrap_or("");
    let digits = expected
        .split('%')
        .next()
        .unwrap()
        .split('.')
        .nth(1)
        .map_or(0, str::len);
    assert!(digits <= 2, "{}", r.reason);
}

#[test]
fn ranks_say_nothing_when_all_are_tied_and_say_a_tie() {
    // From 50 % last December, two towns at 55 % and one at 52 % in June:
    // 1 (并列), 1 (并列), 3.
    let start = "4,一镇,2022-12,,50,100\n4,二镇,2022-12,,50,100\n4,三街道,2022-12,,50,100\n";
    let (p, e) = eval(
        &format!("{start}4,一镇,2023-06,,55,100\n4,二镇,2023-06,,55,100\n4,三街道,2023-06,,52,100"),
        "2023-06",
    );
    let got = |town: &str| {
        let r = row(&p, &e, 4, town);
        (r.rank, r.tied)
    };
    assert_eq!(got("一镇"), (Some(1), true));
    assert_eq!(got("二镇"), (Some(1), true));
    assert_eq!(got("三街道"), (Some(3), false));
    // All three alike: no ranking at all.
    let (p, e) = eval(
        &format!("{start}4,一镇,2023-06,,55,100\n4,二镇,2023-06,,55,100\n4,三街道,2023-06,,55,100"),
        "2023-06",
    );
    for town in ["一镇", "二镇", "三街道"] {
        assert_eq!(row(&p, &e, 4, town).rank, None, "{town}");
    }
    // All three far behind (red): no ranking either.
    let (p, e) = eval(
        &format!("{start}4,一镇,2023-06,,51,100\n4,二镇,2023-06,,52,100\n4,三街道,2023-06,,50,100"),
        "2023-06",
    );
    for town in ["一镇", "二镇", "三街道"] {
        let r = row(&p, &e, 4, town);
        assert_eq!((r.status, r.rank), (Status::Severe, None), "{town}");
    }
}

#[test]
fn a_yearly_figure_is_not_missing_before_it_is_due() {
    let plan = anju_core::builtin_plan().unwrap();
    let e = eval_with(&plan, "", None, "2026-06");
    let r = row(&plan, &e, 15, "海宁市");
    assert_eq!(r.status, Status::NoData);
    assert!(
        r.reason.contains("年度指标") && r.reason.contains("2027年1月31日前报送"),
        "{}",
        r.reason
    );
    let e = eval_with(&plan, "", None, "2026-12");
    assert!(row(&plan, &e, 15, "海宁市").reason.contains("无数据"));
}
