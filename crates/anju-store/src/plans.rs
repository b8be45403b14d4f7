//! The plan files a store has run with. The newest is the plan in force; a
//! file is added only when it differs (by SM3) from the newest, so starting
//! a server again with the same plan adds nothing.

use sm3::{Digest, Sm3};
use sqlx::Row;

use crate::{Store, StoreError, on_pool, sql, write_tx};

/// A plan file as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFile {
    /// Its id (order of loading).
    pub id: i64,
    /// The plan's own id (`[plan] id`).
    pub plan_id: String,
    /// SM3 of the text, in hex.
    pub sm3: String,
    /// Where it came from: a file name, or the built-in plan's name.
    pub source: String,
    /// The text.
    pub text: String,
    /// When it was loaded.
    pub loaded_at: String,
}

/// SM3 of a plan text, in hex.
pub fn plan_hash(text: &str) -> String {
    plan_hash_bytes(text.as_bytes())
}

/// The SM3 hash of bytes, in hex (a plan file's, a photo's).
pub fn plan_hash_bytes(bytes: &[u8]) -> String {
    Sm3::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn plan_file<R>(r: &R) -> Result<PlanFile, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(PlanFile {
        id: r.try_get("id")?,
        plan_id: r.try_get("plan_id")?,
        sm3: r.try_get("sm3")?,
        source: r.try_get("source")?,
        text: r.try_get("text")?,
        loaded_at: r.try_get("loaded_at")?,
    })
}

impl Store {
    /// The plan in force: the newest file, if any.
    pub async fn current_plan(&self) -> Result<Option<PlanFile>, StoreError> {
        on_pool!(self, |pool, pg| {
            let row = sqlx::query(sql(
                "SELECT id, plan_id, sm3, source, text, loaded_at FROM plan_files ORDER BY id DESC LIMIT 1",
                pg,
            ))
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|r| plan_file(&r)).transpose()?)
        })
    }

    /// The id of the plan file in force (0: none kept yet).
    pub async fn current_plan_id(&self) -> Result<i64, StoreError> {
        on_pool!(self, |pool, pg| {
            let id: i64 =
                sqlx::query_scalar(sql("SELECT COALESCE(MAX(id), 0) FROM plan_files", pg))
                    .fetch_one(pool)
                    .await?;
            Ok(id)
        })
    }

    /// Makes `text` the plan in force (already checked by the caller);
    /// adds nothing if it is the newest already. Returns the file in force.
    pub async fn keep_plan(
        &self,
        plan_id: &str,
        source: &str,
        text: &str,
        now: &str,
    ) -> Result<PlanFile, StoreError> {
        let hash = plan_hash(text);
        if let Some(current) = self.current_plan().await?
            && current.sm3 == hash
        {
            return Ok(current);
        }
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let row = sqlx::query(sql(
                "INSERT INTO plan_files (plan_id, sm3, source, text, loaded_at) VALUES (?, ?, ?, ?, ?) \
                 RETURNING id, plan_id, sm3, source, text, loaded_at",
                pg,
            ))
            .bind(plan_id)
            .bind(&hash)
            .bind(source)
            .bind(text)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let file = plan_file(&row)?;
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: "系统",
                    action: "plan.keep",
                    subject: format!("plan {}", file.id),
                    before: None,
                    after: Some(serde_json::json!({
                        "plan_id": file.plan_id, "sm3": file.sm3, "source": file.source,
                    })),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(file)
        })
    }
}
