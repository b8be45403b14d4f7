//! Figures by the file and by the hundred thousand: an import stored (and
//! submitted) in one transaction, and a bulk approval of everything a filter
//! names. The rules are those of a figure at a time (`Store::put_drafts`,
//! `Store::step`) — a draft is superseded, a returned figure entered again,
//! nothing waiting for review or approved is touched, no one approves what
//! they entered — applied to blocks of rows with one statement each, and
//! audited in entries of at most [`AUDIT_BLOCK`] versions, with the same
//! shape as the single steps so that `verify_figures` reads them alike (an
//! import that submits too is one act, `value.import`, recording the versions
//! as they stand: submitted).

use std::collections::HashMap;

use anju_core::period::Period;
use anju_core::workflow::State;
use sqlx::Row;

use crate::values::{NewValue, Now, StoredValue, check_amount, text};
use crate::{Store, StoreError, on_pool, sql, write_tx};

/// Rows a statement takes at once (well under both backends' limits on
/// parameters). Statements that name rows by id compare the state as
/// `state || ''`, so that SQLite looks the ids up rather than scanning every
/// row in that state by the state's index (a bulk approval of a province
/// took 246 s so, 38 s without).
const BLOCK: usize = 1000;
/// Versions one audit entry lists at most.
pub const AUDIT_BLOCK: usize = 5_000;

/// What an import stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The new versions' ids, in the order of the input.
    pub ids: Vec<i64>,
    /// Whether they were submitted too.
    pub submitted: bool,
}

/// Which submitted figures a bulk approval takes (every part optional).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only these units (their names as stored): a unit's whole subtree,
    /// named by the caller. `None`: every unit.
    pub org_units: Option<Vec<String>>,
    /// Only periods ending in or after this month (`YYYY-MM`, compared as
    /// text with the period's first seven characters).
    pub from: Option<String>,
    /// Only periods up to this month.
    pub to: Option<String>,
    /// Only this indicator.
    pub indicator: Option<u16>,
}

/// A submitted version a selection takes, as the permission check needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Its id.
    pub id: i64,
    /// Its indicator's code.
    pub indicator: u16,
    /// Who entered it.
    pub created_by: String,
}

/// A figure's key as stored: indicator, unit, period.
type Key = (i64, String, String);
/// What is stored of a figure: its latest version's number, id and state,
/// and the version waiting or approved, if any.
type Known = (i64, i64, String, Option<(i64, String)>);

/// The versions of the figures listed in a `k(i, o, p)` table of keys, as
/// a `FROM` clause yielding `v`, looked up by the figure's index on both
/// backends: PostgreSQL's planner, which knows nothing yet of a table an
/// import is filling, otherwise hashes the whole table for every block (a
/// province's import took 200 s so); `LATERAL` makes it a lookup per key.
fn by_key(pg: bool, columns: &str) -> String {
    if pg {
        format!(
            "k CROSS JOIN LATERAL (SELECT {columns} FROM value_versions v \
             WHERE v.indicator = k.i AND v.org_unit = k.o AND v.period = k.p) v"
        )
    } else {
        "k JOIN value_versions v ON v.indicator = k.i AND v.org_unit = k.o AND v.period = k.p"
            .into()
    }
}

/// Makes PostgreSQL look the figures of a bulk transaction up by their
/// indexes. Its plans of a statement are cached per connection, planned
/// once for a table that may have been small then (an import fills it as it
/// goes): a cached plan that hashed the whole table for each block of 1,000
/// keys made a province's import 67 s, and worse as the table grew. Plans
/// made afresh each time, without table scans, hold whatever the table's size.
async fn by_index<DB: sqlx::Database>(
    tx: &mut sqlx::Transaction<'_, DB>,
    pg: bool,
) -> Result<(), StoreError>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    if pg {
        for set in [
            "SET LOCAL plan_cache_mode = force_custom_plan",
            "SET LOCAL enable_seqscan = off",
        ] {
            sqlx::query(set).execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// A `k(i, o, p)` table of figure keys from one parameter, a JSON array of
/// `[indicator, unit, period]`.
fn json_keys(pg: bool) -> String {
    format!(
        "k(i, o, p) AS (SELECT {} FROM {})",
        json_columns(pg, 0..3),
        json_rows(pg)
    )
}

/// The rows of one parameter, a JSON array of arrays, as a `FROM` item `e`.
fn json_rows(pg: bool) -> &'static str {
    if pg {
        "jsonb_array_elements(CAST(? AS jsonb)) AS e(value)"
    } else {
        "json_each(?) e"
    }
}

/// The elements `range` of each row of [`json_rows`], as SQL values: the
/// indicator (0), the version (3) and the late mark (7) as integers, the
/// others as text (decimals stay exact: they travel as JSON strings), JSON
/// `null` as `NULL`.
fn json_columns(pg: bool, range: std::ops::Range<usize>) -> String {
    range
        .map(|n| {
            let integer = matches!(n, 0 | 3 | 7);
            match (pg, integer) {
                (true, true) => format!("CAST(e.value->>{n} AS BIGINT)"),
                (true, false) => format!("e.value->>{n}"),
                (false, _) => format!("json_extract(e.value, '$[{n}]')"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn placeholders(rows: usize, per_row: usize) -> String {
    let one = format!("({})", vec!["?"; per_row].join(", "));
    vec![one; rows].join(", ")
}

impl Store {
    /// Stores a file's figures as drafts of `user`, and submits them when
    /// `submit` gives the plan's deadline day: all in one transaction, all or
    /// nothing. The same figure twice in `values` is refused.
    pub async fn import_values(
        &self,
        values: &[NewValue],
        user: &str,
        now: &Now,
        submit: Option<crate::Deadline<'_>>,
    ) -> Result<Imported, StoreError> {
        self.import_values_noting(values, user, now, submit, &[])
            .await
    }

    /// [`Store::import_values`], keeping with each submitted figure the
    /// warnings the service found (`warnings[k]` for `values[k]`; a shorter
    /// list, or an empty entry, means none).
    pub async fn import_values_noting(
        &self,
        values: &[NewValue],
        user: &str,
        now: &Now,
        submit: Option<crate::Deadline<'_>>,
        warnings: &[Vec<String>],
    ) -> Result<Imported, StoreError> {
        crate::plain_text("user", user)?;
        let mut seen: HashMap<(u16, &str, Period), usize> = HashMap::with_capacity(values.len());
        for (k, v) in values.iter().enumerate() {
            crate::plain_text(&format!("values[{k}].org_unit"), &v.org_unit)?;
            check_amount(v)?;
            if let Some(first) = seen.insert((v.indicator, v.org_unit.as_str(), v.period), k) {
                return Err(StoreError::Invalid(format!(
                    "values[{k}]:与 values[{first}] 是同一指标、单位和期间(指标 {} {} {}),一次只能填一个数",
                    v.indicator, v.org_unit, v.period
                )));
            }
        }
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            by_index(&mut tx, pg).await?;
            let mut ids = vec![0i64; values.len()];
            let mut made: Vec<StoredValue> = Vec::with_capacity(AUDIT_BLOCK);
            for (b, block) in values.chunks(BLOCK).enumerate() {
                let base = b * BLOCK;
                // What is stored of these figures: every version's number and
                // state (a fresh import finds none). The keys go as one JSON
                // text (one parameter, not three per row: PostgreSQL took
                // 35 ms a block to take 3,000 parameters), looked up by the
                // figure's index.
                let keys = serde_json::Value::Array(
                    block
                        .iter()
                        .map(|v| serde_json::json!([v.indicator, v.org_unit, v.period.to_string()]))
                        .collect(),
                )
                .to_string();
                let lookup = format!(
                    "WITH {} SELECT v.id, v.indicator, v.org_unit, v.period, v.version, v.state FROM {}",
                    json_keys(pg),
                    by_key(
                        pg,
                        "v.id, v.indicator, v.org_unit, v.period, v.version, v.state"
                    )
                );
                let q = sqlx::query(sql(&lookup, pg)).bind(keys);
                // (indicator, unit, period) → (latest version, its id and
                // state, whether one waits or is approved).
                let mut stored: HashMap<Key, Known> = HashMap::new();
                for row in q.fetch_all(&mut *tx).await? {
                    let key: (i64, String, String) =
                        (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
                    let (id, version, state): (i64, i64, String) =
                        (row.try_get(0)?, row.try_get(4)?, row.try_get(5)?);
                    let e = stored.entry(key).or_insert((0, 0, String::new(), None));
                    if version > e.0 {
                        e.0 = version;
                        e.1 = id;
                        e.2.clone_from(&state);
                    }
                    if matches!(state.as_str(), "submitted" | "approved") {
                        e.3 = Some((id, state));
                    }
                }
                let mut supersede = Vec::new();
                let mut numbers = Vec::with_capacity(block.len());
                for v in block {
                    let key = (
                        i64::from(v.indicator),
                        v.org_unit.clone(),
                        v.period.to_string(),
                    );
                    let mut version = 1;
                    if let Some((latest, id, state, live)) = stored.get(&key) {
                        if let Some((live_id, live_state)) = live {
                            return Err(StoreError::Conflict {
                                id: *live_id,
                                message: format!(
                                    "指标 {} {} {}:{}",
                                    v.indicator,
                                    v.org_unit,
                                    v.period,
                                    if live_state == "approved" {
                                        "已审核;如需更改,请提交更正并说明理由"
                                    } else {
                                        "待审核,不能直接修改;如需修改请先撤回"
                                    }
                                ),
                            });
                        }
                        version = latest + 1;
                        if State::parse(state) == Some(State::Draft) {
                            supersede.push(*id);
                        }
                    }
                    numbers.push(version);
                }
                if !supersede.is_empty() {
                    let update = format!(
                        "UPDATE value_versions SET state = 'superseded' WHERE id IN ({}) AND state || '' = 'draft'",
                        vec!["?"; supersede.len()].join(", ")
                    );
                    let mut q = sqlx::query(sql(&update, pg));
                    for id in &supersede {
                        q = q.bind(*id);
                    }
                    let done = q.execute(&mut *tx).await?.rows_affected();
                    if done != supersede.len() as u64 {
                        return Err(StoreError::Conflict {
                            id: supersede[0],
                            message: "数据刚被他人处理,请刷新后重试".into(),
                        });
                    }
                }
                // Submitted as they are written, when the import submits
                // (each row written once: a draft then its submission was two
                // writes of every row and every index).
                let late: Vec<bool> = block
                    .iter()
                    .map(|v| submit.is_some_and(|d| d.is_late(v.indicator, v.period, now.date)))
                    .collect();
                let state = if submit.is_some() {
                    State::Submitted
                } else {
                    State::Draft
                };
                let noted = |k: usize| -> Option<String> {
                    warnings
                        .get(b * BLOCK + k)
                        .filter(|w| submit.is_some() && !w.is_empty())
                        .map(|w| serde_json::Value::from(w.clone()).to_string())
                };
                let rows_json = serde_json::Value::Array(
                    block
                        .iter()
                        .zip(&numbers)
                        .zip(&late)
                        .enumerate()
                        .map(|(k, ((v, version), late))| {
                            serde_json::json!([
                                v.indicator,
                                v.org_unit,
                                v.period.to_string(),
                                version,
                                text(v.parts().0),
                                text(v.parts().1),
                                text(v.parts().2),
                                i64::from(*late),
                                noted(k),
                            ])
                        })
                        .collect(),
                )
                .to_string();
                let insert = format!(
                    "INSERT INTO value_versions (indicator, org_unit, period, version, value, numerator, denominator, state, late, warnings_json, created_by, created_at) \
                     SELECT {}, ?, {}, ?, ? FROM {} RETURNING id, indicator, org_unit, period",
                    json_columns(pg, 0..7),
                    json_columns(pg, 7..9),
                    json_rows(pg)
                );
                // Bound in the order of the `?` in the text: the block's
                // rows (in `json_rows`) come last.
                let q = sqlx::query(sql(&insert, pg))
                    .bind(state.as_str())
                    .bind(user)
                    .bind(now.stamp.as_str())
                    .bind(rows_json);
                let rows = q
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(crate::values::unique_race)?;
                // RETURNING's order is not promised: by the figure's key.
                let mut by_key: HashMap<(i64, String, String), i64> =
                    HashMap::with_capacity(rows.len());
                for row in rows {
                    by_key.insert(
                        (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?),
                        row.try_get(0)?,
                    );
                }
                for (k, ((v, version), late)) in block.iter().zip(&numbers).zip(&late).enumerate() {
                    let period = v.period.to_string();
                    let id = by_key
                        .get(&(i64::from(v.indicator), v.org_unit.clone(), period.clone()))
                        .copied()
                        .ok_or_else(|| StoreError::Invalid("导入的数据未能全部写入".into()))?;
                    ids[base + k] = id;
                    made.push(StoredValue {
                        id,
                        indicator: v.indicator,
                        org_unit: v.org_unit.clone(),
                        period: v.period,
                        version: *version,
                        amount: v.amount,
                        state,
                        late: *late,
                        correction_reason: None,
                        return_reason: None,
                        created_by: user.to_string(),
                        created_at: now.stamp.clone(),
                        decided_by: None,
                        decided_at: None,
                        warnings: warnings
                            .get(base + k)
                            .filter(|_| submit.is_some())
                            .cloned()
                            .unwrap_or_default(),
                    });
                }
                let last = base + block.len() == values.len();
                if made.len() >= AUDIT_BLOCK || last {
                    if submit.is_some() {
                        // Entered and submitted in one act: one entry, with
                        // the versions as they now stand.
                        made.sort_by_key(|v| v.id);
                        audit_block(&mut tx, pg, user, now, "value.import", &mut made, None)
                            .await?;
                    } else {
                        audit_block(&mut tx, pg, user, now, "value.draft", &mut made, None).await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(Imported {
                ids,
                submitted: submit.is_some(),
            })
        })
    }
}

/// One audit entry for a block of versions (emptied after).
async fn audit_block<DB: sqlx::Database>(
    tx: &mut sqlx::Transaction<'_, DB>,
    pg: bool,
    user: &str,
    now: &Now,
    action: &str,
    versions: &mut Vec<StoredValue>,
    before: Option<&mut Vec<serde_json::Value>>,
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
    if versions.is_empty() {
        return Ok(());
    }
    let before = before.map(|b| serde_json::Value::Array(std::mem::take(b)));
    crate::audit::append(
        tx,
        pg,
        crate::audit::Change {
            at: &now.stamp,
            actor: user,
            action,
            subject: crate::audit::subject_of(versions.iter().map(|v| v.id)),
            before,
            after: Some(versions.iter().map(crate::audit::version).collect()),
        },
    )
    .await?;
    versions.clear();
    Ok(())
}

impl Store {
    /// Versions by id, in the order of `ids` (an id not stored is left out).
    pub async fn values_by_ids(&self, ids: &[i64]) -> Result<Vec<StoredValue>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        on_pool!(self, |pool, pg| {
            for block in ids.chunks(BLOCK) {
                let read = format!(
                    concat!(
                        "SELECT ",
                        crate::values::columns!(),
                        " FROM value_versions WHERE id IN ({})"
                    ),
                    vec!["?"; block.len()].join(", ")
                );
                let mut q = sqlx::query(sql(&read, pg));
                for id in block {
                    q = q.bind(*id);
                }
                let mut got: HashMap<i64, StoredValue> = q
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(|r| crate::values::stored(r).map(|v| (v.id, v)))
                    .collect::<Result<_, _>>()?;
                out.extend(block.iter().filter_map(|id| got.remove(id)));
            }
            Ok(out)
        })
    }

    /// The submitted versions a selection takes, oldest first.
    pub async fn submitted_in(&self, sel: &Selection) -> Result<Vec<Candidate>, StoreError> {
        let from = sel
            .from
            .as_deref()
            .map(anju_core::period::YearMonth::parse)
            .transpose();
        let to = sel
            .to
            .as_deref()
            .map(anju_core::period::YearMonth::parse)
            .transpose();
        let (from, to) = match (from, to) {
            (Ok(f), Ok(t)) => (f, t),
            _ => return Err(StoreError::Invalid("月份应写作 YYYY-MM".into())),
        };
        let units: Option<std::collections::HashSet<&str>> = sel
            .org_units
            .as_ref()
            .map(|u| u.iter().map(String::as_str).collect());
        on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(
                "SELECT id, indicator, org_unit, period, created_by FROM value_versions \
                 WHERE state = 'submitted' AND (CAST(? AS BIGINT) IS NULL OR indicator = ?) ORDER BY id",
                pg,
            ))
            .bind(sel.indicator.map(i64::from))
            .bind(sel.indicator.map(i64::from))
            .fetch_all(pool)
            .await?;
            let mut out = Vec::new();
            for r in rows {
                let org: String = r.try_get(2)?;
                if units.as_ref().is_some_and(|u| !u.contains(org.as_str())) {
                    continue;
                }
                let period: String = r.try_get(3)?;
                let Ok(p) = Period::parse(&period) else {
                    continue;
                };
                if from.is_some_and(|f| p.end() < f) || to.is_some_and(|t| p.end() > t) {
                    continue;
                }
                out.push(Candidate {
                    id: r.try_get(0)?,
                    indicator: u16::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
                    created_by: r.try_get(4)?,
                });
            }
            Ok(out)
        })
    }

    /// Approves submitted versions by `user` (checked by the caller: the
    /// permission table, never one's own), superseding the approved versions
    /// they correct: all in one transaction, all or nothing (a version no
    /// longer submitted fails the whole), audited in blocks; the revision
    /// is raised once. How many were approved.
    pub async fn approve_all(
        &self,
        ids: &[i64],
        user: &str,
        now: &Now,
    ) -> Result<usize, StoreError> {
        crate::plain_text("user", user)?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            by_index(&mut tx, pg).await?;
            // The revision's lock before the audit head's, as every writer
            // takes them.
            if ids.is_empty() {
                return Ok(0);
            }
            let revision: i64 = sqlx::query_scalar(sql(
                "UPDATE anju_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision",
                pg,
            ))
            .fetch_one(&mut *tx)
            .await?;
            let mut done: Vec<StoredValue> = Vec::with_capacity(AUDIT_BLOCK);
            let mut before = Vec::with_capacity(AUDIT_BLOCK);
            for (b, block) in ids.chunks(BLOCK).enumerate() {
                let list = vec!["?"; block.len()].join(", ");
                let read = format!(
                    concat!(
                        "SELECT ",
                        crate::values::columns!(),
                        " FROM value_versions WHERE id IN ({})"
                    ),
                    list
                );
                let mut q = sqlx::query(sql(&read, pg));
                for id in block {
                    q = q.bind(*id);
                }
                let mut versions = q
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(crate::values::stored)
                    .collect::<Result<Vec<_>, _>>()?;
                if versions.len() != block.len() {
                    let found: std::collections::HashSet<i64> =
                        versions.iter().map(|v| v.id).collect();
                    let missing = block
                        .iter()
                        .find(|id| !found.contains(id))
                        .copied()
                        .unwrap_or(0);
                    return Err(StoreError::NotFound(missing));
                }
                if let Some(v) = versions.iter().find(|v| v.state != State::Submitted) {
                    return Err(StoreError::Conflict {
                        id: v.id,
                        message: "不是待审核的数据(可能刚被他人处理),本次未审核任何数据".into(),
                    });
                }
                // The approved versions these replace: looked up by the
                // figure's key, then superseded by id (each step by an index
                // on both backends, whatever the planner knows of the table).
                let series = format!(
                    "WITH k(i, o, p) AS (VALUES {}) SELECT v.id FROM {} WHERE v.state || '' = 'approved'",
                    placeholders(versions.len(), 3),
                    by_key(pg, "v.id, v.state")
                );
                let mut q = sqlx::query(sql(&series, pg));
                for v in &versions {
                    q = q
                        .bind(i64::from(v.indicator))
                        .bind(v.org_unit.as_str())
                        .bind(v.period.to_string());
                }
                let replaced: Vec<i64> = q
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get(0))
                    .collect::<Result<_, _>>()?;
                if !replaced.is_empty() {
                    let supersede = format!(
                        "UPDATE value_versions SET state = 'superseded', changed_rev = ? \
                         WHERE id IN ({}) AND state || '' = 'approved'",
                        vec!["?"; replaced.len()].join(", ")
                    );
                    let mut q = sqlx::query(sql(&supersede, pg)).bind(revision);
                    for id in &replaced {
                        q = q.bind(*id);
                    }
                    if q.execute(&mut *tx).await?.rows_affected() != replaced.len() as u64 {
                        return Err(StoreError::Conflict {
                            id: replaced[0],
                            message: "数据刚被他人处理,请刷新后重试".into(),
                        });
                    }
                }
                // Approved, and marked changed at this revision, in one write
                // of each row (three writes made PostgreSQL's approval of a
                // province three times as slow).
                let approve = format!(
                    "UPDATE value_versions SET state = 'approved', decided_by = ?, decided_at = ?, \
                     changed_rev = ?, approved_rev = ? \
                     WHERE id IN ({list}) AND state || '' = 'submitted'"
                );
                let mut q = sqlx::query(sql(&approve, pg))
                    .bind(user)
                    .bind(now.stamp.as_str())
                    .bind(revision)
                    .bind(revision);
                for id in block {
                    q = q.bind(*id);
                }
                if q.execute(&mut *tx).await?.rows_affected() != block.len() as u64 {
                    return Err(StoreError::Conflict {
                        id: block[0],
                        message: "数据刚被他人处理,请刷新后重试".into(),
                    });
                }
                for v in &mut versions {
                    before.push(serde_json::json!({"id": v.id, "state": v.state.as_str()}));
                    v.state = State::Approved;
                    v.decided_by = Some(user.to_string());
                    v.decided_at = Some(now.stamp.clone());
                }
                done.extend(versions);
                if done.len() >= AUDIT_BLOCK || (b + 1) * BLOCK >= ids.len() {
                    audit_block(
                        &mut tx,
                        pg,
                        user,
                        now,
                        "value.approve",
                        &mut done,
                        Some(&mut before),
                    )
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(ids.len())
        })
    }
}
