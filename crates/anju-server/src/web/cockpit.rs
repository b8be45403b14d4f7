//! The cockpit (驾驶舱) for leaders and the task force, and whoever else may
//! read figures (each sees the rows their role allows, as in the API): the
//! indicators × units matrix with its lights and reasons, the month's
//! reporting (late, returned, missing), publishing the month, and one
//! indicator's page — its trajectory chart, yearly targets (original and
//! adjusted), the towns side by side and where each figure came from.

use anju_core::access::{Action, Actor, Role};
use anju_core::airing::LightCount;
use anju_core::period::{Period, YearMonth};
use anju_core::plan::{IndicatorCode, Kind, OrgId, Plan};
use anju_core::targets::TargetOrigin;
use anju_core::workflow::State as Step;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{
    EvalRow, Member, Shell, WebError, actor_of, html, light_class, month_param, percent, shown,
    target_text,
};
use crate::api::values::readable;
use crate::{ApiError, AppState};
use anju_reports::chart::{PlanYear, PlanYears, Point, Trajectory};

#[derive(Deserialize)]
pub(crate) struct MonthQuery {
    as_of: Option<String>,
    org: Option<String>,
}

#[derive(Clone)]
struct Cell {
    light: &'static str,
    label: String,
    actual: String,
    reason: String,
    href: String,
    /// "沿用10月数据" when the actual is an earlier month's.
    carried: Option<String>,
    /// Wholly an earlier month's (hatched).
    stale: bool,
}

struct Line {
    code: u16,
    name: String,
    unit: String,
    cells: Vec<Option<Cell>>,
}

/// One town's (or the city's) reporting this month.
struct Progress {
    unit: String,
    expected: usize,
    missing: usize,
    submitted: usize,
    approved: usize,
    returned: usize,
    late: usize,
}

/// A figure that is late or was returned.
struct Issue {
    indicator: Option<u16>,
    unit: String,
    what: &'static str,
    detail: String,
}

/// One red or yellow light, for the leader's list.
struct Alert {
    code: u16,
    name: String,
    unit: String,
    light: &'static str,
    label: &'static str,
    reason: String,
    /// Who answers for it: the lead department for the city's row, the
    /// town for its own.
    responsible: String,
    /// Red this month, not red last month.
    new_red: bool,
    href: String,
    /// Neither the shown unit's own nor new: folded away on a phone.
    more: bool,
}

/// A department's reporting: what it owes and by when.
struct DeptLine {
    unit: String,
    what: String,
    state: String,
    deadline: String,
    days: String,
    overdue: bool,
}

/// One unit's fifteen lights, for the phone.
struct UnitCard {
    name: String,
    cells: Vec<(u16, String, Option<Cell>)>,
}

#[derive(Template)]
#[template(path = "cockpit.html")]
struct Cockpit {
    shell: Shell,
    root: String,
    as_of: String,
    previous: Option<String>,
    next: Option<String>,
    columns: Vec<Column>,
    /// The units above the one shown, root first, with their cockpit links.
    crumbs: Vec<(String, String)>,
    /// How many issues in all (at most 200 are listed).
    issues_total: usize,
    /// `&org=…` for links that keep the unit shown (empty at the root).
    org_param: String,
    lines: Vec<Line>,
    city: LightCount,
    progress: Vec<Progress>,
    issues: Vec<Issue>,
    can_publish: bool,
    published: Option<i64>,
    /// What publishing the month would freeze, for the 专班 (none for a
    /// month not yet ended: it cannot be published).
    completeness: Option<crate::service::publications::Completeness>,
    /// The month has not ended: nothing to publish yet.
    month_open: bool,
    /// Red and yellow lights, new reds first.
    alerts: Vec<Alert>,
    reds: usize,
    yellows: usize,
    new_reds: usize,
    /// Alerts folded away on a phone.
    more_alerts: usize,
    /// The towns' standings with their change (the reporting root only).
    league: Vec<super::public::Standing>,
    /// The reporting deadline of the month and days left (negative: past).
    deadline: String,
    days_left: i64,
    /// The departments that report a figure.
    departments: Vec<DeptLine>,
    /// The shown unit's and each column's lights, for the phone.
    cards: Vec<UnitCard>,
    /// Red 督办 items (overdue), for those who see the dispatch board.
    red_supervision: Vec<super::dispatch::ItemLine>,
    /// The caller sees the dispatch board.
    may_dispatch: bool,
    /// Projects far behind (red), for those who see the dispatch board.
    lagging_projects: Vec<super::projects::ProjectLine>,
}

/// The rows of the month that `who` may read.
async fn rows_of(
    state: &AppState,
    who: &crate::auth::Authed,
    in_force: &crate::PlanInForce,
    as_of: YearMonth,
    only: Option<OrgId>,
) -> Result<Vec<EvalRow>, WebError> {
    let me = who.actor(&in_force.1);
    let filter = crate::service::evaluation::RowFilter {
        only,
        ..Default::default()
    };
    Ok(crate::service::evaluation::rows(state, &me, who.revision, in_force, as_of, filter).await?)
}

/// The units shown as columns: a unit of the reporting tree, then its
/// children (the root and its towns, or a county and its towns).
fn columns(plan: &Plan, top: OrgId) -> Vec<OrgId> {
    std::iter::once(top)
        .chain(plan.orgs.get(top).children.iter().copied())
        .collect()
}

/// The units below `org` (itself included) that report figures themselves:
/// the leaves of the reporting tree under it.
fn reporters(plan: &Plan, org: OrgId) -> Vec<OrgId> {
    let mut out = Vec::new();
    let mut stack = vec![org];
    while let Some(o) = stack.pop() {
        let kids = &plan.orgs.get(o).children;
        if kids.is_empty() {
            out.push(o);
        } else {
            stack.extend(kids.iter().copied());
        }
    }
    out
}

/// A column's head: its name, and where to drill down if it has units below.
pub(crate) struct Column {
    name: String,
    down: Option<String>,
}

/// Each column's lights as a card (the phone's view: one unit at a time).
fn lines_cards(names: &[String], lines: &[Line]) -> Vec<UnitCard> {
    names
        .iter()
        .enumerate()
        .map(|(k, n)| UnitCard {
            name: n.clone(),
            cells: lines
                .iter()
                .map(|l| (l.code, l.name.clone(), l.cells.get(k).cloned().flatten()))
                .collect(),
        })
        .collect()
}

/// The cockpit is not the administrators' (三员分立).
fn no_admin(plan: &Plan, who: &crate::auth::Authed) -> Result<(), WebError> {
    super::page_may(plan, who, &Action::OpenCockpit)
}

/// `GET /cockpit?as_of=YYYY-MM`.
pub(crate) async fn matrix(
    State(state): State<AppState>,
    Member(who): Member,
    Query(q): Query<MonthQuery>,
) -> Result<Response, WebError> {
    let in_force = state.plan_in_force();
    let plan = in_force.1.clone();
    no_admin(&plan, &who)?;
    let as_of = month_param(&state, &plan, q.as_of.as_deref())?;
    // Which unit's columns: the reporting root unless one below it is asked.
    let top = match q.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        None => plan.reporting_root,
        Some(o) => plan
            .orgs
            .resolve(o)
            .ok()
            .filter(|&u| plan.reporting_unit(u) == Some(u))
            .ok_or_else(|| WebError::invalid("org 单位", format!("“{o}”不在本计划的填报范围内")))?,
    };
    let me = who.actor(&plan);
    let rows = crate::service::evaluation::rows(
        &state,
        &me,
        who.revision,
        &in_force,
        as_of,
        crate::service::evaluation::RowFilter {
            under: Some(top),
            ..Default::default()
        },
    )
    .await?;
    let cols: Vec<OrgId> = columns(&plan, top)
        .into_iter()
        .filter(|&o| {
            let name = &plan.orgs.get(o).name;
            rows.iter().any(|r| &r.org_unit == name)
        })
        .collect();
    let names: Vec<String> = cols
        .iter()
        .map(|&o| plan.orgs.get(o).name.clone())
        .collect();
    let columns_shown: Vec<Column> = cols
        .iter()
        .map(|&o| Column {
            name: plan.orgs.get(o).name.clone(),
            down: (o != top && !plan.orgs.get(o).children.is_empty()).then(|| {
                format!(
                    "/cockpit?as_of={as_of}&org={}",
                    super::url_encode(&plan.orgs.get(o).name)
                )
            }),
        })
        .collect();
    let mut crumbs = Vec::new();
    let mut up = plan.orgs.get(top).parent;
    while let Some(u) = up {
        if plan.reporting_unit(u) != Some(u) {
            break;
        }
        let name = plan.orgs.get(u).name.clone();
        crumbs.push((
            name.clone(),
            format!("/cockpit?as_of={as_of}&org={}", super::url_encode(&name)),
        ));
        up = plan.orgs.get(u).parent;
    }
    crumbs.reverse();
    let lines: Vec<Line> = plan
        .indicators
        .iter()
        .map(|i| Line {
            code: i.code.0,
            name: i.name.clone(),
            unit: i.unit.clone(),
            cells: names
                .iter()
                .map(|n| {
                    rows.iter()
                        .find(|r| r.indicator == i.code.0 && &r.org_unit == n)
                        .map(|r| Cell {
                            light: light_class(&r.light),
                            label: r.status_label.to_string(),
                            actual: shown(&r.actual),
                            reason: r.reason.clone(),
                            href: format!(
                                "/indicator/{}?as_of={as_of}&org={}",
                                i.code.0,
                                super::url_encode(n)
                            ),
                            carried: r.carried_words(),
                            stale: r.stale(),
                        })
                })
                .collect(),
        })
        .collect();
    let root = plan.orgs.get(top).name.clone();
    let mut city = LightCount::default();
    for r in rows.iter().filter(|r| r.org_unit == root) {
        city.add(r.status, r.due(&plan), r.stale());
    }
    // This month's reporting: every version of the month the viewer may read.
    let versions = readable(
        &state,
        &plan,
        &who,
        anju_store::ValueFilter {
            period: Some(Period::month(as_of)),
            ..anju_store::ValueFilter::default()
        },
    )
    .await?;
    let mut progress = Vec::new();
    let mut all_issues: Vec<Issue> = Vec::new();
    // The towns' reporting (the city's figures are mostly their totals;
    // departments' figures for the city show in the review queue). Only the
    // indicators the viewer may read count, so a department sees its own.
    // Each column's reporting is its reporting units' (a county's is its
    // towns'), summed.
    for &col in cols.iter().filter(|&&o| o != top) {
        let mut total = Progress {
            unit: plan.orgs.get(col).name.clone(),
            expected: 0,
            missing: 0,
            submitted: 0,
            approved: 0,
            returned: 0,
            late: 0,
        };
        // A city's or county's column lists its towns' returned and late
        // figures as two counts, not a line per town.
        let mut own_issues = Vec::new();
        let issues = &mut own_issues;
        for org in reporters(&plan, col) {
            let name = &plan.orgs.get(org).name;
            let reporter = Actor {
                name: "",
                role: Role::Town,
                org: Some(org),
            };
            let expected = (0..plan.indicators.len())
                .filter(|&ix| {
                    reporter.can(&plan, &Action::ReportFigure { indicator: ix, org })
                        && me.can(&plan, &Action::ReadFigure { indicator: ix, org })
                })
                .count();
            let mine: Vec<&anju_store::StoredValue> =
                versions.iter().filter(|v| &v.org_unit == name).collect();
            // The latest version of each indicator.
            let mut latest: Vec<&anju_store::StoredValue> = Vec::new();
            for v in &mine {
                match latest.iter_mut().find(|l| l.indicator == v.indicator) {
                    Some(l) if l.version < v.version => *l = v,
                    Some(_) => {}
                    None => latest.push(v),
                }
            }
            let count = |s: Step| latest.iter().filter(|v| v.state == s).count();
            for v in latest.iter().filter(|v| v.state == Step::Returned) {
                issues.push(Issue {
                    indicator: Some(v.indicator),
                    unit: name.clone(),
                    what: "退回",
                    detail: v.return_reason.clone().unwrap_or_default(),
                });
            }
            let late: Vec<String> = latest
                .iter()
                .filter(|v| v.late)
                .map(|v| v.indicator.to_string())
                .collect();
            if !late.is_empty() {
                issues.push(Issue {
                    indicator: None,
                    unit: name.clone(),
                    what: "迟报",
                    detail: format!("{} 项(指标 {})", late.len(), late.join("、")),
                });
            }
            let reported = latest
                .iter()
                .filter(|v| matches!(v.state, Step::Submitted | Step::Approved | Step::Returned))
                .count();
            total.expected += expected;
            total.missing += expected.saturating_sub(reported);
            total.submitted += count(Step::Submitted);
            total.approved += count(Step::Approved);
            total.returned += count(Step::Returned);
            total.late += latest.iter().filter(|v| v.late).count();
        }
        if plan.orgs.get(col).children.is_empty() {
            all_issues.append(&mut own_issues);
        } else {
            for what in ["退回", "迟报"] {
                let of: Vec<&Issue> = own_issues.iter().filter(|i| i.what == what).collect();
                if of.is_empty() {
                    continue;
                }
                let mut units: Vec<&str> = of.iter().map(|i| i.unit.as_str()).collect();
                units.dedup();
                let count = if what == "迟报" {
                    total.late
                } else {
                    total.returned
                };
                all_issues.push(Issue {
                    indicator: None,
                    unit: total.unit.clone(),
                    what,
                    detail: format!("{count} 项,来自 {} 个填报单位", units.len()),
                });
            }
        }
        progress.push(total);
    }
    // The laggards first: most not reported or returned.
    progress.sort_by_key(|p| std::cmp::Reverse(p.missing + p.returned));
    let mut issues = all_issues;
    // A province's issues could run to thousands: the first 200 are shown.
    let issues_total = issues.len();
    issues.truncate(200);
    let today = crate::now(&state).date;
    // Last month's rows: what turned red, how the towns' ranks moved.
    let prev_rows = match as_of.previous().filter(|m| plan.check_as_of(*m).is_ok()) {
        Some(prev) => {
            crate::service::evaluation::rows(
                &state,
                &me,
                who.revision,
                &in_force,
                prev,
                crate::service::evaluation::RowFilter {
                    under: Some(top),
                    ..Default::default()
                },
            )
            .await?
        }
        None => Vec::new(),
    };
    let was_red = |code: u16, unit: &str| {
        prev_rows.iter().any(|r| {
            r.indicator == code && r.org_unit == unit && r.light == anju_core::engine::Light::Red
        })
    };
    let mut alerts: Vec<Alert> = rows
        .iter()
        .filter(|r| names.contains(&r.org_unit))
        .filter(|r| {
            matches!(
                r.light,
                anju_core::engine::Light::Red | anju_core::engine::Light::Yellow
            )
        })
        .map(|r| {
            let ix = plan.indicator_index(IndicatorCode(r.indicator));
            let red = r.light == anju_core::engine::Light::Red;
            let mut reason = r.reason.clone();
            if let Some(w) = r.carried_words() {
                reason = format!("{w};{reason}");
            }
            Alert {
                code: r.indicator,
                name: ix.map_or_else(String::new, |ix| plan.indicators[ix].name.clone()),
                unit: r.org_unit.clone(),
                light: light_class(&r.light),
                label: r.status_label,
                reason,
                responsible: if r.org_unit == plan.orgs.get(top).name {
                    ix.and_then(|ix| plan.indicator_lead(ix)).map_or_else(
                        || r.org_unit.clone(),
                        |o| format!("牵头:{}", plan.orgs.get(o).name),
                    )
                } else {
                    r.org_unit.clone()
                },
                new_red: red && !prev_rows.is_empty() && !was_red(r.indicator, &r.org_unit),
                more: false,
                href: format!(
                    "/indicator/{}?as_of={as_of}&org={}",
                    r.indicator,
                    super::url_encode(&r.org_unit)
                ),
            }
        })
        .collect();
    let top_name = plan.orgs.get(top).name.clone();
    // The city's own first, then what turned red this month, then the rest.
    alerts.sort_by_key(|a| (a.unit != top_name, !a.new_red, a.light != "l-red", a.code));
    for a in &mut alerts {
        a.more = a.unit != top_name && !a.new_red;
    }
    let more_alerts = alerts.iter().filter(|a| a.more).count();
    let reds = alerts.iter().filter(|a| a.light == "l-red").count();
    let yellows = alerts.len() - reds;
    let new_reds = alerts.iter().filter(|a| a.new_red).count();
    // The towns' league table, with the change of rank against last month.
    // Only for those who read every town's figures (a town's cockpit shows
    // its own column; the published airing has everyone's standings).
    let league = if top == plan.reporting_root && me.reads_everything() {
        // No last month (the plan's first): no change to show.
        let before = if prev_rows.is_empty() {
            Vec::new()
        } else {
            super::public::town_standings(&plan, &prev_rows)
        };
        super::public::with_change(super::public::town_standings(&plan, &rows), &before)
    } else {
        Vec::new()
    };
    // The month's deadline, and the departments' figures.
    let due =
        anju_core::workflow::deadline(Period::month(as_of), plan.settings.report_deadline_day);
    let days_left = today.days_until(due);
    let day_words = |d: i64| {
        if d > 0 {
            format!("还剩 {d} 天")
        } else if d == 0 {
            "今天截止".to_string()
        } else {
            format!("已过 {} 天", -d)
        }
    };
    let mut departments = Vec::new();
    for (ix, ind) in plan.indicators.iter().enumerate() {
        let anju_core::plan::Reporter::Unit(d) = ind.reporter else {
            continue;
        };
        let Some(city) = plan.orgs.get(d).parent else {
            continue;
        };
        if !plan.orgs.is_within(city, top)
            || !me.can(
                &plan,
                &Action::ReadFigure {
                    indicator: ix,
                    org: city,
                },
            )
        {
            continue;
        }
        // The figure it owes next: this month's when due, else the next
        // December's.
        let owed = if plan.is_due(ix, as_of) {
            as_of
        } else {
            YearMonth::new(as_of.year(), 12).unwrap_or(as_of)
        };
        let period = Period::month(owed);
        let deadline = plan.deadline(ix, period);
        let city_name = &plan.orgs.get(city).name;
        let state_now = versions
            .iter()
            .filter(|v| v.indicator == ind.code.0 && &v.org_unit == city_name && v.period == period)
            .max_by_key(|v| v.version)
            .map(|v| v.state);
        let days = today.days_until(deadline);
        let done = matches!(state_now, Some(Step::Approved));
        departments.push(DeptLine {
            unit: plan.orgs.get(d).name.clone(),
            what: format!(
                "指标 {} {}({}{})",
                ind.code,
                ind.name,
                ind.frequency.label(),
                if owed == as_of {
                    format!(",{owed}")
                } else {
                    format!(",{} 年数据", owed.year())
                }
            ),
            state: match state_now {
                Some(s) => s.label().to_string(),
                None if owed == as_of => "未报".into(),
                None => "未到报送期".into(),
            },
            deadline: format!(
                "{:04}-{:02}-{:02}",
                deadline.year, deadline.month, deadline.day
            ),
            days: if done { String::new() } else { day_words(days) },
            overdue: !done && days < 0,
        });
    }
    departments.sort_by_key(|d| (!d.overdue, d.deadline.clone()));
    // For the phone: the shown unit's lights, then each column's.
    let cards: Vec<UnitCard> = lines_cards(&names, &lines);
    let can_publish = who.can(&plan, &Action::Publish);
    let ended = |m: YearMonth| anju_core::workflow::check_ended(Period::month(m), today).is_ok();
    let month_open = !ended(as_of);
    let completeness = if can_publish && !month_open {
        Some(
            crate::service::publications::completeness(&state, &plan, as_of, today)
                .await
                .map_err(ApiError::from)?,
        )
    } else {
        None
    };
    let published = if can_publish {
        state
            .store
            .publication(&as_of.to_string(), None)
            .await
            .map_err(ApiError::from)?
            .map(|p| p.version)
    } else {
        None
    };
    let may_dispatch = me.can(&plan, &Action::OpenDispatch);
    let red_supervision = if may_dispatch {
        let red = crate::service::supervision::Filter {
            light: Some("red".into()),
            unit: None,
        };
        crate::service::supervision::list(&state.store, &plan, &me, &red, today)
            .await?
            .iter()
            .map(|(i, c)| super::dispatch::item_line(i, c))
            .collect()
    } else {
        Vec::new()
    };
    let lagging_projects = if may_dispatch {
        crate::service::projects::list(&state.store, &plan, &me, None, today)
            .await?
            .iter()
            .filter(|(_, s)| s.light.0 >= anju_core::projects::ProjectLight::Yellow)
            .map(|(p, s)| super::projects::project_line(p, s, today))
            .collect()
    } else {
        Vec::new()
    };
    let page = Cockpit {
        lagging_projects,
        red_supervision,
        may_dispatch,
        shell: Shell::new(
            &state,
            Some(&who),
            &format!("驾驶舱 · 截至 {as_of}"),
            "/cockpit",
        ),
        root: root.clone(),
        as_of: as_of.to_string(),
        previous: as_of
            .previous()
            .filter(|m| m.year() > plan.meta.baseline_year)
            .map(|m| m.to_string()),
        next: YearMonth::new(
            as_of.year() + i32::from(as_of.month() == 12),
            as_of.month() % 12 + 1,
        )
        .filter(|m| m.year() <= plan.meta.last_year && ended(*m))
        .map(|m| m.to_string()),
        columns: columns_shown,
        crumbs,
        issues_total,
        org_param: if top == plan.reporting_root {
            String::new()
        } else {
            format!("&org={}", super::url_encode(&plan.orgs.get(top).name))
        },
        lines,
        city,
        progress,
        issues,
        can_publish,
        published,
        completeness,
        month_open,
        alerts,
        reds,
        yellows,
        new_reds,
        more_alerts,
        league,
        deadline: format!("{:04}-{:02}-{:02}", due.year, due.month, due.day),
        days_left,
        departments,
        cards,
    };
    let mut page = page;
    page.shell.wide = true;
    Ok(html(&page))
}

/// One year's target of the unit, as in force at the month.
struct YearTarget {
    year: i32,
    target: String,
    original: Option<String>,
    origin: &'static str,
}

/// One month of the chart's year, as a table row.
struct MonthLine {
    month: String,
    actual: String,
    expected: String,
    label: String,
    light: &'static str,
    /// "沿用10月数据" when the month's actual is an earlier month's.
    carried: Option<String>,
}

/// Where one version of a figure came from.
struct Provenance {
    unit: String,
    period: String,
    version: i64,
    figure: String,
    state: &'static str,
    reported: String,
    decided: String,
    late: bool,
    note: String,
}

#[derive(Template)]
#[template(path = "indicator.html")]
struct IndicatorPage {
    shell: Shell,
    code: u16,
    as_of: String,
    org: String,
    orgs: Vec<String>,
    kind: &'static str,
    seed_text: Option<String>,
    row: Option<EvalRow>,
    chart: String,
    plan_chart: String,
    months: Vec<MonthLine>,
    years: Vec<YearTarget>,
    adjusted: bool,
    towns: Vec<EvalRow>,
    provenance_scope: String,
    provenance: Vec<Provenance>,
}

fn as_f64(n: &Option<rust_decimal::Decimal>) -> Option<f64> {
    n.as_ref().and_then(|n| n.to_string().parse::<f64>().ok())
}

/// `GET /indicator/{code}?as_of=YYYY-MM&org=…`.
pub(crate) async fn indicator(
    State(state): State<AppState>,
    Member(who): Member,
    Path(code): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, WebError> {
    let in_force = state.plan_in_force();
    let plan = in_force.1.clone();
    no_admin(&plan, &who)?;
    let ix = code
        .parse::<u16>()
        .ok()
        .and_then(|c| plan.indicator_index(IndicatorCode(c)))
        .ok_or_else(|| WebError::not_found(format!("没有指标“{code}”")))?;
    let ind = &plan.indicators[ix];
    let as_of = month_param(&state, &plan, q.as_of.as_deref())?;
    let root = plan.reporting_root;
    let org = match q.org.as_deref().filter(|s| !s.trim().is_empty()) {
        None => root,
        Some(o) => plan
            .orgs
            .resolve(o)
            .ok()
            .and_then(|o| plan.reporting_unit(o))
            .ok_or_else(|| WebError::invalid("org 单位", format!("“{o}”不在本计划的填报范围内")))?,
    };
    let me = actor_of(&plan, &who);
    if org != root && !me.can(&plan, &Action::ReadFigure { indicator: ix, org }) {
        return Err(WebError::forbidden(format!(
            "无权查看{}的该项指标",
            plan.orgs.get(org).name
        )));
    }
    let org_name = plan.orgs.get(org).name.clone();
    // The months of the year up to the month asked for.
    let mut months = Vec::new();
    let mut points = Vec::new();
    let mut row = None;
    for m in 1..=as_of.month() {
        let Some(ym) = YearMonth::new(as_of.year(), m) else {
            continue;
        };
        let rows = rows_of(&state, &who, &in_force, ym, Some(org)).await?;
        let r = rows.into_iter().find(|r| r.indicator == ind.code.0);
        if let Some(r) = &r {
            // A month whose figure is wholly an earlier month's is no reading
            // of its own: not drawn, and marked in the table.
            if let Some(v) = as_f64(&r.actual).filter(|_| !r.stale()) {
                points.push(Point {
                    month: m,
                    value: v,
                    text: shown(&r.actual),
                });
            }
            months.push(MonthLine {
                month: ym.to_string(),
                actual: shown(&r.actual),
                expected: shown(&r.expected),
                label: r.status_label.to_string(),
                light: light_class(&r.light),
                carried: r.carried_words(),
            });
        }
        if m == as_of.month() {
            row = r;
        }
    }
    let chart = Trajectory {
        year: as_of.year(),
        unit: ind.unit.clone(),
        start: match ind.kind {
            Kind::Flow => Some((0.0, "0".into())),
            _ => row
                .as_ref()
                .and_then(|r| as_f64(&r.start).map(|v| (v, shown(&r.start)))),
        },
        target: row
            .as_ref()
            .and_then(|r| as_f64(&r.target).map(|v| (v, target_text(&r.target, r.comparator)))),
        original: row
            .as_ref()
            .filter(|r| r.target_origin == Some("adjusted"))
            .and_then(|r| as_f64(&r.original_target).map(|v| (v, shown(&r.original_target)))),
        actuals: points,
    }
    .svg();
    // The yearly targets in force at the month, and what they replaced.
    let book = crate::service::targets::in_force(&state.store, &plan, as_of)
        .await
        .map_err(ApiError::from)?;
    let years: Vec<YearTarget> = plan
        .target_years()
        .map(|y| {
            let t = book.target(&plan, ix, org, y);
            YearTarget {
                year: y,
                target: t.map_or_else(|| "—".into(), |t| t.target.as_written()),
                original: t.and_then(|t| t.original).map(|o| o.as_written()),
                origin: match t.map(|t| t.origin) {
                    Some(TargetOrigin::Adjusted) => "已调整",
                    Some(TargetOrigin::Decomposed) => "分解下达",
                    Some(TargetOrigin::Inherited(_)) => "沿用上级",
                    Some(TargetOrigin::Plan) => "实施方案",
                    None => "",
                },
            }
        })
        .collect();
    // The whole plan: each year's target in force and the unit's actual at
    // the year's end (the month shown, for its year).
    let mut plan_years = Vec::new();
    for y in plan.target_years() {
        let t = book.target(&plan, ix, org, y);
        let as_number = |t: anju_core::plan::Target| {
            t.value
                .to_string()
                .parse::<f64>()
                .ok()
                .map(|v| (v, t.as_written()))
        };
        let actual = if y < as_of.year() {
            match YearMonth::new(y, 12) {
                Some(dec) => rows_of(&state, &who, &in_force, dec, Some(org))
                    .await?
                    .into_iter()
                    .find(|r| r.indicator == ind.code.0)
                    .and_then(|r| as_f64(&r.actual).map(|v| (v, shown(&r.actual)))),
                None => None,
            }
        } else if y == as_of.year() {
            row.as_ref().and_then(|r| {
                as_f64(&r.actual).map(|v| (v, format!("{}({as_of})", shown(&r.actual))))
            })
        } else {
            None
        };
        plan_years.push(PlanYear {
            year: y,
            target: t.and_then(|t| as_number(t.target)),
            original: t.and_then(|t| t.original).and_then(as_number),
            actual,
        });
    }
    let baseline = book.baseline(ix, org).and_then(|b| {
        b.to_string()
            .parse::<f64>()
            .ok()
            .map(|v| (plan.meta.baseline_year, v, b.normalize().to_string()))
    });
    let plan_chart = PlanYears {
        unit: ind.unit.clone(),
        baseline,
        years: plan_years,
    }
    .svg();
    let towns: Vec<EvalRow> = rows_of(&state, &who, &in_force, as_of, None)
        .await?
        .into_iter()
        .filter(|r| r.indicator == ind.code.0)
        .collect();
    let orgs: Vec<String> = towns.iter().map(|r| r.org_unit.clone()).collect();
    // Where the figures of the year came from, newest first.
    let mut versions = readable(
        &state,
        &plan,
        &who,
        anju_store::ValueFilter {
            indicator: Some(ind.code.0),
            org_unit: (org != root).then(|| org_name.clone()),
            ..anju_store::ValueFilter::default()
        },
    )
    .await?;
    // One unit: its figures of the year so far; the city: every unit's
    // figures of the month.
    versions.retain(|v| {
        let p = v.period;
        if org == root {
            p.end() == as_of
        } else {
            p.year() == as_of.year() && p.end() <= as_of
        }
    });
    let provenance_scope = if org == root {
        format!("{as_of} 各单位")
    } else {
        format!("{org_name} {} 年", as_of.year())
    };
    versions.reverse();
    versions.truncate(200);
    let provenance = versions
        .into_iter()
        .map(|v| Provenance {
            figure: match v.amount {
                anju_core::input::Amount::Ratio { num, den } => format!("{num} / {den}"),
                anju_core::input::Amount::Value(x) => x.to_string(),
            },
            unit: v.org_unit,
            period: v.period.to_string(),
            version: v.version,
            state: v.state.label(),
            reported: format!(
                "{} · {}",
                v.created_by,
                v.created_at
                    .replace('T', " ")
                    .chars()
                    .take(16)
                    .collect::<String>()
            ),
            decided: match (&v.decided_by, &v.decided_at) {
                (Some(b), Some(a)) => format!(
                    "{b} · {}",
                    a.replace('T', " ").chars().take(16).collect::<String>()
                ),
                _ => "—".into(),
            },
            late: v.late,
            note: v
                .return_reason
                .or(v.correction_reason.map(|c| format!("更正:{c}")))
                .unwrap_or_default(),
        })
        .collect();
    let page = IndicatorPage {
        shell: Shell::new(
            &state,
            Some(&who),
            &format!("{}. {}({})", ind.code.0, ind.name, ind.unit),
            "/cockpit",
        ),
        code: ind.code.0,
        as_of: as_of.to_string(),
        org: org_name,
        orgs,
        kind: ind.kind.label(),
        seed_text: ind.seed_text.clone(),
        row,
        chart,
        plan_chart,
        months,
        adjusted: years.iter().any(|y: &YearTarget| y.original.is_some()),
        years,
        towns,
        provenance_scope,
        provenance,
    };
    Ok(html(&page))
}

/// Completion as a percentage, for templates.
pub(crate) fn completion(r: &EvalRow) -> String {
    percent(&r.completion)
}
