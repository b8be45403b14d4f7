//! The public pages (no login): 成效展示 — the plan at a glance with the
//! latest published results — and each published month's airing table
//! (月晾晒). They read publications only: nothing unpublished, and no login
//! names (a publication's rows carry none; who published is not shown).

use anju_core::airing::{LightCount, standings};
use anju_core::plan::Plan;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{EvalRow, Shell, Viewer, WebError, html, light_class, shown};
use crate::{ApiError, AppState};

/// A publication as the public pages name it.
pub(crate) struct PubHead {
    pub as_of: String,
    pub version: i64,
    pub published_on: String,
    pub reason: Option<String>,
    pub audit_hash: String,
    /// How complete the month was when published ("12 个镇(街道)中 10 个按时
    /// 报送…"); none for publications from before issue #12.
    pub completeness: Option<String>,
}

impl From<&anju_store::Publication> for PubHead {
    fn from(p: &anju_store::Publication) -> PubHead {
        PubHead {
            as_of: p.as_of.clone(),
            version: p.version,
            published_on: p.published_at.chars().take(10).collect(),
            reason: p.reason.clone(),
            audit_hash: p.audit_hash.clone(),
            completeness: p
                .completeness_json
                .as_deref()
                .and_then(|c| {
                    serde_json::from_str::<crate::service::publications::Completeness>(c).ok()
                })
                .map(|c| c.public_line()),
        }
    }
}

/// One indicator on the public page.
struct Card {
    code: u16,
    name: String,
    unit: String,
    kind: &'static str,
    baseline: String,
    baseline_year: i32,
    targets: Vec<(i32, String)>,
    milestone: Option<String>,
    actual: String,
    light: &'static str,
    status: String,
    reason: String,
    /// "沿用10月数据" when the published actual is an earlier month's.
    carried: Option<String>,
}

struct DomainBlock {
    name: String,
    goal: String,
    cards: Vec<Card>,
}

struct TaskLine {
    code: u16,
    name: String,
    lead: String,
    co_units: String,
}

/// One town in an airing table.
pub(crate) struct Standing {
    pub rank: u32,
    pub name: String,
    pub count: LightCount,
    /// The change of rank against the month before ("↑2", "↓1", "—"), or
    /// "" when that month has no standings.
    pub change: String,
    /// 1 rose, -1 fell, 0 otherwise (for the colour).
    pub trend: i8,
}

/// `now`'s standings with their change against `before`'s.
pub(crate) fn with_change(mut now: Vec<Standing>, before: &[Standing]) -> Vec<Standing> {
    for s in &mut now {
        (s.change, s.trend) = match before.iter().find(|b| b.name == s.name).map(|b| b.rank) {
            Some(w) if w > s.rank => (format!("↑{}", w - s.rank), 1),
            Some(w) if w < s.rank => (format!("↓{}", s.rank - w), -1),
            Some(_) => ("—".into(), 0),
            None => (String::new(), 0),
        };
    }
    now
}

/// The standings of the publication of the month before `as_of`, if that
/// month was published (its newest version).
async fn standings_before(
    state: &AppState,
    plan: &Plan,
    as_of: &str,
) -> Result<Vec<Standing>, WebError> {
    let Some(prev) = anju_core::period::YearMonth::parse(as_of)
        .ok()
        .and_then(|m| m.previous())
    else {
        return Ok(Vec::new());
    };
    match state
        .store
        .publication(&prev.to_string(), None)
        .await
        .map_err(ApiError::from)?
    {
        Some(p) => Ok(town_standings(
            plan,
            &crate::service::publications::rows(&p)?,
        )),
        None => Ok(Vec::new()),
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    shell: Shell,
    plan_title: String,
    indicator_count: usize,
    latest: Option<PubHead>,
    domains: Vec<DomainBlock>,
    tasks: Vec<TaskLine>,
    standings: Vec<Standing>,
    earlier: Vec<PubHead>,
    years: Vec<i32>,
    /// The year whose target a phone shows (the latest publication's, or
    /// the plan's first).
    this_year: i32,
}

/// The standings of the towns in `rows` (the reporting root's children).
pub(crate) fn town_standings(plan: &Plan, rows: &[EvalRow]) -> Vec<Standing> {
    let root = plan.reporting_root;
    let towns: Vec<String> = plan
        .orgs
        .get(root)
        .children
        .iter()
        .map(|&o| plan.orgs.get(o).name.clone())
        .collect();
    let counts: Vec<LightCount> = towns
        .iter()
        .map(|t| {
            let mut c = LightCount::default();
            for r in rows.iter().filter(|r| &r.org_unit == t) {
                c.add(r.status, r.due(plan), r.stale());
            }
            c
        })
        .collect();
    let ranks = standings(&counts);
    let mut out: Vec<Standing> = towns
        .into_iter()
        .zip(counts)
        .zip(ranks)
        .map(|((name, count), rank)| Standing {
            rank,
            name,
            count,
            change: String::new(),
            trend: 0,
        })
        .collect();
    out.sort_by_key(|s| s.rank);
    out
}

/// The plan in force now (a page without a login has no session to bring
/// it up to date).
async fn plan_now(state: &AppState) -> Result<std::sync::Arc<Plan>, WebError> {
    let plan_id = state
        .store
        .current_plan_id()
        .await
        .map_err(ApiError::from)?;
    state.sync_plan(plan_id).await?;
    Ok(state.plan())
}

/// `GET /`: the plan at a glance and the latest published month.
pub(crate) async fn home(
    State(state): State<AppState>,
    Viewer(who): Viewer,
) -> Result<Response, WebError> {
    let plan = plan_now(&state).await?;
    let heads = state.store.publications().await.map_err(ApiError::from)?;
    // The newest version of each month, newest month first.
    let mut months: Vec<&anju_store::Publication> = heads.iter().collect();
    months.sort_by(|a, b| b.as_of.cmp(&a.as_of).then(b.version.cmp(&a.version)));
    let mut earlier: Vec<PubHead> = Vec::new();
    for p in months {
        if !earlier.iter().any(|e| e.as_of == p.as_of) {
            earlier.push(PubHead::from(p));
        }
    }
    let shown_pub = match earlier.first() {
        Some(h) => state
            .store
            .publication(&h.as_of, None)
            .await
            .map_err(ApiError::from)?,
        None => None,
    };
    let rows = match &shown_pub {
        Some(p) => crate::service::publications::rows(p)?,
        None => Vec::new(),
    };
    let root = &plan.orgs.get(plan.reporting_root).name;
    let years: Vec<i32> = plan.target_years().collect();
    let domains = plan
        .domains
        .iter()
        .map(|d| DomainBlock {
            name: d.name.clone(),
            goal: d.goal.clone(),
            cards: plan
                .indicators
                .iter()
                .filter(|i| i.domain == d.name)
                .map(|i| {
                    let row = rows
                        .iter()
                        .find(|r| r.indicator == i.code.0 && &r.org_unit == root);
                    Card {
                        code: i.code.0,
                        name: i.name.clone(),
                        unit: i.unit.clone(),
                        kind: i.kind.label(),
                        baseline: i.baseline.map_or_else(|| "—".into(), |b| b.to_string()),
                        baseline_year: plan.meta.baseline_year,
                        targets: years
                            .iter()
                            .map(|y| {
                                let t = i
                                    .targets
                                    .get(y)
                                    .and_then(|t| t.as_ref())
                                    .map_or_else(|| "—".into(), |t| t.as_written());
                                (*y, t)
                            })
                            .collect(),
                        milestone: i.milestone.map(|m| {
                            format!(
                                "{} 前{}{}",
                                m.deadline,
                                m.target.comparator.label(),
                                m.target.value
                            )
                        }),
                        actual: row.map_or_else(|| "—".into(), |r| shown(&r.actual)),
                        light: row.map_or("l-none", |r| light_class(&r.light)),
                        status: row.map_or_else(|| "未发布".into(), |r| r.status_label.to_string()),
                        reason: row.map_or_else(String::new, |r| r.reason.clone()),
                        carried: row.and_then(|r| r.carried_words()),
                    }
                })
                .collect(),
        })
        .collect();
    let tasks = plan
        .tasks
        .iter()
        .map(|t| TaskLine {
            code: t.code,
            name: t.name.clone(),
            lead: plan.orgs.get(t.lead).name.clone(),
            co_units: t
                .co_units
                .iter()
                .map(|&o| plan.orgs.get(o).name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
        })
        .collect();
    let page = Home {
        shell: Shell::new(&state, who.as_ref(), "成效展示", "/"),
        plan_title: plan.meta.name.clone(),
        indicator_count: plan.indicators.len(),
        latest: shown_pub.as_ref().map(PubHead::from),
        standings: if rows.is_empty() {
            Vec::new()
        } else if let Some(p) = &shown_pub {
            with_change(
                town_standings(&plan, &rows),
                &standings_before(&state, &plan, &p.as_of).await?,
            )
        } else {
            town_standings(&plan, &rows)
        },
        domains,
        tasks,
        earlier,
        this_year: shown_pub
            .as_ref()
            .and_then(|p| p.as_of.get(..4))
            .and_then(|y| y.parse().ok())
            .unwrap_or(*plan.target_years().start()),
        years,
    };
    Ok(html(&page))
}

#[derive(Deserialize)]
pub(crate) struct VersionQuery {
    version: Option<i64>,
}

/// One indicator's line in the airing table.
struct AiringLine {
    code: u16,
    name: String,
    unit: String,
    city: Option<EvalRow>,
    towns: Vec<Option<EvalRow>>,
}

#[derive(Template)]
#[template(path = "airing.html")]
struct Airing {
    shell: Shell,
    head: PubHead,
    versions: Vec<i64>,
    standings: Vec<Standing>,
    towns: Vec<String>,
    lines: Vec<AiringLine>,
    corrections: usize,
}

/// `GET /airing/{as_of}[?version=]`: a published month (月晾晒) as published.
pub(crate) async fn airing(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    axum::extract::Path(as_of): axum::extract::Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, WebError> {
    let plan = plan_now(&state).await?;
    let as_of = match anju_core::period::YearMonth::parse(&as_of) {
        Ok(m) => m.to_string(),
        Err(_) => {
            return Err(WebError::not_found(format!(
                "“{as_of}”不是月份,月份应写作 2026-10 这样"
            )));
        }
    };
    let Some(p) = state
        .store
        .publication(&as_of, q.version)
        .await
        .map_err(ApiError::from)?
    else {
        return Err(WebError::not_found(format!("{as_of} 尚未发布")));
    };
    let versions: Vec<i64> = state
        .store
        .publications()
        .await
        .map_err(ApiError::from)?
        .iter()
        .filter(|h| h.as_of == p.as_of)
        .map(|h| h.version)
        .collect();
    let rows = crate::service::publications::rows(&p)?;
    let corrections = crate::service::publications::corrections(&p);
    let root = plan.orgs.get(plan.reporting_root).name.clone();
    let towns: Vec<String> = plan
        .orgs
        .get(plan.reporting_root)
        .children
        .iter()
        .map(|&o| plan.orgs.get(o).name.clone())
        .collect();
    let find = |code: u16, org: &str| {
        rows.iter()
            .find(|r| r.indicator == code && r.org_unit == org)
            .cloned()
    };
    let lines = plan
        .indicators
        .iter()
        .map(|i| AiringLine {
            code: i.code.0,
            name: i.name.clone(),
            unit: i.unit.clone(),
            city: find(i.code.0, &root),
            towns: towns.iter().map(|t| find(i.code.0, t)).collect(),
        })
        .collect();
    let page = Airing {
        shell: Shell::new(&state, who.as_ref(), &format!("{} 月晾晒", p.as_of), "/"),
        head: PubHead::from(&p),
        versions,
        standings: with_change(
            town_standings(&plan, &rows),
            &standings_before(&state, &plan, &p.as_of).await?,
        ),
        towns,
        lines,
        corrections,
    };
    Ok(html(&page))
}
