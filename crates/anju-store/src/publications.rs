//! Published months (月晾晒). The task force publishes a month's results; the
//! snapshot — evaluation rows (with the towns' rankings), the approved
//! figures behind them, the corrections approved since the previous
//! publication — is stored as published and never changes. Publishing a month
//! again needs a reason and makes a new version; every version stays.

use sqlx::Row;

use crate::{Store, StoreError, on_pool, sql, write_tx};

/// A publication as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publication {
    /// Its id.
    pub id: i64,
    /// The month published (YYYY-MM).
    pub as_of: String,
    /// 1, then 2, 3… for republications.
    pub version: i64,
    /// Why it was published again (republications only).
    pub reason: Option<String>,
    /// Who published it.
    pub published_by: String,
    /// When.
    pub published_at: String,
    /// The revision of the approved figures it was made from.
    pub revision: i64,
    /// The audit log's last hash when it was published: publishing it anchors
    /// the log (a later rewrite of the log cannot reproduce it).
    pub audit_hash: String,
    /// The evaluation rows, as `anju eval --format json` writes them.
    pub rows_json: String,
    /// The approved versions behind them (JSON array).
    pub values_json: String,
    /// Corrections approved since the previous publication (JSON array).
    pub corrections_json: String,
    /// The month's completeness when it was published (JSON; none before
    /// issue #12).
    pub completeness_json: Option<String>,
}

/// What a new publication carries; the store adds the rest.
pub struct NewPublication<'a> {
    /// The month.
    pub as_of: &'a str,
    /// Why again (needed when the month is published already).
    pub reason: Option<&'a str>,
    /// The revision the rows were computed at.
    pub revision: i64,
    /// The rows (JSON array).
    pub rows_json: String,
    /// The figures behind them (JSON array).
    pub values_json: String,
    /// The month's completeness as the service found it (JSON object).
    pub completeness_json: Option<String>,
}

const COLUMNS: &str = "id, as_of, version, reason, published_by, published_at, revision, audit_hash, rows_json, values_json, corrections_json, completeness_json";

fn publication<R>(r: &R) -> Result<Publication, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Publication {
        id: r.try_get("id")?,
        as_of: r.try_get("as_of")?,
        version: r.try_get("version")?,
        reason: r.try_get("reason")?,
        published_by: r.try_get("published_by")?,
        published_at: r.try_get("published_at")?,
        revision: r.try_get("revision")?,
        audit_hash: r.try_get("audit_hash")?,
        rows_json: r.try_get("rows_json")?,
        values_json: r.try_get("values_json")?,
        corrections_json: r.try_get("corrections_json")?,
        completeness_json: r.try_get("completeness_json")?,
    })
}

impl Store {
    /// Publishes a month. A month published already is a conflict unless a
    /// reason is given (a republication, the next version). The corrections
    /// approved since the previous publication (of any month) are listed.
    pub async fn publish(
        &self,
        new: &NewPublication<'_>,
        by: &str,
        now: &str,
    ) -> Result<Publication, StoreError> {
        let reason = new.reason.map(str::trim).filter(|r| !r.is_empty());
        crate::reason_text("reason", reason.unwrap_or(""))?;
        crate::plain_text("by", by)?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            // Publications are ordered by the audit head's lock (below) on
            // PostgreSQL and by the write lock on SQLite; take it first.
            let audit_hash: String = sqlx::query_scalar(sql(
                "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING hash",
                pg,
            ))
            .fetch_one(&mut *tx)
            .await?;
            let last: Option<i64> = sqlx::query_scalar(sql(
                "SELECT MAX(version) FROM publications WHERE as_of = ?",
                pg,
            ))
            .bind(new.as_of)
            .fetch_one(&mut *tx)
            .await?;
            if last.is_some() && reason.is_none() {
                return Err(StoreError::Published(new.as_of.to_string()));
            }
            // Corrections approved after the previous publication's figures
            // were read (its revision).
            let previous: Option<i64> =
                sqlx::query_scalar(sql("SELECT MAX(revision) FROM publications", pg))
                    .fetch_one(&mut *tx)
                    .await?;
            let corrections = sqlx::query(sql(
                "SELECT id, indicator, org_unit, period, value, numerator, denominator, correction_reason, created_by, decided_by, decided_at \
                 FROM value_versions WHERE correction_reason IS NOT NULL AND approved_rev > ? AND approved_rev <= ? ORDER BY id",
                pg,
            ))
            .bind(previous.unwrap_or(0))
            .bind(new.revision)
            .fetch_all(&mut *tx)
            .await?;
            let mut list = Vec::with_capacity(corrections.len());
            for r in &corrections {
                list.push(serde_json::json!({
                    "id": r.try_get::<i64, _>("id")?,
                    "indicator": r.try_get::<i64, _>("indicator")?,
                    "org_unit": r.try_get::<String, _>("org_unit")?,
                    "period": r.try_get::<String, _>("period")?,
                    "value": r.try_get::<Option<String>, _>("value")?,
                    "numerator": r.try_get::<Option<String>, _>("numerator")?,
                    "denominator": r.try_get::<Option<String>, _>("denominator")?,
                    "reason": r.try_get::<Option<String>, _>("correction_reason")?,
                    "approved_at": r.try_get::<Option<String>, _>("decided_at")?,
                }));
            }
            let corrections_json = serde_json::Value::Array(list).to_string();
            let row = sqlx::query(sql(
                &format!(
                    "INSERT INTO publications (as_of, version, reason, published_by, published_at, revision, audit_hash, rows_json, values_json, corrections_json, completeness_json) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
                ),
                pg,
            ))
            .bind(new.as_of)
            .bind(last.unwrap_or(0) + 1)
            .bind(reason)
            .bind(by)
            .bind(now)
            .bind(new.revision)
            .bind(&audit_hash)
            .bind(&new.rows_json)
            .bind(&new.values_json)
            .bind(&corrections_json)
            .bind(new.completeness_json.as_deref())
            .fetch_one(&mut *tx)
            .await?;
            let made = publication(&row)?;
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: "publication.publish",
                    subject: format!("publication {} v{}", made.as_of, made.version),
                    before: None,
                    after: Some(serde_json::json!({
                        "as_of": made.as_of,
                        "version": made.version,
                        "reason": made.reason,
                        "revision": made.revision,
                        "audit_hash": made.audit_hash,
                        "completeness": made
                            .completeness_json
                            .as_deref()
                            .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok()),
                        "rows_sm3": crate::plans::plan_hash(&made.rows_json),
                        "values_sm3": crate::plans::plan_hash(&made.values_json),
                    })),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(made)
        })
    }

    /// The newest version of a month's publication, or a given version.
    pub async fn publication(
        &self,
        as_of: &str,
        version: Option<i64>,
    ) -> Result<Option<Publication>, StoreError> {
        if as_of.contains('\0') {
            return Ok(None);
        }
        on_pool!(self, |pool, pg| {
            let row = match version {
                Some(v) => {
                    sqlx::query(sql(
                        &format!("SELECT {COLUMNS} FROM publications WHERE as_of = ? AND version = ?"),
                        pg,
                    ))
                    .bind(as_of)
                    .bind(v)
                    .fetch_optional(pool)
                    .await?
                }
                None => {
                    sqlx::query(sql(
                        &format!(
                            "SELECT {COLUMNS} FROM publications WHERE as_of = ? ORDER BY version DESC LIMIT 1"
                        ),
                        pg,
                    ))
                    .bind(as_of)
                    .fetch_optional(pool)
                    .await?
                }
            };
            Ok(row.map(|r| publication(&r)).transpose()?)
        })
    }

    /// Every publication, newest first (without their contents: the rows,
    /// figures and corrections are left empty).
    pub async fn publications(&self) -> Result<Vec<Publication>, StoreError> {
        on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(
                "SELECT id, as_of, version, reason, published_by, published_at, revision, audit_hash, \
                 '' AS rows_json, '' AS values_json, '' AS corrections_json, completeness_json FROM publications ORDER BY id DESC",
                pg,
            ))
            .fetch_all(pool)
            .await?;
            Ok(rows
                .iter()
                .map(publication)
                .collect::<Result<Vec<_>, _>>()?)
        })
    }
}
