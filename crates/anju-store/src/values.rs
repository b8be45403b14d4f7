//! Reported figures and their versions: drafts, the workflow steps, corrections
//! of approved figures, and the approved figures evaluation uses. Every change
//! is one transaction: a batch is stored whole or not at all.

use std::str::FromStr;

use anju_core::input::Amount;
use anju_core::period::Period;
use anju_core::records::Figure;
use anju_core::workflow::{self, Date, State, Step};
use rust_decimal::Decimal;
use sqlx::Row;

use crate::{Store, StoreError, on_pool, sql, write_tx};

/// The time of a change: its date (for deadlines) and its timestamp as stored
/// (RFC 3339, +08:00). Given by the caller: the store reads no clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Now {
    /// The calendar date in China.
    pub date: Date,
    /// e.g. `2024-07-03T09:30:00+08:00`.
    pub stamp: String,
}

/// A figure as a reporter enters it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewValue {
    /// Indicator code (序号).
    pub indicator: u16,
    /// The unit's name as the plan writes it.
    pub org_unit: String,
    /// The period.
    pub period: Period,
    /// A plain value (or a rate), or a ratio's numerator and denominator.
    pub amount: Amount,
}

/// When figures are due, for the late mark of a submission: one deadline day
/// of the month after for every indicator, or the plan's own deadlines
/// (a yearly indicator is due on its own date of the year after).
#[derive(Clone, Copy)]
pub enum Deadline<'a> {
    /// The same day of the month after, for every indicator.
    Day(u8),
    /// As the plan says, indicator by indicator.
    Plan(&'a anju_core::plan::Plan),
}

impl Deadline<'_> {
    /// The last day a figure of `indicator` for `period` is on time.
    pub fn of(&self, indicator: u16, period: Period) -> Date {
        match self {
            Deadline::Day(d) => workflow::deadline(period, *d),
            Deadline::Plan(plan) => {
                match plan.indicator_index(anju_core::plan::IndicatorCode(indicator)) {
                    Some(ix) => plan.deadline(ix, period),
                    None => workflow::deadline(period, plan.settings.report_deadline_day),
                }
            }
        }
    }

    /// Whether a figure submitted on `date` is late.
    pub fn is_late(&self, indicator: u16, period: Period, date: Date) -> bool {
        date > self.of(indicator, period)
    }
}

impl StoredValue {
    /// Value, numerator, denominator, as the columns keep them.
    pub fn parts(&self) -> (Option<Decimal>, Option<Decimal>, Option<Decimal>) {
        self.amount.parts()
    }
}

impl NewValue {
    /// Value, numerator, denominator, as the columns keep them.
    pub fn parts(&self) -> (Option<Decimal>, Option<Decimal>, Option<Decimal>) {
        self.amount.parts()
    }
}

impl From<&anju_core::entries::Entry> for NewValue {
    /// A figure read from a file, as the store takes it.
    fn from(e: &anju_core::entries::Entry) -> NewValue {
        NewValue {
            indicator: e.indicator,
            org_unit: e.org_unit.clone(),
            period: e.period,
            amount: e.amount,
        }
    }
}

/// One stored version of a figure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredValue {
    /// Its id.
    pub id: i64,
    /// Indicator code.
    pub indicator: u16,
    /// Unit name.
    pub org_unit: String,
    /// The period (stored as `2024-06`, `2024-Q2`, `2024`).
    pub period: Period,
    /// 1, 2, … per indicator, unit and period.
    pub version: i64,
    /// A plain value (or a rate), or a ratio's numerator and denominator.
    pub amount: Amount,
    /// Where it stands.
    pub state: State,
    /// Submitted after the deadline.
    pub late: bool,
    /// Why this version corrects an approved figure (a correction only).
    pub correction_reason: Option<String>,
    /// Why it was returned (a returned version only).
    pub return_reason: Option<String>,
    /// Who entered it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// Who approved or returned it.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
    /// What the server found odd about the figure when it was submitted
    /// (a tenfold jump, a falling total …), as the reporter confirmed it.
    pub warnings: Vec<String>,
}

/// Which figures to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValueFilter {
    /// Only this state.
    pub state: Option<State>,
    /// Only this indicator.
    pub indicator: Option<u16>,
    /// Only this unit.
    pub org_unit: Option<String>,
    /// Only this period.
    pub period: Option<Period>,
    /// Only within this scope (the caller's role): applied in the query.
    pub scope: Option<Scope>,
}

/// The units and indicators a caller may see, as the query narrows them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Only these units (empty: none).
    pub org_units: Vec<String>,
    /// Only these indicators (`None`: all).
    pub indicators: Option<Vec<u16>>,
}

/// The columns of a stored value, in the order `stored` reads them.
macro_rules! columns {
    () => {
        "id, indicator, org_unit, period, version, value, numerator, denominator, state, late, correction_reason, return_reason, created_by, created_at, decided_by, decided_at, warnings_json"
    };
}
pub(crate) use columns;

const BY_ID: &str = concat!("SELECT ", columns!(), " FROM value_versions WHERE id = ?");
const CHANGED_SINCE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM value_versions WHERE changed_rev > ? ORDER BY id"
);

fn decimal(s: Option<String>) -> Result<Option<Decimal>, sqlx::Error> {
    s.map(|t| Decimal::from_str(&t).map_err(|e| sqlx::Error::Decode(Box::new(e))))
        .transpose()
}

/// The amount of stored columns: a numerator with its denominator is a
/// ratio, else the value; a row with neither cannot be read.
pub(crate) fn amount(
    value: Option<Decimal>,
    numerator: Option<Decimal>,
    denominator: Option<Decimal>,
) -> Result<Amount, sqlx::Error> {
    match (value, numerator, denominator) {
        (_, Some(num), Some(den)) => Ok(Amount::Ratio { num, den }),
        (Some(v), _, _) => Ok(Amount::Value(v)),
        _ => Err(sqlx::Error::Decode("记录没有数值".into())),
    }
}

/// A row as a stored value.
pub(crate) fn stored<R>(r: &R) -> Result<StoredValue, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let state: String = r.try_get("state")?;
    let indicator: i64 = r.try_get("indicator")?;
    Ok(StoredValue {
        id: r.try_get("id")?,
        indicator: u16::try_from(indicator).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        org_unit: r.try_get("org_unit")?,
        period: Period::parse(&r.try_get::<String, _>("period")?)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        version: r.try_get("version")?,
        amount: amount(
            decimal(r.try_get("value")?)?,
            decimal(r.try_get("numerator")?)?,
            decimal(r.try_get("denominator")?)?,
        )?,
        state: State::parse(&state)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown state {state}").into()))?,
        late: r.try_get::<i64, _>("late")? != 0,
        correction_reason: r.try_get("correction_reason")?,
        return_reason: r.try_get("return_reason")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        warnings: match r.try_get::<Option<String>, _>("warnings_json")? {
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))?
            }
            None => Vec::new(),
        },
    })
}

/// Raises the revision of the approved figures inside the write transaction
/// that changes them, and marks the versions that entered or left the
/// approved set with it. The counter's row lock orders these transactions,
/// so revisions follow commit order: once a revision is visible, every
/// version marked with it or an earlier one is too.
pub(crate) async fn bump<DB: sqlx::Database>(
    tx: &mut sqlx::Transaction<'_, DB>,
    pg: bool,
    changed: &[i64],
    approved: &[i64],
) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> i64: sqlx::Decode<'r, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let revision: i64 = sqlx::query_scalar(sql(
        "UPDATE anju_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision",
        pg,
    ))
    .fetch_one(&mut **tx)
    .await?;
    for &id in changed {
        sqlx::query(sql(
            "UPDATE value_versions SET changed_rev = ? WHERE id = ?",
            pg,
        ))
        .bind(revision)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    for &id in approved {
        sqlx::query(sql(
            "UPDATE value_versions SET approved_rev = ? WHERE id = ?",
            pg,
        ))
        .bind(revision)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Two requests adding a version of one figure at once: the second meets the
/// unique version number and is told to try again (nothing is stored twice).
pub(crate) fn unique_race(e: sqlx::Error) -> StoreError {
    match e.as_database_error() {
        Some(d) if d.is_unique_violation() => StoreError::Conflict {
            id: 0,
            message: "同一数据正被他人同时填报,请刷新后重试".into(),
        },
        _ => e.into(),
    }
}

/// Another server (or request) changed the version between our read and our
/// write: the step is refused rather than applied twice.
fn changed_meanwhile(id: i64, rows: u64) -> Result<(), StoreError> {
    if rows == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            id,
            message: "数据刚被他人处理,请刷新后重试".into(),
        })
    }
}

/// The core's rule for an amount (`Amount::check`), refused naming the figure.
pub(crate) fn check_amount(v: &NewValue) -> Result<(), StoreError> {
    v.amount.check().map_err(|m| {
        StoreError::Invalid(format!(
            "指标 {} {} {}:{m}",
            v.indicator, v.org_unit, v.period
        ))
    })
}

pub(crate) fn text(d: Option<Decimal>) -> Option<String> {
    d.map(|d| d.to_string())
}

impl Store {
    /// Stores figures as drafts of `user`. A figure whose latest version is a
    /// draft gets a new version (the draft is superseded); one returned is
    /// entered again as a new version (the returned one stays, with its
    /// reason). A figure waiting for review cannot be changed, nor one with an
    /// approved version (that is [`Store::correct`]'s). All or nothing.
    pub async fn put_drafts(
        &self,
        values: &[NewValue],
        user: &str,
        now: &Now,
    ) -> Result<Vec<StoredValue>, StoreError> {
        crate::plain_text("user", user)?;
        for (k, v) in values.iter().enumerate() {
            crate::plain_text(&format!("values[{k}].org_unit"), &v.org_unit)?;
        }
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let mut out = Vec::with_capacity(values.len());
            // Drafts saved unchanged, and where each goes in the answer.
            let mut kept: Vec<StoredValue> = Vec::new();
            let mut order: Vec<bool> = Vec::with_capacity(values.len());
            for v in values {
                check_amount(v)?;
                let period = v.period.to_string();
                // Two index look-ups, whatever the number of versions: the
                // latest version (its number, and a draft to supersede), and
                // the latest one waiting for review or approved.
                let latest = sqlx::query(sql(
                    "SELECT id, version, state, value, numerator, denominator FROM value_versions WHERE indicator = ? AND org_unit = ? AND period = ? ORDER BY version DESC LIMIT 1",
                    pg,
                ))
                .bind(i64::from(v.indicator))
                .bind(&v.org_unit)
                .bind(&period)
                .fetch_optional(&mut *tx)
                .await?;
                let live = sqlx::query(sql(
                    "SELECT id, state FROM value_versions WHERE indicator = ? AND org_unit = ? AND period = ? AND state IN ('submitted', 'approved') ORDER BY version DESC LIMIT 1",
                    pg,
                ))
                .bind(i64::from(v.indicator))
                .bind(&v.org_unit)
                .bind(&period)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = live {
                    let (id, state): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
                    return Err(StoreError::Conflict {
                        id,
                        message: if State::parse(&state) == Some(State::Approved) {
                            "已审核;如需更改,请提交更正并说明理由".into()
                        } else {
                            "待审核,不能直接修改;如需修改请先撤回".into()
                        },
                    });
                }
                let mut version = 1;
                if let Some(row) = latest {
                    let (id, number, state): (i64, i64, String) =
                        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                    let draft = State::parse(&state) == Some(State::Draft);
                    // Saving a draft unchanged makes no new version: the
                    // draft as it is answers.
                    if draft
                        && amount(
                            decimal(row.try_get(3)?)?,
                            decimal(row.try_get(4)?)?,
                            decimal(row.try_get(5)?)?,
                        )
                        .is_ok_and(|a| a == v.amount)
                    {
                        let same = sqlx::query(sql(
                            concat!("SELECT ", columns!(), " FROM value_versions WHERE id = ?"),
                            pg,
                        ))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                        kept.push(stored(&same)?);
                        order.push(false);
                        continue;
                    }
                    version = number + 1;
                    if draft {
                        let done = sqlx::query(sql("UPDATE value_versions SET state = 'superseded' WHERE id = ? AND state = 'draft'", pg))
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        changed_meanwhile(id, done.rows_affected())?;
                    }
                }
                let row = sqlx::query(sql(
                    concat!(
                        "INSERT INTO value_versions (indicator, org_unit, period, version, value, numerator, denominator, state, created_by, created_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?) RETURNING ",
                        columns!()
                    ),
                    pg,
                ))
                .bind(i64::from(v.indicator))
                .bind(&v.org_unit)
                .bind(&period)
                .bind(version)
                .bind(text(v.parts().0))
                .bind(text(v.parts().1))
                .bind(text(v.parts().2))
                .bind(user)
                .bind(&now.stamp)
                .fetch_one(&mut *tx)
                .await
                .map_err(unique_race)?;
                out.push(stored(&row)?);
                order.push(true);
            }
            // Only what was written is audited; nothing written, no entry.
            if !out.is_empty() {
                crate::audit::append(
                    &mut tx,
                    pg,
                    crate::audit::Change {
                        at: &now.stamp,
                        actor: user,
                        action: "value.draft",
                        subject: crate::audit::subject_of(out.iter().map(|v| v.id)),
                        before: None,
                        after: Some(out.iter().map(crate::audit::version).collect()),
                    },
                )
                .await?;
            }
            tx.commit().await?;
            // The answer in the order of `values`: new versions and kept drafts.
            let (mut new, mut same) = (out.into_iter(), kept.into_iter());
            Ok(order
                .into_iter()
                .filter_map(|written| if written { new.next() } else { same.next() })
                .collect())
        })
    }

    /// Takes a workflow step on versions: submit (marking late ones after the
    /// plan's `deadline_day`; a correction is never late), approve (superseding
    /// the approved version a correction replaces) or return (with a reason).
    /// No one approves or returns a version they entered. All or nothing: one
    /// version the step does not fit fails the whole batch.
    pub async fn step(
        &self,
        ids: &[i64],
        step: Step,
        user: &str,
        now: &Now,
        reason: Option<&str>,
        deadline: Deadline<'_>,
    ) -> Result<Vec<StoredValue>, StoreError> {
        self.step_noting(ids, step, user, now, reason, deadline, &[])
            .await
    }

    /// [`Store::step`], keeping with each submitted version the warnings the
    /// service found (`(id, warnings)`; a version not listed has none). A
    /// withdrawal (撤回) takes a version waiting for review back to a draft
    /// and forgets its late mark and warnings.
    #[allow(clippy::too_many_arguments)]
    pub async fn step_noting(
        &self,
        ids: &[i64],
        step: Step,
        user: &str,
        now: &Now,
        reason: Option<&str>,
        deadline: Deadline<'_>,
        warnings: &[(i64, Vec<String>)],
    ) -> Result<Vec<StoredValue>, StoreError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if step == Step::Return && reason.is_none() {
            return Err(StoreError::Invalid("退回须说明理由".into()));
        }
        crate::reason_text("reason", reason.unwrap_or(""))?;
        crate::plain_text("user", user)?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let mut out = Vec::with_capacity(ids.len());
            // Versions entering or leaving the approved set; those entering.
            let mut changed = Vec::new();
            let mut entered = Vec::new();
            // Their states before, for the audit log.
            let mut before = Vec::with_capacity(ids.len());
            for &id in ids {
                let row = sqlx::query(sql(BY_ID, pg))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let v = stored(&row.ok_or(StoreError::NotFound(id))?)?;
                before.push(serde_json::json!({"id": v.id, "state": v.state.as_str()}));
                let next = v.state.after(step).map_err(|e| StoreError::Conflict {
                    id,
                    message: e.to_string(),
                })?;
                let done = match step {
                    Step::Submit => {
                        let period = v.period;
                        let late = v.correction_reason.is_none()
                            && deadline.is_late(v.indicator, period, now.date);
                        let noted = warnings
                            .iter()
                            .find(|(w, list)| *w == id && !list.is_empty())
                            .map(|(_, list)| serde_json::Value::from(list.clone()).to_string());
                        sqlx::query(sql("UPDATE value_versions SET state = ?, late = ?, warnings_json = ? WHERE id = ? AND state = ?", pg))
                            .bind(next.as_str())
                            .bind(i64::from(late))
                            .bind(noted)
                            .bind(id)
                            .bind(v.state.as_str())
                            .execute(&mut *tx)
                            .await?
                    }
                    Step::Withdraw => {
                        sqlx::query(sql("UPDATE value_versions SET state = ?, late = 0, warnings_json = NULL WHERE id = ? AND state = ?", pg))
                            .bind(next.as_str())
                            .bind(id)
                            .bind(v.state.as_str())
                            .execute(&mut *tx)
                            .await?
                    }
                    Step::Approve | Step::Return => {
                        if step == Step::Approve {
                            let gone: Vec<i64> = sqlx::query_scalar(sql(
                                "UPDATE value_versions SET state = 'superseded' WHERE indicator = ? AND org_unit = ? AND period = ? AND state = 'approved' RETURNING id",
                                pg,
                            ))
                            .bind(i64::from(v.indicator))
                            .bind(&v.org_unit)
                            .bind(v.period.to_string())
                            .fetch_all(&mut *tx)
                            .await?;
                            changed.extend(gone);
                            changed.push(id);
                            entered.push(id);
                        }
                        sqlx::query(sql(
                            "UPDATE value_versions SET state = ?, return_reason = ?, decided_by = ?, decided_at = ? WHERE id = ? AND state = ?",
                            pg,
                        ))
                        .bind(next.as_str())
                        .bind(if step == Step::Return { reason } else { None })
                        .bind(user)
                        .bind(&now.stamp)
                        .bind(id)
                        .bind(v.state.as_str())
                        .execute(&mut *tx)
                        .await?
                    }
                };
                changed_meanwhile(id, done.rows_affected())?;
                let row = sqlx::query(sql(BY_ID, pg))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                out.push(stored(&row)?);
            }
            // The revision's lock before the audit head's, as every writer takes them.
            if !changed.is_empty() {
                bump(&mut tx, pg, &changed, &entered).await?;
            }
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: &now.stamp,
                    actor: user,
                    action: match step {
                        Step::Submit => "value.submit",
                        Step::Approve => "value.approve",
                        Step::Return => "value.return",
                        Step::Withdraw => "value.withdraw",
                    },
                    subject: crate::audit::subject_of(out.iter().map(|v| v.id)),
                    before: Some(serde_json::Value::Array(before)),
                    after: Some(out.iter().map(crate::audit::version).collect()),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(out)
        })
    }

    /// Corrects an approved figure: a new version, waiting for review, with the
    /// reason. The approved version keeps counting until the correction is
    /// approved. One correction is pending at a time; a returned correction can
    /// be made again.
    pub async fn correct(
        &self,
        id: i64,
        new: &NewValue,
        reason: &str,
        user: &str,
        now: &Now,
    ) -> Result<StoredValue, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("更正须说明理由".into()));
        }
        crate::reason_text("reason", reason)?;
        crate::plain_text("user", user)?;
        check_amount(new)?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let row = sqlx::query(sql(BY_ID, pg))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let old = stored(&row.ok_or(StoreError::NotFound(id))?)?;
            if old.state != State::Approved {
                return Err(StoreError::Conflict {
                    id,
                    message: format!("{}的数据不能更正", old.state.label()),
                });
            }
            if (
                old.indicator,
                old.org_unit.as_str(),
                old.period.to_string().as_str(),
            ) != (
                new.indicator,
                new.org_unit.as_str(),
                new.period.to_string().as_str(),
            ) {
                return Err(StoreError::Invalid(
                    "更正只能改数值,不能改指标、单位或期间".into(),
                ));
            }
            let pending: Option<i64> = sqlx::query_scalar(sql(
                "SELECT id FROM value_versions WHERE indicator = ? AND org_unit = ? AND period = ? AND version > ? AND state IN ('draft', 'submitted')",
                pg,
            ))
            .bind(i64::from(old.indicator))
            .bind(&old.org_unit)
            .bind(old.period.to_string())
            .bind(old.version)
            .fetch_optional(&mut *tx)
            .await?;
            if pending.is_some() {
                return Err(StoreError::Conflict {
                    id,
                    message: "已有一次待审核的更正".into(),
                });
            }
            let last: i64 = sqlx::query_scalar(sql(
                "SELECT MAX(version) FROM value_versions WHERE indicator = ? AND org_unit = ? AND period = ?",
                pg,
            ))
            .bind(i64::from(old.indicator))
            .bind(&old.org_unit)
            .bind(old.period.to_string())
            .fetch_one(&mut *tx)
            .await?;
            let row = sqlx::query(sql(
                concat!(
                    "INSERT INTO value_versions (indicator, org_unit, period, version, value, numerator, denominator, state, correction_reason, created_by, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, 'submitted', ?, ?, ?) RETURNING ",
                    columns!()
                ),
                pg,
            ))
            .bind(i64::from(old.indicator))
            .bind(&old.org_unit)
            .bind(old.period.to_string())
            .bind(last + 1)
            .bind(text(new.parts().0))
            .bind(text(new.parts().1))
            .bind(text(new.parts().2))
            .bind(reason)
            .bind(user)
            .bind(&now.stamp)
            .fetch_one(&mut *tx)
            .await
            .map_err(unique_race)?;
            let v = stored(&row)?;
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: &now.stamp,
                    actor: user,
                    action: "value.correct",
                    subject: crate::audit::subject_of([old.id, v.id]),
                    before: Some(crate::audit::version(&old)),
                    after: Some(crate::audit::version(&v)),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(v)
        })
    }

    /// Versions matching `filter`, in the order they were stored.
    pub async fn list(&self, filter: &ValueFilter) -> Result<Vec<StoredValue>, StoreError> {
        let mut q = String::from(concat!(
            "SELECT ",
            columns!(),
            " FROM value_versions WHERE 1 = 1"
        ));
        if filter.state.is_some() {
            q.push_str(" AND state = ?");
        }
        if filter.indicator.is_some() {
            q.push_str(" AND indicator = ?");
        }
        if filter.org_unit.is_some() {
            q.push_str(" AND org_unit = ?");
        }
        if filter.period.is_some() {
            q.push_str(" AND period = ?");
        }
        if let Some(scope) = &filter.scope {
            if scope.org_units.is_empty() || scope.indicators.as_ref().is_some_and(Vec::is_empty) {
                return Ok(Vec::new());
            }
            let marks = |n: usize| vec!["?"; n].join(", ");
            q.push_str(&format!(
                " AND org_unit IN ({})",
                marks(scope.org_units.len())
            ));
            if let Some(inds) = &scope.indicators {
                q.push_str(&format!(" AND indicator IN ({})", marks(inds.len())));
            }
        }
        q.push_str(" ORDER BY id");
        on_pool!(self, |pool, pg| {
            let mut query = sqlx::query(sql(&q, pg));
            if let Some(s) = filter.state {
                query = query.bind(s.as_str());
            }
            if let Some(i) = filter.indicator {
                query = query.bind(i64::from(i));
            }
            if let Some(o) = &filter.org_unit {
                query = query.bind(o.as_str());
            }
            if let Some(p) = filter.period {
                query = query.bind(p.to_string());
            }
            if let Some(scope) = &filter.scope {
                for o in &scope.org_units {
                    query = query.bind(o.as_str());
                }
                for &i in scope.indicators.iter().flatten() {
                    query = query.bind(i64::from(i));
                }
            }
            let rows = query.fetch_all(pool).await?;
            rows.iter()
                .map(|r| stored(r).map_err(StoreError::from))
                .collect()
        })
    }

    /// The approved figures — what evaluation, airing and assessment use.
    pub async fn approved(&self) -> Result<Vec<StoredValue>, StoreError> {
        self.list(&ValueFilter {
            state: Some(State::Approved),
            ..ValueFilter::default()
        })
        .await
    }

    /// The approved figures, lean: what the evaluation reads (unit names
    /// shared, periods parsed).
    ///
    /// The database hands over one row per indicator and unit, its figures
    /// joined in one text (`id,period,value,numerator,denominator;…`): a
    /// province's 915,000 rows one by one took SQLite's driver 4 s, where
    /// the database itself reads them in well under one.
    pub async fn approved_figures(&self) -> Result<Vec<ApprovedFigure>, StoreError> {
        use futures_util::TryStreamExt as _;
        macro_rules! item {
            () => {
                "CAST(id AS TEXT) || ',' || period || ',' || COALESCE(value, '') || ',' || \
                 COALESCE(numerator, '') || ',' || COALESCE(denominator, '')"
            };
        }
        on_pool!(self, |pool, pg| {
            let query = if pg {
                concat!(
                    "SELECT indicator, org_unit, string_agg(",
                    item!(),
                    ", ';') FROM value_versions WHERE state = 'approved' GROUP BY indicator, org_unit"
                )
            } else {
                // `state || ''`: a scan, not the state's index (the approved
                // are most of the rows).
                concat!(
                    "SELECT indicator, org_unit, group_concat(",
                    item!(),
                    ", ';') FROM value_versions WHERE state || '' = 'approved' GROUP BY indicator, org_unit"
                )
            };
            let mut rows = sqlx::query(query).fetch(pool);
            let mut out = Vec::new();
            while let Some(r) = rows.try_next().await? {
                let bad = |what: &str| {
                    sqlx::Error::Decode(format!("已审核数据的存储格式有误:{what}").into())
                };
                let indicator = u16::try_from(r.try_get::<i64, _>(0)?)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                let org_unit: std::sync::Arc<str> = std::sync::Arc::from(r.try_get::<&str, _>(1)?);
                let joined: &str = r.try_get(2)?;
                for item in joined.split(';') {
                    let mut parts = item.split(',');
                    let mut next = || parts.next().ok_or_else(|| bad(item));
                    let id = next()?.parse::<i64>().map_err(|_| bad(item))?;
                    let period =
                        Period::parse(next()?).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                    let mut amount = || -> Result<Option<Decimal>, sqlx::Error> {
                        match next()? {
                            "" => Ok(None),
                            t => Decimal::from_str(t)
                                .map(Some)
                                .map_err(|e| sqlx::Error::Decode(Box::new(e))),
                        }
                    };
                    let (value, numerator, denominator) = (amount()?, amount()?, amount()?);
                    out.push(ApprovedFigure {
                        id,
                        indicator,
                        org_unit: org_unit.clone(),
                        period,
                        value,
                        numerator,
                        denominator,
                    });
                }
            }
            Ok(out)
        })
    }

    /// The versions that entered or left the approved set after `revision`,
    /// lean, with whether each is approved now.
    pub async fn approved_figure_changes(
        &self,
        revision: i64,
    ) -> Result<Vec<(ApprovedFigure, bool)>, StoreError> {
        self.lean(
            "SELECT id, indicator, org_unit, period, value, numerator, denominator, state FROM value_versions WHERE changed_rev > ? ORDER BY id",
            Some(revision),
        )
        .await
    }

    async fn lean(
        &self,
        query: &str,
        revision: Option<i64>,
    ) -> Result<Vec<(ApprovedFigure, bool)>, StoreError> {
        use futures_util::TryStreamExt as _;
        on_pool!(self, |pool, pg| {
            let mut q = sqlx::query(sql(query, pg));
            if let Some(r) = revision {
                q = q.bind(r);
            }
            // Row by row, not all rows first: a province's million rows as
            // the driver holds them would be several hundred megabytes.
            let mut rows = q.fetch(pool);
            let mut names: std::collections::HashMap<String, std::sync::Arc<str>> =
                std::collections::HashMap::new();
            let mut out = Vec::new();
            while let Some(r) = rows.try_next().await? {
                let name: &str = r.try_get(2)?;
                let org_unit = match names.get(name) {
                    Some(n) => n.clone(),
                    None => {
                        let n: std::sync::Arc<str> = std::sync::Arc::from(name);
                        names.insert(name.to_string(), n.clone());
                        n
                    }
                };
                let period: &str = r.try_get(3)?;
                let period = Period::parse(period).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                let state: &str = r.try_get(7)?;
                out.push((
                    ApprovedFigure {
                        id: r.try_get(0)?,
                        indicator: u16::try_from(r.try_get::<i64, _>(1)?)
                            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                        org_unit,
                        period,
                        value: decimal(r.try_get(4)?)?,
                        numerator: decimal(r.try_get(5)?)?,
                        denominator: decimal(r.try_get(6)?)?,
                    },
                    state == "approved",
                ));
            }
            Ok(out)
        })
    }

    /// The versions that entered or left the approved set after `revision`
    /// (in their state now: approved ones count, the others no longer do).
    pub async fn approved_changes(&self, revision: i64) -> Result<Vec<StoredValue>, StoreError> {
        on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(CHANGED_SINCE, pg))
                .bind(revision)
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(stored).collect::<Result<Vec<_>, _>>()?)
        })
    }
}

impl Figure for StoredValue {
    fn id(&self) -> i64 {
        self.id
    }
    fn indicator(&self) -> u16 {
        self.indicator
    }
    fn org_unit(&self) -> &str {
        &self.org_unit
    }
    fn period(&self) -> Result<Period, String> {
        Ok(self.period)
    }
    fn amount(&self) -> (Option<Decimal>, Option<Decimal>, Option<Decimal>) {
        self.parts()
    }
}

/// An approved figure as the evaluation keeps it: what the engine reads and
/// no more (a province holds a million of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovedFigure {
    /// The version's id.
    pub id: i64,
    /// The indicator's code.
    pub indicator: u16,
    /// The unit's name (shared by its figures).
    pub org_unit: std::sync::Arc<str>,
    /// The period.
    pub period: Period,
    /// Plain value or rate.
    pub value: Option<Decimal>,
    /// Numerator.
    pub numerator: Option<Decimal>,
    /// Denominator.
    pub denominator: Option<Decimal>,
}

impl Figure for ApprovedFigure {
    fn id(&self) -> i64 {
        self.id
    }
    fn indicator(&self) -> u16 {
        self.indicator
    }
    fn org_unit(&self) -> &str {
        &self.org_unit
    }
    fn period(&self) -> Result<Period, String> {
        Ok(self.period)
    }
    fn amount(&self) -> (Option<Decimal>, Option<Decimal>, Option<Decimal>) {
        (self.value, self.numerator, self.denominator)
    }
}

impl Store {
    /// One version by id.
    pub async fn value(&self, id: i64) -> Result<Option<StoredValue>, StoreError> {
        on_pool!(self, |pool, pg| {
            let row = sqlx::query(sql(BY_ID, pg))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|r| stored(&r)).transpose()?)
        })
    }
}

impl Store {
    /// The revision of the approved figures: it rises with every change to
    /// the approved set (an approval, and the version it supersedes), on
    /// every server, so a copy kept in memory is current while it is equal.
    /// Drafts, submissions, returns and corrections awaiting review leave it.
    pub async fn revision(&self) -> Result<i64, StoreError> {
        on_pool!(self, |pool, pg| {
            let n: i64 =
                sqlx::query_scalar(sql("SELECT revision FROM anju_revision WHERE id = 1", pg))
                    .fetch_one(pool)
                    .await?;
            Ok(n)
        })
    }
}
