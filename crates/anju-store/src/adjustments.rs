//! Target adjustments (适当调整完善) and decomposition files as kept: an
//! adjustment proposed with a reason and the month it takes effect, approved
//! or rejected once (the state's step is the core's), never overwriting the
//! original. Which targets are in force is the core's rule
//! (`anju_core::adjustments::targets_in_force`).

use anju_core::adjustments::{Adjustment, AdjustmentState, Decomposition};
use anju_core::period::YearMonth;
use anju_core::plan::Target;
use rust_decimal::Decimal;
use sqlx::Row;
use std::str::FromStr;

use crate::{Store, StoreError, on_pool, sql, write_tx};

/// A proposal.
pub struct NewAdjustment<'a> {
    /// The indicator's code.
    pub indicator: u16,
    /// The unit (the plan's name).
    pub org_unit: &'a str,
    /// The target year.
    pub year: i32,
    /// The new target.
    pub target: Target,
    /// The month it takes effect.
    pub effective: YearMonth,
    /// Why.
    pub reason: &'a str,
}

const COLUMNS: &str = "id, indicator, org_unit, year, target, comparator, effective, reason, state, proposed_by, proposed_at, decided_by, decided_at, decision_note";

fn adjustment<R>(r: &R) -> Result<Adjustment, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let bad = |e: String| sqlx::Error::Decode(e.into());
    let target: String = r.try_get("target")?;
    let comparator: String = r.try_get("comparator")?;
    let effective: String = r.try_get("effective")?;
    let state: String = r.try_get("state")?;
    Ok(Adjustment {
        id: r.try_get("id")?,
        indicator: u16::try_from(r.try_get::<i64, _>("indicator")?)
            .map_err(|e| bad(e.to_string()))?,
        org_unit: r.try_get("org_unit")?,
        year: i32::try_from(r.try_get::<i64, _>("year")?).map_err(|e| bad(e.to_string()))?,
        target: anju_core::adjustments::target_of(
            Decimal::from_str(&target).map_err(|e| bad(e.to_string()))?,
            &comparator,
        ),
        effective: YearMonth::parse(&effective).map_err(|e| bad(e.to_string()))?,
        reason: r.try_get("reason")?,
        state: AdjustmentState::parse(&state).ok_or_else(|| bad(format!("未知的状态“{state}”")))?,
        proposed_by: r.try_get("proposed_by")?,
        proposed_at: r.try_get("proposed_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        decision_note: r.try_get("decision_note")?,
    })
}

fn json(a: &Adjustment) -> serde_json::Value {
    serde_json::json!({
        "id": a.id, "indicator": a.indicator, "org_unit": a.org_unit, "year": a.year,
        "target": a.target.value.to_string(), "comparator": a.target.comparator.symbol(),
        "effective": a.effective.to_string(), "reason": a.reason, "state": a.state.as_str(),
        "decision_note": a.decision_note,
    })
}

impl Store {
    /// Keeps a decomposition file (checked by the caller) and raises the
    /// revision: evaluations change with it.
    pub async fn add_decomposition(
        &self,
        name: &str,
        text: &str,
        rows: i64,
        by: &str,
        now: &str,
    ) -> Result<Decomposition, StoreError> {
        crate::plain_text("name", name)?;
        crate::plain_text("file", text)?;
        crate::plain_text("by", by)?;
        let sm3 = crate::plans::plan_hash(text);
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let row = sqlx::query(sql(
                "INSERT INTO decompositions (name, sm3, text, rows, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?) \
                 RETURNING id, name, sm3, text, rows, uploaded_by, uploaded_at",
                pg,
            ))
            .bind(name)
            .bind(&sm3)
            .bind(text)
            .bind(rows)
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let d = Decomposition {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                sm3: row.try_get("sm3")?,
                text: row.try_get("text")?,
                rows: row.try_get("rows")?,
                uploaded_by: row.try_get("uploaded_by")?,
                uploaded_at: row.try_get("uploaded_at")?,
            };
            crate::values::bump(&mut tx, pg, &[], &[]).await?;
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: "target.decompose",
                    subject: format!("decomposition {}", d.id),
                    before: None,
                    after: Some(
                        serde_json::json!({ "name": d.name, "sm3": d.sm3, "rows": d.rows }),
                    ),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(d)
        })
    }

    /// Every decomposition file, in upload order.
    pub async fn decompositions(&self) -> Result<Vec<Decomposition>, StoreError> {
        on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(
                "SELECT id, name, sm3, text, rows, uploaded_by, uploaded_at FROM decompositions ORDER BY id",
                pg,
            ))
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(Decomposition {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    sm3: row.try_get("sm3")?,
                    text: row.try_get("text")?,
                    rows: row.try_get("rows")?,
                    uploaded_by: row.try_get("uploaded_by")?,
                    uploaded_at: row.try_get("uploaded_at")?,
                });
            }
            Ok(out)
        })
    }

    /// Proposes an adjustment (checked by the caller against the plan).
    pub async fn propose_adjustment(
        &self,
        new: &NewAdjustment<'_>,
        by: &str,
        now: &str,
    ) -> Result<Adjustment, StoreError> {
        let reason = new.reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("reason: 调整目标须说明理由".into()));
        }
        crate::reason_text("reason", reason)?;
        crate::plain_text("org_unit", new.org_unit)?;
        crate::plain_text("by", by)?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let row = sqlx::query(sql(
                &format!(
                    "INSERT INTO target_adjustments (indicator, org_unit, year, target, comparator, effective, reason, state, proposed_by, proposed_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?) RETURNING {COLUMNS}"
                ),
                pg,
            ))
            .bind(i64::from(new.indicator))
            .bind(new.org_unit)
            .bind(i64::from(new.year))
            .bind(new.target.value.normalize().to_string())
            .bind(new.target.comparator.symbol())
            .bind(new.effective.to_string())
            .bind(reason)
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let made = adjustment(&row)?;
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: "target.propose",
                    subject: format!("target adjustment {}", made.id),
                    before: None,
                    after: Some(json(&made)),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(made)
        })
    }

    /// Approves or rejects a proposed adjustment. Only a proposal can be
    /// decided, and not by who proposed it. An approval raises the revision
    /// of the approved figures (evaluations change with it).
    pub async fn decide_adjustment(
        &self,
        id: i64,
        approve: bool,
        note: Option<&str>,
        by: &str,
        now: &str,
    ) -> Result<Adjustment, StoreError> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        crate::reason_text("note", note.unwrap_or(""))?;
        crate::plain_text("by", by)?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let row = sqlx::query(sql(
                &format!("SELECT {COLUMNS} FROM target_adjustments WHERE id = ?"),
                pg,
            ))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound(id))?;
            let before = adjustment(&row)?;
            let state = before
                .state
                .decide(approve)
                .map_err(|m| StoreError::Conflict {
                    id,
                    message: m.into(),
                })?
                .as_str();
            let row = sqlx::query(sql(
                &format!(
                    "UPDATE target_adjustments SET state = ?, decided_by = ?, decided_at = ?, decision_note = ? \
                     WHERE id = ? AND state = 'proposed' RETURNING {COLUMNS}"
                ),
                pg,
            ))
            .bind(state)
            .bind(by)
            .bind(now)
            .bind(note)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::Conflict {
                id,
                message: "已被他人审核".into(),
            })?;
            let after = adjustment(&row)?;
            if approve {
                crate::values::bump(&mut tx, pg, &[], &[]).await?;
            }
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: if approve {
                        "target.approve"
                    } else {
                        "target.reject"
                    },
                    subject: format!("target adjustment {id}"),
                    before: Some(json(&before)),
                    after: Some(json(&after)),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(after)
        })
    }

    /// One adjustment.
    pub async fn adjustment(&self, id: i64) -> Result<Option<Adjustment>, StoreError> {
        on_pool!(self, |pool, pg| {
            let row = sqlx::query(sql(
                &format!("SELECT {COLUMNS} FROM target_adjustments WHERE id = ?"),
                pg,
            ))
            .bind(id)
            .fetch_optional(pool)
            .await?;
            Ok(row.as_ref().map(adjustment).transpose()?)
        })
    }

    /// Adjustments, oldest first; only those in `state` if given.
    pub async fn adjustments(
        &self,
        state: Option<AdjustmentState>,
    ) -> Result<Vec<Adjustment>, StoreError> {
        let state = state.map(AdjustmentState::as_str);
        on_pool!(self, |pool, pg| {
            let rows =
                match state {
                    Some(s) => sqlx::query(sql(
                        &format!(
                            "SELECT {COLUMNS} FROM target_adjustments WHERE state = ? ORDER BY id"
                        ),
                        pg,
                    ))
                    .bind(s)
                    .fetch_all(pool)
                    .await?,
                    None => {
                        sqlx::query(sql(
                            &format!("SELECT {COLUMNS} FROM target_adjustments ORDER BY id"),
                            pg,
                        ))
                        .fetch_all(pool)
                        .await?
                    }
                };
            Ok(rows.iter().map(adjustment).collect::<Result<Vec<_>, _>>()?)
        })
    }
}
