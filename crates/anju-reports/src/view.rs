//! The public shape of results: the JSON rows of `anju eval` and of
//! `GET /api/v1/evaluation`, and the JSON of `anju plan show`. One definition,
//! so every presenter shows the same fields. Numbers are written as JSON
//! numbers with their exact decimal digits, never through binary floats.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use anju_core::engine::{ActualOrigin, Agg, Evaluation, Light, Row, StartOrigin};
use anju_core::num::Exact;
use anju_core::plan::{Level, Plan};
use anju_core::targets::TargetOrigin;

/// A decimal written as a JSON number with exactly its digits (as written:
/// `3.30` stays `3.30`; computed values are normalised before).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Num(pub Decimal);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.0.to_string();
        match serde_json::Number::from_str(&text) {
            Ok(n) => n.serialize(s),
            Err(_) => s.serialize_str(&text),
        }
    }
}

// In the API document a `Num` is a JSON number (its digits exact).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Num {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some("十进制数,按原样的位数写出(不经二进制浮点)"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Num {}

fn num(x: &Exact, dp: u32) -> Option<Num> {
    x.round(dp).map(Num)
}

/// Places for shares (completion, lag, t): 0.0001 = 0.01 percentage point.
pub const SHARE_DECIMALS: u32 = 4;

/// One evaluation row as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowView<'a> {
    /// 指标序号.
    pub indicator: u16,
    /// 指标名称.
    pub indicator_name: &'a str,
    /// Display unit.
    pub unit: &'a str,
    /// 单位.
    pub org_unit: &'a str,
    /// YYYY-MM.
    pub as_of: String,
    /// A, in the display unit (a ratio rounded to the indicator's decimals).
    pub actual: Option<Num>,
    /// Σ numerators (ratio indicators).
    pub numerator: Option<Num>,
    /// Σ denominators (ratio indicators).
    pub denominator: Option<Num>,
    /// `own` (the unit's figure) or `aggregate` (its children's).
    pub actual_source: Option<&'static str>,
    /// The period of the unit's own figure.
    pub actual_period: Option<String>,
    /// For an aggregate: children included / children in all.
    pub reported_children: Option<u32>,
    /// For an aggregate: children included whose figures are all of the
    /// as-of month (the others carry an earlier month's).
    pub current_children: Option<u32>,
    /// See `reported_children`.
    pub children: Option<u32>,
    /// `YYYY-MM` when the actual is an earlier month's figure (沿用; for an
    /// aggregate, the earliest month among those summed); `null` when it is
    /// the as-of month's own.
    pub carried_from: Option<String>,
    /// T.
    pub target: Option<Num>,
    /// `>=` or `>`.
    pub comparator: Option<&'static str>,
    /// `plan`, `decomposed`, `inherited` or `adjusted`.
    pub target_origin: Option<&'static str>,
    /// For an adjusted target: the target it replaced.
    pub original_target: Option<Num>,
    /// For an adjusted target: the replaced target's comparator.
    pub original_comparator: Option<&'static str>,
    /// S.
    pub start: Option<Num>,
    /// `prior_december`, `prior_target` or `baseline`.
    pub start_origin: Option<&'static str>,
    /// E.
    pub expected: Option<Num>,
    /// t = m/12.
    pub time_share: Option<Num>,
    /// p.
    pub completion: Option<Num>,
    /// t − p.
    pub lag: Option<Num>,
    /// achieved on_track lagging severe missed pending no_data no_target.
    pub status: &'static str,
    /// 中文状态.
    pub status_label: &'static str,
    /// green yellow red none.
    pub light: &'static str,
    /// Why, in words.
    pub reason: &'a str,
    /// Rank among siblings by completion.
    pub rank: Option<u32>,
    /// Siblings ranked.
    pub rank_of: Option<u32>,
    /// The rank is shared (并列).
    pub rank_tied: bool,
    /// Remarks on the figures.
    pub warnings: &'a [String],
}

impl<'a> RowView<'a> {
    /// The view of one row.
    pub fn new(plan: &'a Plan, eval: &Evaluation, r: &'a Row) -> RowView<'a> {
        let ind = &plan.indicators[r.indicator];
        let dp = ind.decimals;
        let (numerator, denominator) = match r.actual.as_ref().map(|a| a.amount) {
            Some(Agg::Ratio(n, d)) => (Some(Num(n.normalize())), Some(Num(d.normalize()))),
            _ => (None, None),
        };
        let actual = r.actual.as_ref().and_then(|a| match a.amount {
            Agg::Sum(v) | Agg::Rate(v) => Some(Num(v.normalize())),
            Agg::Ratio(..) => num(&a.value, dp),
        });
        let (actual_source, actual_period, reported_children, current_children, children) =
            match r.actual.as_ref().map(|a| a.origin) {
                Some(ActualOrigin::Own { period, .. }) => {
                    (Some("own"), Some(period.to_string()), None, None, None)
                }
                Some(ActualOrigin::Aggregate {
                    reported,
                    current,
                    children,
                }) => (
                    Some("aggregate"),
                    None,
                    Some(reported),
                    Some(current),
                    Some(children),
                ),
                None => (None, None, None, None, None),
            };
        let light = match r.status.light() {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
            Light::None => "none",
        };
        RowView {
            indicator: ind.code.0,
            indicator_name: &ind.name,
            unit: &ind.unit,
            org_unit: &plan.orgs.get(r.org).name,
            as_of: eval.as_of.to_string(),
            actual,
            numerator,
            denominator,
            actual_source,
            actual_period,
            reported_children,
            current_children,
            children,
            carried_from: r.carried_from.map(|m| m.to_string()),
            target: r.target.map(|t| Num(t.target.value)),
            comparator: r.target.map(|t| t.target.comparator.symbol()),
            target_origin: r.target.map(|t| match t.origin {
                TargetOrigin::Plan => "plan",
                TargetOrigin::Decomposed => "decomposed",
                TargetOrigin::Inherited(_) => "inherited",
                TargetOrigin::Adjusted => "adjusted",
            }),
            original_target: r.target.and_then(|t| t.original).map(|o| Num(o.value)),
            original_comparator: r
                .target
                .and_then(|t| t.original)
                .map(|o| o.comparator.symbol()),
            start: r.start.as_ref().and_then(|(s, _)| num(s, dp.max(2) + 2)),
            start_origin: r.start.as_ref().map(|(_, o)| match o {
                StartOrigin::PriorDecember => "prior_december",
                StartOrigin::PriorTarget => "prior_target",
                StartOrigin::Baseline => "baseline",
            }),
            expected: r.expected.as_ref().and_then(|e| num(e, dp.max(2) + 2)),
            time_share: num(&eval.time_share, SHARE_DECIMALS),
            completion: r.completion.as_ref().and_then(|p| num(p, SHARE_DECIMALS)),
            lag: r.lag.as_ref().and_then(|l| num(l, SHARE_DECIMALS)),
            status: r.status.as_str(),
            status_label: r.status.label(),
            light,
            reason: &r.reason,
            rank: r.rank,
            rank_of: r.rank_of,
            rank_tied: r.tied,
            warnings: &r.warnings,
        }
    }
}

/// Writing a row as JSON without serde: the same bytes as
/// `serde_json::to_writer(&row)` (a test holds them equal), several times
/// faster, for the large outputs of `anju eval`.
mod fast {
    use std::io::Write;

    use super::{Num, RowView};

    const HEX: &[u8; 16] = b"0123456789abcdef";

    /// A JSON string, escaped as serde_json escapes.
    pub(super) fn string(out: &mut Vec<u8>, s: &str) {
        out.push(b'"');
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let esc: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0C => b"\\f",
                0x00..=0x1F => {
                    out.extend_from_slice(&bytes[start..i]);
                    out.extend_from_slice(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(b >> 4)],
                        HEX[usize::from(b & 15)],
                    ]);
                    start = i + 1;
                    continue;
                }
                _ => continue,
            };
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(esc);
            start = i + 1;
        }
        out.extend_from_slice(&bytes[start..]);
        out.push(b'"');
    }

    fn key(out: &mut Vec<u8>, first: bool, k: &str) {
        if !first {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"\":");
    }

    fn num(out: &mut Vec<u8>, k: &str, v: Option<Num>) {
        key(out, false, k);
        match v {
            Some(n) => {
                let _ = write!(out, "{}", n.0);
            }
            None => out.extend_from_slice(b"null"),
        }
    }

    fn text(out: &mut Vec<u8>, k: &str, v: Option<&str>) {
        key(out, false, k);
        match v {
            Some(s) => string(out, s),
            None => out.extend_from_slice(b"null"),
        }
    }

    fn int(out: &mut Vec<u8>, k: &str, v: Option<u32>) {
        key(out, false, k);
        match v {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => out.extend_from_slice(b"null"),
        }
    }

    pub(super) fn row(out: &mut Vec<u8>, r: &RowView) {
        out.push(b'{');
        key(out, true, "indicator");
        let _ = write!(out, "{}", r.indicator);
        text(out, "indicator_name", Some(r.indicator_name));
        text(out, "unit", Some(r.unit));
        text(out, "org_unit", Some(r.org_unit));
        text(out, "as_of", Some(&r.as_of));
        num(out, "actual", r.actual);
        num(out, "numerator", r.numerator);
        num(out, "denominator", r.denominator);
        text(out, "actual_source", r.actual_source);
        text(out, "actual_period", r.actual_period.as_deref());
        int(out, "reported_children", r.reported_children);
        int(out, "current_children", r.current_children);
        int(out, "children", r.children);
        text(out, "carried_from", r.carried_from.as_deref());
        num(out, "target", r.target);
        text(out, "comparator", r.comparator);
        text(out, "target_origin", r.target_origin);
        num(out, "original_target", r.original_target);
        text(out, "original_comparator", r.original_comparator);
        num(out, "start", r.start);
        text(out, "start_origin", r.start_origin);
        num(out, "expected", r.expected);
        num(out, "time_share", r.time_share);
        num(out, "completion", r.completion);
        num(out, "lag", r.lag);
        text(out, "status", Some(r.status));
        text(out, "status_label", Some(r.status_label));
        text(out, "light", Some(r.light));
        text(out, "reason", Some(r.reason));
        int(out, "rank", r.rank);
        int(out, "rank_of", r.rank_of);
        key(out, false, "rank_tied");
        out.extend_from_slice(if r.rank_tied { b"true" } else { b"false" });
        key(out, false, "warnings");
        out.push(b'[');
        for (i, w) in r.warnings.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, w);
        }
        out.extend_from_slice(b"]}");
    }
}

impl RowView<'_> {
    /// Appends the row as JSON: exactly `serde_json::to_writer(&self)`'s bytes.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        fast::row(out, self);
    }
}

/// A yearly target as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetView {
    /// The year.
    pub year: i32,
    /// `null` for "/".
    pub value: Option<Num>,
    /// `>=` or `>`; `null` for "/".
    pub comparator: Option<&'static str>,
}

/// A milestone as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MilestoneView {
    /// YYYY-MM.
    pub deadline: String,
    /// The value to reach.
    pub value: Num,
    /// `>=` or `>`.
    pub comparator: &'static str,
}

/// An indicator as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorView {
    /// 序号.
    pub code: u16,
    /// 名称.
    pub name: String,
    /// 领域.
    pub domain: String,
    /// Display unit.
    pub unit: String,
    /// cumulative stock flow ratio milestone.
    pub kind: &'static str,
    /// Ratio: × multiplier.
    pub multiplier: Option<Num>,
    /// Ratio: what the numerator counts.
    pub numerator: Option<String>,
    /// Ratio: what the denominator counts.
    pub denominator: Option<String>,
    /// A share of a whole: never above 100 % (numerator ≤ denominator).
    pub share: bool,
    /// Decimal places shown.
    pub decimals: u32,
    /// The baseline year.
    pub baseline_year: i32,
    /// 现状值; `null` for "/".
    pub baseline: Option<Num>,
    /// Yearly targets.
    pub targets: Vec<TargetView>,
    /// Milestone kind only.
    pub milestone: Option<MilestoneView>,
    /// Tasks it measures.
    pub tasks: Vec<u16>,
    /// 牵头单位 (lead of its first task).
    pub lead: Option<String>,
    /// Who reports its figures (填报责任): `"towns"` (each town its own; the
    /// city's is their sum) or the department that reports the city's.
    pub reported_by: String,
    /// `monthly` or `yearly`.
    pub frequency: &'static str,
    /// A yearly indicator's due date in the year after (`MM-DD`).
    pub due: Option<String>,
    /// The plan's words where the table has text.
    pub seed_text: Option<String>,
    /// Remarks and known inconsistencies.
    pub notes: Vec<String>,
}

/// A goal attached to a task, as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoalView {
    /// What.
    pub name: String,
    /// Value, if any.
    pub value: Option<Num>,
    /// Comparator, if a value.
    pub comparator: Option<&'static str>,
    /// Unit.
    pub unit: Option<String>,
    /// YYYY-MM.
    pub deadline: Option<String>,
    /// Related indicator.
    pub indicator: Option<u16>,
    /// The plan's words.
    pub source: String,
}

/// A task as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskView {
    /// 1–13.
    pub code: u16,
    /// Section.
    pub section: u16,
    /// Title.
    pub name: String,
    /// 牵头单位.
    pub lead: String,
    /// Other responsible units.
    pub co_units: Vec<String>,
    /// Whether every town implements it.
    pub towns_implement: bool,
    /// Indicators measuring it.
    pub indicators: Vec<u16>,
    /// Dated or valued goals from the text.
    pub goals: Vec<GoalView>,
    /// Full text.
    pub text: String,
}

/// A unit as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgView {
    /// Name.
    pub name: String,
    /// Parent's name.
    pub parent: Option<String>,
    /// province city county town subdistrict department.
    pub level: Level,
    /// Full official name.
    pub full_name: Option<String>,
    /// Aliases.
    pub aliases: Vec<String>,
    /// Whether the unit is evaluated (in the reporting tree).
    pub reporting: bool,
    /// Departments: whether 附件2 lists it (the tasks name two it does not).
    pub in_annex: Option<bool>,
}

/// A section or safeguard as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SectionView {
    /// Number.
    pub code: u16,
    /// Title.
    pub name: String,
    /// Text.
    pub text: String,
}

/// A whole plan as shown by `anju plan show --format json`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanView {
    /// Identifier.
    pub id: String,
    /// Title.
    pub name: String,
    /// The brand (安居潮城).
    pub brand: Option<String>,
    /// Where the task force (专班办公室) sits.
    pub taskforce_unit: Option<String>,
    /// Issuer.
    pub issuer: Option<String>,
    /// Issue date.
    pub issued: Option<String>,
    /// Baseline year.
    pub baseline_year: i32,
    /// First target year.
    pub first_year: i32,
    /// Last target year.
    pub last_year: i32,
    /// The root of the reporting tree.
    pub reporting_root: String,
    /// Thresholds and deadlines.
    pub settings: SettingsView,
    /// Domains with their goals.
    pub domains: Vec<SectionView>,
    /// Indicators.
    pub indicators: Vec<IndicatorView>,
    /// Sections of the tasks.
    pub sections: Vec<SectionView>,
    /// Tasks.
    pub tasks: Vec<TaskView>,
    /// Safeguard measures.
    pub safeguards: Vec<SectionView>,
    /// Every unit and department.
    pub org_units: Vec<OrgView>,
}

/// Settings as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingsView {
    /// Lag threshold between lagging and severe.
    pub lagging_threshold: Num,
    /// Day of the next month figures are due.
    pub report_deadline_day: u8,
}

impl PlanView {
    /// The view of a plan.
    pub fn new(plan: &Plan) -> PlanView {
        let name = |id| plan.orgs.get(id).name.clone();
        let indicators = plan
            .indicators
            .iter()
            .enumerate()
            .map(|(ix, i)| IndicatorView {
                code: i.code.0,
                name: i.name.clone(),
                domain: i.domain.clone(),
                unit: i.unit.clone(),
                kind: i.kind.as_str(),
                multiplier: i.multiplier.map(Num),
                numerator: i.numerator.clone(),
                denominator: i.denominator.clone(),
                share: i.share,
                decimals: i.decimals,
                baseline_year: plan.meta.baseline_year,
                baseline: i.baseline.map(Num),
                targets: i
                    .targets
                    .iter()
                    .map(|(&year, t)| TargetView {
                        year,
                        value: t.map(|t| Num(t.value)),
                        comparator: t.map(|t| t.comparator.symbol()),
                    })
                    .collect(),
                milestone: i.milestone.map(|m| MilestoneView {
                    deadline: m.deadline.to_string(),
                    value: Num(m.target.value),
                    comparator: m.target.comparator.symbol(),
                }),
                tasks: i.tasks.clone(),
                lead: plan.indicator_lead(ix).map(name),
                reported_by: match i.reporter {
                    anju_core::plan::Reporter::Towns => "towns".into(),
                    anju_core::plan::Reporter::Unit(d) => name(d),
                },
                frequency: match i.frequency {
                    anju_core::plan::Frequency::Monthly => "monthly",
                    anju_core::plan::Frequency::Yearly { .. } => "yearly",
                },
                due: match i.frequency {
                    anju_core::plan::Frequency::Monthly => None,
                    anju_core::plan::Frequency::Yearly { due_month, due_day } => {
                        Some(format!("{due_month:02}-{due_day:02}"))
                    }
                },
                seed_text: i.seed_text.clone(),
                notes: i.notes.clone(),
            })
            .collect();
        let tasks = plan
            .tasks
            .iter()
            .map(|t| TaskView {
                code: t.code,
                section: t.section,
                name: t.name.clone(),
                lead: name(t.lead),
                co_units: t.co_units.iter().map(|&c| name(c)).collect(),
                towns_implement: t.towns_implement,
                indicators: t.indicators.iter().map(|c| c.0).collect(),
                goals: t
                    .goals
                    .iter()
                    .map(|g| GoalView {
                        name: g.name.clone(),
                        value: g.target.map(|t| Num(t.value)),
                        comparator: g.target.map(|t| t.comparator.symbol()),
                        unit: g.unit.clone(),
                        deadline: g.deadline.map(|d| d.to_string()),
                        indicator: g.indicator.map(|c| c.0),
                        source: g.source.clone(),
                    })
                    .collect(),
                text: t.text.clone(),
            })
            .collect();
        let sec = |s: &anju_core::plan::Section| SectionView {
            code: s.code,
            name: s.name.clone(),
            text: s.text.clone(),
        };
        PlanView {
            id: plan.meta.id.clone(),
            name: plan.meta.name.clone(),
            brand: plan.meta.brand.clone(),
            taskforce_unit: plan.taskforce_unit.map(name),
            issuer: plan.meta.issuer.clone(),
            issued: plan.meta.issued.clone(),
            baseline_year: plan.meta.baseline_year,
            first_year: plan.meta.first_year,
            last_year: plan.meta.last_year,
            reporting_root: name(plan.reporting_root),
            settings: SettingsView {
                lagging_threshold: Num(plan.settings.lagging_threshold),
                report_deadline_day: plan.settings.report_deadline_day,
            },
            domains: plan
                .domains
                .iter()
                .enumerate()
                .map(|(i, d)| SectionView {
                    code: i as u16 + 1,
                    name: d.name.clone(),
                    text: d.goal.clone(),
                })
                .collect(),
            indicators,
            sections: plan.sections.iter().map(sec).collect(),
            tasks,
            safeguards: plan.safeguards.iter().map(sec).collect(),
            org_units: plan
                .orgs
                .iter()
                .map(|(id, u)| OrgView {
                    name: u.name.clone(),
                    parent: u.parent.map(name),
                    level: u.level,
                    full_name: u.full_name.clone(),
                    aliases: u.aliases.clone(),
                    reporting: plan.reporting_unit(id) == Some(id),
                    in_annex: (u.level == Level::Department).then_some(u.in_annex),
                })
                .collect(),
        }
    }
}
