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
    /// What: `value.draft`, `value.submit`, `value.withdraw`, `value.approve`, `value.return`,
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
) -> Result<(), StoreError>
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
    .await
    .map_err(|err| match err.as_database_error() {
        // A row already stands where the head says the next one goes: it
        // was put there behind the service. Writing on would either fail
        // forever or fork the chain; every write is refused until the
        // audit administrator has looked (`anju audit verify`).
        Some(d) if d.is_unique_violation() => {
            let message = format!(
                "审计日志第 {id} 条已被他人写入(不是本系统所写),为保护记录,暂停一切写入;请审计管理员运行 anju audit verify 核查"
            );
            eprintln!("anju-store: {message}");
            StoreError::AuditBlocked(message)
        }
        _ => err.into(),
    })?;
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
        "period": v.period.to_string(),
        "version": v.version,
        "value": n(v.parts().0),
        "numerator": n(v.parts().1),
        "denominator": n(v.parts().2),
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

/// A stored version of a figure that is not what the audit log recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FigureMismatch {
    /// The version's id (`value_versions.id`).
    pub id: i64,
    /// What differs, in Chinese.
    pub why: String,
}

/// The fields of a version the audit log keeps and `verify_figures` compares.
const FIGURE_FIELDS: [&str; 7] = [
    "indicator",
    "org_unit",
    "period",
    "version",
    "value",
    "numerator",
    "denominator",
];

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

    /// Entries numbered after `after`, oldest first, at most `limit` (an
    /// export reads the whole log this way, page by page).
    pub async fn audit_page_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(
                &format!("{ENTRY} WHERE id > ? ORDER BY id LIMIT ?"),
                pg,
            ))
            .bind(after)
            .bind(limit.clamp(1, 10_000))
            .fetch_all(pool)
            .await?;
            Ok(rows.iter().map(entry).collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Records a use of the audit log itself (a verification, an export):
    /// the audit administrator is audited too.
    pub async fn note_audit_use(
        &self,
        actor: &str,
        action: &str,
        after: serde_json::Value,
        now: &str,
    ) -> Result<(), StoreError> {
        crate::plain_text("actor", actor)?;
        on_pool!(self, |pool, pg| {
            let mut tx = crate::write_tx!(pool, pg);
            append(
                &mut tx,
                pg,
                Change {
                    at: now,
                    actor,
                    action,
                    subject: "audit_log".into(),
                    before: None,
                    after: Some(after),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Compares every stored version of a figure with what the audit log
    /// last recorded of it (the `after` of its `value.*` entries): the
    /// figure itself (indicator, unit, period, version number, value,
    /// numerator, denominator) must be as recorded; an approved version must
    /// have been recorded approved; a version recorded approved may since
    /// have been superseded only by a later approved version of the same
    /// figure; and no recorded version may be missing from the table. Catches
    /// a figure or a state changed, or a version removed, in the tables
    /// behind the service, which the hash chain alone cannot see.
    pub async fn verify_figures(&self) -> Result<Vec<FigureMismatch>, StoreError> {
        const PAGE: i64 = 2000;
        let mut recorded: std::collections::HashMap<i64, serde_json::Value> =
            std::collections::HashMap::new();
        let mut from = i64::MIN;
        loop {
            let page: Vec<(i64, Option<String>)> = on_pool!(self, |pool, pg| {
                let rows = sqlx::query(sql(
                    "SELECT id, after FROM audit_log WHERE action LIKE 'value.%' AND id > ? ORDER BY id LIMIT ?",
                    pg,
                ))
                .bind(from)
                .bind(PAGE)
                .fetch_all(pool)
                .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<Option<String>, _>(1)?)))
                    .collect::<Result<Vec<_>, sqlx::Error>>()?
            });
            let Some(&(last, _)) = page.last() else { break };
            from = last;
            for (_, after) in page {
                let Some(after) = after else { continue };
                // A step records the versions it took as a list; a
                // correction records its one new version as an object.
                let versions = match serde_json::from_str(&after) {
                    Ok(serde_json::Value::Array(versions)) => versions,
                    Ok(one @ serde_json::Value::Object(_)) => vec![one],
                    _ => continue,
                };
                for v in versions {
                    if let Some(id) = v["id"].as_i64() {
                        recorded.insert(id, v);
                    }
                }
            }
        }
        type Row = (
            i64,
            i64,
            String,
            String,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
        );
        let rows: Vec<Row> = on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(
                "SELECT id, indicator, org_unit, period, version, value, numerator, denominator, state FROM value_versions ORDER BY id",
                pg,
            ))
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                        r.try_get(6)?,
                        r.try_get(7)?,
                        r.try_get(8)?,
                    ))
                })
                .collect::<Result<Vec<Row>, sqlx::Error>>()?
        });
        // The highest version number approved, per figure, as stored now.
        let mut approved_at: std::collections::HashMap<(i64, &str, &str), i64> =
            std::collections::HashMap::new();
        for r in &rows {
            if r.8 == "approved" {
                let k = approved_at
                    .entry((r.1, r.2.as_str(), r.3.as_str()))
                    .or_insert(0);
                *k = (*k).max(r.4);
            }
        }
        let mut out = Vec::new();
        // The service never removes a version: one recorded and gone was
        // removed behind it.
        let stored: std::collections::HashSet<i64> = rows.iter().map(|r| r.0).collect();
        let mut gone: Vec<i64> = recorded
            .keys()
            .copied()
            .filter(|id| !stored.contains(id))
            .collect();
        gone.sort_unstable();
        for id in gone {
            out.push(FigureMismatch {
                id,
                why: format!(
                    "审计日志记有这条数据(指标 {} {} {}),数据表中却没有:已被删除",
                    recorded[&id]["indicator"],
                    recorded[&id]["org_unit"].as_str().unwrap_or(""),
                    recorded[&id]["period"].as_str().unwrap_or("")
                ),
            });
        }
        for r in &rows {
            let (id, state) = (r.0, r.8.as_str());
            let Some(log) = recorded.get(&id) else {
                out.push(FigureMismatch {
                    id,
                    why: "审计日志中没有这条数据的记录(不是经本系统写入的)".into(),
                });
                continue;
            };
            let now = serde_json::json!({
                "indicator": r.1, "org_unit": r.2, "period": r.3, "version": r.4,
                "value": r.5, "numerator": r.6, "denominator": r.7,
            });
            let changed: Vec<&str> = FIGURE_FIELDS
                .iter()
                .copied()
                .filter(|f| now[*f] != log[*f])
                .collect();
            if !changed.is_empty() {
                let shown: Vec<String> = changed
                    .iter()
                    .map(|f| format!("{f} 记为 {},现为 {}", log[*f], now[*f]))
                    .collect();
                out.push(FigureMismatch {
                    id,
                    why: format!("与审计日志所记不符:{}", shown.join(";")),
                });
                continue;
            }
            let logged = log["state"].as_str().unwrap_or("");
            if state == "approved" && logged != "approved" {
                out.push(FigureMismatch {
                    id,
                    why: format!("现为“已审核”,而审计日志所记最后状态为“{logged}”"),
                });
            } else if logged == "approved" && state != "approved" {
                let later = approved_at
                    .get(&(r.1, r.2.as_str(), r.3.as_str()))
                    .is_some_and(|&v| v > r.4);
                if !(state == "superseded" && later) {
                    out.push(FigureMismatch {
                        id,
                        why: format!(
                            "审计日志记为“approved”,现为“{state}”,且没有更新的已审核版本取代它"
                        ),
                    });
                }
            }
        }
        Ok(out)
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
        // Rows outside the chain: above the head (read again in the same
        // statement, so an entry written meanwhile is not one of them), or
        // numbered below 1. The service never writes such a row.
        let (outside, first): (i64, Option<i64>) = on_pool!(self, |pool, pg| {
            let row = sqlx::query(sql(
                "SELECT COUNT(*), MIN(id) FROM audit_log WHERE id > (SELECT seq FROM audit_head WHERE id = 1) OR id < 1",
                pg,
            ))
            .fetch_one(pool)
            .await?;
            (row.try_get::<i64, _>(0)?, row.try_get::<Option<i64>, _>(1)?)
        });
        if outside > 0 {
            let first = first.unwrap_or(0);
            return Ok(AuditCheck::Broken {
                id: first,
                why: format!(
                    "链外有 {outside} 条不是本系统写入的条目(末条是第 {last} 条,另有从第 {first} 条起的条目),系伪造或插入"
                ),
            });
        }
        Ok(AuditCheck::Whole {
            entries: last,
            last_hash: prev,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

    /// The service has no way to change or remove an audit entry: no SQL in
    /// any crate's code (tests aside) updates or deletes `audit_log`, so an
    /// entry is kept for as long as the database is (at least the 180 days
    /// 等保 and the 网络安全法 ask).
    #[test]
    fn no_code_changes_or_removes_an_audit_entry() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut seen = 0;
        let mut stack = vec![crates];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                if path.is_dir() {
                    if name != "tests" && name != "target" {
                        stack.push(path);
                    }
                } else if name.ends_with(".rs") || name.ends_with(".sql") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Only the code before a file's own tests module.
                    let code = text.split("#[cfg(test)]").next().unwrap().to_uppercase();
                    let squeezed: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
                    for bad in [
                        "DELETE FROM AUDIT_LOG",
                        "UPDATE AUDIT_LOG",
                        "DROP TABLE AUDIT_LOG",
                        "TRUNCATE AUDIT_LOG",
                    ] {
                        assert!(!squeezed.contains(bad), "{} has {bad}", path.display());
                    }
                    seen += 1;
                }
            }
        }
        assert!(seen > 50, "the crates' sources were read ({seen} files)");
    }
}
