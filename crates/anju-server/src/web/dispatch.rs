//! 工作调度 pages: the task force's dispatch board (every 督办 item by
//! colour, overdue first, and the form that records one), a 督办 item's
//! page (each unit's assignment, the steps taken, the forms of whoever may
//! act on it now) and the workbench of a department or a town (what waits
//! for it). They present `service::supervision`; their forms send to the
//! JSON API, so every rule of it holds here too.

use anju_core::access::Action;
use anju_core::plan::{Level, Plan};
use anju_core::supervision::{AssignmentState, ExtensionState, Item, Light};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Member, Shell, WebError, html, page_may};
use crate::AppState;
use crate::service::supervision::{self as service, Colours};

/// The class of a colour's tag.
pub(crate) fn light_class(l: Light) -> &'static str {
    match l {
        Light::Red => "l-red",
        Light::Yellow => "l-yellow",
        Light::Blue => "l-blue",
        Light::Green => "l-green",
        Light::Done => "l-none",
    }
}

/// One unit's assignment as a line.
pub(crate) struct UnitLine {
    pub unit: String,
    pub lead: bool,
    pub state: &'static str,
    pub answered: bool,
    pub class: &'static str,
    pub label: &'static str,
    pub reason: String,
    pub due: String,
    pub percent: String,
    /// The percent as a number to edit (empty before any feedback).
    pub percent_value: String,
    pub signed: String,
    pub returns: u32,
}

/// An item as a line of a list.
pub(crate) struct ItemLine {
    pub id: i64,
    pub title: String,
    pub source: String,
    pub lead: String,
    pub co: String,
    pub due: String,
    pub urgency: &'static str,
    pub urgent: bool,
    pub class: &'static str,
    pub label: &'static str,
    pub reason: String,
    pub units: Vec<UnitLine>,
}

fn minute(stamp: &str) -> String {
    // 2026-12-01T09:30:00+08:00 → 2026-12-01 09:30
    stamp.get(..16).unwrap_or(stamp).replace('T', " ")
}

pub(crate) fn item_line(item: &Item, c: &Colours) -> ItemLine {
    let (light, why) = &c.item;
    ItemLine {
        id: item.id,
        title: item.title.clone(),
        source: format!(
            "{}{}{}",
            item.source.label(),
            item.source_date
                .map_or_else(String::new, |d| format!(" {d}")),
            if item.source_ref.is_empty() {
                String::new()
            } else {
                format!(" · {}", item.source_ref)
            }
        ),
        lead: item.lead().to_string(),
        co: item
            .assignments
            .iter()
            .filter(|a| !a.lead)
            .map(|a| a.unit.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        due: item.due.to_string(),
        urgency: item.urgency.label(),
        urgent: item.urgency != anju_core::supervision::Urgency::Normal,
        class: light_class(*light),
        label: light.label(),
        reason: why.clone(),
        units: item
            .assignments
            .iter()
            .zip(&c.assignments)
            .map(|(a, (l, w))| UnitLine {
                unit: a.unit.clone(),
                lead: a.lead,
                state: a.state.label(),
                answered: a.state == AssignmentState::Answered,
                class: light_class(*l),
                label: l.label(),
                reason: w.clone(),
                due: a.due.to_string(),
                percent: a
                    .percent
                    .map_or_else(|| "—".into(), |p| format!("{}%", p.normalize())),
                percent_value: a
                    .percent
                    .map_or_else(String::new, |p| p.normalize().to_string()),
                signed: a
                    .signed_at
                    .as_deref()
                    .map_or_else(|| "未签收".into(), minute),
                returns: a.returns,
            })
            .collect(),
    }
}

/// The units an item may be assigned to, for the form: departments, then
/// the towns.
fn assignable(plan: &Plan) -> (Vec<String>, Vec<String>) {
    let mut departments = Vec::new();
    let mut towns = Vec::new();
    for (o, u) in plan.orgs.iter() {
        if u.level == Level::Department {
            departments.push(u.name.clone());
        } else if plan.reporting_unit(o) == Some(o) && o != plan.reporting_root {
            towns.push(u.name.clone());
        }
    }
    (departments, towns)
}

#[derive(Template)]
#[template(path = "dispatch.html")]
struct Board {
    shell: Shell,
    today: String,
    items: Vec<ItemLine>,
    counts: Vec<(&'static str, &'static str, usize)>,
    light: String,
    unit: String,
    may_create: bool,
    departments: Vec<String>,
    assignable_towns: Vec<String>,
    near_days: u8,
    /// The plan's tasks with this year's work items.
    tasks: Vec<TaskLine>,
    /// The year shown, and the plan's years.
    year: i32,
    years: Vec<i32>,
    may_create_work: bool,
    /// Projects by town, and the ones far behind.
    towns: Vec<super::projects::TownProjects>,
    red_projects: Vec<super::projects::ProjectLine>,
}

#[derive(Deserialize)]
pub(crate) struct BoardQuery {
    light: Option<String>,
    unit: Option<String>,
    year: Option<i32>,
}

/// `GET /dispatch`: the dispatch board (the task force and leaders).
pub(crate) async fn board(
    State(state): State<AppState>,
    Member(who): Member,
    Query(q): Query<BoardQuery>,
) -> Result<Response, WebError> {
    let plan = state.plan();
    page_may(&plan, &who, &Action::OpenDispatch)?;
    let me = who.actor(&plan);
    let today = crate::now(&state).date;
    let all = service::list(&state.store, &plan, &me, &service::Filter::default(), today).await?;
    let mut counts = vec![
        ("red", "红色督办(逾期)", 0),
        ("yellow", "黄色督办(退办或落后)", 0),
        ("blue", "蓝色督办(临近时限)", 0),
        ("green", "正常", 0),
        ("done", "已办结", 0),
    ];
    for (_, c) in &all {
        if let Some(x) = counts.iter_mut().find(|x| x.0 == c.item.0.as_str()) {
            x.2 += 1;
        }
    }
    let filter = service::Filter {
        light: q.light.clone(),
        unit: q.unit.clone(),
    };
    let shown = service::list(&state.store, &plan, &me, &filter, today).await?;
    let (departments, towns) = assignable(&plan);
    let projects = crate::service::projects::list(&state.store, &plan, &me, None, today).await?;
    let years: Vec<i32> = plan.target_years().collect();
    let year = q.year.filter(|y| years.contains(y)).unwrap_or_else(|| {
        today
            .year
            .clamp(*plan.target_years().start(), *plan.target_years().end())
    });
    let items =
        crate::service::work::list(&state.store, &plan, &me, None, Some(year), today).await?;
    let tasks = plan
        .tasks
        .iter()
        .map(|t| TaskLine {
            code: t.code,
            name: t.name.clone(),
            lead: plan.orgs.get(t.lead).name.clone(),
            items: items
                .iter()
                .filter(|(w, _, _)| w.task == t.code)
                .map(|(w, p, l)| work_line(w, *p, l))
                .collect(),
        })
        .collect();
    let page = Board {
        tasks,
        year,
        years,
        may_create_work: me.can(&plan, &Action::CreateWorkItem),
        towns: super::projects::by_town(&plan, &projects),
        red_projects: projects
            .iter()
            .filter(|(_, s)| s.light.0 == anju_core::projects::ProjectLight::Red)
            .map(|(p, s)| super::projects::project_line(p, s, today))
            .collect(),
        shell: Shell::new(&state, Some(&who), "工作调度", "/dispatch"),
        today: today.to_string(),
        items: shown.iter().map(|(i, c)| item_line(i, c)).collect(),
        counts,
        light: q.light.unwrap_or_default(),
        unit: q.unit.unwrap_or_default(),
        may_create: me.can(&plan, &Action::CreateSupervision),
        departments,
        assignable_towns: towns,
        near_days: plan.settings.supervision_near_days,
    };
    Ok(html(&page))
}

/// A step of the log as shown.
struct Step {
    at: String,
    actor: String,
    unit: String,
    label: &'static str,
    words: Vec<(&'static str, String)>,
}

/// An extension request as shown.
struct ExtLine {
    id: i64,
    unit: String,
    old_due: String,
    new_due: String,
    reason: String,
    progress: String,
    state: &'static str,
    pending: bool,
    decided: String,
}

#[derive(Template)]
#[template(path = "supervision.html")]
struct ItemPage {
    shell: Shell,
    today: String,
    item: ItemLine,
    /// The caller's own assignment, if it may act on one.
    mine: Option<UnitLine>,
    /// Its state's API name (`assigned` …), empty when none.
    mine_state: &'static str,
    may_review: bool,
    may_instruct: bool,
    steps: Vec<Step>,
    extensions: Vec<ExtLine>,
    /// The caller's unit has an extension waiting.
    mine_pending: bool,
    instructions: Vec<(String, String, String)>,
    back: &'static str,
    /// Files kept with it: (url, name, who and when).
    files: Vec<(String, String, String)>,
    may_attach: bool,
}

/// `GET /supervision/{id}`: one item, with the forms of whoever may act.
pub(crate) async fn item(
    State(state): State<AppState>,
    Member(who): Member,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, WebError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let id: i64 = id
        .trim()
        .parse()
        .map_err(|_| WebError::not_found(format!("没有编号为“{id}”的督办事项")))?;
    let today = crate::now(&state).date;
    let item = service::one(&state.store, &plan, &me, id).await?;
    let c = service::colours(&plan, &item, today);
    let line = item_line(&item, &c);
    let my_unit = me.org.map(|o| plan.orgs.get(o).name.clone());
    let mine_ix = my_unit.as_ref().and_then(|u| {
        item.assignments
            .iter()
            .position(|a| &a.unit == u)
            .filter(|_| {
                me.org
                    .is_some_and(|o| me.can(&plan, &Action::ActOnAssignment { unit: o }))
            })
    });
    let detail_words = |d: &serde_json::Value| -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (key, label) in [
            ("progress", "办理情况"),
            ("difficulties", "存在困难"),
            ("next_steps", "下一步"),
            ("percent", "完成"),
            ("note", "说明"),
            ("text", "批示"),
            ("reason", "理由"),
            ("new_due", "延至"),
            ("due", "办理时限"),
        ] {
            if let Some(v) = d.get(key) {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => continue,
                    other => other.to_string(),
                };
                if text.is_empty() {
                    continue;
                }
                let text = if key == "percent" {
                    format!("{text}%")
                } else {
                    text
                };
                out.push((label, text));
            }
        }
        out
    };
    let page = ItemPage {
        shell: Shell::new(&state, Some(&who), &format!("督办事项 {id}"), ""),
        today: today.to_string(),
        mine: mine_ix.map(|k| {
            let u = &line.units[k];
            UnitLine {
                unit: u.unit.clone(),
                lead: u.lead,
                state: u.state,
                answered: u.answered,
                class: u.class,
                label: u.label,
                reason: u.reason.clone(),
                due: u.due.clone(),
                percent: u.percent.clone(),
                percent_value: u.percent_value.clone(),
                signed: u.signed.clone(),
                returns: u.returns,
            }
        }),
        mine_state: mine_ix.map_or("", |k| item.assignments[k].state.as_str()),
        mine_pending: mine_ix.is_some_and(|k| {
            item.extensions
                .iter()
                .any(|e| e.unit == item.assignments[k].unit && e.state == ExtensionState::Pending)
        }),
        item: line,
        may_review: me.can(&plan, &Action::ReviewSupervision),
        may_instruct: me.can(&plan, &Action::InstructSupervision),
        steps: item
            .log
            .iter()
            .map(|e| Step {
                at: minute(&e.at),
                actor: e.actor.clone(),
                unit: e.unit.clone().unwrap_or_default(),
                label: e.label(),
                words: if e.step == "create" {
                    Vec::new()
                } else {
                    detail_words(&e.detail)
                },
            })
            .collect(),
        extensions: item
            .extensions
            .iter()
            .map(|e| ExtLine {
                id: e.id,
                unit: e.unit.clone(),
                old_due: e.old_due.to_string(),
                new_due: e.new_due.to_string(),
                reason: e.reason.clone(),
                progress: e.progress.clone(),
                state: e.state.label(),
                pending: e.state == ExtensionState::Pending,
                decided: match (&e.decided_by, &e.decided_at) {
                    (Some(b), Some(a)) => format!(
                        "{b} {}{}",
                        minute(a),
                        e.note
                            .as_deref()
                            .map_or_else(String::new, |n| format!(":{n}"))
                    ),
                    _ => String::new(),
                },
            })
            .collect(),
        instructions: item
            .log
            .iter()
            .filter(|e| e.step == "instruction")
            .map(|e| {
                (
                    minute(&e.at),
                    e.actor.clone(),
                    e.detail
                        .get("text")
                        .and_then(|t| t.as_str())
                        .unwrap_or("")
                        .to_string(),
                )
            })
            .collect(),
        back: if me.can(&plan, &Action::OpenDispatch) {
            "/dispatch"
        } else {
            "/workbench"
        },
        files: item
            .files
            .iter()
            .map(|f| {
                (
                    format!("/api/v1/supervision/files/{}", f.id),
                    f.name.clone(),
                    format!("{} {}", f.added_by, minute(&f.added_at)),
                )
            })
            .collect(),
        may_attach: me.can(&plan, &Action::CreateSupervision),
    };
    Ok(html(&page))
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct Workbench {
    shell: Shell,
    unit: String,
    today: String,
    /// (item, this unit's line) — what waits first.
    items: Vec<(ItemLine, UnitLine)>,
    to_sign: usize,
    handling: usize,
    overdue: usize,
    may_report: bool,
    /// The unit's work items (as owner or co-unit).
    work: Vec<WorkLine>,
    /// A town's own projects.
    projects: Vec<super::projects::ProjectLine>,
    may_projects: bool,
}

/// `GET /workbench`: a department's or town's own work (its 督办 first).
pub(crate) async fn workbench(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Response, WebError> {
    let plan = state.plan();
    page_may(&plan, &who, &Action::OpenWorkbench)?;
    let me = who.actor(&plan);
    let Some(org) = me.org else {
        return Err(WebError::forbidden("账号未指定所属单位,请联系系统管理员"));
    };
    let unit = plan.orgs.get(org).name.clone();
    let today = crate::now(&state).date;
    let filter = service::Filter {
        light: None,
        unit: Some(unit.clone()),
    };
    let mut items: Vec<(ItemLine, UnitLine)> = Vec::new();
    let (mut to_sign, mut handling, mut overdue) = (0, 0, 0);
    for (item, c) in service::list(&state.store, &plan, &me, &filter, today).await? {
        let mut line = item_line(&item, &c);
        let Some(k) = line.units.iter().position(|u| u.unit == unit) else {
            continue;
        };
        let own = line.units.remove(k);
        match item.assignments[k].state {
            AssignmentState::Assigned => to_sign += 1,
            AssignmentState::Handling => handling += 1,
            _ => {}
        }
        if c.assignments[k].0 == Light::Red {
            overdue += 1;
        }
        items.push((line, own));
    }
    // This unit's own colour orders the list: red first, done last.
    items.sort_by_key(|(l, u)| (order(u.class), l.due.clone()));
    let may_projects = me.can(&plan, &Action::OpenProjects);
    let projects = if may_projects {
        crate::service::projects::list(&state.store, &plan, &me, Some(&unit), today)
            .await?
            .iter()
            .map(|(p, s)| super::projects::project_line(p, s, today))
            .collect()
    } else {
        Vec::new()
    };
    let work = crate::service::work::list(&state.store, &plan, &me, None, None, today)
        .await?
        .iter()
        .map(|(w, p, l)| work_line(w, *p, l))
        .collect();
    let page = Workbench {
        work,
        projects,
        may_projects,
        shell: Shell::new(
            &state,
            Some(&who),
            &format!("工作台 · {unit}"),
            "/workbench",
        ),
        unit,
        today: today.to_string(),
        items,
        to_sign,
        handling,
        overdue,
        may_report: me.can(&plan, &Action::OpenReporting),
    };
    Ok(html(&page))
}

fn order(class: &str) -> u8 {
    match class {
        "l-red" => 0,
        "l-yellow" => 1,
        "l-blue" => 2,
        "l-green" => 3,
        _ => 4,
    }
}

/// A work item as a line.
pub(crate) struct WorkLine {
    pub id: i64,
    pub task: u16,
    pub year: i32,
    pub title: String,
    pub owner: String,
    pub deadline: String,
    pub percent: String,
    pub class: &'static str,
    pub label: &'static str,
    pub reason: String,
    pub next: String,
    pub waiting: usize,
}

fn work_class(l: anju_core::work::WorkLight) -> &'static str {
    use anju_core::work::WorkLight;
    match l {
        WorkLight::Red => "l-red",
        WorkLight::Yellow => "l-yellow",
        WorkLight::Green => "l-green",
        WorkLight::Done => "l-none",
    }
}

pub(crate) fn work_line(
    w: &anju_store::WorkItem,
    percent: Option<rust_decimal::Decimal>,
    light: &(anju_core::work::WorkLight, String),
) -> WorkLine {
    WorkLine {
        id: w.id,
        task: w.task,
        year: w.year,
        title: w.title.clone(),
        owner: w.owner.clone(),
        deadline: w.deadline.to_string(),
        percent: percent.map_or_else(|| "—".into(), |p| format!("{}%", p.normalize())),
        class: work_class(light.0),
        label: light.0.label(),
        reason: light.1.clone(),
        next: w
            .steps
            .iter()
            .find(|s| s.done.is_none())
            .map_or_else(String::new, |s| format!("{} {}", s.name, s.due)),
        waiting: w.reports.iter().filter(|r| r.state == "submitted").count(),
    }
}

/// The tasks of the plan with their work items of the year, for the board.
pub(crate) struct TaskLine {
    pub code: u16,
    pub name: String,
    pub lead: String,
    pub items: Vec<WorkLine>,
}

#[derive(Template)]
#[template(path = "work_item.html")]
struct WorkPage {
    shell: Shell,
    today: String,
    w: WorkLine,
    task_name: String,
    co_units: String,
    start: String,
    steps: Vec<(usize, String, String, String, bool)>,
    reports: Vec<ReportLine>,
    may_report: bool,
    may_review: bool,
    this_month: String,
    back: &'static str,
}

struct ReportLine {
    id: i64,
    month: String,
    percent: String,
    text: String,
    state: &'static str,
    pending: bool,
    by: String,
    review: String,
    files: Vec<(String, String)>,
}

/// `GET /work/{id}`: a work item with the owner's and the 专班's forms.
pub(crate) async fn work_item(
    State(state): State<AppState>,
    Member(who): Member,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, WebError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let id: i64 = id
        .trim()
        .parse()
        .map_err(|_| WebError::not_found(format!("没有编号为“{id}”的工作要点")))?;
    let today = crate::now(&state).date;
    let w = crate::service::work::one(&state.store, &plan, &me, id).await?;
    let (percent, light) = crate::service::work::standing(&plan, &w, today);
    let owner = plan.orgs.resolve(&w.owner).ok();
    let page = WorkPage {
        shell: Shell::new(&state, Some(&who), &format!("工作要点 {id}"), ""),
        today: today.to_string(),
        task_name: plan
            .tasks
            .iter()
            .find(|t| t.code == w.task)
            .map_or_else(String::new, |t| t.name.clone()),
        co_units: w.co_units.join("、"),
        start: w.start.to_string(),
        steps: w
            .steps
            .iter()
            .enumerate()
            .map(|(k, s)| {
                (
                    k + 1,
                    s.name.clone(),
                    s.due.to_string(),
                    s.done.map_or_else(String::new, |d| d.to_string()),
                    s.done.is_none() && s.due < today,
                )
            })
            .collect(),
        reports: w
            .reports
            .iter()
            .rev()
            .map(|r| ReportLine {
                id: r.id,
                month: r.month.to_string(),
                percent: format!("{}%", r.percent.normalize()),
                text: r.text.clone(),
                state: match r.state.as_str() {
                    "approved" => "已审核",
                    "returned" => "已退回",
                    _ => "待审核",
                },
                pending: r.state == "submitted",
                by: format!("{} {}", r.entered_by, minute(&r.entered_at)),
                review: match (&r.reviewed_by, &r.note) {
                    (Some(b), Some(n)) => format!("{b}:{n}"),
                    (Some(b), None) => b.clone(),
                    _ => String::new(),
                },
                files: r
                    .files
                    .iter()
                    .map(|f| (format!("/api/v1/work-items/files/{}", f.id), f.name.clone()))
                    .collect(),
            })
            .collect(),
        may_report: owner.is_some_and(|o| me.can(&plan, &Action::ReportWorkItem { owner: o })),
        may_review: me.can(&plan, &Action::ReviewWorkItem),
        this_month: format!("{:04}-{:02}", today.year, today.month),
        back: if me.can(&plan, &Action::OpenDispatch) {
            "/dispatch"
        } else {
            "/workbench"
        },
        w: work_line(&w, percent, &light),
    };
    Ok(html(&page))
}
