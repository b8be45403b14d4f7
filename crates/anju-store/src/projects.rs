//! 项目库 as kept: a town's project with its milestones (planned, met), the
//! planned investment per month, the monthly 形象进度 entries with their
//! photos (re-encoded before they come here), and the task force's review
//! of each entry. Every change is one transaction with its audit entry.
//! Amounts are exact decimals kept as text and added up in Rust.

use std::collections::HashMap;
use std::str::FromStr;

use anju_core::period::YearMonth;
use anju_core::projects::{Milestone, Stage};
use anju_core::workflow::Date;
use rust_decimal::Decimal;
use sqlx::Row;

use crate::{Store, StoreError, on_pool, sql, write_tx};

/// A project as entered.
pub struct NewProject<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its type (the plan's name).
    pub kind: &'a str,
    /// The town (the plan's name).
    pub town: &'a str,
    /// Where it starts.
    pub stage: Stage,
    /// When its schedule starts (its first phase's beginning).
    pub start: Date,
    /// The planned completion.
    pub planned_completion: Date,
    /// 计划总投资, 万元.
    pub planned_investment: Decimal,
    /// What it adds to its type's indicator when done.
    pub contribution: Option<Decimal>,
    /// The milestones, counted back (倒排工期).
    pub milestones: &'a [Milestone],
    /// The planned investment per month.
    pub plan: &'a [(YearMonth, Decimal)],
}

/// A photo of an entry, checked and re-encoded.
pub struct NewPhoto<'a> {
    /// The file's name.
    pub name: &'a str,
    /// When it was taken (EXIF).
    pub taken: Option<String>,
    /// Where (EXIF): latitude, longitude.
    pub place: Option<(f64, f64)>,
    /// The original's size.
    pub width: u32,
    /// The original's size.
    pub height: u32,
    /// The photo as served.
    pub image: &'a [u8],
    /// Its thumbnail.
    pub thumb: &'a [u8],
}

/// A photo as listed (its bytes are read apart).
#[derive(Clone, Debug)]
pub struct PhotoInfo {
    /// Its number.
    pub id: i64,
    /// The file's name.
    pub name: String,
    /// When it was taken, as the camera said.
    pub taken: Option<String>,
    /// Latitude, longitude (as kept, degrees).
    pub place: Option<(String, String)>,
    /// The original's size.
    pub width: u32,
    /// The original's size.
    pub height: u32,
}

/// A 形象进度 entry.
#[derive(Clone, Debug)]
pub struct Progress {
    /// Its number.
    pub id: i64,
    /// The month it reports.
    pub month: YearMonth,
    /// 形象进度, percent.
    pub percent: Decimal,
    /// What was done.
    pub text: String,
    /// Investment completed in the month, 万元.
    pub invested: Decimal,
    /// `submitted`, `approved`, `returned`.
    pub state: String,
    /// What the service noticed (old photos, none with EXIF …).
    pub flags: Vec<String>,
    /// Who entered it, and when.
    pub entered_by: String,
    /// When.
    pub entered_at: String,
    /// Who reviewed it, when, with what note.
    pub reviewed_by: Option<String>,
    /// When.
    pub reviewed_at: Option<String>,
    /// The review's note.
    pub note: Option<String>,
    /// Its photos.
    pub photos: Vec<PhotoInfo>,
}

/// A project as kept.
#[derive(Clone, Debug)]
pub struct Project {
    /// Its number.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its type.
    pub kind: String,
    /// Its town.
    pub town: String,
    /// Where it stands.
    pub stage: Stage,
    /// When its schedule starts.
    pub start: Date,
    /// The planned completion.
    pub planned_completion: Date,
    /// 计划总投资, 万元.
    pub planned_investment: Decimal,
    /// What it adds to its indicator when done.
    pub contribution: Option<Decimal>,
    /// Who entered it, and when.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// Milestones in order.
    pub milestones: Vec<Milestone>,
    /// Planned investment per month, in order.
    pub plan: Vec<(YearMonth, Decimal)>,
    /// 形象进度 entries, oldest first.
    pub progress: Vec<Progress>,
}

fn bad(e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(e.to_string().into())
}

fn date(s: &str) -> Result<Date, sqlx::Error> {
    Date::parse(s).map_err(bad)
}

fn dec(s: &str) -> Result<Decimal, sqlx::Error> {
    Decimal::from_str(s).map_err(bad)
}

fn month(s: &str) -> Result<YearMonth, sqlx::Error> {
    YearMonth::parse(s).map_err(bad)
}

/// Reads projects (one or all) with everything but photo bytes.
macro_rules! read_projects {
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
                "SELECT id, name, kind, town, stage, start, planned_completion, planned_investment, contribution, created_by, created_at FROM projects{} ORDER BY id",
                one("id")
            ),
            $pg,
        ));
        if let Some(i) = id {
            q = q.bind(i);
        }
        let mut out: Vec<Project> = Vec::new();
        for r in &q.fetch_all(&mut *$conn).await? {
            let stage: String = r.try_get("stage")?;
            let completion: String = r.try_get("planned_completion")?;
            let start: String = r.try_get("start")?;
            let invest: String = r.try_get("planned_investment")?;
            let contribution: Option<String> = r.try_get("contribution")?;
            out.push(Project {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
                town: r.try_get("town")?,
                stage: Stage::parse(&stage).ok_or_else(|| bad(format!("未知的阶段“{stage}”")))?,
                start: date(&start)?,
                planned_completion: date(&completion)?,
                planned_investment: dec(&invest)?,
                contribution: contribution.as_deref().map(dec).transpose()?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                milestones: Vec::new(),
                plan: Vec::new(),
                progress: Vec::new(),
            });
        }
        let at: HashMap<i64, usize> = out.iter().enumerate().map(|(k, p)| (p.id, k)).collect();
        let mut q = sqlx::query(sql(
            &format!(
                "SELECT project_id, name, planned, actual FROM project_milestones{} ORDER BY project_id, position",
                one("project_id")
            ),
            $pg,
        ));
        if let Some(i) = id {
            q = q.bind(i);
        }
        for r in &q.fetch_all(&mut *$conn).await? {
            let pid: i64 = r.try_get("project_id")?;
            let planned: String = r.try_get("planned")?;
            let actual: Option<String> = r.try_get("actual")?;
            if let Some(&k) = at.get(&pid) {
                out[k].milestones.push(Milestone {
                    name: r.try_get("name")?,
                    planned: date(&planned)?,
                    actual: actual.as_deref().map(date).transpose()?,
                });
            }
        }
        let mut q = sqlx::query(sql(
            &format!(
                "SELECT project_id, month, planned FROM project_plan{} ORDER BY project_id, month",
                one("project_id")
            ),
            $pg,
        ));
        if let Some(i) = id {
            q = q.bind(i);
        }
        for r in &q.fetch_all(&mut *$conn).await? {
            let pid: i64 = r.try_get("project_id")?;
            let m: String = r.try_get("month")?;
            let p: String = r.try_get("planned")?;
            if let Some(&k) = at.get(&pid) {
                out[k].plan.push((month(&m)?, dec(&p)?));
            }
        }
        let mut q = sqlx::query(sql(
            &format!(
                "SELECT id, project_id, month, percent, text, invested, state, flags, entered_by, entered_at, reviewed_by, reviewed_at, note FROM project_progress{} ORDER BY id",
                one("project_id")
            ),
            $pg,
        ));
        if let Some(i) = id {
            q = q.bind(i);
        }
        let mut entry_at: HashMap<i64, (usize, usize)> = HashMap::new();
        for r in &q.fetch_all(&mut *$conn).await? {
            let pid: i64 = r.try_get("project_id")?;
            let m: String = r.try_get("month")?;
            let percent: String = r.try_get("percent")?;
            let invested: String = r.try_get("invested")?;
            let flags: String = r.try_get("flags")?;
            if let Some(&k) = at.get(&pid) {
                let e = Progress {
                    id: r.try_get("id")?,
                    month: month(&m)?,
                    percent: dec(&percent)?,
                    text: r.try_get("text")?,
                    invested: dec(&invested)?,
                    state: r.try_get("state")?,
                    flags: serde_json::from_str(&flags).map_err(bad)?,
                    entered_by: r.try_get("entered_by")?,
                    entered_at: r.try_get("entered_at")?,
                    reviewed_by: r.try_get("reviewed_by")?,
                    reviewed_at: r.try_get("reviewed_at")?,
                    note: r.try_get("note")?,
                    photos: Vec::new(),
                };
                entry_at.insert(e.id, (k, out[k].progress.len()));
                out[k].progress.push(e);
            }
        }
        let text = if id.is_some() {
            "SELECT f.id, f.progress_id, f.name, f.taken, f.lat, f.lon, f.width, f.height FROM project_photos f \
             JOIN project_progress p ON p.id = f.progress_id WHERE p.project_id = ? ORDER BY f.id"
        } else {
            "SELECT id, progress_id, name, taken, lat, lon, width, height FROM project_photos ORDER BY id"
        };
        let mut q = sqlx::query(sql(text, $pg));
        if let Some(i) = id {
            q = q.bind(i);
        }
        for r in &q.fetch_all(&mut *$conn).await? {
            let prog: i64 = r.try_get("progress_id")?;
            let lat: Option<String> = r.try_get("lat")?;
            let lon: Option<String> = r.try_get("lon")?;
            if let Some(&(k, j)) = entry_at.get(&prog) {
                out[k].progress[j].photos.push(PhotoInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    taken: r.try_get("taken")?,
                    place: lat.zip(lon),
                    width: u32::try_from(r.try_get::<i64, _>("width")?).map_err(bad)?,
                    height: u32::try_from(r.try_get::<i64, _>("height")?).map_err(bad)?,
                });
            }
        }
        Result::<Vec<Project>, StoreError>::Ok(out)
    }};
}

/// Appends the audit entry of a project change.
macro_rules! audit {
    ($tx:ident, $pg:ident, $now:expr, $by:expr, $action:expr, $id:expr, $after:expr) => {
        crate::audit::append(
            &mut $tx,
            $pg,
            crate::audit::Change {
                at: $now,
                actor: $by,
                action: $action,
                subject: format!("project {}", $id),
                before: None,
                after: Some($after),
            },
        )
        .await?
    };
}

impl Store {
    /// Records a project with its milestones and monthly plan.
    pub async fn create_project(
        &self,
        p: &NewProject<'_>,
        by: &str,
        now: &str,
    ) -> Result<Project, StoreError> {
        let ids = self
            .create_projects(std::slice::from_ref(p), by, now)
            .await?;
        let id = ids.first().copied().ok_or(StoreError::NotFound(0))?;
        self.project(id).await
    }

    /// Records projects (a 储备库 list) in one transaction: all or none.
    pub async fn create_projects(
        &self,
        list: &[NewProject<'_>],
        by: &str,
        now: &str,
    ) -> Result<Vec<i64>, StoreError> {
        for p in list {
            crate::reason_text("name", p.name)?;
        }
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let mut ids = Vec::with_capacity(list.len());
            for p in list {
                let row = sqlx::query(sql(
                "INSERT INTO projects (name, kind, town, stage, start, planned_completion, planned_investment, contribution, created_by, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                pg,
            ))
            .bind(p.name)
            .bind(p.kind)
            .bind(p.town)
            .bind(p.stage.as_str())
            .bind(p.start.to_string())
            .bind(p.planned_completion.to_string())
            .bind(p.planned_investment.normalize().to_string())
            .bind(p.contribution.map(|c| c.normalize().to_string()))
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
                let id: i64 = row.try_get("id")?;
                for (k, m) in p.milestones.iter().enumerate() {
                    sqlx::query(sql(
                    "INSERT INTO project_milestones (project_id, position, name, planned) VALUES (?, ?, ?, ?)",
                    pg,
                ))
                .bind(id)
                .bind(i64::try_from(k).unwrap_or(i64::MAX))
                .bind(&m.name)
                .bind(m.planned.to_string())
                .execute(&mut *tx)
                .await?;
                }
                for (m, amount) in p.plan {
                    sqlx::query(sql(
                        "INSERT INTO project_plan (project_id, month, planned) VALUES (?, ?, ?)",
                        pg,
                    ))
                    .bind(id)
                    .bind(m.to_string())
                    .bind(amount.normalize().to_string())
                    .execute(&mut *tx)
                    .await?;
                }
                audit!(
                    tx,
                    pg,
                    now,
                    by,
                    "project.create",
                    id,
                    serde_json::json!({
                        "name": p.name, "type": p.kind, "town": p.town, "stage": p.stage.as_str(),
                        "planned_completion": p.planned_completion.to_string(),
                        "planned_investment": p.planned_investment.normalize().to_string(),
                        "contribution": p.contribution.map(|c| c.normalize().to_string()),
                        "milestones": p.milestones.iter().map(|m| serde_json::json!([m.name, m.planned.to_string()])).collect::<Vec<_>>(),
                    })
                );
                ids.push(id);
            }
            tx.commit().await?;
            Ok::<Vec<i64>, StoreError>(ids)
        })
    }

    /// One project.
    pub async fn project(&self, id: i64) -> Result<Project, StoreError> {
        let mut all = on_pool!(self, |pool, pg| {
            let mut conn = pool.acquire().await?;
            read_projects!(conn, pg, Some(id))
        })?;
        all.pop().ok_or(StoreError::NotFound(id))
    }

    /// Every project, oldest first.
    pub async fn projects(&self) -> Result<Vec<Project>, StoreError> {
        on_pool!(self, |pool, pg| {
            let mut conn = pool.acquire().await?;
            read_projects!(conn, pg, None)
        })
    }

    /// A 形象进度 entry with its photos, waiting for review.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_project_progress(
        &self,
        id: i64,
        m: YearMonth,
        percent: Decimal,
        text: &str,
        invested: Decimal,
        flags: &[String],
        photos: &[NewPhoto<'_>],
        by: &str,
        now: &str,
    ) -> Result<Project, StoreError> {
        crate::reason_text("text", text)?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let found = sqlx::query(sql("SELECT id FROM projects WHERE id = ?", pg))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::NotFound(id));
            }
            let row = sqlx::query(sql(
                "INSERT INTO project_progress (project_id, month, percent, text, invested, state, flags, entered_by, entered_at) \
                 VALUES (?, ?, ?, ?, ?, 'submitted', ?, ?, ?) RETURNING id",
                pg,
            ))
            .bind(id)
            .bind(m.to_string())
            .bind(percent.normalize().to_string())
            .bind(text)
            .bind(invested.normalize().to_string())
            .bind(serde_json::json!(flags).to_string())
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let entry: i64 = row.try_get("id")?;
            let mut names = Vec::new();
            for ph in photos {
                crate::plain_text("photo", ph.name)?;
                let sm3 = crate::plans::plan_hash_bytes(ph.image);
                sqlx::query(sql(
                    "INSERT INTO project_photos (progress_id, name, taken, lat, lon, width, height, sm3, image, thumb) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    pg,
                ))
                .bind(entry)
                .bind(ph.name)
                .bind(ph.taken.clone())
                .bind(ph.place.map(|p| format!("{:.6}", p.0)))
                .bind(ph.place.map(|p| format!("{:.6}", p.1)))
                .bind(i64::from(ph.width))
                .bind(i64::from(ph.height))
                .bind(&sm3)
                .bind(ph.image)
                .bind(ph.thumb)
                .execute(&mut *tx)
                .await?;
                names.push(serde_json::json!({"name": ph.name, "sm3": sm3, "taken": ph.taken}));
            }
            audit!(
                tx,
                pg,
                now,
                by,
                "project.progress",
                id,
                serde_json::json!({
                    "entry": entry, "month": m.to_string(), "percent": percent.normalize().to_string(),
                    "invested": invested.normalize().to_string(), "text": text, "photos": names, "flags": flags,
                })
            );
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.project(id).await
    }

    /// The task force's review of entry `entry` of project `id`.
    pub async fn review_project_progress(
        &self,
        id: i64,
        entry: i64,
        approve: bool,
        note: Option<&str>,
        by: &str,
        now: &str,
    ) -> Result<Project, StoreError> {
        if let Some(n) = note {
            crate::reason_text("note", n)?;
        }
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let text = format!(
                "SELECT state FROM project_progress WHERE id = ? AND project_id = ?{}",
                if pg { " FOR UPDATE" } else { "" }
            );
            let Some(row) = sqlx::query(sql(&text, pg))
                .bind(entry)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Err(StoreError::State(format!(
                    "项目 {id} 没有编号为 {entry} 的进度"
                )));
            };
            let state: String = row.try_get("state")?;
            if state != "submitted" {
                return Err(StoreError::State("该进度已审核".into()));
            }
            let to = if approve { "approved" } else { "returned" };
            sqlx::query(sql(
                "UPDATE project_progress SET state = ?, reviewed_by = ?, reviewed_at = ?, note = ? WHERE id = ?",
                pg,
            ))
            .bind(to)
            .bind(by)
            .bind(now)
            .bind(note)
            .bind(entry)
            .execute(&mut *tx)
            .await?;
            audit!(
                tx,
                pg,
                now,
                by,
                if approve {
                    "project.progress_approve"
                } else {
                    "project.progress_return"
                },
                id,
                serde_json::json!({"entry": entry, "state": to, "note": note})
            );
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.project(id).await
    }

    /// Milestone `position` of project `id` met on `actual`.
    pub async fn meet_project_milestone(
        &self,
        id: i64,
        position: usize,
        actual: Date,
        by: &str,
        now: &str,
    ) -> Result<Project, StoreError> {
        let pos = i64::try_from(position).unwrap_or(i64::MAX);
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let done = sqlx::query(sql(
                "UPDATE project_milestones SET actual = ?, actual_by = ?, actual_at = ? WHERE project_id = ? AND position = ?",
                pg,
            ))
            .bind(actual.to_string())
            .bind(by)
            .bind(now)
            .bind(id)
            .bind(pos)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(id));
            }
            audit!(
                tx,
                pg,
                now,
                by,
                "project.milestone",
                id,
                serde_json::json!({"position": pos, "actual": actual.to_string()})
            );
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.project(id).await
    }

    /// Project `id` moves to `stage`.
    pub async fn set_project_stage(
        &self,
        id: i64,
        stage: Stage,
        by: &str,
        now: &str,
    ) -> Result<Project, StoreError> {
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let done = sqlx::query(sql("UPDATE projects SET stage = ? WHERE id = ?", pg))
                .bind(stage.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(id));
            }
            audit!(
                tx,
                pg,
                now,
                by,
                "project.stage",
                id,
                serde_json::json!({"stage": stage.as_str()})
            );
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.project(id).await
    }

    /// A photo's bytes (the thumbnail, or the photo) and its project.
    pub async fn project_photo(
        &self,
        photo: i64,
        thumb: bool,
    ) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        let col = if thumb { "f.thumb" } else { "f.image" };
        let text = format!(
            "SELECT p.project_id, {col} AS bytes FROM project_photos f JOIN project_progress p ON p.id = f.progress_id WHERE f.id = ?"
        );
        on_pool!(self, |pool, pg| {
            let row = sqlx::query(sql(&text, pg))
                .bind(photo)
                .fetch_optional(pool)
                .await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some((r.try_get("project_id")?, r.try_get("bytes")?))),
            }
        })
    }

    /// The task force's own phases of project types: (type, phases, who,
    /// when).
    pub async fn project_templates(
        &self,
    ) -> Result<Vec<(String, Vec<anju_core::plan::Phase>, String, String)>, StoreError> {
        on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(
                "SELECT kind, phases, changed_by, changed_at FROM project_templates ORDER BY kind",
                pg,
            ))
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let text: String = r.try_get("phases")?;
                let list: Vec<(String, u32)> = serde_json::from_str(&text).map_err(bad)?;
                out.push((
                    r.try_get("kind")?,
                    list.into_iter()
                        .map(|(name, days)| anju_core::plan::Phase { name, days })
                        .collect(),
                    r.try_get("changed_by")?,
                    r.try_get("changed_at")?,
                ));
            }
            Ok(out)
        })
    }

    /// Sets the phases of project type `kind` (for projects added from now on).
    pub async fn set_project_template(
        &self,
        kind: &str,
        phases: &[anju_core::plan::Phase],
        by: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        for p in phases {
            crate::plain_text("phases", &p.name)?;
        }
        let list: Vec<(&str, u32)> = phases.iter().map(|p| (p.name.as_str(), p.days)).collect();
        let text = serde_json::json!(list).to_string();
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            sqlx::query(sql(
                "INSERT INTO project_templates (kind, phases, changed_by, changed_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (kind) DO UPDATE SET phases = excluded.phases, changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                pg,
            ))
            .bind(kind)
            .bind(&text)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit!(
                tx,
                pg,
                now,
                by,
                "project.template",
                kind,
                serde_json::json!({"type": kind, "phases": list})
            );
            tx.commit().await?;
            Ok(())
        })
    }
}
