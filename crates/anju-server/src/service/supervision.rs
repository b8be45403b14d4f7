//! 督办事项: recorded and assigned by the task force (立项交办), signed for,
//! answered, reviewed (复核 or 退办), extended on request, closed; a leader's
//! 批示 on any of them. Each operation checks its input into core types,
//! asks the permission table, and lets the store apply the core's
//! lifecycle in one transaction. The colours (三色督办单) are computed here
//! for the day the caller gives, never stored: they change as days pass.

use anju_core::access::{Action, Actor};
use anju_core::plan::{Level, OrgId, Plan};
use anju_core::supervision::{self as rules, Item, Light, SourceKind, Step, Urgency};
use anju_core::workflow::Date;
use anju_store::{NewSupervision, Now, Store, StoreError};
use rust_decimal::Decimal;

use super::Error;

/// An item as the task force enters it, each field as sent.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// What is to be done.
    pub title: String,
    /// `meeting`, `instruction` or `plan`.
    pub source_kind: String,
    /// The meeting's or instruction's date (`YYYY-MM-DD`).
    pub source_date: Option<String>,
    /// The meeting, instruction or clause, in words.
    pub source_ref: String,
    /// The lead unit, by any of its names.
    pub lead: String,
    /// The co-units.
    pub co_units: Vec<String>,
    /// The due date (`YYYY-MM-DD`).
    pub due: String,
    /// 一般 (the default), 急办 or 特急.
    pub urgency: Option<String>,
}

/// A unit's feedback (反馈), as sent.
#[derive(Clone, Debug, Default)]
pub struct Feedback {
    /// What was done (required).
    pub progress: String,
    /// Difficulties met.
    pub difficulties: String,
    /// What comes next.
    pub next_steps: String,
    /// Percent done, 0–100, as typed.
    pub percent: String,
}

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// A unit that may be given a 督办 assignment: a department, or a town of
/// the reporting tree.
fn assignee(plan: &Plan, field: &str, name: &str) -> Result<OrgId, Error> {
    let t = name.trim();
    if t.is_empty() {
        return Err(Error::invalid(field, "请填写单位"));
    }
    let o = plan
        .orgs
        .resolve(t)
        .map_err(|_| Error::invalid(field, format!("本计划没有名为“{t}”的单位")))?;
    let u = plan.orgs.get(o);
    let town = plan.reporting_unit(o) == Some(o) && o != plan.reporting_root;
    if u.level == Level::Department || town {
        Ok(o)
    } else {
        Err(Error::invalid(
            field,
            format!("“{}”不是部门或镇(街道),不能承办督办事项", u.name),
        ))
    }
}

fn date(field: &str, text: &str) -> Result<Date, Error> {
    Date::parse(text).map_err(|e| Error::invalid(field, e))
}

fn text(field: &str, value: &str, what: &str, max: usize) -> Result<String, Error> {
    let t = value.trim();
    if t.is_empty() {
        return Err(Error::invalid(field, format!("请填写{what}")));
    }
    let n = t.chars().count();
    if n > max {
        return Err(Error::invalid(
            field,
            format!("过长(至多 {max} 个字符,收到 {n} 个)"),
        ));
    }
    Ok(t.to_string())
}

/// The units of an item, as the permission table asks about them.
fn units_of(plan: &Plan, item: &Item) -> Vec<OrgId> {
    item.assignments
        .iter()
        .filter_map(|a| plan.orgs.resolve(&a.unit).ok())
        .collect()
}

/// Records an item and assigns it (立项交办): the task force.
pub async fn create(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    d: &Draft,
    now: &Now,
) -> Result<Item, Error> {
    me.may(plan, &Action::CreateSupervision)?;
    let title = text("title", &d.title, "督办事项", MAX_TITLE_CHARS)?;
    let source = SourceKind::parse(&d.source_kind).ok_or_else(|| {
        Error::invalid(
            "source.kind",
            format!(
                "应为 meeting(会议)、instruction(批示)或 plan(实施方案),不是“{}”",
                d.source_kind.trim()
            ),
        )
    })?;
    let source_date = match d.source_date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(date("source.date", s)?),
    };
    if source != SourceKind::Plan && source_date.is_none() {
        return Err(Error::invalid(
            "source.date",
            format!("请填写{}的日期", source.label()),
        ));
    }
    if let Some(sd) = source_date
        && sd > now.date
    {
        return Err(Error::invalid("source.date", format!("{sd} 还没有到")));
    }
    let source_ref = text(
        "source.ref",
        &d.source_ref,
        match source {
            SourceKind::Meeting => "会议名称(如“专班第 3 次例会”)",
            SourceKind::Instruction => "批示的领导和文号",
            SourceKind::Plan => "实施方案的条目",
        },
        anju_store::MAX_REASON_CHARS,
    )?;
    let due = date("due", &d.due)?;
    if due < now.date {
        return Err(Error::invalid(
            "due",
            format!("办理时限 {due} 早于今天({}),请改为今天或以后", now.date),
        ));
    }
    let urgency = match d.urgency.as_deref().map(str::trim) {
        None | Some("") => Urgency::Normal,
        Some(u) => Urgency::parse(u).ok_or_else(|| {
            Error::invalid("urgency", format!("应为 一般、急办 或 特急,不是“{u}”"))
        })?,
    };
    let lead = assignee(plan, "lead", &d.lead)?;
    let mut units = vec![lead];
    for (k, c) in d.co_units.iter().enumerate() {
        if c.trim().is_empty() {
            continue;
        }
        let o = assignee(plan, &format!("co_units[{k}]"), c)?;
        // The lead named again, or a unit twice: one assignment each.
        if !units.contains(&o) {
            units.push(o);
        }
    }
    let names: Vec<String> = units
        .iter()
        .map(|&o| plan.orgs.get(o).name.clone())
        .collect();
    let made = store
        .create_supervision(
            &NewSupervision {
                title: &title,
                source,
                source_date,
                source_ref: &source_ref,
                urgency,
                due,
                units: &names,
            },
            me.name,
            &now.stamp,
        )
        .await?;
    Ok(made)
}

/// One item, if the user may read it.
pub async fn one(store: &Store, plan: &Plan, me: &Actor<'_>, id: i64) -> Result<Item, Error> {
    let item = match store.supervision_item(id).await {
        Err(StoreError::NotFound(_)) => {
            return Err(Error::NotFound(format!("督办事项 {id} 不存在")));
        }
        other => other?,
    };
    me.may(
        plan,
        &Action::ReadSupervision {
            units: &units_of(plan, &item),
        },
    )?;
    Ok(item)
}

/// The colours of an item on a day.
#[derive(Clone, Debug)]
pub struct Colours {
    /// The item's: the worst of its assignments'.
    pub item: (Light, String),
    /// Each assignment's, in the item's order.
    pub assignments: Vec<(Light, String)>,
}

/// The colours of `item` on `today`.
pub fn colours(plan: &Plan, item: &Item, today: Date) -> Colours {
    let assignments: Vec<(Light, String)> = item
        .assignments
        .iter()
        .map(|a| rules::light(&a.standing(), today, &plan.settings))
        .collect();
    let worst = rules::worst(assignments.iter().map(|(l, _)| *l));
    let why = match worst {
        Light::Done => "全部办结".to_string(),
        _ => {
            let of: Vec<String> = item
                .assignments
                .iter()
                .zip(&assignments)
                .filter(|(_, (l, _))| *l == worst)
                .map(|(a, (_, w))| format!("{}{w}", a.unit))
                .collect();
            of.join(";")
        }
    };
    Colours {
        item: (worst, why),
        assignments,
    }
}

/// What a list is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Items of this colour (`red`, `yellow`, `blue`, `green`, `done`); with
    /// a unit, that unit's assignment's colour.
    pub light: Option<String>,
    /// Items assigned to this unit.
    pub unit: Option<String>,
}

/// The items the user may read, narrowed by `filter`, with their colours
/// on `today`: red first, then yellow, blue, green, done; sooner due first.
pub async fn list(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    filter: &Filter,
    today: Date,
) -> Result<Vec<(Item, Colours)>, Error> {
    let light = match filter.light.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(l) => Some(Light::parse(l).ok_or_else(|| {
            Error::invalid(
                "light",
                format!("应为 red、yellow、blue、green 或 done,不是“{l}”"),
            )
        })?),
    };
    let unit = match filter.unit.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(u) => Some(
            plan.orgs
                .resolve(u)
                .map_err(|_| Error::invalid("unit", format!("本计划没有名为“{u}”的单位")))?,
        ),
    };
    let mut out = Vec::new();
    for item in store.supervision_items().await? {
        let units = units_of(plan, &item);
        if !me.can(plan, &Action::ReadSupervision { units: &units }) {
            continue;
        }
        let c = colours(plan, &item, today);
        let own = match unit {
            None => Some(c.item.0),
            Some(u) => units
                .iter()
                .position(|&x| x == u)
                .map(|k| c.assignments[k].0),
        };
        let Some(shown) = own else { continue };
        if light.is_some_and(|l| l != shown) {
            continue;
        }
        out.push((item, c));
    }
    out.sort_by(|(a, ca), (b, cb)| {
        cb.item
            .0
            .cmp(&ca.item.0)
            .then(a.due.cmp(&b.due))
            .then(a.id.cmp(&b.id))
    });
    Ok(out)
}

/// The user's own unit's name in an item's assignments, if it may act on it.
fn own_unit(plan: &Plan, me: &Actor<'_>, item: &Item) -> Result<String, Error> {
    let Some(org) = me.org else {
        return Err(Error::Forbidden(
            "只有承办单位的用户可以签收、反馈或申请延期".into(),
        ));
    };
    me.may(plan, &Action::ActOnAssignment { unit: org })?;
    let name = &plan.orgs.get(org).name;
    if item.assignment(name).is_none() {
        return Err(Error::Forbidden(format!(
            "督办事项 {} 未交办给{name}",
            item.id
        )));
    }
    Ok(name.clone())
}

/// 签收: the unit takes its assignment on.
pub async fn sign(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    now: &Now,
) -> Result<Item, Error> {
    let item = one(store, plan, me, id).await?;
    let unit = own_unit(plan, me, &item)?;
    Ok(store
        .supervision_step(
            id,
            &unit,
            Step::Sign,
            serde_json::json!({}),
            None,
            me.name,
            &now.stamp,
        )
        .await?)
}

/// 反馈: the unit reports what it did. Under 100 % it is a progress report
/// (阶段性反馈): the unit goes on, nothing waits for review; at 100 % it
/// asks to be closed and waits for the task force's review (复核). As often
/// as it is returned.
pub async fn feedback(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    f: &Feedback,
    now: &Now,
) -> Result<Item, Error> {
    let item = one(store, plan, me, id).await?;
    let unit = own_unit(plan, me, &item)?;
    let max = anju_store::MAX_REASON_CHARS;
    let progress = text("progress", &f.progress, "办理情况", max)?;
    let optional = |field: &str, v: &str| -> Result<String, Error> {
        if v.trim().is_empty() {
            Ok(String::new())
        } else {
            text(field, v, "", max)
        }
    };
    let difficulties = optional("difficulties", &f.difficulties)?;
    let next_steps = optional("next_steps", &f.next_steps)?;
    let percent = parse_percent(&f.percent)?;
    Ok(store
        .supervision_step(
            id,
            &unit,
            if percent == Decimal::from(100) {
                Step::Feedback
            } else {
                Step::Report
            },
            serde_json::json!({
                "progress": progress, "difficulties": difficulties,
                "next_steps": next_steps, "percent": percent.to_string(),
            }),
            Some(percent),
            me.name,
            &now.stamp,
        )
        .await?)
}

/// A percent done as typed: a number from 0 to 100 (`60`, `60%`, `６０`).
pub fn parse_percent(typed: &str) -> Result<Decimal, Error> {
    let t = typed.trim();
    if t.is_empty() {
        return Err(Error::invalid("percent", "请填写完成百分比(0—100)"));
    }
    let p = anju_core::num::parse_figure(t, true)
        .map_err(|e| Error::invalid("percent", e.to_string()))?;
    if p.is_sign_negative() || p > Decimal::from(100) {
        return Err(Error::invalid(
            "percent",
            format!("须在 0 与 100 之间,不是 {}", p.normalize()),
        ));
    }
    Ok(p.normalize())
}

/// 复核: the task force accepts a unit's feedback (办结) or returns it with a
/// note (退办). `unit` names whose; it may be left out when only one
/// assignment waits for review.
#[allow(clippy::too_many_arguments)]
pub async fn review(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    unit: Option<&str>,
    accept: bool,
    note: Option<&str>,
    now: &Now,
) -> Result<Item, Error> {
    me.may(plan, &Action::ReviewSupervision)?;
    let item = one(store, plan, me, id).await?;
    let unit = match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => {
            let o = plan
                .orgs
                .resolve(u)
                .map_err(|_| Error::invalid("unit", format!("本计划没有名为“{u}”的单位")))?;
            let name = plan.orgs.get(o).name.clone();
            if item.assignment(&name).is_none() {
                return Err(Error::invalid(
                    "unit",
                    format!("督办事项 {id} 未交办给{name}"),
                ));
            }
            name
        }
        None => {
            let waiting: Vec<&str> = item
                .assignments
                .iter()
                .filter(|a| a.state == rules::AssignmentState::Answered)
                .map(|a| a.unit.as_str())
                .collect();
            match waiting.as_slice() {
                [one] => (*one).to_string(),
                [] => return Err(Error::Conflict("没有待复核的反馈".into())),
                many => {
                    return Err(Error::invalid(
                        "unit",
                        format!(
                            "有 {} 个单位的反馈待复核({}),请指明复核哪一个",
                            many.len(),
                            many.join("、")
                        ),
                    ));
                }
            }
        }
    };
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if !accept && note.is_none() {
        return Err(Error::invalid("note", "退办须写明理由和要求"));
    }
    if let Some(n) = note {
        text("note", n, "", anju_store::MAX_REASON_CHARS)?;
    }
    let step = if accept { Step::Accept } else { Step::Return };
    Ok(store
        .supervision_step(
            id,
            &unit,
            step,
            serde_json::json!({ "note": note }),
            None,
            me.name,
            &now.stamp,
        )
        .await?)
}

/// 申请延期: the unit asks for a later due date, before its due date, with
/// a reason and the progress so far.
#[allow(clippy::too_many_arguments)]
pub async fn request_extension(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    due: &str,
    reason: &str,
    progress: Option<&str>,
    now: &Now,
) -> Result<Item, Error> {
    let item = one(store, plan, me, id).await?;
    let unit = own_unit(plan, me, &item)?;
    let new_due = date("due", due)?;
    let reason = text("reason", reason, "延期理由", anju_store::MAX_REASON_CHARS)?;
    let progress = progress.map(str::trim).unwrap_or("").to_string();
    Ok(store
        .request_supervision_extension(
            id, &unit, new_due, &reason, &progress, now.date, me.name, &now.stamp,
        )
        .await?)
}

/// 延期审批: the task force approves or rejects a request.
#[allow(clippy::too_many_arguments)]
pub async fn decide_extension(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    ext: i64,
    approve: bool,
    note: Option<&str>,
    now: &Now,
) -> Result<Item, Error> {
    me.may(plan, &Action::ReviewSupervision)?;
    one(store, plan, me, id).await?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if !approve && note.is_none() {
        return Err(Error::invalid("note", "不同意延期须写明理由"));
    }
    Ok(store
        .decide_supervision_extension(id, ext, approve, note, me.name, &now.stamp)
        .await?)
}

/// 批示: a leader's instruction on an item.
pub async fn instruct(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    words: &str,
    now: &Now,
) -> Result<Item, Error> {
    me.may(plan, &Action::InstructSupervision)?;
    one(store, plan, me, id).await?;
    let words = text("text", words, "批示内容", anju_store::MAX_REASON_CHARS)?;
    Ok(store
        .instruct_supervision(id, &words, me.name, &now.stamp)
        .await?)
}

/// The kinds of file kept with an item (by the name's ending).
pub const FILE_KINDS: [&str; 9] = [
    "pdf", "ofd", "doc", "docx", "wps", "jpg", "jpeg", "png", "txt",
];
/// The largest file kept with an item, in bytes.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// The task force keeps a file with an item (the meeting's minutes, the
/// instruction as signed).
pub async fn attach(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    name: &str,
    bytes: &[u8],
    now: &Now,
) -> Result<Item, Error> {
    me.may(plan, &Action::CreateSupervision)?;
    one(store, plan, me, id).await?;
    let kind = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if !kind.as_deref().is_some_and(|k| FILE_KINDS.contains(&k)) {
        return Err(Error::invalid(
            "file",
            format!("“{name}”的类型不支持(可传 {})", FILE_KINDS.join("、")),
        ));
    }
    if bytes.is_empty() {
        return Err(Error::invalid("file", format!("“{name}”是空文件")));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Error::invalid(
            "file",
            format!(
                "“{name}”有 {:.1} MB,超过 {} MB 的上限",
                bytes.len() as f64 / 1_048_576.0,
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    Ok(store
        .add_supervision_file(id, name, bytes, me.name, &now.stamp)
        .await?)
}

/// A file kept with an item (name, bytes), if the user may read the item.
pub async fn file(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    file: i64,
) -> Result<(String, Vec<u8>), Error> {
    let Some((item, name, bytes)) = store.supervision_file(file).await? else {
        return Err(Error::NotFound(format!("文件 {file} 不存在")));
    };
    one(store, plan, me, item).await?;
    Ok((name, bytes))
}
