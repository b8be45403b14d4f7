//! The pages where work is done: the reporting form (填报) of a town or
//! department, the review queue (审核), targets (decompositions and
//! adjustments) and users. They show what the store holds for the caller's
//! role; the forms send their changes to the JSON API (`assets/app.js`), so
//! every rule and check of the API holds for them too.

use anju_core::access::{Action, Actor, Role};
use anju_core::period::{Period, YearMonth};
use anju_core::plan::{IndicatorCode, Kind, OrgId, Plan};
use anju_core::workflow::State as Step;
use anju_store::{StoredValue, ValueFilter};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{Member, Shell, WebError, actor_of, html, month_param, page_may, role_label};
use crate::api::values::readable;
use crate::{ApiError, AppState};

#[derive(Deserialize)]
pub(crate) struct ReportQuery {
    period: Option<String>,
    org: Option<String>,
}

/// The last approved figure before the period, beside a field.
struct Last {
    period: String,
    text: String,
    /// The value (a ratio's rate) as a plain number, for the warnings.
    value: String,
    same_year: bool,
    /// What it was entered as, for 沿用上期: the value, or the numerator
    /// and denominator.
    entered: (String, String, String),
}

/// One indicator of the form.
struct Field {
    code: u16,
    name: String,
    unit: String,
    kind: &'static str,
    kind_label: &'static str,
    ratio: bool,
    numerator_label: String,
    denominator_label: String,
    multiplier: String,
    state: Option<&'static str>,
    editable: bool,
    value: String,
    numerator: String,
    denominator: String,
    return_reason: Option<String>,
    /// The approved version, which a correction replaces.
    approved_id: Option<i64>,
    last: Option<Last>,
    /// Projects completed this month that add to it: the words, and the
    /// figure with them (the last approved plus what they add), if known.
    completed: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    shell: Shell,
    period: String,
    org: String,
    orgs: Vec<String>,
    fields: Vec<Field>,
    deadline_day: u8,
    open: usize,
    /// Ids of the figures submitted and not yet reviewed (comma-separated).
    waiting: String,
    /// How many.
    waiting_count: usize,
    /// The month at a glance: "本期应报 13 项:已审核 4、待审核 2、退回 1、未填 6".
    summary: String,
    /// "报送截止 2026-12-05,还剩 4 天".
    deadline: String,
}

/// A figure as a plain number in the display unit (a ratio's rate), exact.
fn plain(plan: &Plan, ix: usize, v: &StoredValue) -> Option<Decimal> {
    let ind = &plan.indicators[ix];
    match v.parts() {
        (Some(x), _, _) => Some(x),
        (None, Some(n), Some(d)) => ind.rate(n, d).and_then(|r| r.round(ind.decimals.max(2))),
        _ => None,
    }
}

/// A figure as shown: `12.5`, or `3 / 4 = 75.00`.
fn figure_text(plan: &Plan, ix: usize, v: &StoredValue) -> String {
    match v.parts() {
        (Some(x), _, _) => x.to_string(),
        (None, Some(n), Some(d)) => match plain(plan, ix, v) {
            Some(r) => format!("{n} / {d} = {r}"),
            None => format!("{n} / {d}"),
        },
        _ => "—".into(),
    }
}

/// The latest version of each indicator among `versions`.
fn latest_of(versions: &[StoredValue]) -> Vec<&StoredValue> {
    let mut out: Vec<&StoredValue> = Vec::new();
    for v in versions {
        match out.iter_mut().find(|l| {
            l.indicator == v.indicator && l.org_unit == v.org_unit && l.period == v.period
        }) {
            Some(l) if l.version < v.version => *l = v,
            Some(_) => {}
            None => out.push(v),
        }
    }
    out
}

/// The approved figure of each (indicator, unit) with the latest period
/// before `before`.
fn last_approved<'a>(
    approved: &'a [StoredValue],
    indicator: u16,
    org: &str,
    before: YearMonth,
) -> Option<(&'a StoredValue, Period)> {
    approved
        .iter()
        .filter(|v| v.indicator == indicator && v.org_unit == org && v.state == Step::Approved)
        .map(|v| (v, v.period))
        .filter(|(_, p)| p.end() < before)
        .max_by_key(|(_, p)| (p.end(), p.key()))
}

/// The unit a user reports for: a town its town, a department the unit it
/// belongs to; the task force any unit of the reporting tree.
fn report_unit(
    plan: &Plan,
    who: &crate::auth::Authed,
    asked: Option<&str>,
) -> Result<OrgId, WebError> {
    page_may(plan, who, &Action::OpenReporting)?;
    let me = who.actor(plan);
    let own = who
        .user
        .org_unit
        .as_deref()
        .and_then(|o| plan.orgs.resolve(o).ok())
        .and_then(|o| plan.reporting_unit(o));
    let asked = match asked.filter(|s| !s.trim().is_empty()) {
        Some(o) => Some(
            plan.orgs
                .resolve(o)
                .ok()
                .and_then(|o| plan.reporting_unit(o))
                .ok_or_else(|| {
                    WebError::invalid("org 单位", format!("“{o}”不在本计划的填报范围内"))
                })?,
        ),
        None => None,
    };
    match (asked, own) {
        (Some(o), _) if reports_for(plan, &me, o) => Ok(o),
        (_, Some(o)) => Ok(o),
        (None, None) if reports_for(plan, &me, plan.reporting_root) => Ok(plan.reporting_root),
        _ => Err(WebError::forbidden("您的账号没有所属单位,无法填报")),
    }
}

/// Whether the user reports any figure of `org`.
fn reports_for(plan: &Plan, me: &Actor<'_>, org: OrgId) -> bool {
    (0..plan.indicators.len()).any(|ix| me.can(plan, &Action::ReportFigure { indicator: ix, org }))
}

/// `GET /report?period=YYYY-MM[&org=…]`: this period's form.
pub(crate) async fn report(
    State(state): State<AppState>,
    Member(who): Member,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    let plan = state.plan();
    let org = report_unit(&plan, &who, q.org.as_deref())?;
    let period = month_param(&state, &plan, q.period.as_deref())?;
    anju_core::workflow::check_ended(Period::month(period), crate::now(&state).date)
        .map_err(|why| WebError::invalid("填报月份", why))?;
    let me = actor_of(&plan, &who);
    let org_name = plan.orgs.get(org).name.clone();
    let versions = readable(
        &state,
        &plan,
        &who,
        ValueFilter {
            org_unit: Some(org_name.clone()),
            ..ValueFilter::default()
        },
    )
    .await?;
    let this = Period::month(period);
    let current: Vec<&StoredValue> = latest_of(&versions)
        .into_iter()
        .filter(|v| v.period == this)
        .collect();
    let completed = crate::service::projects::completed_in(&state.store, &plan, &org_name, period)
        .await
        .unwrap_or_default();
    let mut fields = Vec::new();
    // Submitted and not yet reviewed: the reporter may take them back.
    let mut waiting: Vec<i64> = Vec::new();
    for (ix, ind) in plan.indicators.iter().enumerate() {
        if !me.can(&plan, &Action::ReportFigure { indicator: ix, org }) {
            continue;
        }
        let now = current.iter().find(|v| v.indicator == ind.code.0);
        let state_now = now.map(|v| v.state);
        let editable = matches!(state_now, None | Some(Step::Draft | Step::Returned));
        let last = last_approved(&versions, ind.code.0, &org_name, period).map(|(v, p)| Last {
            period: p.to_string(),
            text: figure_text(&plan, ix, v),
            value: plain(&plan, ix, v)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            same_year: p.year() == period.year(),
            entered: {
                let t =
                    |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
                let (a, b, c) = v.parts();
                (t(a), t(b), t(c))
            },
        });
        let text = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
        fields.push(Field {
            code: ind.code.0,
            name: ind.name.clone(),
            unit: ind.unit.clone(),
            kind: ind.kind.as_str(),
            kind_label: ind.kind.label(),
            ratio: ind.kind == Kind::Ratio,
            numerator_label: ind.numerator.clone().unwrap_or_else(|| "分子".into()),
            denominator_label: ind.denominator.clone().unwrap_or_else(|| "分母".into()),
            multiplier: ind
                .multiplier
                .map(|m| m.to_string())
                .unwrap_or_else(|| "1".into()),
            state: state_now.map(Step::label),
            editable,
            value: text(now.and_then(|v| v.parts().0)),
            numerator: text(now.and_then(|v| v.parts().1)),
            denominator: text(now.and_then(|v| v.parts().2)),
            return_reason: now
                .filter(|v| v.state == Step::Returned)
                .and_then(|v| v.return_reason.clone()),
            approved_id: now.filter(|v| v.state == Step::Approved).map(|v| v.id),
            completed: completed
                .iter()
                .find(|c| c.indicator == ind.code.0)
                .map(|c| {
                    let (list, sum) = (&c.projects, c.total);
                    let names: Vec<String> = list
                        .iter()
                        .map(|(n, a)| format!("{n}(+{}{})", a.normalize(), ind.unit))
                        .collect();
                    let base = last.as_ref().and_then(|l| {
                        // A flow counts within its year; the others keep running.
                        if ind.kind == Kind::Flow && !l.same_year {
                            Some(Decimal::ZERO)
                        } else {
                            l.value.parse::<Decimal>().ok()
                        }
                    });
                    (
                        format!("本月竣工项目 {} 个:{}", list.len(), names.join("、")),
                        base.map(|b| (b + sum).normalize().to_string())
                            .unwrap_or_default(),
                    )
                }),
            last,
        });
        if let Some(v) = now.filter(|v| v.state == Step::Submitted) {
            waiting.push(v.id);
        }
    }
    if fields.is_empty() {
        return Err(WebError::forbidden(format!(
            "您没有{org_name}需要填报的指标"
        )));
    }
    // A choice of units for those who report for more than one.
    let mut orgs: Vec<String> = plan
        .reporting
        .iter()
        .filter(|&&o| reports_for(&plan, &me, o))
        .map(|&o| plan.orgs.get(o).name.clone())
        .collect();
    if orgs.len() < 2 {
        orgs.clear();
    }
    let open = fields.iter().filter(|f| f.editable).count();
    let count = |label: &str| fields.iter().filter(|f| f.state == Some(label)).count();
    let summary = format!(
        "本期应报 {} 项:已审核 {}、待审核 {}、退回 {}、草稿 {}、未填 {}",
        fields.len(),
        count(Step::Approved.label()),
        count(Step::Submitted.label()),
        count(Step::Returned.label()),
        count(Step::Draft.label()),
        fields.iter().filter(|f| f.state.is_none()).count()
    );
    let due =
        anju_core::workflow::deadline(Period::month(period), plan.settings.report_deadline_day);
    let left = crate::now(&state).date.days_until(due);
    let deadline = format!(
        "报送截止 {:04}-{:02}-{:02},{}",
        due.year,
        due.month,
        due.day,
        match left {
            d if d > 0 => format!("还剩 {d} 天"),
            0 => "今天截止".into(),
            d => format!("已过截止日 {} 天,现在提交记为迟报", -d),
        }
    );
    let page = ReportPage {
        shell: Shell::new(
            &state,
            Some(&who),
            &format!("{org_name} · {period} 数据填报"),
            "/report",
        ),
        period: period.to_string(),
        org: org_name,
        orgs,
        fields,
        deadline_day: plan.settings.report_deadline_day,
        open,
        waiting: waiting
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(","),
        waiting_count: waiting.len(),
        summary,
        deadline,
    };
    Ok(html(&page))
}

/// A submitted figure waiting for review.
struct Pending {
    id: i64,
    indicator: u16,
    name: String,
    unit: String,
    org: String,
    period: String,
    figure: String,
    previous: String,
    change: String,
    late: bool,
    correction: Option<String>,
    by: String,
    at: String,
    own: bool,
    /// What the server found odd when it was submitted (confirmed by the
    /// reporter): such rows come first and stand out.
    warnings: Vec<String>,
    /// For a unit with units below it: their approved figures of the same
    /// period, summed ("下级汇总 2114/8648 = 24.44(12/12 个单位)").
    children: Option<String>,
}

/// The approved figures of `org`'s children for indicator `ix` and
/// `period`, summed (Σ numerators / Σ denominators for a ratio), in words.
fn children_sum(
    plan: &Plan,
    ix: usize,
    org: OrgId,
    period: Period,
    approved: &[StoredValue],
) -> Option<String> {
    let kids = &plan.orgs.get(org).children;
    if kids.is_empty() {
        return None;
    }
    let ind = &plan.indicators[ix];
    let (mut sum, mut num, mut den, mut n) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, 0usize);
    for &k in kids {
        let name = &plan.orgs.get(k).name;
        let Some(v) = approved
            .iter()
            .find(|v| v.indicator == ind.code.0 && v.period == period && &v.org_unit == name)
        else {
            continue;
        };
        match v.amount {
            anju_core::input::Amount::Value(x) => sum += x,
            anju_core::input::Amount::Ratio { num: a, den: b } => {
                num += a;
                den += b;
            }
        }
        n += 1;
    }
    let shown = if ind.kind == Kind::Ratio {
        match ind
            .rate(num, den)
            .and_then(|r| r.round(ind.decimals.max(2)))
        {
            Some(r) => format!("{num} / {den} = {r}"),
            None => return Some(format!("下级尚无可汇总的数据(0/{} 个单位)", kids.len())),
        }
    } else {
        sum.normalize().to_string()
    };
    Some(if n == 0 {
        format!("下级尚无已审核数据(0/{} 个单位)", kids.len())
    } else {
        format!("下级汇总 {shown}({n}/{} 个单位)", kids.len())
    })
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    shell: Shell,
    items: Vec<Pending>,
    /// Rows with warnings (shown first).
    flagged: usize,
    /// The units, indicators and periods waiting, for the filters.
    filter_orgs: Vec<String>,
    filter_indicators: Vec<(u16, String)>,
    filter_periods: Vec<String>,
}

/// `GET /review`: the figures waiting for the caller's review.
pub(crate) async fn review(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Response, WebError> {
    let plan = state.plan();
    page_may(&plan, &who, &Action::OpenReview)?;
    let me = actor_of(&plan, &who);
    let waiting = readable(
        &state,
        &plan,
        &who,
        ValueFilter {
            state: Some(Step::Submitted),
            ..ValueFilter::default()
        },
    )
    .await?;
    // The approved figures of the series waiting for this reviewer (read
    // series by series: far fewer rows than every approved figure).
    let mut series: Vec<(u16, String)> = waiting
        .iter()
        .filter(|v| {
            plan.indicator_index(IndicatorCode(v.indicator))
                .is_some_and(|ix| {
                    me.can(
                        &plan,
                        &Action::ReviewFigure {
                            indicator: ix,
                            author: None,
                        },
                    )
                })
        })
        .map(|v| (v.indicator, v.org_unit.clone()))
        .collect();
    series.sort();
    series.dedup();
    let mut approved = Vec::new();
    for (indicator, org_unit) in series {
        approved.extend(
            readable(
                &state,
                &plan,
                &who,
                ValueFilter {
                    state: Some(Step::Approved),
                    indicator: Some(indicator),
                    org_unit: Some(org_unit),
                    ..ValueFilter::default()
                },
            )
            .await?,
        );
    }
    // The approved figures by indicator and unit, with their periods.
    let mut by_series: std::collections::HashMap<(u16, &str), Vec<(Period, &StoredValue)>> =
        std::collections::HashMap::new();
    for a in &approved {
        by_series
            .entry((a.indicator, a.org_unit.as_str()))
            .or_default()
            .push((a.period, a));
    }
    // The units below a unit with a figure waiting: their approved figures
    // of the same indicator and period, for the side-by-side comparison.
    let mut below: Vec<StoredValue> = Vec::new();
    let mut asked: Vec<(u16, Period)> = Vec::new();
    for v in &waiting {
        let has_children = plan
            .orgs
            .resolve(&v.org_unit)
            .is_ok_and(|o| !plan.orgs.get(o).children.is_empty());
        if has_children && !asked.contains(&(v.indicator, v.period)) {
            asked.push((v.indicator, v.period));
            below.extend(
                readable(
                    &state,
                    &plan,
                    &who,
                    ValueFilter {
                        state: Some(Step::Approved),
                        indicator: Some(v.indicator),
                        period: Some(v.period),
                        ..ValueFilter::default()
                    },
                )
                .await?,
            );
        }
    }
    let mut items = Vec::new();
    for v in &waiting {
        let Some(ix) = plan.indicator_index(IndicatorCode(v.indicator)) else {
            continue;
        };
        if !me.can(
            &plan,
            &Action::ReviewFigure {
                indicator: ix,
                author: None,
            },
        ) {
            continue;
        }
        let ind = &plan.indicators[ix];
        let p = v.period;
        // A correction is compared with the figure it replaces; a new
        // figure with the last approved one before its period.
        let series = by_series
            .get(&(v.indicator, v.org_unit.as_str()))
            .map_or(&[][..], Vec::as_slice);
        let prev = if v.correction_reason.is_some() {
            series.iter().find(|(q, _)| *q == p)
        } else {
            series
                .iter()
                .filter(|(q, _)| q.end() < p.end())
                .max_by_key(|(q, _)| (q.end(), q.key()))
        }
        .map(|&(q, a)| (a, q));
        let now = plain(&plan, ix, v);
        let (previous, change) = match prev {
            Some((pv, pp)) => {
                let before = plain(&plan, ix, pv);
                let change = match (now, before) {
                    (Some(a), Some(b)) => {
                        let d = a - b;
                        let sign = if d > Decimal::ZERO { "+" } else { "" };
                        if b.is_zero() {
                            format!("{sign}{}", d.normalize())
                        } else {
                            let pct = (d / b * Decimal::ONE_HUNDRED).round_dp(1);
                            format!("{sign}{}({sign}{pct}%)", d.normalize())
                        }
                    }
                    _ => "—".into(),
                };
                (format!("{}:{}", pp, figure_text(&plan, ix, pv)), change)
            }
            None => ("—".into(), "首次填报".into()),
        };
        items.push(Pending {
            id: v.id,
            indicator: v.indicator,
            name: ind.name.clone(),
            unit: ind.unit.clone(),
            org: v.org_unit.clone(),
            period: v.period.to_string(),
            figure: figure_text(&plan, ix, v),
            previous,
            change,
            late: v.late,
            correction: v.correction_reason.clone(),
            by: v.created_by.clone(),
            at: v.created_at.replace('T', " ").chars().take(16).collect(),
            own: !me.can(
                &plan,
                &Action::ReviewFigure {
                    indicator: ix,
                    author: Some(&v.created_by),
                },
            ),
            warnings: v.warnings.clone(),
            children: plan
                .orgs
                .resolve(&v.org_unit)
                .ok()
                .and_then(|o| children_sum(&plan, ix, o, v.period, &below)),
        });
    }
    // Flagged rows first (the order otherwise as stored).
    items.sort_by_key(|i| i.warnings.is_empty());
    let flagged = items.iter().filter(|i| !i.warnings.is_empty()).count();
    let mut filter_orgs: Vec<String> = items.iter().map(|i| i.org.clone()).collect();
    filter_orgs.sort();
    filter_orgs.dedup();
    let mut filter_indicators: Vec<(u16, String)> = items
        .iter()
        .map(|i| (i.indicator, i.name.clone()))
        .collect();
    filter_indicators.sort();
    filter_indicators.dedup();
    let mut filter_periods: Vec<String> = items.iter().map(|i| i.period.clone()).collect();
    filter_periods.sort();
    filter_periods.dedup();
    let page = ReviewPage {
        flagged,
        filter_orgs,
        filter_indicators,
        filter_periods,
        shell: Shell::new(&state, Some(&who), "数据审核", "/review"),
        items,
    };
    Ok(html(&page))
}

struct AdjustmentLine {
    id: i64,
    indicator: u16,
    /// The indicator's name.
    name: String,
    /// The target it replaces (or would replace): "原目标 >17".
    original: String,
    org: String,
    year: i32,
    target: String,
    effective: String,
    reason: String,
    state: &'static str,
    proposed: String,
    decided: String,
    open: bool,
    /// The user may approve or reject it (not their own).
    decidable: bool,
}

struct DecompositionLine {
    name: String,
    rows: i64,
    uploaded: String,
}

#[derive(Template)]
#[template(path = "targets.html")]
struct TargetsPage {
    shell: Shell,
    may_decide: bool,
    may_decompose: bool,
    adjustments: Vec<AdjustmentLine>,
    decompositions: Vec<DecompositionLine>,
    indicators: Vec<(u16, String)>,
    units: Vec<String>,
    years: Vec<i32>,
    /// The targets in force, "indicator|unit|year" → "≥24.5(计划)", for the
    /// form to show what a proposal would replace (JSON).
    current: String,
    /// The targets in force this year, indicator by unit, for the table.
    this_year: i32,
    table: Vec<(u16, String, Vec<String>)>,
    month: String,
}

/// `GET /targets`: decompositions and adjustments (the task force changes
/// them; leaders read).
pub(crate) async fn targets(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Response, WebError> {
    let plan = state.plan();
    page_may(&plan, &who, &Action::ReadTargets)?;
    let me = who.actor(&plan);
    // The targets in force this month: what a proposal would replace, and
    // for an approved one, what it replaced.
    let today = crate::now(&state).date;
    let month = anju_core::period::YearMonth::new(today.year, today.month)
        .map(|m| {
            let (lo, hi) = plan.as_of_window();
            m.clamp(lo, hi)
        })
        .unwrap_or(plan.as_of_window().0);
    let book = crate::service::targets::in_force(&state.store, &plan, month)
        .await
        .map_err(ApiError::from)?;
    let adjustments = state
        .store
        .adjustments(None)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .rev()
        .filter(|a| crate::api::targets::readable(&plan, &who, a))
        .map(|a| AdjustmentLine {
            decidable: me.can(
                &plan,
                &Action::DecideAdjustment {
                    proposer: Some(&a.proposed_by),
                },
            ),
            id: a.id,
            indicator: a.indicator,
            name: plan
                .indicator_index(IndicatorCode(a.indicator))
                .map_or_else(String::new, |ix| plan.indicators[ix].name.clone()),
            original: plan
                .indicator_index(IndicatorCode(a.indicator))
                .zip(plan.orgs.resolve(&a.org_unit).ok())
                .and_then(|(ix, o)| book.target(&plan, ix, o, a.year))
                .map(|r| {
                    let t = if a.state == anju_store::AdjustmentState::Approved {
                        r.original.unwrap_or(r.target)
                    } else {
                        r.target
                    };
                    format!("{}{}", t.comparator.label(), t.value.normalize())
                })
                .unwrap_or_else(|| "—".into()),
            target: format!(
                "{}{}",
                a.target.comparator.label(),
                a.target.value.normalize()
            ),
            org: a.org_unit,
            year: a.year,
            effective: a.effective.to_string(),
            reason: a.reason,
            open: a.state == anju_store::AdjustmentState::Proposed,
            state: a.state.label(),
            proposed: format!(
                "{} · {}",
                a.proposed_by,
                a.proposed_at.chars().take(10).collect::<String>()
            ),
            decided: match (a.decided_by, a.decided_at) {
                (Some(b), Some(t)) => format!(
                    "{b} · {}{}",
                    t.chars().take(10).collect::<String>(),
                    a.decision_note.map(|n| format!(":{n}")).unwrap_or_default()
                ),
                _ => "—".into(),
            },
        })
        .collect();
    let decompositions = state
        .store
        .decompositions()
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .rev()
        .map(|d| DecompositionLine {
            name: d.name,
            rows: d.rows,
            uploaded: format!(
                "{} · {}",
                d.uploaded_by,
                d.uploaded_at.chars().take(10).collect::<String>()
            ),
        })
        .collect();
    let shown_units: Vec<anju_core::plan::OrgId> = std::iter::once(plan.reporting_root)
        .chain(plan.orgs.get(plan.reporting_root).children.iter().copied())
        .collect();
    let text_of = |ix: usize, o: anju_core::plan::OrgId, y: i32| {
        book.target(&plan, ix, o, y).map(|r| {
            let origin = match r.origin {
                anju_core::targets::TargetOrigin::Plan => "计划",
                anju_core::targets::TargetOrigin::Decomposed => "分解",
                anju_core::targets::TargetOrigin::Inherited(_) => "沿用上级",
                anju_core::targets::TargetOrigin::Adjusted => "已调整",
            };
            format!(
                "{}{}({origin})",
                r.target.comparator.label(),
                r.target.value.normalize()
            )
        })
    };
    let mut current = serde_json::Map::new();
    for (ix, ind) in plan.indicators.iter().enumerate() {
        for &o in &shown_units {
            for y in plan.target_years() {
                if let Some(t) = text_of(ix, o, y) {
                    current.insert(
                        format!("{}|{}|{y}", ind.code, plan.orgs.get(o).name),
                        serde_json::Value::String(t),
                    );
                }
            }
        }
    }
    let this_year = month
        .year()
        .clamp(*plan.target_years().start(), *plan.target_years().end());
    let table = plan
        .indicators
        .iter()
        .enumerate()
        .filter(|(_, i)| i.kind != Kind::Milestone)
        .map(|(ix, i)| {
            (
                i.code.0,
                i.name.clone(),
                shown_units
                    .iter()
                    .map(|&o| {
                        book.target(&plan, ix, o, this_year).map_or_else(
                            || "—".to_string(),
                            |r| {
                                format!(
                                    "{}{}",
                                    r.target.comparator.symbol().trim_start_matches(">="),
                                    r.target.value.normalize()
                                )
                            },
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    let page = TargetsPage {
        current: serde_json::Value::Object(current).to_string(),
        this_year,
        table,
        shell: Shell::new(&state, Some(&who), "目标分解与调整", "/targets"),
        may_decide: me.can(&plan, &Action::DecideAdjustment { proposer: None }),
        may_decompose: me.can(&plan, &Action::Decompose),
        adjustments,
        decompositions,
        indicators: plan
            .indicators
            .iter()
            .enumerate()
            .filter(|(ix, i)| {
                i.kind != Kind::Milestone
                    && me.can(&plan, &Action::ProposeAdjustment { indicator: *ix })
            })
            .map(|(_, i)| (i.code.0, i.name.clone()))
            .collect(),
        units: std::iter::once(plan.reporting_root)
            .chain(plan.orgs.get(plan.reporting_root).children.iter().copied())
            .map(|o| plan.orgs.get(o).name.clone())
            .collect(),
        years: plan.target_years().collect(),
        month: super::default_month(&state, &plan)?.to_string(),
    };
    Ok(html(&page))
}

struct UserLine {
    name: String,
    role: &'static str,
    org: String,
    disabled: bool,
    must_change: bool,
    created: String,
    /// One of the three administrators: managed on the server only.
    on_server: bool,
    /// The admin looking at the page.
    is_me: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    shell: Shell,
    users: Vec<UserLine>,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<String>,
    policy: String,
}

/// `GET /users`: user administration (admins).
pub(crate) async fn users(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Response, WebError> {
    let plan = state.plan();
    page_may(&plan, &who, &Action::ReadUsers)?;
    let me = who.actor(&plan);
    let users = state
        .store
        .users()
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|u| UserLine {
            on_server: !me.can(&plan, &Action::ManageUser { role: u.role }),
            is_me: u.name == who.user.name,
            name: u.name,
            role: role_label(u.role),
            org: u.org_unit.unwrap_or_default(),
            disabled: u.disabled,
            must_change: u.must_change_password,
            created: u.created_at.chars().take(10).collect(),
        })
        .collect();
    // The roles the admin may give (the three administrators are made on
    // the server, `anju user add`), the reporting roles first.
    let roles = Role::ALL
        .into_iter()
        .rev()
        .filter(|&role| me.can(&plan, &Action::ManageUser { role }))
        .map(|r| (r.as_str(), role_label(r)))
        .collect();
    let mut units: Vec<String> = plan
        .orgs
        .iter()
        .filter(|(id, _)| plan.reporting_unit(*id).is_some())
        .map(|(_, u)| u.name.clone())
        .collect();
    units.sort();
    units.dedup();
    let page = UsersPage {
        shell: Shell::new(&state, Some(&who), "用户管理", "/users"),
        users,
        roles,
        units,
        policy: crate::web::policy_words(),
    };
    Ok(html(&page))
}
