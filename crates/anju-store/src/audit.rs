//! The audit log: every change to figures, users, sessions and plans, with
//! who, when, what and the before and after, appended in the transaction of
//! the change itself. Entries are chained with SM3 (GB/T 32905): an entry's
//! hash covers its number, content and the previous entry's hash, and the
//! head row keeps the last number and hash. Editing, inserting or removing
//! any row breaks the chain at that row; `Store::verify_audit` names it.

use sm3::{Digest, Sm3};
use sqlx::Row;

use crate::values::StoredValue;
use crate::{Store, StoreError, on_pool, sql};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One change as it is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its number in the chain (1, 2, …).
    pub id: i64,
    /// When (China time, RFC 3339).
    pub at: String,
    /// Who: a user name (for a failed login, the name tried).
    pub actor: String,
    /// What: `value.draft`, `value.submit`, `value.approve`, `value.return`,
    /// `value.correct`, `user.create`, `user.update`, `login`,
    /// `login.failed`, `logout`, `plan.keep`.
    pub action: String,
    /// What it was done to (`values 12,13`, `user xiashi`, `plan 3`).
    pub subject: String,
    /// JSON of the state before, if there was one.
    pub before: Option<String>,
    /// JSON of the state after, if there is one.
    pub after: Option<String>,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// A change to record (the store gives it its number and hashes).
pub(crate) struct Change<'a> {
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl AuditEntry {
    /// The hash its content gives: SM3 over a JSON array of its number,
    /// fields and the previous hash (JSON quoting makes the encoding
    /// unambiguous). Equal to `hash` unless the entry was changed.
    pub fn content_hash(&self) -> String {
        let text = serde_json::json!([
            self.id,
            self.at,
            self.actor,
            self.action,
            self.subject,
            self.before,
            self.after,
            self.prev_hash
        ])
        .to_string();
        Sm3::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Appends a change inside the caller's write transaction. The head row's
/// lock orders concurrent writers, so the chain never forks.
pub(crate) async fn append<DB: sqlx::Database>(
    tx: &mut sqlx::Transaction<'_, DB>,
    pg: bool,
    change: Change<'_>,
) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> i64: sqlx::Decode<'r, DB>,
    for<'r> String: sqlx::Decode<'r, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let head = sqlx::query(sql(
        "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
        pg,
    ))
    .fetch_one(&mut **tx)
    .await?;
    let (id, prev): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
    let mut e = AuditEntry {
        id,
        at: change.at.to_string(),
        actor: change.actor.to_string(),
        action: change.action.to_string(),
        subject: change.subject,
        before: change.before.map(|v| v.to_string()),
        after: change.after.map(|v| v.to_string()),
        prev_hash: prev,
        hash: String::new(),
    };
    e.hash = e.content_hash();
    sqlx::query(sql(
        "INSERT INTO audit_log (id, at, actor, action, subject, before, after, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        pg,
    ))
    .bind(e.id)
    .bind(e.at)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.subject)
    .bind(e.before)
    .bind(e.after)
    .bind(e.prev_hash)
    .bind(e.hash.clone())
    .execute(&mut **tx)
    .await?;
    let hash = e.hash;
    sqlx::query(sql("UPDATE audit_head SET hash = ? WHERE id = 1", pg))
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A version of a figure as the audit log shows it.
pub(crate) fn version(v: &StoredValue) -> serde_json::Value {
    let n = |d: Option<rust_decimal::Decimal>| d.map(|d| d.to_string());
    serde_json::json!({
        "id": v.id,
        "indicator": v.indicator,
        "org_unit": v.org_unit,
        "period": v.period,
        "version": v.version,
        "value": n(v.value),
        "numerator": n(v.numerator),
        "denominator": n(v.denominator),
        "state": v.state.as_str(),
        "late": v.late,
        "correction_reason": v.correction_reason,
        "return_reason": v.return_reason,
    })
}

/// `values 3,4,5` (at most the first 20 ids, then how many more).
pub(crate) fn subject_of(ids: impl IntoIterator<Item = i64>) -> String {
    let ids: Vec<i64> = ids.into_iter().collect();
    let shown: Vec<String> = ids.iter().take(20).map(i64::to_string).collect();
    if ids.len() > 20 {
        format!("values {} …(共 {} 条)", shown.join(","), ids.len())
    } else {
        format!("values {}", shown.join(","))
    }
}

/// What `verify_audit` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditCheck {
    /// The chain is whole: this many entries, ending in this hash.
    Whole {
        /// Entries.
        entries: i64,
        /// The last hash (or `GENESIS`).
        last_hash: String,
    },
    /// The first entry where the chain breaks, and why.
    Broken {
        /// The entry's number (for a removed tail: the first one missing).
        id: i64,
        /// Why, in Chinese.
        why: String,
    },
}

/// Filters of the audit listing.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only entries numbered below this (paging back from the newest).
    pub before_id: Option<i64>,
    /// At most this many (newest first).
    pub limit: i64,
}

fn entry<R>(r: &R) -> Result<AuditEntry, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        before: r.try_get("before")?,
        after: r.try_get("after")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

const ENTRY: &str =
    "SELECT id, at, actor, action, subject, before, after, prev_hash, hash FROM audit_log";

impl Store {
    /// Audit entries, newest first, filtered.
    pub async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        crate::plain_text("actor", filter.actor.as_deref().unwrap_or(""))?;
        crate::plain_text("action", filter.action.as_deref().unwrap_or(""))?;
        let mut text = format!("{ENTRY} WHERE 1 = 1");
        if filter.actor.is_some() {
            text.push_str(" AND actor = ?");
        }
        if filter.action.is_some() {
            text.push_str(" AND action = ?");
        }
        if filter.before_id.is_some() {
            text.push_str(" AND id < ?");
        }
        text.push_str(" ORDER BY id DESC LIMIT ?");
        on_pool!(self, |pool, pg| {
            let mut q = sqlx::query(sql(&text, pg));
            if let Some(a) = &filter.actor {
                q = q.bind(a);
            }
            if let Some(a) = &filter.action {
                q = q.bind(a);
            }
            if let Some(b) = filter.before_id {
                q = q.bind(b);
            }
            let rows = q.bind(filter.limit.clamp(1, 1000)).fetch_all(pool).await?;
            Ok(rows.iter().map(entry).collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Checks the whole chain, in pages: every entry numbered one after the
    /// other, each naming the previous hash, each hash matching its content,
    /// and the head naming the last entry. Names the first entry that fails.
    pub async fn verify_audit(&self) -> Result<AuditCheck, StoreError> {
        const PAGE: i64 = 5000;
        // The head first: entries written while the check runs come after
        // it and are left for the next check.
        let (seq, head): (i64, String) = on_pool!(self, |pool, pg| {
            let row = sqlx::query(sql("SELECT seq, hash FROM audit_head WHERE id = 1", pg))
                .fetch_one(pool)
                .await?;
            (row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?)
        });
        let mut expected_id = 1;
        let mut prev = GENESIS.to_string();
        while expected_id <= seq {
            let page: Vec<AuditEntry> = on_pool!(self, |pool, pg| {
                let rows = sqlx::query(sql(
                    &format!("{ENTRY} WHERE id >= ? AND id <= ? ORDER BY id LIMIT ?"),
                    pg,
                ))
                .bind(expected_id)
                .bind(seq)
                .bind(PAGE)
                .fetch_all(pool)
                .await?;
                rows.iter().map(entry).collect::<Result<Vec<_>, _>>()?
            });
            if page.is_empty() {
                break;
            }
            for e in &page {
                if e.id != expected_id {
                    return Ok(AuditCheck::Broken {
                        id: expected_id,
                        why: format!("第 {expected_id} 条缺失(下一条是第 {} 条)", e.id),
                    });
                }
                if e.prev_hash != prev {
                    return Ok(AuditCheck::Broken {
                        id: e.id,
                        why: "所记前一条的哈希与前一条不符(前一条被改动,或本条被改动)".into(),
                    });
                }
                let hash = e.content_hash();
                if hash != e.hash {
                    return Ok(AuditCheck::Broken {
                        id: e.id,
                        why: "内容与其哈希不符(本条被改动)".into(),
                    });
                }
                prev = hash;
                expected_id += 1;
            }
        }
        let last = expected_id - 1;
        if last != seq {
            return Ok(AuditCheck::Broken {
                id: last + 1,
                why: format!("日志只到第 {last} 条,而记录的末条是第 {seq} 条(末尾的条目被删除)"),
            });
        }
        if head != prev {
            return Ok(AuditCheck::Broken {
                id: last.max(1),
                why: "末条的哈希与记录的末条哈希不符(末条被改动)".into(),
            });
        }
        Ok(AuditCheck::Whole {
            entries: last,
            last_hash: prev,
        })
    }
}
