//! 年度工作要点: the task force gives each of the plan's tasks its work items
//! for a year — an owner (the task's lead unit unless another is named),
//! co-units, a deadline and dated milestones; the owner reports monthly
//! (percent, text, attachments) and marks milestones done; the task force
//! reviews each report, and only approved ones move the item's percent.

use anju_core::access::{Action, Actor};
use anju_core::period::YearMonth;
use anju_core::plan::{Level, OrgId, Plan};
use anju_core::work::{self as rules, Step, WorkLight};
use anju_core::workflow::Date;
use anju_store::{NewWorkItem, Now, Store, StoreError, WorkItem};
use rust_decimal::Decimal;

use super::Error;

/// A work item as the task force enters it.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// The task's code (1–13).
    pub task: u16,
    /// The year.
    pub year: i32,
    /// What is to be done.
    pub title: String,
    /// The owner (the task's lead unit when left out).
    pub owner: Option<String>,
    /// The co-units (the task's when left out).
    pub co_units: Option<Vec<String>>,
    /// `YYYY-MM-DD`.
    pub deadline: String,
    /// (name, `YYYY-MM-DD`).
    pub milestones: Vec<(String, String)>,
}

/// The largest attachment, in bytes.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The most attachments a report.
pub const MAX_FILES: usize = 5;
/// The kinds of attachment taken (by the name's ending).
pub const FILE_KINDS: [&str; 12] = [
    "pdf", "ofd", "doc", "docx", "wps", "xls", "xlsx", "et", "jpg", "jpeg", "png", "txt",
];

fn unit_of(plan: &Plan, field: &str, name: &str) -> Result<OrgId, Error> {
    let o = plan
        .orgs
        .resolve(name.trim())
        .map_err(|_| Error::invalid(field, format!("本计划没有名为“{}”的单位", name.trim())))?;
    let town = plan.reporting_unit(o) == Some(o) && o != plan.reporting_root;
    if plan.orgs.get(o).level == Level::Department || town {
        Ok(o)
    } else {
        Err(Error::invalid(
            field,
            format!("“{}”不是部门或镇(街道)", plan.orgs.get(o).name),
        ))
    }
}

/// The units of an item (owner first), as the permission table asks.
fn units_of(plan: &Plan, w: &WorkItem) -> Vec<OrgId> {
    std::iter::once(&w.owner)
        .chain(w.co_units.iter())
        .filter_map(|u| plan.orgs.resolve(u).ok())
        .collect()
}

/// Records one work item.
pub async fn create(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    d: &Draft,
    now: &Now,
) -> Result<WorkItem, Error> {
    me.may(plan, &Action::CreateWorkItem)?;
    let checked = check(plan, d, now.date)?;
    let ids = store
        .create_work_items(
            &[NewWorkItem {
                task: checked.task,
                year: checked.year,
                title: &checked.title,
                owner: &checked.owner,
                co_units: &checked.co_units,
                start: checked.start,
                deadline: checked.deadline,
                steps: &checked.steps,
            }],
            me.name,
            &now.stamp,
        )
        .await?;
    let id = ids.first().copied().ok_or_else(Error::internal)?;
    Ok(store.work_item(id).await?)
}

struct Checked {
    task: u16,
    year: i32,
    title: String,
    owner: String,
    co_units: Vec<String>,
    start: Date,
    deadline: Date,
    steps: Vec<Step>,
}

fn check(plan: &Plan, d: &Draft, today: Date) -> Result<Checked, Error> {
    let task = plan
        .tasks
        .iter()
        .find(|t| t.code == d.task)
        .ok_or_else(|| {
            Error::invalid(
                "task",
                format!("重点任务序号应为 1—{},不是 {}", plan.tasks.len(), d.task),
            )
        })?;
    let years = plan.target_years();
    if !years.contains(&d.year) {
        return Err(Error::invalid(
            "year",
            format!("须为计划年度 {}–{}", years.start(), years.end()),
        ));
    }
    let title = d.title.trim();
    if title.is_empty() {
        return Err(Error::invalid("title", "请填写工作要点"));
    }
    if title.chars().count() > 300 {
        return Err(Error::invalid("title", "过长(至多 300 个字符)"));
    }
    let owner = match d.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(o) => unit_of(plan, "owner", o)?,
        None => task.lead,
    };
    let mut co: Vec<OrgId> = Vec::new();
    match &d.co_units {
        None => co.extend(task.co_units.iter().copied()),
        Some(list) => {
            for (k, c) in list.iter().enumerate() {
                if c.trim().is_empty() {
                    continue;
                }
                co.push(unit_of(plan, &format!("co_units[{k}]"), c)?);
            }
        }
    }
    co.retain(|&c| c != owner);
    co.dedup();
    let deadline = Date::parse(&d.deadline).map_err(|e| Error::invalid("deadline", e))?;
    if deadline < today {
        return Err(Error::invalid(
            "deadline",
            format!("完成时限 {deadline} 早于今天({today})"),
        ));
    }
    if deadline.year != d.year {
        return Err(Error::invalid(
            "deadline",
            format!("{} 年的工作要点,完成时限应在当年内", d.year),
        ));
    }
    let year_start = Date {
        year: d.year,
        month: 1,
        day: 1,
    };
    let start = year_start.max(today);
    let mut steps = Vec::new();
    for (k, (name, due)) in d.milestones.iter().enumerate() {
        let field = format!("milestones[{k}]");
        if name.trim().is_empty() {
            return Err(Error::invalid(field, "节点须有名称"));
        }
        let due = Date::parse(due).map_err(|e| Error::invalid(&field, e))?;
        if due > deadline || due < start {
            return Err(Error::invalid(
                field,
                format!("节点日期 {due} 须在 {start} 与完成时限 {deadline} 之间"),
            ));
        }
        steps.push(Step {
            name: name.trim().to_string(),
            due,
            done: None,
        });
    }
    steps.sort_by_key(|s| s.due);
    Ok(Checked {
        task: task.code,
        year: d.year,
        title: title.to_string(),
        owner: plan.orgs.get(owner).name.clone(),
        co_units: co.iter().map(|&o| plan.orgs.get(o).name.clone()).collect(),
        start,
        deadline,
        steps,
    })
}

/// One item, if the user may read it.
pub async fn one(store: &Store, plan: &Plan, me: &Actor<'_>, id: i64) -> Result<WorkItem, Error> {
    let w = match store.work_item(id).await {
        Err(StoreError::NotFound(_)) => {
            return Err(Error::NotFound(format!("工作要点 {id} 不存在")));
        }
        other => other?,
    };
    me.may(
        plan,
        &Action::ReadWorkItem {
            units: &units_of(plan, &w),
        },
    )?;
    Ok(w)
}

/// The percent of the last approved report, and the light on `today`.
pub fn standing(plan: &Plan, w: &WorkItem, today: Date) -> (Option<Decimal>, (WorkLight, String)) {
    let percent = w
        .reports
        .iter()
        .rfind(|r| r.state == "approved")
        .map(|r| r.percent);
    let light = rules::light(
        w.start,
        w.deadline,
        &w.steps,
        percent,
        today,
        &plan.settings,
    );
    (percent, light)
}

/// The items the user may read (of a task, a year, a unit), with their
/// standing on `today`, by task.
pub async fn list(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    task: Option<u16>,
    year: Option<i32>,
    today: Date,
) -> Result<Vec<(WorkItem, Option<Decimal>, (WorkLight, String))>, Error> {
    let mut out = Vec::new();
    for w in store.work_items().await? {
        if task.is_some_and(|t| t != w.task) || year.is_some_and(|y| y != w.year) {
            continue;
        }
        if !me.can(
            plan,
            &Action::ReadWorkItem {
                units: &units_of(plan, &w),
            },
        ) {
            continue;
        }
        let (p, l) = standing(plan, &w, today);
        out.push((w, p, l));
    }
    Ok(out)
}

fn owner_may(plan: &Plan, me: &Actor<'_>, w: &WorkItem) -> Result<(), Error> {
    let owner = plan
        .orgs
        .resolve(&w.owner)
        .map_err(|_| Error::Forbidden("牵头单位不在本计划中".into()))?;
    me.may(plan, &Action::ReportWorkItem { owner })?;
    Ok(())
}

/// The owner's report of a month (this one when left out), with
/// attachments (name, bytes), for review.
#[allow(clippy::too_many_arguments)]
pub async fn report(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    month: Option<&str>,
    percent: &str,
    text: &str,
    files: &[(String, Vec<u8>)],
    now: &Now,
) -> Result<WorkItem, Error> {
    let w = one(store, plan, me, id).await?;
    owner_may(plan, me, &w)?;
    let this = YearMonth::new(now.date.year, now.date.month).ok_or_else(Error::internal)?;
    let m = match month.map(str::trim).filter(|s| !s.is_empty()) {
        None => this,
        Some(s) => YearMonth::parse(s).map_err(|e| Error::invalid("month", e.to_string()))?,
    };
    if m > this {
        return Err(Error::invalid("month", format!("{m} 还没有到")));
    }
    let percent = super::supervision::parse_percent(percent)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid("text", "请写明本月工作进展"));
    }
    if files.len() > MAX_FILES {
        return Err(Error::invalid(
            "file",
            format!("一次至多 {MAX_FILES} 个附件,收到 {} 个", files.len()),
        ));
    }
    for (name, bytes) in files {
        let kind = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        if !kind.as_deref().is_some_and(|k| FILE_KINDS.contains(&k)) {
            return Err(Error::invalid(
                "file",
                format!("附件“{name}”的类型不支持(可传 {})", FILE_KINDS.join("、")),
            ));
        }
        if bytes.len() > MAX_FILE_BYTES {
            return Err(Error::invalid(
                "file",
                format!(
                    "附件“{name}”有 {:.1} MB,超过 {} MB 的上限",
                    bytes.len() as f64 / 1_048_576.0,
                    MAX_FILE_BYTES >> 20
                ),
            ));
        }
    }
    Ok(store
        .add_work_report(id, m, percent, text, files, me.name, &now.stamp)
        .await?)
}

/// The task force approves or returns a report (a return needs a note).
#[allow(clippy::too_many_arguments)]
pub async fn review(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    report: i64,
    approve: bool,
    note: Option<&str>,
    now: &Now,
) -> Result<WorkItem, Error> {
    me.may(plan, &Action::ReviewWorkItem)?;
    one(store, plan, me, id).await?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if !approve && note.is_none() {
        return Err(Error::invalid("note", "退回须写明理由"));
    }
    Ok(store
        .review_work_report(id, report, approve, note, me.name, &now.stamp)
        .await?)
}

/// Milestone number `n` (from 1) done on `done` (not in the future).
pub async fn milestone(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    n: usize,
    done: &str,
    now: &Now,
) -> Result<WorkItem, Error> {
    let w = one(store, plan, me, id).await?;
    owner_may(plan, me, &w)?;
    if n == 0 || n > w.steps.len() {
        return Err(Error::NotFound(format!(
            "工作要点 {id} 没有第 {n} 个节点(共 {} 个)",
            w.steps.len()
        )));
    }
    let day = Date::parse(done).map_err(|e| Error::invalid("done", e))?;
    if day > now.date {
        return Err(Error::invalid("done", format!("{day} 还没有到")));
    }
    Ok(store
        .meet_work_milestone(id, n - 1, day, me.name, &now.stamp)
        .await?)
}

/// An attachment (name, bytes), if the user may read its item.
pub async fn file(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    file: i64,
) -> Result<(String, Vec<u8>), Error> {
    let Some((item, name, bytes)) = store.work_file(file).await? else {
        return Err(Error::NotFound(format!("附件 {file} 不存在")));
    };
    one(store, plan, me, item).await?;
    Ok((name, bytes))
}

/// The columns of a work-item list file.
pub const WORK_COLUMNS: [anju_core::input::Column; 7] = [
    anju_core::input::Column {
        name: "task",
        aliases: &["task", "重点任务", "任务序号", "任务"],
        required: true,
    },
    anju_core::input::Column {
        name: "year",
        aliases: &["year", "年度", "年份"],
        required: true,
    },
    anju_core::input::Column {
        name: "title",
        aliases: &["title", "工作要点", "工作内容"],
        required: true,
    },
    anju_core::input::Column {
        name: "owner",
        aliases: &["owner", "牵头单位", "责任单位"],
        required: false,
    },
    anju_core::input::Column {
        name: "co_units",
        aliases: &["co_units", "配合单位"],
        required: false,
    },
    anju_core::input::Column {
        name: "deadline",
        aliases: &["deadline", "完成时限", "时限"],
        required: true,
    },
    anju_core::input::Column {
        name: "milestones",
        aliases: &["milestones", "时间节点", "节点"],
        required: false,
    },
];

/// Imports a work-item list (CSV or .xlsx, the sheet 工作要点 or the first):
/// each row checked as one given by hand (节点 as "内容 日期;内容 日期"),
/// bad rows named by row and column, all stored in one transaction or none.
pub async fn import(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    file: &str,
    bytes: &[u8],
    now: &Now,
) -> Result<Vec<i64>, Error> {
    use super::FileProblem;
    me.may(plan, &Action::CreateWorkItem)?;
    let sheet = super::lists::sheet_of(
        file,
        bytes,
        &WORK_COLUMNS,
        &[0, 1, 2, 5],
        "工作要点",
        "重点任务、年度、工作要点、完成时限",
    )?;
    let text: &[u8] = sheet.as_ref().map_or(bytes, |s| s.csv.as_bytes());
    let today = now.date;
    let parsed = anju_core::input::read_table(file, text, &WORK_COLUMNS, 1, None, || {
        move |f: &[&str], _src| -> anju_core::input::RowResult<Checked> {
            let task = f[0]
                .trim()
                .trim_start_matches("任务")
                .parse::<u16>()
                .map_err(|_| vec![("task", format!("“{}”不是重点任务序号(1—13)", f[0].trim()))])?;
            let year = f[1]
                .trim()
                .trim_end_matches('年')
                .parse::<i32>()
                .map_err(|_| vec![("year", format!("“{}”不是年度", f[1].trim()))])?;
            let list = |s: &str| -> Vec<String> {
                s.split(['、', ',', '\u{FF0C}', ';', '\u{FF1B}'])
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            };
            let mut milestones = Vec::new();
            for part in f[6]
                .split([';', '\u{FF1B}', '\n'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
            {
                match part.rsplit_once(|c: char| c.is_whitespace() || c == ':' || c == '\u{FF1A}') {
                    Some((n, d)) => milestones.push((n.trim().to_string(), d.trim().to_string())),
                    None => {
                        return Err(vec![(
                            "milestones",
                            format!("“{part}”应写作“节点内容 2027-06-30”"),
                        )]);
                    }
                }
            }
            let d = Draft {
                task,
                year,
                title: f[2].to_string(),
                owner: (!f[3].trim().is_empty()).then(|| f[3].to_string()),
                co_units: (!f[4].trim().is_empty()).then(|| list(f[4])),
                deadline: f[5].to_string(),
                milestones,
            };
            match check(plan, &d, today) {
                Ok(c) => Ok(Some(c)),
                Err(Error::Invalid { field, message }) => {
                    let base = field.split(['[', '.']).next().unwrap_or("title");
                    let column = WORK_COLUMNS
                        .iter()
                        .find(|c| c.name == base)
                        .map_or("title", |c| c.name);
                    Err(vec![(column, message)])
                }
                Err(other) => Err(vec![("title", other.to_string())]),
            }
        }
    });
    let rows = match parsed {
        Ok(rows) => rows,
        Err(e) => return Err(super::lists::bad_rows(e, sheet)),
    };
    if rows.is_empty() {
        return Err(Error::File(
            FileProblem::Empty,
            format!("{file}:文件中没有工作要点"),
        ));
    }
    let list: Vec<NewWorkItem<'_>> = rows
        .iter()
        .map(|c| NewWorkItem {
            task: c.task,
            year: c.year,
            title: &c.title,
            owner: &c.owner,
            co_units: &c.co_units,
            start: c.start,
            deadline: c.deadline,
            steps: &c.steps,
        })
        .collect();
    Ok(store.create_work_items(&list, me.name, &now.stamp).await?)
}
