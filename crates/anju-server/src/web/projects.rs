//! 项目库 pages: the projects a user may read, by town, with their stage,
//! 形象进度, investment and light, and the form that adds one; a project's
//! page with its milestones (SVG, planned against actual), photo gallery,
//! investment chart, and the forms of whoever may act on it (a town's
//! progress entry is phone-first). They present `service::projects`; the
//! forms send to the JSON API.

use anju_core::access::Action;
use anju_core::period::YearMonth;
use anju_core::plan::Plan;
use anju_core::projects::{Pace, ProjectLight};
use anju_reports::timeline::{Mark, MonthBar, investment_svg, milestones_svg};
use anju_store::Project;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

use super::{Member, Shell, WebError, html, page_may};
use crate::AppState;
use crate::service::projects::{self as service, Standing};

fn light_class(l: ProjectLight) -> &'static str {
    match l {
        ProjectLight::Red => "l-red",
        ProjectLight::Yellow => "l-yellow",
        ProjectLight::Green => "l-green",
        ProjectLight::None => "l-none",
    }
}

fn wan(d: Decimal) -> String {
    format!("{} 万元", d.normalize())
}

/// A project as a line of a list.
pub(crate) struct ProjectLine {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub town: String,
    pub stage: &'static str,
    pub class: &'static str,
    pub label: &'static str,
    pub reason: String,
    pub percent: String,
    pub invest: String,
    pub rate: String,
    pub pace: &'static str,
    pub next: String,
    pub completion: String,
}

pub(crate) fn project_line(
    p: &Project,
    s: &Standing,
    today: anju_core::workflow::Date,
) -> ProjectLine {
    ProjectLine {
        id: p.id,
        name: p.name.clone(),
        kind: p.kind.clone(),
        town: p.town.clone(),
        stage: p.stage.label(),
        class: light_class(s.light.0),
        label: if s.light.0 == ProjectLight::None {
            p.stage.label()
        } else {
            s.light.0.label()
        },
        reason: s.light.1.clone(),
        percent: s
            .percent
            .map_or_else(|| "—".into(), |x| format!("{}%", x.normalize())),
        invest: format!(
            "{} / {}",
            s.completed_to_date.normalize(),
            wan(p.planned_investment)
        ),
        rate: s
            .rate
            .map_or_else(|| "—".into(), |r| format!("{}%", r.normalize())),
        pace: s.pace.map_or("", Pace::label),
        next: p
            .milestones
            .iter()
            .find(|m| m.actual.is_none())
            .map_or_else(
                || "全部节点已完成".into(),
                |m| {
                    let left = today.days_until(m.planned);
                    if left < 0 {
                        format!("{} {}(已过 {} 天)", m.name, m.planned, -left)
                    } else {
                        format!("{} {}", m.name, m.planned)
                    }
                },
            ),
        completion: p.planned_completion.to_string(),
    }
}

#[derive(Template)]
#[template(path = "projects.html")]
struct ListPage {
    shell: Shell,
    today: String,
    projects: Vec<ProjectLine>,
    town: String,
    towns: Vec<String>,
    /// The towns the user may add a project for (a town user: its own).
    add_for: Vec<String>,
    types: Vec<(String, String)>,
    reds: usize,
    /// The types' phases in force: (type, lines "阶段 天数", who changed them).
    templates: Vec<(String, String, String)>,
    may_edit_templates: bool,
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    town: Option<String>,
}

fn towns(plan: &Plan) -> Vec<(anju_core::plan::OrgId, String)> {
    plan.orgs
        .get(plan.reporting_root)
        .children
        .iter()
        .map(|&o| (o, plan.orgs.get(o).name.clone()))
        .collect()
}

/// `GET /projects[?town=]`.
pub(crate) async fn list(
    State(state): State<AppState>,
    Member(who): Member,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let plan = state.plan();
    page_may(&plan, &who, &Action::OpenProjects)?;
    let me = who.actor(&plan);
    let today = crate::now(&state).date;
    let all = service::list(&state.store, &plan, &me, q.town.as_deref(), today).await?;
    let lines: Vec<ProjectLine> = all.iter().map(|(p, s)| project_line(p, s, today)).collect();
    let templates = service::templates_in_force(&state.store, &plan)
        .await?
        .into_iter()
        .map(|t| {
            let lines: Vec<String> = t
                .phases
                .iter()
                .map(|p| format!("{} {}", p.name, p.days))
                .collect();
            let changed = t.changed.map_or_else(
                || "计划文件".to_string(),
                |(b, a)| format!("{b} 于 {} 修改", a.get(..10).unwrap_or(&a)),
            );
            (t.kind, lines.join("\n"), changed)
        })
        .collect();
    let page = ListPage {
        templates,
        may_edit_templates: me.can(&plan, &Action::ReviewProject),
        shell: Shell::new(&state, Some(&who), "项目库", "/projects"),
        today: today.to_string(),
        reds: lines.iter().filter(|l| l.class == "l-red").count(),
        projects: lines,
        town: q.town.unwrap_or_default(),
        towns: towns(&plan)
            .into_iter()
            .filter(|(o, _)| me.can(&plan, &Action::ReadProjects { town: *o }))
            .map(|(_, n)| n)
            .collect(),
        add_for: towns(&plan)
            .into_iter()
            .filter(|(o, _)| me.can(&plan, &Action::EditProject { town: *o }))
            .map(|(_, n)| n)
            .collect(),
        types: plan
            .project_types
            .iter()
            .map(|t| {
                let adds = match (t.indicator, t.adds) {
                    (Some(code), Some(a)) => {
                        let unit = plan
                            .indicator_index(code)
                            .map_or("", |ix| plan.indicators[ix].unit.as_str());
                        format!("竣工计入指标 {code}:+{}{unit}", a.normalize())
                    }
                    (Some(code), None) => format!("竣工计入指标 {code}(数量按项目填)"),
                    _ => "不直接计入指标".into(),
                };
                (t.name.clone(), adds)
            })
            .collect(),
    };
    Ok(html(&page))
}

/// A progress entry as shown.
struct EntryLine {
    id: i64,
    month: String,
    percent: String,
    text: String,
    invested: String,
    state: &'static str,
    pending: bool,
    flags: Vec<String>,
    by: String,
    review: String,
    photos: Vec<(i64, String, String)>,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    shell: Shell,
    today: String,
    p: ProjectLine,
    milestones: Vec<(usize, String, String, String, bool)>,
    timeline: String,
    investment: String,
    entries: Vec<EntryLine>,
    may_edit: bool,
    may_review: bool,
    contribution: String,
    planned_total: String,
    this_month: String,
    next_stages: Vec<&'static str>,
}

/// `GET /projects/{id}`.
pub(crate) async fn one(
    State(state): State<AppState>,
    Member(who): Member,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, WebError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let id: i64 = id
        .trim()
        .parse()
        .map_err(|_| WebError::not_found(format!("没有编号为“{id}”的项目")))?;
    let today = crate::now(&state).date;
    let p = service::one(&state.store, &plan, &me, id).await?;
    let s = service::standing(&plan, &p, today);
    let town = plan.orgs.resolve(&p.town).ok();
    let may_edit = town.is_some_and(|t| me.can(&plan, &Action::EditProject { town: t }));
    let kind = plan.project_type(&p.kind);
    let start = p.start;
    let marks: Vec<Mark> = p
        .milestones
        .iter()
        .map(|m| Mark {
            name: m.name.clone(),
            planned: (m.planned.days(), m.planned.to_string()),
            actual: m.actual.map(|a| (a.days(), a.to_string())),
            missed: m.actual.is_none() && m.planned < today,
        })
        .collect();
    let this_month = YearMonth::new(today.year, today.month);
    // The plan's months and any month with approved investment.
    let mut months: Vec<(YearMonth, Decimal)> = p.plan.clone();
    for e in p.progress.iter().filter(|e| e.state == "approved") {
        if !months.iter().any(|(m, _)| *m == e.month) {
            months.push((e.month, Decimal::ZERO));
        }
    }
    months.sort_by_key(|(m, _)| *m);
    let bars: Vec<MonthBar> = months
        .iter()
        .map(|(m, planned)| {
            let done: Decimal = p
                .progress
                .iter()
                .filter(|e| e.state == "approved" && e.month == *m)
                .map(|e| e.invested)
                .sum();
            MonthBar {
                month: m.to_string(),
                planned: (
                    planned.to_f64().unwrap_or(0.0),
                    planned.normalize().to_string(),
                ),
                completed: (done.to_f64().unwrap_or(0.0), done.normalize().to_string()),
            }
        })
        .collect();
    let contribution = match (kind.and_then(|t| t.indicator), p.contribution) {
        (Some(code), Some(c)) => {
            let (name, unit) =
                plan.indicator_index(code)
                    .map_or((String::new(), String::new()), |ix| {
                        (
                            plan.indicators[ix].name.clone(),
                            plan.indicators[ix].unit.clone(),
                        )
                    });
            format!(
                "竣工后计入指标 {code}({name}){}{unit},经镇(街道)填报、专班审核后生效",
                c.normalize()
            )
        }
        _ => "不直接计入指标".into(),
    };
    let page = ProjectPage {
        shell: Shell::new(
            &state,
            Some(&who),
            &format!("项目 · {}", p.name),
            "/projects",
        ),
        today: today.to_string(),
        timeline: milestones_svg(
            &marks,
            (start.days(), start.to_string()),
            (today.days(), today.to_string()),
        ),
        investment: investment_svg(&bars),
        milestones: p
            .milestones
            .iter()
            .enumerate()
            .map(|(k, m)| {
                (
                    k + 1,
                    m.name.clone(),
                    m.planned.to_string(),
                    m.actual.map_or_else(String::new, |a| a.to_string()),
                    m.actual.is_none() && m.planned < today,
                )
            })
            .collect(),
        entries: p
            .progress
            .iter()
            .rev()
            .map(|e| EntryLine {
                id: e.id,
                month: e.month.to_string(),
                percent: format!("{}%", e.percent.normalize()),
                text: e.text.clone(),
                invested: wan(e.invested),
                state: match e.state.as_str() {
                    "approved" => "已审核",
                    "returned" => "已退回",
                    _ => "待审核",
                },
                pending: e.state == "submitted",
                flags: e.flags.clone(),
                by: format!(
                    "{} {}",
                    e.entered_by,
                    e.entered_at.get(..16).unwrap_or("").replace('T', " ")
                ),
                review: match (&e.reviewed_by, &e.note) {
                    (Some(b), Some(n)) => format!("{b}:{n}"),
                    (Some(b), None) => b.clone(),
                    _ => String::new(),
                },
                photos: e
                    .photos
                    .iter()
                    .map(|f| {
                        let when = f
                            .taken
                            .clone()
                            .map_or_else(|| "无拍摄时间".to_string(), |t| format!("拍摄于 {t}"));
                        let place = f
                            .place
                            .as_ref()
                            .map_or_else(String::new, |(a, b)| format!(" · 北纬 {a} 东经 {b}"));
                        (f.id, f.name.clone(), format!("{when}{place}"))
                    })
                    .collect(),
            })
            .collect(),
        may_edit,
        may_review: me.can(&plan, &Action::ReviewProject),
        contribution,
        planned_total: wan(p.planned_investment),
        this_month: this_month.map_or_else(String::new, |m| m.to_string()),
        next_stages: anju_core::projects::Stage::ALL
            .into_iter()
            .filter(|x| *x > p.stage)
            .map(|x| x.label())
            .collect(),
        p: project_line(&p, &s, today),
    };
    Ok(html(&page))
}

/// A town's projects in a line of the dispatch board.
pub(crate) struct TownProjects {
    pub town: String,
    pub total: usize,
    pub building: usize,
    pub red: usize,
    pub yellow: usize,
    pub planned: String,
    pub completed: String,
    pub rate: String,
}

/// The projects by town, in the plan's order of towns (towns without any
/// left out).
pub(crate) fn by_town(plan: &Plan, all: &[(Project, Standing)]) -> Vec<TownProjects> {
    let mut out = Vec::new();
    for (_, name) in towns(plan) {
        let mine: Vec<&(Project, Standing)> = all.iter().filter(|(p, _)| p.town == name).collect();
        if mine.is_empty() {
            continue;
        }
        let planned: Decimal = mine.iter().map(|(_, s)| s.planned_to_date).sum();
        let completed: Decimal = mine.iter().map(|(_, s)| s.completed_to_date).sum();
        out.push(TownProjects {
            total: mine.len(),
            building: mine
                .iter()
                .filter(|(p, _)| p.stage == anju_core::projects::Stage::Building)
                .count(),
            red: mine
                .iter()
                .filter(|(_, s)| s.light.0 == ProjectLight::Red)
                .count(),
            yellow: mine
                .iter()
                .filter(|(_, s)| s.light.0 == ProjectLight::Yellow)
                .count(),
            planned: planned.normalize().to_string(),
            completed: completed.normalize().to_string(),
            rate: anju_core::projects::investment_rate(planned, completed)
                .map_or_else(|| "—".into(), |r| format!("{}%", r.normalize())),
            town: name,
        });
    }
    out
}
