//! 年度工作要点 as kept: a task's work item for a year, its milestones, the
//! owner's monthly reports with their attachments, and the task force's
//! review. Each change is one transaction with its audit entry.

use std::collections::HashMap;
use std::str::FromStr;

use anju_core::period::YearMonth;
use anju_core::work::Step;
use anju_core::workflow::Date;
use rust_decimal::Decimal;
use sqlx::Row;

use crate::{Store, StoreError, on_pool, sql, write_tx};

/// A work item as entered.
pub struct NewWorkItem<'a> {
    /// The task's code (1–13).
    pub task: u16,
    /// The year.
    pub year: i32,
    /// What is to be done.
    pub title: &'a str,
    /// The owner (the plan's name).
    pub owner: &'a str,
    /// The co-units.
    pub co_units: &'a [String],
    /// When it starts (序时进度 counts from here).
    pub start: Date,
    /// When it is due.
    pub deadline: Date,
    /// Its milestones.
    pub steps: &'a [Step],
}

/// An attachment as listed.
#[derive(Clone, Debug)]
pub struct FileInfo {
    /// Its number.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its SM3 hash.
    pub sm3: String,
}

/// A monthly report.
#[derive(Clone, Debug)]
pub struct WorkReport {
    /// Its number.
    pub id: i64,
    /// The month.
    pub month: YearMonth,
    /// Percent done.
    pub percent: Decimal,
    /// What was done.
    pub text: String,
    /// `submitted`, `approved`, `returned`.
    pub state: String,
    /// Who, when.
    pub entered_by: String,
    /// When.
    pub entered_at: String,
    /// The review.
    pub reviewed_by: Option<String>,
    /// When.
    pub reviewed_at: Option<String>,
    /// The note.
    pub note: Option<String>,
    /// Attachments.
    pub files: Vec<FileInfo>,
}

/// A work item as kept.
#[derive(Clone, Debug)]
pub struct WorkItem {
    /// Its number.
    pub id: i64,
    /// The task.
    pub task: u16,
    /// The year.
    pub year: i32,
    /// What is to be done.
    pub title: String,
    /// The owner.
    pub owner: String,
    /// The co-units.
    pub co_units: Vec<String>,
    /// Start.
    pub start: Date,
    /// Deadline.
    pub deadline: Date,
    /// Who made it, when.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// Milestones.
    pub steps: Vec<Step>,
    /// Reports, oldest first.
    pub reports: Vec<WorkReport>,
}

fn bad(e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(e.to_string().into())
}

fn date(s: &str) -> Result<Date, sqlx::Error> {
    Date::parse(s).map_err(bad)
}

macro_rules! read_items {
    ($conn:expr, $pg:ident, $id:expr) => {{
        let id: Option<i64> = $id;
        let one = |col: &str| {
            if id.is_some() {
                format!(" WHERE {col} = ?")
            } else {
                String::new()
            }
        };
        let mut q = sqlx::query(sql(
            &format!(
                "SELECT id, task, year, title, owner, co_units, start, deadline, created_by, created_at FROM work_items{} ORDER BY task, year, id",
                one("id")
            ),
            $pg,
        ));
        if let Some(i) = id {
            q = q.bind(i);
        }
        let mut out: Vec<WorkItem> = Vec::new();
        for r in &q.fetch_all(&mut *$conn).await? {
            let co: String = r.try_get("co_units")?;
            let start: String = r.try_get("start")?;
            let deadline: String = r.try_get("deadline")?;
            out.push(WorkItem {
                id: r.try_get("id")?,
                task: u16::try_from(r.try_get::<i64, _>("task")?).map_err(bad)?,
                year: i32::try_from(r.try_get::<i64, _>("year")?).map_err(bad)?,
                title: r.try_get("title")?,
                owner: r.try_get("owner")?,
                co_units: serde_json::from_str(&co).map_err(bad)?,
                start: date(&start)?,
                deadline: date(&deadline)?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                steps: Vec::new(),
                reports: Vec::new(),
            });
        }
        let at: HashMap<i64, usize> = out.iter().enumerate().map(|(k, w)| (w.id, k)).collect();
        let mut q = sqlx::query(sql(
            &format!(
                "SELECT item_id, name, due, done FROM work_milestones{} ORDER BY item_id, position",
                one("item_id")
            ),
            $pg,
        ));
        if let Some(i) = id {
            q = q.bind(i);
        }
        for r in &q.fetch_all(&mut *$conn).await? {
            let item: i64 = r.try_get("item_id")?;
            let due: String = r.try_get("due")?;
            let done: Option<String> = r.try_get("done")?;
            if let Some(&k) = at.get(&item) {
                out[k].steps.push(Step {
                    name: r.try_get("name")?,
                    due: date(&due)?,
                    done: done.as_deref().map(date).transpose()?,
                });
            }
        }
        let mut q = sqlx::query(sql(
            &format!(
                "SELECT id, item_id, month, percent, text, state, entered_by, entered_at, reviewed_by, reviewed_at, note FROM work_reports{} ORDER BY id",
                one("item_id")
            ),
            $pg,
        ));
        if let Some(i) = id {
            q = q.bind(i);
        }
        let mut report_at: HashMap<i64, (usize, usize)> = HashMap::new();
        for r in &q.fetch_all(&mut *$conn).await? {
            let item: i64 = r.try_get("item_id")?;
            let m: String = r.try_get("month")?;
            let p: String = r.try_get("percent")?;
            if let Some(&k) = at.get(&item) {
                let rep = WorkReport {
                    id: r.try_get("id")?,
                    month: YearMonth::parse(&m).map_err(bad)?,
                    percent: Decimal::from_str(&p).map_err(bad)?,
                    text: r.try_get("text")?,
                    state: r.try_get("state")?,
                    entered_by: r.try_get("entered_by")?,
                    entered_at: r.try_get("entered_at")?,
                    reviewed_by: r.try_get("reviewed_by")?,
                    reviewed_at: r.try_get("reviewed_at")?,
                    note: r.try_get("note")?,
                    files: Vec::new(),
                };
                report_at.insert(rep.id, (k, out[k].reports.len()));
                out[k].reports.push(rep);
            }
        }
        let text = if id.is_some() {
            "SELECT f.id, f.report_id, f.name, f.size, f.sm3 FROM work_files f JOIN work_reports r ON r.id = f.report_id WHERE r.item_id = ? ORDER BY f.id"
        } else {
            "SELECT id, report_id, name, size, sm3 FROM work_files ORDER BY id"
        };
        let mut q = sqlx::query(sql(text, $pg));
        if let Some(i) = id {
            q = q.bind(i);
        }
        for r in &q.fetch_all(&mut *$conn).await? {
            let rid: i64 = r.try_get("report_id")?;
            if let Some(&(k, j)) = report_at.get(&rid) {
                out[k].reports[j].files.push(FileInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    size: r.try_get("size")?,
                    sm3: r.try_get("sm3")?,
                });
            }
        }
        Result::<Vec<WorkItem>, StoreError>::Ok(out)
    }};
}

macro_rules! audit {
    ($tx:ident, $pg:ident, $now:expr, $by:expr, $action:expr, $id:expr, $after:expr) => {
        crate::audit::append(
            &mut $tx,
            $pg,
            crate::audit::Change {
                at: $now,
                actor: $by,
                action: $action,
                subject: format!("work {}", $id),
                before: None,
                after: Some($after),
            },
        )
        .await?
    };
}

impl Store {
    /// Records work items (one, or a whole list from a file) in one
    /// transaction; their numbers in order.
    pub async fn create_work_items(
        &self,
        items: &[NewWorkItem<'_>],
        by: &str,
        now: &str,
    ) -> Result<Vec<i64>, StoreError> {
        for w in items {
            crate::reason_text("title", w.title)?;
            for s in w.steps {
                crate::reason_text("milestones", &s.name)?;
            }
        }
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let mut ids = Vec::with_capacity(items.len());
            for w in items {
                let row = sqlx::query(sql(
                    "INSERT INTO work_items (task, year, title, owner, co_units, start, deadline, created_by, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    pg,
                ))
                .bind(i64::from(w.task))
                .bind(i64::from(w.year))
                .bind(w.title)
                .bind(w.owner)
                .bind(serde_json::json!(w.co_units).to_string())
                .bind(w.start.to_string())
                .bind(w.deadline.to_string())
                .bind(by)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let id: i64 = row.try_get("id")?;
                for (k, s) in w.steps.iter().enumerate() {
                    sqlx::query(sql(
                        "INSERT INTO work_milestones (item_id, position, name, due) VALUES (?, ?, ?, ?)",
                        pg,
                    ))
                    .bind(id)
                    .bind(i64::try_from(k).unwrap_or(i64::MAX))
                    .bind(&s.name)
                    .bind(s.due.to_string())
                    .execute(&mut *tx)
                    .await?;
                }
                audit!(
                    tx,
                    pg,
                    now,
                    by,
                    "work.create",
                    id,
                    serde_json::json!({
                        "task": w.task, "year": w.year, "title": w.title, "owner": w.owner,
                        "co_units": w.co_units, "start": w.start.to_string(), "deadline": w.deadline.to_string(),
                        "milestones": w.steps.iter().map(|s| serde_json::json!([s.name, s.due.to_string()])).collect::<Vec<_>>(),
                    })
                );
                ids.push(id);
            }
            tx.commit().await?;
            Ok(ids)
        })
    }

    /// One work item.
    pub async fn work_item(&self, id: i64) -> Result<WorkItem, StoreError> {
        let mut all = on_pool!(self, |pool, pg| {
            let mut conn = pool.acquire().await?;
            read_items!(conn, pg, Some(id))
        })?;
        all.pop().ok_or(StoreError::NotFound(id))
    }

    /// Every work item, by task and year.
    pub async fn work_items(&self) -> Result<Vec<WorkItem>, StoreError> {
        on_pool!(self, |pool, pg| {
            let mut conn = pool.acquire().await?;
            read_items!(conn, pg, None)
        })
    }

    /// The owner's report of a month, with attachments (name, bytes).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_work_report(
        &self,
        id: i64,
        month: YearMonth,
        percent: Decimal,
        text: &str,
        files: &[(String, Vec<u8>)],
        by: &str,
        now: &str,
    ) -> Result<WorkItem, StoreError> {
        crate::reason_text("text", text)?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let found = sqlx::query(sql("SELECT id FROM work_items WHERE id = ?", pg))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::NotFound(id));
            }
            let row = sqlx::query(sql(
                "INSERT INTO work_reports (item_id, month, percent, text, state, entered_by, entered_at) \
                 VALUES (?, ?, ?, ?, 'submitted', ?, ?) RETURNING id",
                pg,
            ))
            .bind(id)
            .bind(month.to_string())
            .bind(percent.normalize().to_string())
            .bind(text)
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let report: i64 = row.try_get("id")?;
            let mut listed = Vec::new();
            for (name, bytes) in files {
                crate::plain_text("file", name)?;
                let sm3 = crate::plans::plan_hash_bytes(bytes);
                sqlx::query(sql(
                    "INSERT INTO work_files (report_id, name, sm3, size, bytes) VALUES (?, ?, ?, ?, ?)",
                    pg,
                ))
                .bind(report)
                .bind(name)
                .bind(&sm3)
                .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
                .bind(bytes.as_slice())
                .execute(&mut *tx)
                .await?;
                listed.push(serde_json::json!({"name": name, "sm3": sm3, "size": bytes.len()}));
            }
            audit!(
                tx,
                pg,
                now,
                by,
                "work.report",
                id,
                serde_json::json!({
                    "report": report, "month": month.to_string(), "percent": percent.normalize().to_string(),
                    "text": text, "files": listed,
                })
            );
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.work_item(id).await
    }

    /// The task force's review of report `report` of item `id`.
    pub async fn review_work_report(
        &self,
        id: i64,
        report: i64,
        approve: bool,
        note: Option<&str>,
        by: &str,
        now: &str,
    ) -> Result<WorkItem, StoreError> {
        if let Some(n) = note {
            crate::reason_text("note", n)?;
        }
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let text = format!(
                "SELECT state FROM work_reports WHERE id = ? AND item_id = ?{}",
                if pg { " FOR UPDATE" } else { "" }
            );
            let Some(row) = sqlx::query(sql(&text, pg))
                .bind(report)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Err(StoreError::State(format!(
                    "工作要点 {id} 没有编号为 {report} 的进展"
                )));
            };
            let state: String = row.try_get("state")?;
            if state != "submitted" {
                return Err(StoreError::State("该进展已审核".into()));
            }
            let to = if approve { "approved" } else { "returned" };
            sqlx::query(sql(
                "UPDATE work_reports SET state = ?, reviewed_by = ?, reviewed_at = ?, note = ? WHERE id = ?",
                pg,
            ))
            .bind(to)
            .bind(by)
            .bind(now)
            .bind(note)
            .bind(report)
            .execute(&mut *tx)
            .await?;
            audit!(
                tx,
                pg,
                now,
                by,
                if approve {
                    "work.approve"
                } else {
                    "work.return"
                },
                id,
                serde_json::json!({"report": report, "state": to, "note": note})
            );
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.work_item(id).await
    }

    /// Milestone `position` of item `id` done on `done`.
    pub async fn meet_work_milestone(
        &self,
        id: i64,
        position: usize,
        done: Date,
        by: &str,
        now: &str,
    ) -> Result<WorkItem, StoreError> {
        let pos = i64::try_from(position).unwrap_or(i64::MAX);
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let changed = sqlx::query(sql(
                "UPDATE work_milestones SET done = ? WHERE item_id = ? AND position = ?",
                pg,
            ))
            .bind(done.to_string())
            .bind(id)
            .bind(pos)
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() == 0 {
                return Err(StoreError::NotFound(id));
            }
            audit!(
                tx,
                pg,
                now,
                by,
                "work.milestone",
                id,
                serde_json::json!({"position": pos, "done": done.to_string()})
            );
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.work_item(id).await
    }

    /// An attachment's name and bytes, and its item.
    pub async fn work_file(&self, file: i64) -> Result<Option<(i64, String, Vec<u8>)>, StoreError> {
        on_pool!(self, |pool, pg| {
            let row = sqlx::query(sql(
                "SELECT r.item_id, f.name, f.bytes FROM work_files f JOIN work_reports r ON r.id = f.report_id WHERE f.id = ?",
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
