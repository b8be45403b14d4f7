//! Target adjustments (适当调整完善): proposed with a reason and the month they
//! take effect, approved or rejected by the task force, never overwriting the
//! original. An evaluation as of a month uses the adjustments approved and in
//! effect by then (`targets_in_force`).

use anju_core::period::YearMonth;
use anju_core::plan::{Comparator, Plan, Target};
use anju_core::targets::TargetBook;
use rust_decimal::Decimal;
use sqlx::Row;
use std::str::FromStr;

use crate::{Store, StoreError, on_pool, sql, write_tx};

/// An adjustment as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    /// Its id.
    pub id: i64,
    /// The indicator's code.
    pub indicator: u16,
    /// The unit (the plan's name).
    pub org_unit: String,
    /// The target year.
    pub year: i32,
    /// The new target.
    pub target: Decimal,
    /// `>=` or `>`.
    pub comparator: String,
    /// The month it takes effect (YYYY-MM).
    pub effective: String,
    /// Why.
    pub reason: String,
    /// `proposed`, `approved` or `rejected`.
    pub state: String,
    /// Who proposed it, and when.
    pub proposed_by: String,
    /// When.
    pub proposed_at: String,
    /// Who decided, when, and their note.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
    /// The decision's note.
    pub decision_note: Option<String>,
}

/// A proposal.
pub struct NewAdjustment<'a> {
    /// The indicator's code.
    pub indicator: u16,
    /// The unit (the plan's name).
    pub org_unit: &'a str,
    /// The target year.
    pub year: i32,
    /// The new target.
    pub target: Decimal,
    /// `>=` or `>`.
    pub comparator: &'a str,
    /// The month it takes effect (YYYY-MM).
    pub effective: &'a str,
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
    Ok(Adjustment {
        id: r.try_get("id")?,
        indicator: u16::try_from(r.try_get::<i64, _>("indicator")?)
            .map_err(|e| bad(e.to_string()))?,
        org_unit: r.try_get("org_unit")?,
        year: i32::try_from(r.try_get::<i64, _>("year")?).map_err(|e| bad(e.to_string()))?,
        target: Decimal::from_str(&target).map_err(|e| bad(e.to_string()))?,
        comparator: r.try_get("comparator")?,
        effective: r.try_get("effective")?,
        reason: r.try_get("reason")?,
        state: r.try_get("state")?,
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
        "target": a.target.to_string(), "comparator": a.comparator, "effective": a.effective,
        "reason": a.reason, "state": a.state, "decision_note": a.decision_note,
    })
}

/// The targets in force as of a month: the plan's, decomposed by the stored
/// files, with the approved
/// adjustments whose effective month has come (in order of that month, then
/// of approval). Adjustments the plan cannot take (a unit it no longer has)
/// are left out and named.
pub fn targets_in_force(
    plan: &Plan,
    decompositions: &[Decomposition],
    adjustments: &[Adjustment],
    as_of: YearMonth,
) -> (TargetBook, Vec<String>) {
    let mut book = TargetBook::from_plan(plan);
    let mut left_out = apply_decompositions(&mut book, plan, decompositions);
    left_out.extend(apply_adjustments(&mut book, plan, adjustments, as_of));
    (book, left_out)
}

/// Applies the approved adjustments due by `as_of` to a book (after its
/// decompositions); returns those left out, named.
pub fn apply_adjustments(
    book: &mut TargetBook,
    plan: &Plan,
    adjustments: &[Adjustment],
    as_of: YearMonth,
) -> Vec<String> {
    let mut left_out = Vec::new();
    let mut due: Vec<&Adjustment> = adjustments
        .iter()
        .filter(|a| a.state == "approved")
        .filter(|a| YearMonth::parse(&a.effective).is_ok_and(|m| m <= as_of))
        .collect();
    // By effective month, then by approval (time, then proposal for a tie).
    due.sort_by(|a, b| {
        (a.effective.as_str(), a.decided_at.as_deref(), a.id).cmp(&(
            b.effective.as_str(),
            b.decided_at.as_deref(),
            b.id,
        ))
    });
    for a in due {
        let ix = plan.indicator_index(anju_core::plan::IndicatorCode(a.indicator));
        let org = plan.orgs.resolve(&a.org_unit).ok();
        let comparator = if a.comparator == ">" {
            Comparator::Above
        } else {
            Comparator::AtLeast
        };
        let done = match (ix, org) {
            (Some(ix), Some(org)) => book.adjust(
                plan,
                ix,
                org,
                a.year,
                Target {
                    value: a.target,
                    comparator,
                },
            ),
            _ => Err("计划中没有该指标或单位".to_string()),
        };
        if let Err(e) = done {
            left_out.push(format!("目标调整 {}:{e},未计入", a.id));
        }
    }
    left_out
}

/// A decomposition file as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decomposition {
    /// Its id (upload order).
    pub id: i64,
    /// The file's name.
    pub name: String,
    /// SM3 of the text.
    pub sm3: String,
    /// The text (UTF-8).
    pub text: String,
    /// How many target rows it has.
    pub rows: i64,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: String,
}

/// Applies the stored decomposition files to a book, in upload order (each
/// was checked when uploaded; one the plan no longer takes is left out and
/// named).
pub fn apply_decompositions(
    book: &mut TargetBook,
    plan: &Plan,
    files: &[Decomposition],
) -> Vec<String> {
    let mut left_out = Vec::new();
    for f in files {
        let name = format!("{}(第 {} 份分解)", f.name, f.id);
        let applied = anju_core::input::read_targets(plan, &name, f.text.as_bytes(), 1)
            .and_then(|rows| book.decompose(plan, &name, &rows));
        if let Err(e) = applied {
            left_out.push(format!(
                "{name}:{},未计入",
                e.0.first().map(ToString::to_string).unwrap_or_default()
            ));
        }
    }
    left_out
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
            .bind(new.target.normalize().to_string())
            .bind(new.comparator)
            .bind(new.effective)
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
            if before.state != "proposed" {
                return Err(StoreError::Conflict {
                    id,
                    message: "只能审核待审核的目标调整".into(),
                });
            }
            let state = if approve { "approved" } else { "rejected" };
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
    pub async fn adjustments(&self, state: Option<&str>) -> Result<Vec<Adjustment>, StoreError> {
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
