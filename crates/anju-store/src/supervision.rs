//! 督办事项 as kept: the item, one assignment per unit with its own
//! timestamps, the append-only log of every step (the database refuses to
//! change or remove a line of it) and the extension requests. Each step is
//! one transaction that checks the core's lifecycle
//! (`anju_core::supervision::step`) against the stored state, writes the
//! log and the audit log together. Who may take a step is the service's
//! question; the date of each is a parameter.

use std::collections::HashMap;
use std::str::FromStr;

use anju_core::supervision::{
    Assignment, AssignmentState, Extension, ExtensionState, Item, ItemFile, LogEntry, SourceKind,
    Step, Urgency,
};
use anju_core::workflow::Date;
use rust_decimal::Decimal;
use sqlx::Row;

use crate::{Store, StoreError, on_pool, sql, write_tx};

/// An item as recorded (立项) and assigned (交办).
pub struct NewItem<'a> {
    /// What is to be done.
    pub title: &'a str,
    /// Where it comes from.
    pub source: SourceKind,
    /// The meeting's or instruction's date.
    pub source_date: Option<Date>,
    /// The meeting, the instruction or the plan's clause.
    pub source_ref: &'a str,
    /// How urgent.
    pub urgency: Urgency,
    /// When it is due.
    pub due: Date,
    /// The lead unit, then the co-units (the plan's names, no repeats).
    pub units: &'a [String],
}

const ITEM_COLUMNS: &str = "id, title, source_kind, source_date, source_ref, urgency, due, created_by, created_at, closed_at";
const ASSIGNMENT_COLUMNS: &str = "item_id, unit, lead, state, due, assigned_at, signed_at, signed_by, answered_at, closed_at, returns, returned, percent";
const LOG_COLUMNS: &str = "item_id, unit, step, actor, at, detail";
const EXTENSION_COLUMNS: &str = "id, item_id, unit, old_due, new_due, reason, progress, requested_by, requested_at, state, decided_by, decided_at, note";

fn bad(e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(e.to_string().into())
}

fn date(text: &str) -> Result<Date, sqlx::Error> {
    Date::parse(text).map_err(bad)
}

fn item<R>(r: &R) -> Result<Item, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = r.try_get("source_kind")?;
    let urgency: String = r.try_get("urgency")?;
    let source_date: Option<String> = r.try_get("source_date")?;
    let due: String = r.try_get("due")?;
    Ok(Item {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        source: SourceKind::parse(&kind).ok_or_else(|| bad(format!("未知的来源“{kind}”")))?,
        source_date: source_date.as_deref().map(date).transpose()?,
        source_ref: r.try_get("source_ref")?,
        urgency: Urgency::parse(&urgency)
            .ok_or_else(|| bad(format!("未知的紧急程度“{urgency}”")))?,
        due: date(&due)?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        closed_at: r.try_get("closed_at")?,
        assignments: Vec::new(),
        log: Vec::new(),
        extensions: Vec::new(),
        files: Vec::new(),
    })
}

fn assignment<R>(r: &R) -> Result<(i64, Assignment), sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let state: String = r.try_get("state")?;
    let due: String = r.try_get("due")?;
    let percent: Option<String> = r.try_get("percent")?;
    Ok((
        r.try_get("item_id")?,
        Assignment {
            unit: r.try_get("unit")?,
            lead: r.try_get::<i64, _>("lead")? != 0,
            state: AssignmentState::parse(&state)
                .ok_or_else(|| bad(format!("未知的状态“{state}”")))?,
            due: date(&due)?,
            assigned_at: r.try_get("assigned_at")?,
            signed_at: r.try_get("signed_at")?,
            signed_by: r.try_get("signed_by")?,
            answered_at: r.try_get("answered_at")?,
            closed_at: r.try_get("closed_at")?,
            returns: u32::try_from(r.try_get::<i64, _>("returns")?).map_err(bad)?,
            returned: r.try_get::<i64, _>("returned")? != 0,
            percent: percent
                .as_deref()
                .map(Decimal::from_str)
                .transpose()
                .map_err(bad)?,
        },
    ))
}

fn log_entry<R>(r: &R) -> Result<(i64, LogEntry), sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let detail: String = r.try_get("detail")?;
    Ok((
        r.try_get("item_id")?,
        LogEntry {
            at: r.try_get("at")?,
            actor: r.try_get("actor")?,
            unit: r.try_get("unit")?,
            step: r.try_get("step")?,
            detail: serde_json::from_str(&detail).map_err(bad)?,
        },
    ))
}

fn extension<R>(r: &R) -> Result<(i64, Extension), sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let state: String = r.try_get("state")?;
    let old_due: String = r.try_get("old_due")?;
    let new_due: String = r.try_get("new_due")?;
    Ok((
        r.try_get("item_id")?,
        Extension {
            id: r.try_get("id")?,
            unit: r.try_get("unit")?,
            old_due: date(&old_due)?,
            new_due: date(&new_due)?,
            reason: r.try_get("reason")?,
            progress: r.try_get("progress")?,
            requested_by: r.try_get("requested_by")?,
            requested_at: r.try_get("requested_at")?,
            state: ExtensionState::parse(&state)
                .ok_or_else(|| bad(format!("未知的状态“{state}”")))?,
            decided_by: r.try_get("decided_by")?,
            decided_at: r.try_get("decided_at")?,
            note: r.try_get("note")?,
        },
    ))
}

/// Reads items (one, by `WHERE id = ?`, or all) with their assignments,
/// logs and extensions, on a pool or within a transaction.
macro_rules! read_items {
    ($conn:expr, $pg:ident, $id:expr) => {{
        let id: Option<i64> = $id;
        let filter = if id.is_some() { " WHERE item_id = ?" } else { "" };
        let items_sql = format!(
            "SELECT {ITEM_COLUMNS} FROM supervision_items{} ORDER BY id",
            if id.is_some() { " WHERE id = ?" } else { "" }
        );
        let mut q = sqlx::query(sql(&items_sql, $pg));
        if let Some(i) = id {
            q = q.bind(i);
        }
        let rows = q.fetch_all(&mut *$conn).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            items.push(item(r)?);
        }
        let mut at: HashMap<i64, usize> = HashMap::new();
        for (k, it) in items.iter().enumerate() {
            at.insert(it.id, k);
        }
        let text = format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM supervision_assignments{filter} ORDER BY item_id, position"
        );
        let mut q = sqlx::query(sql(&text, $pg));
        if let Some(i) = id {
            q = q.bind(i);
        }
        for r in &q.fetch_all(&mut *$conn).await? {
            let (item_id, a) = assignment(r)?;
            if let Some(&k) = at.get(&item_id) {
                items[k].assignments.push(a);
            }
        }
        let text = format!("SELECT {LOG_COLUMNS} FROM supervision_log{filter} ORDER BY id");
        let mut q = sqlx::query(sql(&text, $pg));
        if let Some(i) = id {
            q = q.bind(i);
        }
        for r in &q.fetch_all(&mut *$conn).await? {
            let (item_id, e) = log_entry(r)?;
            if let Some(&k) = at.get(&item_id) {
                items[k].log.push(e);
            }
        }
        let text =
            format!("SELECT {EXTENSION_COLUMNS} FROM supervision_extensions{filter} ORDER BY id");
        let mut q = sqlx::query(sql(&text, $pg));
        if let Some(i) = id {
            q = q.bind(i);
        }
        for r in &q.fetch_all(&mut *$conn).await? {
            let (item_id, e) = extension(r)?;
            if let Some(&k) = at.get(&item_id) {
                items[k].extensions.push(e);
            }
        }
        let text = format!(
            "SELECT id, item_id, name, size, sm3, added_by, added_at FROM supervision_files{filter} ORDER BY id"
        );
        let mut q = sqlx::query(sql(&text, $pg));
        if let Some(i) = id {
            q = q.bind(i);
        }
        for r in &q.fetch_all(&mut *$conn).await? {
            let item_id: i64 = r.try_get("item_id")?;
            if let Some(&k) = at.get(&item_id) {
                items[k].files.push(ItemFile {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    size: r.try_get("size")?,
                    sm3: r.try_get("sm3")?,
                    added_by: r.try_get("added_by")?,
                    added_at: r.try_get("added_at")?,
                });
            }
        }
        Result::<Vec<Item>, StoreError>::Ok(items)
    }};
}

/// Appends a line to an item's log.
macro_rules! log_step {
    ($tx:ident, $pg:ident, $id:expr, $unit:expr, $step:expr, $by:expr, $now:expr, $detail:expr) => {{
        let detail: serde_json::Value = $detail;
        sqlx::query(sql(
            "INSERT INTO supervision_log (item_id, unit, step, actor, at, detail) VALUES (?, ?, ?, ?, ?, ?)",
            $pg,
        ))
        .bind($id)
        .bind($unit)
        .bind($step)
        .bind($by)
        .bind($now)
        .bind(detail.to_string())
        .execute(&mut *$tx)
        .await?;
    }};
}

/// The assignment of `unit` to item `id` within a transaction, locked on
/// PostgreSQL: (state, due).
macro_rules! lock_assignment {
    ($tx:ident, $pg:ident, $id:expr, $unit:expr) => {{
        let text = format!(
            "SELECT state, due FROM supervision_assignments WHERE item_id = ? AND unit = ?{}",
            if $pg { " FOR UPDATE" } else { "" }
        );
        let row = sqlx::query(sql(&text, $pg))
            .bind($id)
            .bind($unit)
            .fetch_optional(&mut *$tx)
            .await?;
        match row {
            None => {
                return Err(StoreError::State(format!(
                    "督办事项 {} 未交办给{}",
                    $id, $unit
                )));
            }
            Some(r) => {
                let state: String = r.try_get("state")?;
                let due: String = r.try_get("due")?;
                (
                    AssignmentState::parse(&state)
                        .ok_or_else(|| bad(format!("未知的状态“{state}”")))?,
                    date(&due)?,
                )
            }
        }
    }};
}

impl Store {
    /// Records an item and assigns it to its units (立项交办), logged and
    /// audited as one change.
    pub async fn create_supervision(
        &self,
        new: &NewItem<'_>,
        by: &str,
        now: &str,
    ) -> Result<Item, StoreError> {
        crate::reason_text("title", new.title)?;
        crate::reason_text("source.ref", new.source_ref)?;
        if new.units.is_empty() {
            return Err(StoreError::Invalid("lead: 须指定牵头单位".into()));
        }
        let id = on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let row = sqlx::query(sql(
                "INSERT INTO supervision_items (title, source_kind, source_date, source_ref, urgency, due, created_by, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                pg,
            ))
            .bind(new.title)
            .bind(new.source.as_str())
            .bind(new.source_date.map(|d| d.to_string()))
            .bind(new.source_ref)
            .bind(new.urgency.label())
            .bind(new.due.to_string())
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = row.try_get("id")?;
            for (k, unit) in new.units.iter().enumerate() {
                sqlx::query(sql(
                    "INSERT INTO supervision_assignments (item_id, unit, lead, position, state, due, assigned_at) \
                     VALUES (?, ?, ?, ?, 'assigned', ?, ?)",
                    pg,
                ))
                .bind(id)
                .bind(unit)
                .bind(i64::from(k == 0))
                .bind(i64::try_from(k).unwrap_or(i64::MAX))
                .bind(new.due.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let after = serde_json::json!({
                "title": new.title, "source": new.source.as_str(),
                "source_date": new.source_date.map(|d| d.to_string()), "ref": new.source_ref,
                "urgency": new.urgency.label(), "due": new.due.to_string(),
                "lead": new.units[0], "co_units": &new.units[1..],
            });
            log_step!(tx, pg, id, None::<String>, "create", by, now, after.clone());
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: "supervision.create",
                    subject: format!("supervision {id}"),
                    before: None,
                    after: Some(after),
                },
            )
            .await?;
            tx.commit().await?;
            Ok::<i64, StoreError>(id)
        })?;
        self.supervision_item(id).await
    }

    /// One item, with its assignments, log and extensions.
    pub async fn supervision_item(&self, id: i64) -> Result<Item, StoreError> {
        let mut items = on_pool!(self, |pool, pg| {
            let mut conn = pool.acquire().await?;
            read_items!(conn, pg, Some(id))
        })?;
        items.pop().ok_or(StoreError::NotFound(id))
    }

    /// Every item, oldest first.
    pub async fn supervision_items(&self) -> Result<Vec<Item>, StoreError> {
        on_pool!(self, |pool, pg| {
            let mut conn = pool.acquire().await?;
            read_items!(conn, pg, None)
        })
    }

    /// A step of `unit`'s assignment to item `id` (签收, 阶段性反馈, 反馈,
    /// 复核通过, 退办),
    /// with what it carries (`detail`: feedback's texts, a note; `percent`:
    /// feedback's percent done), if the stored state allows it.
    #[allow(clippy::too_many_arguments)]
    pub async fn supervision_step(
        &self,
        id: i64,
        unit: &str,
        step: Step,
        detail: serde_json::Value,
        percent: Option<Decimal>,
        by: &str,
        now: &str,
    ) -> Result<Item, StoreError> {
        crate::plain_text("detail", &detail.to_string())?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let (state, _due) = lock_assignment!(tx, pg, id, unit);
            let next = anju_core::supervision::step(state, step).map_err(StoreError::State)?;
            let update = match step {
                Step::Sign => {
                    "UPDATE supervision_assignments SET state = ?, signed_at = ?, signed_by = ? WHERE item_id = ? AND unit = ?"
                }
                Step::Feedback | Step::Report => {
                    "UPDATE supervision_assignments SET state = ?, answered_at = ?, percent = ?, returned = 0 WHERE item_id = ? AND unit = ?"
                }
                Step::Accept => {
                    "UPDATE supervision_assignments SET state = ?, closed_at = ? WHERE item_id = ? AND unit = ?"
                }
                Step::Return => {
                    "UPDATE supervision_assignments SET state = ?, returns = returns + 1, returned = 1 WHERE item_id = ? AND unit = ?"
                }
            };
            let mut q = sqlx::query(sql(update, pg)).bind(next.as_str());
            q = match step {
                Step::Sign => q.bind(now).bind(by),
                Step::Feedback | Step::Report => {
                    q.bind(now).bind(percent.map(|p| p.normalize().to_string()))
                }
                Step::Accept => q.bind(now),
                Step::Return => q,
            };
            q.bind(id).bind(unit).execute(&mut *tx).await?;
            if step == Step::Accept {
                let open: i64 = sqlx::query(sql(
                    "SELECT COUNT(*) AS n FROM supervision_assignments WHERE item_id = ? AND state <> 'closed'",
                    pg,
                ))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
                if open == 0 {
                    sqlx::query(sql(
                        "UPDATE supervision_items SET closed_at = ? WHERE id = ?",
                        pg,
                    ))
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            log_step!(
                tx,
                pg,
                id,
                Some(unit),
                step.as_str(),
                by,
                now,
                detail.clone()
            );
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: &format!("supervision.{}", step.as_str()),
                    subject: format!("supervision {id} {unit}"),
                    before: Some(serde_json::json!({ "state": state.as_str() })),
                    after: Some(serde_json::json!({ "state": next.as_str(), "detail": detail })),
                },
            )
            .await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.supervision_item(id).await
    }

    /// An extension request of `unit`'s assignment to item `id`, on `today`:
    /// refused after the due date, for a date not later, with another
    /// request pending, or when closed.
    #[allow(clippy::too_many_arguments)]
    pub async fn request_supervision_extension(
        &self,
        id: i64,
        unit: &str,
        new_due: Date,
        reason: &str,
        progress: &str,
        today: Date,
        by: &str,
        now: &str,
    ) -> Result<Item, StoreError> {
        crate::reason_text("reason", reason)?;
        crate::reason_text("progress", progress)?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let (state, due) = lock_assignment!(tx, pg, id, unit);
            anju_core::supervision::check_extension(state, due, new_due, today)
                .map_err(StoreError::State)?;
            let pending: i64 = sqlx::query(sql(
                "SELECT COUNT(*) AS n FROM supervision_extensions WHERE item_id = ? AND unit = ? AND state = 'pending'",
                pg,
            ))
            .bind(id)
            .bind(unit)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            if pending > 0 {
                return Err(StoreError::State("已有一份延期申请在等待专班审批".into()));
            }
            let row = sqlx::query(sql(
                "INSERT INTO supervision_extensions (item_id, unit, old_due, new_due, reason, progress, requested_by, requested_at, state) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending') RETURNING id",
                pg,
            ))
            .bind(id)
            .bind(unit)
            .bind(due.to_string())
            .bind(new_due.to_string())
            .bind(reason)
            .bind(progress)
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let ext: i64 = row.try_get("id")?;
            let detail = serde_json::json!({
                "extension": ext, "old_due": due.to_string(), "new_due": new_due.to_string(),
                "reason": reason, "progress": progress,
            });
            log_step!(tx, pg, id, Some(unit), "extension", by, now, detail.clone());
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: "supervision.extension",
                    subject: format!("supervision {id} {unit}"),
                    before: None,
                    after: Some(detail),
                },
            )
            .await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.supervision_item(id).await
    }

    /// Decides extension `ext` of item `id`: approved, the assignment's due
    /// date becomes the one asked for.
    pub async fn decide_supervision_extension(
        &self,
        id: i64,
        ext: i64,
        approve: bool,
        note: Option<&str>,
        by: &str,
        now: &str,
    ) -> Result<Item, StoreError> {
        if let Some(n) = note {
            crate::reason_text("note", n)?;
        }
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let text = format!(
                "SELECT unit, state, new_due FROM supervision_extensions WHERE id = ? AND item_id = ?{}",
                if pg { " FOR UPDATE" } else { "" }
            );
            let Some(row) = sqlx::query(sql(&text, pg))
                .bind(ext)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Err(StoreError::State(format!(
                    "督办事项 {id} 没有编号为 {ext} 的延期申请"
                )));
            };
            let unit: String = row.try_get("unit")?;
            let state: String = row.try_get("state")?;
            let new_due: String = row.try_get("new_due")?;
            if state != ExtensionState::Pending.as_str() {
                return Err(StoreError::State("该延期申请已审批".into()));
            }
            let decided = if approve {
                ExtensionState::Approved
            } else {
                ExtensionState::Rejected
            };
            sqlx::query(sql(
                "UPDATE supervision_extensions SET state = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ?",
                pg,
            ))
            .bind(decided.as_str())
            .bind(by)
            .bind(now)
            .bind(note)
            .bind(ext)
            .execute(&mut *tx)
            .await?;
            if approve {
                sqlx::query(sql(
                    "UPDATE supervision_assignments SET due = ? WHERE item_id = ? AND unit = ? AND state <> 'closed'",
                    pg,
                ))
                .bind(&new_due)
                .bind(id)
                .bind(&unit)
                .execute(&mut *tx)
                .await?;
            }
            let step = if approve {
                "extension_approved"
            } else {
                "extension_rejected"
            };
            let detail = serde_json::json!({ "extension": ext, "new_due": new_due, "note": note });
            log_step!(
                tx,
                pg,
                id,
                Some(unit.as_str()),
                step,
                by,
                now,
                detail.clone()
            );
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: &format!("supervision.{step}"),
                    subject: format!("supervision {id} {unit}"),
                    before: Some(serde_json::json!({ "state": "pending" })),
                    after: Some(detail),
                },
            )
            .await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.supervision_item(id).await
    }

    /// A leader's instruction (批示) on item `id`.
    pub async fn instruct_supervision(
        &self,
        id: i64,
        text: &str,
        by: &str,
        now: &str,
    ) -> Result<Item, StoreError> {
        crate::reason_text("text", text)?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let found = sqlx::query(sql("SELECT id FROM supervision_items WHERE id = ?", pg))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::NotFound(id));
            }
            let detail = serde_json::json!({ "text": text });
            log_step!(
                tx,
                pg,
                id,
                None::<String>,
                "instruction",
                by,
                now,
                detail.clone()
            );
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: "supervision.instruction",
                    subject: format!("supervision {id}"),
                    before: None,
                    after: Some(detail),
                },
            )
            .await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.supervision_item(id).await
    }

    /// Keeps a file with item `id` (a meeting's minutes), logged and audited.
    pub async fn add_supervision_file(
        &self,
        id: i64,
        name: &str,
        bytes: &[u8],
        by: &str,
        now: &str,
    ) -> Result<Item, StoreError> {
        crate::plain_text("file", name)?;
        let sm3 = crate::plans::plan_hash_bytes(bytes);
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let found = sqlx::query(sql("SELECT id FROM supervision_items WHERE id = ?", pg))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::NotFound(id));
            }
            sqlx::query(sql(
                "INSERT INTO supervision_files (item_id, name, sm3, size, bytes, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                pg,
            ))
            .bind(id)
            .bind(name)
            .bind(&sm3)
            .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
            .bind(bytes)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let detail = serde_json::json!({ "name": name, "sm3": sm3, "size": bytes.len() });
            log_step!(
                tx,
                pg,
                id,
                None::<String>,
                "minutes",
                by,
                now,
                detail.clone()
            );
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: "supervision.minutes",
                    subject: format!("supervision {id}"),
                    before: None,
                    after: Some(detail),
                },
            )
            .await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.supervision_item(id).await
    }

    /// A file's item, name and bytes.
    pub async fn supervision_file(
        &self,
        file: i64,
    ) -> Result<Option<(i64, String, Vec<u8>)>, StoreError> {
        on_pool!(self, |pool, pg| {
            let row = sqlx::query(sql(
                "SELECT item_id, name, bytes FROM supervision_files WHERE id = ?",
                pg,
            ))
            .bind(file)
            .fetch_optional(pool)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some((
                    r.try_get("item_id")?,
                    r.try_get("name")?,
                    r.try_get("bytes")?,
                ))),
            }
        })
    }
}
