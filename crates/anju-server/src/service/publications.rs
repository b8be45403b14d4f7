//! Published months as the service gives them back: a publication keeps its
//! rows as the document published (JSON, byte for byte, so that it reads the
//! same after any correction); here they are read back as typed rows for the
//! pages. And publishing a month.

use std::str::FromStr as _;

use anju_core::engine::Status;
use anju_core::period::YearMonth;
use anju_store::Publication;
use rust_decimal::Decimal;
use serde::Deserialize;

use anju_core::access::{Action, Actor};
use anju_core::engine;
use anju_core::values::ValueSet;
use anju_reports::view::RowView;
use anju_store::NewPublication;

use super::Error;
use super::evaluation::ShownRow;
use crate::AppState;

/// A row as a publication keeps it (the fields of `RowView` the pages show).
#[derive(Deserialize)]
struct Kept {
    indicator: u16,
    org_unit: String,
    as_of: String,
    actual: Option<serde_json::Number>,
    target: Option<serde_json::Number>,
    comparator: Option<String>,
    target_origin: Option<String>,
    original_target: Option<serde_json::Number>,
    start: Option<serde_json::Number>,
    expected: Option<serde_json::Number>,
    completion: Option<serde_json::Number>,
    status: String,
    reason: String,
    rank: Option<u32>,
    rank_of: Option<u32>,
    #[serde(default)]
    rank_tied: bool,
    #[serde(default)]
    warnings: Vec<String>,
    // Kept since issue #12; earlier publications have none.
    #[serde(default)]
    actual_source: Option<String>,
    #[serde(default)]
    reported_children: Option<u32>,
    #[serde(default)]
    current_children: Option<u32>,
    #[serde(default)]
    children: Option<u32>,
    #[serde(default)]
    carried_from: Option<String>,
}

/// The rows of a published month, typed.
pub fn rows(p: &Publication) -> Result<Vec<ShownRow>, Error> {
    let bad = |m: String| {
        Error::Internal(format!(
            "{} 第 {} 版的发布内容无法读取:{m}",
            p.as_of, p.version
        ))
    };
    #[derive(Deserialize)]
    struct Doc {
        rows: Vec<Kept>,
    }
    let text = p.rows_json.trim_start();
    let kept = if text.starts_with('[') {
        serde_json::from_str::<Vec<Kept>>(text)
    } else {
        serde_json::from_str::<Doc>(text).map(|d| d.rows)
    }
    .map_err(|e| bad(e.to_string()))?;
    let number = |n: Option<serde_json::Number>| -> Result<Option<Decimal>, Error> {
        n.map(|n| {
            Decimal::from_str(&n.to_string())
                .or_else(|_| Decimal::from_scientific(&n.to_string()))
                .map_err(|_| bad(format!("数字“{n}”")))
        })
        .transpose()
    };
    kept.into_iter()
        .map(|k| {
            let status =
                Status::parse(&k.status).ok_or_else(|| bad(format!("状态“{}”", k.status)))?;
            Ok(ShownRow {
                indicator: k.indicator,
                as_of: YearMonth::parse(&k.as_of).map_err(|e| bad(e.to_string()))?,
                org_unit: k.org_unit,
                actual: number(k.actual)?,
                target: number(k.target)?,
                comparator: match k.comparator.as_deref() {
                    Some(">") => Some(">"),
                    Some(_) => Some(">="),
                    None => None,
                },
                target_origin: match k.target_origin.as_deref() {
                    Some("plan") => Some("plan"),
                    Some("decomposed") => Some("decomposed"),
                    Some("inherited") => Some("inherited"),
                    Some("adjusted") => Some("adjusted"),
                    _ => None,
                },
                original_target: number(k.original_target)?,
                start: number(k.start)?,
                expected: number(k.expected)?,
                completion: number(k.completion)?,
                status,
                status_label: status.label(),
                light: status.light(),
                reason: k.reason,
                rank: k.rank,
                rank_of: k.rank_of,
                tied: k.rank_tied,
                warnings: k.warnings,
                actual_source: match k.actual_source.as_deref() {
                    Some("own") => Some("own"),
                    Some("aggregate") => Some("aggregate"),
                    _ => None,
                },
                children: match (k.reported_children, k.current_children, k.children) {
                    (Some(a), Some(b), Some(c)) => Some((a, b, c)),
                    _ => None,
                },
                carried_from: k
                    .carried_from
                    .as_deref()
                    .map(YearMonth::parse)
                    .transpose()
                    .map_err(|e| bad(e.to_string()))?,
            })
        })
        .collect()
}

/// How many corrections a publication lists (approved since the one before).
pub fn corrections(p: &Publication) -> usize {
    serde_json::from_str::<Vec<serde_json::Value>>(&p.corrections_json).map_or(0, |v| v.len())
}

/// A figure behind a publication, as the public reads it: a stored version
/// without the login names of who entered or approved it (the fields and
/// their order are those of the API's versions less `created_by`,
/// `decided_by` and the reviewer's `warnings`).
#[derive(serde::Serialize)]
struct PublicFigure<'a> {
    id: i64,
    indicator: u16,
    org_unit: &'a str,
    period: String,
    version: i64,
    value: Option<anju_reports::view::Num>,
    numerator: Option<anju_reports::view::Num>,
    denominator: Option<anju_reports::view::Num>,
    state: &'static str,
    late: bool,
    correction_reason: Option<&'a str>,
    return_reason: Option<&'a str>,
    created_at: &'a str,
    decided_at: Option<&'a str>,
}

impl<'a> PublicFigure<'a> {
    fn of(v: &'a anju_store::StoredValue) -> PublicFigure<'a> {
        let n = |d: Option<Decimal>| d.map(|d| anju_reports::view::Num(d.normalize()));
        let (value, numerator, denominator) = v.parts();
        PublicFigure {
            id: v.id,
            indicator: v.indicator,
            org_unit: &v.org_unit,
            period: v.period.to_string(),
            version: v.version,
            value: n(value),
            numerator: n(numerator),
            denominator: n(denominator),
            state: v.state.as_str(),
            late: v.late,
            correction_reason: v.correction_reason.as_deref(),
            return_reason: v.return_reason.as_deref(),
            created_at: &v.created_at,
            decided_at: v.decided_at.as_deref(),
        }
    }
}

/// The most figures a completeness report lists of each kind (a province's
/// month has 15,000); the counts are always whole.
pub const LISTED: usize = 200;

/// A figure due and not approved.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Open {
    /// The indicator's code.
    pub indicator: u16,
    /// The unit the figure is of.
    pub org_unit: String,
    /// Who reports it (the town, or the department for the city).
    pub reporter: String,
}

/// How complete a month's figures are (what publishing it would freeze):
/// every figure due (填报责任, `Plan::is_due`) and where it stands.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Completeness {
    /// The month.
    pub as_of: String,
    /// The last day its monthly figures are on time (YYYY-MM-DD).
    pub deadline: String,
    /// Whether that day has passed (China time).
    pub deadline_passed: bool,
    /// Figures due.
    pub due: usize,
    /// Of them approved.
    pub approved: usize,
    /// Not entered at all (未报), or only a draft.
    pub not_reported: usize,
    /// Returned and not reported again (退回未重报).
    pub returned: usize,
    /// Submitted and waiting for review (待审核).
    pub waiting: usize,
    /// The first [`LISTED`] not reported.
    pub not_reported_list: Vec<Open>,
    /// The first [`LISTED`] returned.
    pub returned_list: Vec<Open>,
    /// The first [`LISTED`] waiting.
    pub waiting_list: Vec<Open>,
    /// The towns (the units that report for themselves).
    pub towns: usize,
    /// Towns whose due figures are all approved.
    pub towns_complete: usize,
    /// Towns that submitted every due figure by the deadline.
    pub towns_on_time: usize,
    /// Departments that report a due figure.
    pub departments: usize,
    /// Of them with every due figure approved.
    pub departments_complete: usize,
    /// Published although incomplete (`force`).
    pub forced: bool,
    /// Why it was published anyway.
    pub force_reason: Option<String>,
}

impl Completeness {
    /// Nothing due is missing, returned or waiting, and the deadline has passed.
    pub fn complete(&self) -> bool {
        self.approved == self.due && self.deadline_passed
    }

    /// In one line, for the 专班: what is incomplete.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.not_reported > 0 {
            parts.push(format!("{} 项未报", self.not_reported));
        }
        if self.returned > 0 {
            parts.push(format!("{} 项退回未重报", self.returned));
        }
        if self.waiting > 0 {
            parts.push(format!("{} 项待审核", self.waiting));
        }
        if !self.deadline_passed {
            parts.push(format!("报送截止日 {} 未到", self.deadline));
        }
        if parts.is_empty() {
            format!(
                "{} 的 {} 项应报数据均已审核,报送截止日已过",
                self.as_of, self.due
            )
        } else {
            format!(
                "{} 尚不完整:应报 {} 项,{}",
                self.as_of,
                self.due,
                parts.join(",")
            )
        }
    }

    /// For the public: "12 个镇(街道)中 10 个按时报送".
    pub fn public_line(&self) -> String {
        let mut s = format!(
            "{} 个镇(街道)中 {} 个按时报送、{} 个数据全部审核",
            self.towns, self.towns_on_time, self.towns_complete
        );
        if self.departments > 0 {
            s.push_str(&format!(
                ";{} 个市级部门中 {} 个数据全部审核",
                self.departments, self.departments_complete
            ));
        }
        if self.forced {
            s.push_str(";数据未齐时经专班决定发布");
            if let Some(r) = &self.force_reason {
                s.push_str(&format!("(理由:{r})"));
            }
        }
        s
    }
}

/// How complete month `as_of`'s figures are on `today`.
pub async fn completeness(
    state: &AppState,
    plan: &anju_core::plan::Plan,
    as_of: YearMonth,
    today: anju_core::workflow::Date,
) -> Result<Completeness, Error> {
    use anju_core::workflow::State;
    let period = anju_core::period::Period::month(as_of);
    let versions = state
        .store
        .list(&anju_store::ValueFilter {
            period: Some(period),
            ..anju_store::ValueFilter::default()
        })
        .await?;
    // Where each (indicator, unit) stands: approved if any version is;
    // otherwise its newest version's state; and whether it came late.
    let mut stand: std::collections::HashMap<(u16, &str), (State, i64, bool)> =
        std::collections::HashMap::with_capacity(versions.len());
    for v in &versions {
        let e = stand
            .entry((v.indicator, v.org_unit.as_str()))
            .or_insert((v.state, v.version, v.late));
        let approved = e.0 == State::Approved;
        if v.state == State::Approved || (!approved && v.version > e.1) {
            *e = (v.state, v.version, v.late);
        }
    }
    let deadline = anju_core::workflow::deadline(period, plan.settings.report_deadline_day);
    let mut c = Completeness {
        as_of: as_of.to_string(),
        deadline: format!(
            "{:04}-{:02}-{:02}",
            deadline.year, deadline.month, deadline.day
        ),
        deadline_passed: today > deadline,
        ..Completeness::default()
    };
    // Per reporter: (all approved, all submitted on time).
    let mut reporters: std::collections::BTreeMap<anju_core::plan::OrgId, (bool, bool)> =
        std::collections::BTreeMap::new();
    for (ix, ind) in plan.indicators.iter().enumerate() {
        if !plan.is_due(ix, as_of) {
            continue;
        }
        for &org in &plan.reporting {
            let Some(reporter) = plan.reporter_of(ix, org) else {
                continue;
            };
            c.due += 1;
            let unit = plan.orgs.get(org).name.as_str();
            let open = || Open {
                indicator: ind.code.0,
                org_unit: unit.to_string(),
                reporter: plan.orgs.get(reporter).name.clone(),
            };
            let (state, late) = stand
                .get(&(ind.code.0, unit))
                .map_or((None, false), |&(s, _, l)| (Some(s), l));
            let r = reporters.entry(reporter).or_insert((true, true));
            match state {
                Some(State::Approved) => c.approved += 1,
                Some(State::Submitted) => {
                    c.waiting += 1;
                    if c.waiting_list.len() < LISTED {
                        c.waiting_list.push(open());
                    }
                }
                Some(State::Returned) => {
                    c.returned += 1;
                    if c.returned_list.len() < LISTED {
                        c.returned_list.push(open());
                    }
                }
                _ => {
                    c.not_reported += 1;
                    if c.not_reported_list.len() < LISTED {
                        c.not_reported_list.push(open());
                    }
                }
            }
            let submitted = matches!(state, Some(State::Approved | State::Submitted));
            r.0 &= state == Some(State::Approved);
            r.1 &= submitted && !late;
        }
    }
    for (org, (complete, on_time)) in reporters {
        if plan.orgs.get(org).level == anju_core::plan::Level::Department {
            c.departments += 1;
            c.departments_complete += usize::from(complete);
        } else {
            c.towns += 1;
            c.towns_complete += usize::from(complete);
            c.towns_on_time += usize::from(on_time);
        }
    }
    Ok(c)
}

/// Publishes the month `as_of` (again, with `reason`) as `me` (the
/// permission table: the task force): the evaluation of the approved
/// figures, frozen as the JSON rows the API answers, and the figures behind
/// it without login names. A month not yet ended is refused; an incomplete
/// one (figures due and not approved, or its deadline not passed) too,
/// with what is missing, unless `force` — then the reason is required and
/// the publication records its completeness either way.
pub async fn publish(
    state: &AppState,
    me: &Actor<'_>,
    as_of: YearMonth,
    reason: Option<&str>,
    force: bool,
    now: &anju_store::Now,
) -> Result<Publication, Error> {
    let plan_arc = state.plan();
    let plan = &*plan_arc;
    me.may(plan, &Action::Publish)?;
    plan.check_as_of(as_of)
        .map_err(|m| Error::invalid("as_of", m))?;
    anju_core::workflow::check_ended(anju_core::period::Period::month(as_of), now.date)
        .map_err(|m| Error::invalid("as_of", m.replace("不能填报", "不能发布")))?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    // Published already: again only with a reason (before anything else).
    if reason.is_none()
        && state
            .store
            .publication(&as_of.to_string(), None)
            .await?
            .is_some()
    {
        return Err(Error::Store(anju_store::StoreError::Published(
            as_of.to_string(),
        )));
    }
    let mut complete = completeness(state, plan, as_of, now.date).await?;
    if !complete.complete() {
        if !force {
            return Err(Error::Incomplete(Box::new(complete)));
        }
        let Some(why) = reason else {
            return Err(Error::invalid(
                "reason",
                format!("{};数据未齐而发布,须写明理由", complete.summary()),
            ));
        };
        complete.forced = true;
        complete.force_reason = Some(why.to_string());
    }
    let completeness_json =
        Some(serde_json::to_string(&complete).map_err(|e| Error::Internal(e.to_string()))?);
    // The revision first: the figures read after it are at least as new.
    let revision = state.store.revision().await?;
    let approved = state.store.approved().await?;
    let obs = anju_store::observations(plan, &approved, 0);
    let values = ValueSet::build(plan, obs.observations, &["数据库".into()])
        .map_err(|e| Error::Duplicate(e.to_string()))?;
    let book = crate::service::targets::in_force(&state.store, plan, as_of).await?;
    let eval = engine::evaluate(plan, &values, &book, as_of);
    let mut rows = Vec::with_capacity(1 << 16);
    rows.push(b'[');
    for (k, r) in eval.rows.iter().enumerate() {
        if k > 0 {
            rows.push(b',');
        }
        RowView::new(plan, &eval, r).write_json(&mut rows);
    }
    rows.push(b']');
    // The figures behind the rows: this year's up to the month, and last
    // year's (the start of the year is last December's figure). Public:
    // without the login names of who entered or approved them.
    let behind: Vec<PublicFigure> = approved
        .iter()
        .filter(|v| v.period.end() <= as_of && v.period.year() >= as_of.year() - 1)
        .map(PublicFigure::of)
        .collect();
    let values_json = serde_json::to_string(&behind).map_err(|e| Error::Internal(e.to_string()))?;
    let made = state
        .store
        .publish(
            &NewPublication {
                as_of: &as_of.to_string(),
                reason,
                revision,
                rows_json: String::from_utf8_lossy(&rows).into_owned(),
                values_json,
                completeness_json,
            },
            me.name,
            &now.stamp,
        )
        .await?;
    Ok(made)
}
