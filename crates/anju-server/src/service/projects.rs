//! 项目库: a town's projects with their 倒排工期, 形象进度 and 有效投资.
//! A town (or the task force on its behalf) adds a project, whose
//! milestones are counted back from its planned completion by its type's
//! phases and whose planned investment is spread over the months of its
//! schedule; it reports monthly progress with photos (checked and
//! re-encoded, their capture time and place kept) and marks milestones met;
//! the task force reviews each entry. Figures shown (投资完成率, the light)
//! are computed here for the day asked.

use anju_core::access::{Action, Actor};
use anju_core::period::YearMonth;
use anju_core::plan::Plan;
use anju_core::projects::{self as rules, Pace, ProjectLight, Stage};
use anju_core::workflow::Date;
use anju_store::{NewPhoto, NewProject, Now, Project, Store, StoreError};
use rust_decimal::Decimal;

use super::Error;

/// A project as entered, each field as sent.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// Its name.
    pub name: String,
    /// Its type (the plan's name).
    pub kind: String,
    /// Its town (a town user's own when left out).
    pub town: Option<String>,
    /// `YYYY-MM-DD`.
    pub planned_completion: String,
    /// 计划总投资, 万元, as typed.
    pub planned_investment: String,
    /// What it adds to its indicator when done (the type's default when
    /// left out).
    pub contribution: Option<String>,
    /// 储备 (the default) … 在建.
    pub stage: Option<String>,
}

/// A progress entry as sent.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// The month (`YYYY-MM`), this month when left out.
    pub month: Option<String>,
    /// 形象进度, percent.
    pub percent: String,
    /// What was done.
    pub text: String,
    /// Investment completed in the month, 万元 (0 when left out).
    pub invested: Option<String>,
}

/// How old a photo may be against its entry, in days, before it is flagged.
pub const OLD_PHOTO_DAYS: i64 = 30;

/// At most this many photos an entry.
pub const MAX_PHOTOS: usize = 9;

/// What a project's figures are on a day.
#[derive(Clone, Debug)]
pub struct Standing {
    /// Its light and why.
    pub light: (ProjectLight, String),
    /// 形象进度 of its last approved entry.
    pub percent: Option<Decimal>,
    /// Planned investment up to this month, 万元.
    pub planned_to_date: Decimal,
    /// Completed investment of approved entries, 万元.
    pub completed_to_date: Decimal,
    /// 投资完成率, percent.
    pub rate: Option<Decimal>,
    /// 超前/正常/滞后.
    pub pace: Option<Pace>,
}

fn amount(field: &str, typed: &str) -> Result<Decimal, Error> {
    let d = anju_core::num::parse_figure(typed, false)
        .map_err(|e| Error::invalid(field, e.to_string()))?;
    if d.is_sign_negative() {
        return Err(Error::invalid(field, "不能为负数"));
    }
    Ok(d.normalize())
}

/// The months from `from` to `to`, both included.
fn months(from: YearMonth, to: YearMonth) -> Vec<YearMonth> {
    let mut out = Vec::new();
    let mut m = from;
    while m <= to {
        out.push(m);
        m = match YearMonth::new(m.year() + i32::from(m.month() == 12), m.month() % 12 + 1) {
            Some(n) => n,
            None => break,
        };
    }
    out
}

fn month_of(d: Date) -> Option<YearMonth> {
    YearMonth::new(d.year, d.month)
}

/// `total` spread evenly over `months`, exactly: each month to four
/// decimal places (1 元 of 万元), the last taking what is left.
pub fn spread(total: Decimal, months: &[YearMonth]) -> Vec<(YearMonth, Decimal)> {
    let Some((last, rest)) = months.split_last() else {
        return Vec::new();
    };
    let n = Decimal::from(months.len());
    let each = (total / n).round_dp(4);
    let mut out: Vec<(YearMonth, Decimal)> = rest.iter().map(|&m| (m, each)).collect();
    let given: Decimal = out.iter().map(|(_, a)| *a).sum();
    out.push((*last, total - given));
    out
}

/// A project checked, ready to store.
pub struct Checked {
    name: String,
    kind: String,
    town: String,
    stage: Stage,
    start: Date,
    completion: Date,
    invest: Decimal,
    contribution: Option<Decimal>,
    milestones: Vec<rules::Milestone>,
    monthly: Vec<(YearMonth, Decimal)>,
}

impl Checked {
    fn new_project(&self) -> NewProject<'_> {
        NewProject {
            name: &self.name,
            kind: &self.kind,
            town: &self.town,
            stage: self.stage,
            start: self.start,
            planned_completion: self.completion,
            planned_investment: self.invest,
            contribution: self.contribution,
            milestones: &self.milestones,
            plan: &self.monthly,
        }
    }
}

/// Adds a project (the town itself, or the task force).
pub async fn create(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    d: &Draft,
    now: &Now,
) -> Result<Project, Error> {
    let templates = templates(store).await?;
    let c = check(plan, me, d, now.date, &templates)?;
    Ok(store
        .create_project(&c.new_project(), me.name, &now.stamp)
        .await?)
}

/// The columns of a project list (储备库) file.
pub const PROJECT_COLUMNS: [anju_core::input::Column; 7] = [
    anju_core::input::Column {
        name: "name",
        aliases: &["name", "项目名称", "项目"],
        required: true,
    },
    anju_core::input::Column {
        name: "type",
        aliases: &["type", "项目类型", "类型"],
        required: true,
    },
    anju_core::input::Column {
        name: "town",
        aliases: &["town", "镇(街道)", "镇街", "所在镇街", "镇(街道)名称"],
        required: false,
    },
    anju_core::input::Column {
        name: "planned_completion",
        aliases: &["planned_completion", "计划竣工日期", "计划竣工", "竣工日期"],
        required: true,
    },
    anju_core::input::Column {
        name: "planned_investment",
        aliases: &[
            "planned_investment",
            "计划总投资(万元)",
            "计划总投资",
            "总投资(万元)",
            "总投资",
        ],
        required: true,
    },
    anju_core::input::Column {
        name: "contribution",
        aliases: &["contribution", "竣工后计入数量", "计入数量"],
        required: false,
    },
    anju_core::input::Column {
        name: "stage",
        aliases: &["stage", "阶段", "项目阶段"],
        required: false,
    },
];

/// Imports a project list (CSV or .xlsx, the sheet 项目 or the first): every
/// row checked as one added by hand, every bad one named by row and column;
/// stored all in one transaction, or none.
pub async fn import(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    file: &str,
    bytes: &[u8],
    now: &Now,
) -> Result<Vec<i64>, Error> {
    use super::FileProblem;
    let sheet = super::lists::sheet_of(
        file,
        bytes,
        &PROJECT_COLUMNS,
        &[0, 1, 3, 4],
        "项目",
        "项目名称、项目类型、计划竣工日期、计划总投资",
    )?;
    let text: &[u8] = sheet.as_ref().map_or(bytes, |s| s.csv.as_bytes());
    let today = now.date;
    let templates = templates(store).await?;
    let templates = &templates;
    let parsed = anju_core::input::read_table(file, text, &PROJECT_COLUMNS, 1, None, || {
        move |f: &[&str], _src| -> anju_core::input::RowResult<Checked> {
            let opt = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
            let d = Draft {
                name: f[0].to_string(),
                kind: f[1].to_string(),
                town: opt(f[2]),
                planned_completion: f[3].to_string(),
                planned_investment: f[4].to_string(),
                contribution: opt(f[5]),
                stage: opt(f[6]),
            };
            match check(plan, me, &d, today, templates) {
                Ok(c) => Ok(Some(c)),
                Err(Error::Invalid { field, message }) => {
                    let column = PROJECT_COLUMNS
                        .iter()
                        .find(|c| c.name == field)
                        .map_or("name", |c| c.name);
                    Err(vec![(column, message)])
                }
                Err(other) => Err(vec![("town", other.to_string())]),
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
            format!("{file}:文件中没有项目"),
        ));
    }
    let list: Vec<NewProject<'_>> = rows.iter().map(Checked::new_project).collect();
    Ok(store.create_projects(&list, me.name, &now.stamp).await?)
}

/// A project as entered, checked: the town the user may add for, its type,
/// dates and amounts, its milestones counted back and its plan spread.
fn check(
    plan: &Plan,
    me: &Actor<'_>,
    d: &Draft,
    today: Date,
    templates: &std::collections::HashMap<String, Vec<anju_core::plan::Phase>>,
) -> Result<Checked, Error> {
    let town_name = match d.town.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => match me.org {
            Some(o) => plan.orgs.get(o).name.clone(),
            None => return Err(Error::invalid("town", "请填写项目所在的镇(街道)")),
        },
    };
    let town = plan
        .orgs
        .resolve(&town_name)
        .ok()
        .filter(|&o| plan.reporting_unit(o) == Some(o) && o != plan.reporting_root)
        .ok_or_else(|| Error::invalid("town", format!("“{town_name}”不是本计划的镇(街道)")))?;
    me.may(plan, &Action::EditProject { town })?;
    let name = d.name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "请填写项目名称"));
    }
    if name.chars().count() > 200 {
        return Err(Error::invalid("name", "项目名称过长(至多 200 个字符)"));
    }
    let kind = plan.project_type(&d.kind).ok_or_else(|| {
        let known: Vec<&str> = plan.project_types.iter().map(|t| t.name.as_str()).collect();
        Error::invalid(
            "type",
            format!(
                "未知的项目类型“{}”(应为 {})",
                d.kind.trim(),
                known.join("、")
            ),
        )
    })?;
    let completion =
        Date::parse(&d.planned_completion).map_err(|e| Error::invalid("planned_completion", e))?;
    if completion < today {
        return Err(Error::invalid(
            "planned_completion",
            format!("计划竣工日期 {completion} 早于今天({today})"),
        ));
    }
    let invest = amount("planned_investment", &d.planned_investment)?;
    let contribution = match d
        .contribution
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => Some(amount("contribution", c)?),
        None => kind.adds,
    };
    if let Some(code) = kind.indicator
        && contribution.is_none()
    {
        let unit = plan
            .indicator_index(code)
            .map_or("", |ix| plan.indicators[ix].unit.as_str());
        return Err(Error::invalid(
            "contribution",
            format!("请填写竣工后计入指标 {code} 的数量(单位:{unit})"),
        ));
    }
    let stage = match d.stage.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Stage::Reserve,
        Some(s) => match Stage::parse(s) {
            Some(st @ (Stage::Reserve | Stage::Planned | Stage::Building)) => st,
            Some(_) => {
                return Err(Error::invalid(
                    "stage",
                    "新项目的阶段应为 储备、年度实施 或 在建",
                ));
            }
            None => {
                return Err(Error::invalid(
                    "stage",
                    format!("应为 储备、年度实施、在建、竣工 或 交付,不是“{s}”"),
                ));
            }
        },
    };
    let phases = templates.get(&kind.name).unwrap_or(&kind.phases);
    let milestones = rules::milestones(phases, completion);
    let start = rules::schedule_start(phases, completion);
    let spread_over = match (month_of(start), month_of(completion)) {
        (Some(a), Some(b)) => months(a, b),
        _ => Vec::new(),
    };
    let monthly = spread(invest, &spread_over);
    Ok(Checked {
        name: name.to_string(),
        kind: kind.name.clone(),
        town: plan.orgs.get(town).name.clone(),
        stage,
        start,
        completion,
        invest,
        contribution,
        milestones,
        monthly,
    })
}

/// One project, if the user may read it.
pub async fn one(store: &Store, plan: &Plan, me: &Actor<'_>, id: i64) -> Result<Project, Error> {
    let p = match store.project(id).await {
        Err(StoreError::NotFound(_)) => return Err(Error::NotFound(format!("项目 {id} 不存在"))),
        other => other?,
    };
    let town = plan
        .orgs
        .resolve(&p.town)
        .map_err(|_| Error::NotFound(format!("项目 {id} 的镇(街道)不在本计划中")))?;
    me.may(plan, &Action::ReadProjects { town })?;
    Ok(p)
}

/// A project's figures on `today`.
pub fn standing(plan: &Plan, p: &Project, today: Date) -> Standing {
    let this_month = month_of(today);
    let planned_to_date: Decimal = p
        .plan
        .iter()
        .filter(|(m, _)| this_month.is_some_and(|t| *m <= t))
        .map(|(_, a)| *a)
        .sum();
    let mut approved = p.progress.iter().filter(|e| e.state == "approved");
    let completed_to_date: Decimal = approved.clone().map(|e| e.invested).sum();
    let percent = approved.next_back().map(|e| e.percent);
    let rate = rules::investment_rate(planned_to_date, completed_to_date).map(|r| r.normalize());
    let pace = rate.map(|r| rules::pace(r, &plan.settings));
    let light = rules::light(
        p.stage,
        &p.milestones,
        p.start,
        p.planned_completion,
        percent,
        pace,
        today,
        &plan.settings,
    );
    Standing {
        light,
        percent,
        planned_to_date: planned_to_date.normalize(),
        completed_to_date: completed_to_date.normalize(),
        rate,
        pace,
    }
}

/// The projects the user may read (of one town, if named), with their
/// figures on `today`: red first.
pub async fn list(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    town: Option<&str>,
    today: Date,
) -> Result<Vec<(Project, Standing)>, Error> {
    let only = match town.map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(
            plan.orgs
                .resolve(t)
                .map_err(|_| Error::invalid("town", format!("本计划没有名为“{t}”的单位")))?,
        ),
    };
    let mut out = Vec::new();
    for p in store.projects().await? {
        let Ok(t) = plan.orgs.resolve(&p.town) else {
            continue;
        };
        if only.is_some_and(|o| o != t) || !me.can(plan, &Action::ReadProjects { town: t }) {
            continue;
        }
        let s = standing(plan, &p, today);
        out.push((p, s));
    }
    out.sort_by(|(a, sa), (b, sb)| {
        sb.light
            .0
            .cmp(&sa.light.0)
            .then(a.planned_completion.cmp(&b.planned_completion))
            .then(a.id.cmp(&b.id))
    });
    Ok(out)
}

fn editable(plan: &Plan, me: &Actor<'_>, p: &Project) -> Result<(), Error> {
    let town = plan
        .orgs
        .resolve(&p.town)
        .map_err(|_| Error::Forbidden("项目的镇(街道)不在本计划中".into()))?;
    me.may(plan, &Action::EditProject { town })?;
    Ok(())
}

/// A monthly 形象进度 entry with its photos (file name, bytes), for review.
/// A photo that is not a JPEG or PNG, too large or broken refuses the
/// entry, naming it; one without a capture time, or taken more than
/// [`OLD_PHOTO_DAYS`] days before the entry, is kept and flagged.
pub async fn progress(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    e: &Entry,
    photos: &[(String, Vec<u8>)],
    now: &Now,
) -> Result<(Project, Vec<String>), Error> {
    let p = one(store, plan, me, id).await?;
    editable(plan, me, &p)?;
    let this = month_of(now.date).ok_or_else(Error::internal)?;
    let m = match e.month.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => this,
        Some(s) => YearMonth::parse(s).map_err(|err| Error::invalid("month", err.to_string()))?,
    };
    if m > this {
        return Err(Error::invalid("month", format!("{m} 还没有到")));
    }
    let percent = super::supervision::parse_percent(&e.percent)?;
    let text = e.text.trim();
    if text.is_empty() {
        return Err(Error::invalid(
            "text",
            "请写明本月形象进度(做了什么、到了哪一步)",
        ));
    }
    let invested = match e
        .invested
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Decimal::ZERO,
        Some(s) => amount("invested", s)?,
    };
    if photos.len() > MAX_PHOTOS {
        return Err(Error::invalid(
            "photo",
            format!("一次至多 {MAX_PHOTOS} 张照片,收到 {} 张", photos.len()),
        ));
    }
    let mut taken = Vec::with_capacity(photos.len());
    for (name, bytes) in photos {
        let ph = anju_reports::photo::take(name, bytes)
            .map_err(|err| Error::invalid("photo", err.to_string()))?;
        taken.push((name.clone(), ph));
    }
    let mut flags = Vec::new();
    for (name, ph) in &taken {
        match ph
            .taken
            .as_deref()
            .and_then(anju_reports::photo::taken_date)
        {
            None => flags.push(format!(
                "照片“{name}”没有拍摄时间(EXIF),无法核对是否为近期现场照片"
            )),
            Some(d) => {
                if let Ok(day) = Date::parse(&d)
                    && rules::photo_is_old(day, now.date, OLD_PHOTO_DAYS)
                {
                    flags.push(format!(
                        "照片“{name}”拍摄于 {day},早于本次填报 {} 天",
                        day.days_until(now.date)
                    ));
                }
            }
        }
    }
    let new: Vec<NewPhoto<'_>> = taken
        .iter()
        .map(|(name, ph)| NewPhoto {
            name,
            taken: ph.taken.clone(),
            place: ph.place,
            width: ph.width,
            height: ph.height,
            image: &ph.image,
            thumb: &ph.thumb,
        })
        .collect();
    let p = store
        .add_project_progress(
            id, m, percent, text, invested, &flags, &new, me.name, &now.stamp,
        )
        .await?;
    Ok((p, flags))
}

/// The task force approves or returns entry `entry` (a return needs a note).
#[allow(clippy::too_many_arguments)]
pub async fn review(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    entry: i64,
    approve: bool,
    note: Option<&str>,
    now: &Now,
) -> Result<Project, Error> {
    me.may(plan, &Action::ReviewProject)?;
    one(store, plan, me, id).await?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if !approve && note.is_none() {
        return Err(Error::invalid("note", "退回须写明理由"));
    }
    Ok(store
        .review_project_progress(id, entry, approve, note, me.name, &now.stamp)
        .await?)
}

/// Milestone number `n` (1 = the first) met on `actual` (not in the future).
pub async fn milestone(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    n: usize,
    actual: &str,
    now: &Now,
) -> Result<Project, Error> {
    let p = one(store, plan, me, id).await?;
    editable(plan, me, &p)?;
    if n == 0 || n > p.milestones.len() {
        return Err(Error::NotFound(format!(
            "项目 {id} 没有第 {n} 个节点(共 {} 个)",
            p.milestones.len()
        )));
    }
    let day = Date::parse(actual).map_err(|e| Error::invalid("actual", e))?;
    if day > now.date {
        return Err(Error::invalid("actual", format!("{day} 还没有到")));
    }
    Ok(store
        .meet_project_milestone(id, n - 1, day, me.name, &now.stamp)
        .await?)
}

/// The project moves to another stage: forward only; 竣工 and 交付 once every
/// milestone is met.
pub async fn stage(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    to: &str,
    now: &Now,
) -> Result<Project, Error> {
    let p = one(store, plan, me, id).await?;
    editable(plan, me, &p)?;
    let to = Stage::parse(to).ok_or_else(|| {
        Error::invalid(
            "stage",
            format!(
                "应为 储备、年度实施、在建、竣工 或 交付,不是“{}”",
                to.trim()
            ),
        )
    })?;
    if to <= p.stage {
        return Err(Error::Conflict(format!(
            "项目已是“{}”,阶段只能向前推进",
            p.stage.label()
        )));
    }
    if to >= Stage::Completed {
        let open: Vec<&str> = p
            .milestones
            .iter()
            .filter(|m| m.actual.is_none())
            .map(|m| m.name.as_str())
            .collect();
        if !open.is_empty() {
            return Err(Error::Conflict(format!(
                "尚有节点未填实际完成日期:{}",
                open.join("、")
            )));
        }
    }
    Ok(store.set_project_stage(id, to, me.name, &now.stamp).await?)
}

/// What the projects completed in a month add to one indicator.
#[derive(Clone, Debug)]
pub struct Completed {
    /// The indicator's code.
    pub indicator: u16,
    /// Each project's name and what it adds.
    pub projects: Vec<(String, Decimal)>,
    /// Their sum.
    pub total: Decimal,
}

/// The projects of `town` completed in `month` (their last milestone met
/// then, stage 竣工 or later), by the indicator they add to. What they add
/// reaches the indicator only through the town's figure, entered and
/// reviewed as any other (docs/RULES.md).
pub async fn completed_in(
    store: &Store,
    plan: &Plan,
    town: &str,
    month: YearMonth,
) -> Result<Vec<Completed>, Error> {
    let mut out: Vec<Completed> = Vec::new();
    for p in store.projects().await? {
        if p.town != town || p.stage < Stage::Completed {
            continue;
        }
        let done = p
            .milestones
            .last()
            .and_then(|m| m.actual)
            .and_then(month_of);
        let (Some(done), Some(code), Some(adds)) = (
            done,
            plan.project_type(&p.kind).and_then(|t| t.indicator),
            p.contribution,
        ) else {
            continue;
        };
        if done != month {
            continue;
        }
        match out.iter_mut().find(|c| c.indicator == code.0) {
            Some(c) => {
                c.projects.push((p.name.clone(), adds));
                c.total += adds;
            }
            None => out.push(Completed {
                indicator: code.0,
                projects: vec![(p.name.clone(), adds)],
                total: adds,
            }),
        }
    }
    Ok(out)
}

/// The task force's own phases of project types, by type.
pub async fn templates(
    store: &Store,
) -> Result<std::collections::HashMap<String, Vec<anju_core::plan::Phase>>, Error> {
    Ok(store
        .project_templates()
        .await?
        .into_iter()
        .map(|(k, p, _, _)| (k, p))
        .collect())
}

/// A project type's phases in force, and whether the task force set them
/// (who and when) or they are the plan's.
pub struct Template {
    /// The type.
    pub kind: String,
    /// Its phases in order.
    pub phases: Vec<anju_core::plan::Phase>,
    /// Who set them and when; none for the plan's own.
    pub changed: Option<(String, String)>,
}

/// Every project type's phases in force.
pub async fn templates_in_force(store: &Store, plan: &Plan) -> Result<Vec<Template>, Error> {
    let set = store.project_templates().await?;
    Ok(plan
        .project_types
        .iter()
        .map(|t| match set.iter().find(|(k, _, _, _)| *k == t.name) {
            Some((_, phases, by, at)) => Template {
                kind: t.name.clone(),
                phases: phases.clone(),
                changed: Some((by.clone(), at.clone())),
            },
            None => Template {
                kind: t.name.clone(),
                phases: t.phases.clone(),
                changed: None,
            },
        })
        .collect())
}

/// The task force sets a project type's phases (名称, days as typed), for
/// projects added from now on; projects already added keep their
/// milestones.
pub async fn set_template(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    kind: &str,
    phases: &[(String, String)],
    now: &Now,
) -> Result<Vec<anju_core::plan::Phase>, Error> {
    me.may(plan, &Action::ReviewProject)?;
    let t = plan
        .project_type(kind)
        .ok_or_else(|| Error::NotFound(format!("没有名为“{}”的项目类型", kind.trim())))?;
    if phases.is_empty() {
        return Err(Error::invalid("phases", "须列出至少一个阶段"));
    }
    let mut out = Vec::with_capacity(phases.len());
    for (k, (name, days)) in phases.iter().enumerate() {
        let field = format!("phases[{k}]");
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid(field, "阶段须有名称"));
        }
        let days: u32 = days
            .trim()
            .parse()
            .ok()
            .filter(|d| (1..=3650).contains(d))
            .ok_or_else(|| Error::invalid(&field, format!("“{}”的工期应为 1—3650 天", name)))?;
        out.push(anju_core::plan::Phase {
            name: name.to_string(),
            days,
        });
    }
    store
        .set_project_template(&t.name, &out, me.name, &now.stamp)
        .await?;
    Ok(out)
}

/// A photo's bytes, if the user may read its project.
pub async fn photo(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    photo: i64,
    thumb: bool,
) -> Result<Vec<u8>, Error> {
    let Some((project, bytes)) = store.project_photo(photo, thumb).await? else {
        return Err(Error::NotFound(format!("照片 {photo} 不存在")));
    };
    one(store, plan, me, project).await?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn investment_is_spread_exactly_over_the_months() {
        let ms: Vec<YearMonth> = (1..=3).filter_map(|m| YearMonth::new(2027, m)).collect();
        let s = spread(Decimal::from(100), &ms);
        let amounts: Vec<String> = s.iter().map(|(_, a)| a.normalize().to_string()).collect();
        assert_eq!(amounts, ["33.3333", "33.3333", "33.3334"]);
        assert_eq!(
            s.iter().map(|(_, a)| *a).sum::<Decimal>(),
            Decimal::from(100)
        );
        assert!(spread(Decimal::ONE, &[]).is_empty());
    }
}
