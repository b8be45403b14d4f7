//! Published months as the service gives them back: a publication keeps its
//! rows as the document published (JSON, byte for byte, so that it reads the
//! same after any correction); here they are read back as typed rows for the
//! pages. And publishing a month.

use std::str::FromStr as _;

use anju_core::engine::Status;
use anju_core::period::YearMonth;
use anju_store::Publication;
use rust_decimal::Decimal;
use serde::Deserialize;

use anju_core::access::{Action, Actor};
use anju_core::engine;
use anju_core::values::ValueSet;
use anju_reports::view::RowView;
use anju_store::NewPublication;

use super::Error;
use super::evaluation::ShownRow;
use crate::AppState;

/// A row as a publication keeps it (the fields of `RowView` the pages show).
#[derive(Deserialize)]
struct Kept {
    indicator: u16,
    org_unit: String,
    as_of: String,
    actual: Option<serde_json::Number>,
    target: Option<serde_json::Number>,
    comparator: Option<String>,
    target_origin: Option<String>,
    original_target: Option<serde_json::Number>,
    start: Option<serde_json::Number>,
    expected: Option<serde_json::Number>,
    completion: Option<serde_json::Number>,
    status: String,
    reason: String,
    rank: Option<u32>,
    rank_of: Option<u32>,
    #[serde(default)]
    warnings: Vec<String>,
}

/// The rows of a published month, typed.
pub fn rows(p: &Publication) -> Result<Vec<ShownRow>, Error> {
    let bad = |m: String| {
        Error::Internal(format!(
            "{} 第 {} 版的发布内容无法读取:{m}",
            p.as_of, p.version
        ))
    };
    #[derive(Deserialize)]
    struct Doc {
        rows: Vec<Kept>,
    }
    let text = p.rows_json.trim_start();
    let kept = if text.starts_with('[') {
        serde_json::from_str::<Vec<Kept>>(text)
    } else {
        serde_json::from_str::<Doc>(text).map(|d| d.rows)
    }
    .map_err(|e| bad(e.to_string()))?;
    let number = |n: Option<serde_json::Number>| -> Result<Option<Decimal>, Error> {
        n.map(|n| {
            Decimal::from_str(&n.to_string())
                .or_else(|_| Decimal::from_scientific(&n.to_string()))
                .map_err(|_| bad(format!("数字“{n}”")))
        })
        .transpose()
    };
    kept.into_iter()
        .map(|k| {
            let status =
                Status::parse(&k.status).ok_or_else(|| bad(format!("状态“{}”", k.status)))?;
            Ok(ShownRow {
                indicator: k.indicator,
                as_of: YearMonth::parse(&k.as_of).map_err(|e| bad(e.to_string()))?,
                org_unit: k.org_unit,
                actual: number(k.actual)?,
                target: number(k.target)?,
                comparator: match k.comparator.as_deref() {
                    Some(">") => Some(">"),
                    Some(_) => Some(">="),
                    None => None,
                },
                target_origin: match k.target_origin.as_deref() {
                    Some("plan") => Some("plan"),
                    Some("decomposed") => Some("decomposed"),
                    Some("inherited") => Some("inherited"),
                    Some("adjusted") => Some("adjusted"),
                    _ => None,
                },
                original_target: number(k.original_target)?,
                start: number(k.start)?,
                expected: number(k.expected)?,
                completion: number(k.completion)?,
                status,
                status_label: status.label(),
                light: status.light(),
                reason: k.reason,
                rank: k.rank,
                rank_of: k.rank_of,
                warnings: k.warnings,
            })
        })
        .collect()
}

/// How many corrections a publication lists (approved since the one before).
pub fn corrections(p: &Publication) -> usize {
    serde_json::from_str::<Vec<serde_json::Value>>(&p.corrections_json).map_or(0, |v| v.len())
}

/// A figure behind a publication, as the public reads it: a stored version
/// without the login names of who entered or approved it (the fields and
/// their order are those of the API's versions less `created_by` and
/// `decided_by`).
#[derive(serde::Serialize)]
struct PublicFigure<'a> {
    id: i64,
    indicator: u16,
    org_unit: &'a str,
    period: String,
    version: i64,
    value: Option<anju_reports::view::Num>,
    numerator: Option<anju_reports::view::Num>,
    denominator: Option<anju_reports::view::Num>,
    state: &'static str,
    late: bool,
    correction_reason: Option<&'a str>,
    return_reason: Option<&'a str>,
    created_at: &'a str,
    decided_at: Option<&'a str>,
}

impl<'a> PublicFigure<'a> {
    fn of(v: &'a anju_store::StoredValue) -> PublicFigure<'a> {
        let n = |d: Option<Decimal>| d.map(|d| anju_reports::view::Num(d.normalize()));
        let (value, numerator, denominator) = v.parts();
        PublicFigure {
            id: v.id,
            indicator: v.indicator,
            org_unit: &v.org_unit,
            period: v.period.to_string(),
            version: v.version,
            value: n(value),
            numerator: n(numerator),
            denominator: n(denominator),
            state: v.state.as_str(),
            late: v.late,
            correction_reason: v.correction_reason.as_deref(),
            return_reason: v.return_reason.as_deref(),
            created_at: &v.created_at,
            decided_at: v.decided_at.as_deref(),
        }
    }
}

/// Publishes the month `as_of` (again, with `reason`) as `me` (the
/// permission table: the task force): the evaluation of the approved
/// figures, frozen as the JSON rows the API answers, and the figures behind
/// it without login names.
pub async fn publish(
    state: &AppState,
    me: &Actor<'_>,
    as_of: YearMonth,
    reason: Option<&str>,
    now: &anju_store::Now,
) -> Result<Publication, Error> {
    let plan_arc = state.plan();
    let plan = &*plan_arc;
    me.may(plan, &Action::Publish)?;
    plan.check_as_of(as_of)
        .map_err(|m| Error::invalid("as_of", m))?;
    // The revision first: the figures read after it are at least as new.
    let revision = state.store.revision().await?;
    let approved = state.store.approved().await?;
    let obs = anju_store::observations(plan, &approved, 0);
    let values = ValueSet::build(plan, obs.observations, &["数据库".into()])
        .map_err(|e| Error::Duplicate(e.to_string()))?;
    let book = crate::service::targets::in_force(&state.store, plan, as_of).await?;
    let eval = engine::evaluate(plan, &values, &book, as_of);
    let mut rows = Vec::with_capacity(1 << 16);
    rows.push(b'[');
    for (k, r) in eval.rows.iter().enumerate() {
        if k > 0 {
            rows.push(b',');
        }
        RowView::new(plan, &eval, r).write_json(&mut rows);
    }
    rows.push(b']');
    // The figures behind the rows: this year's up to the month, and last
    // year's (the start of the year is last December's figure). Public:
    // without the login names of who entered or approved them.
    let behind: Vec<PublicFigure> = approved
        .iter()
        .filter(|v| v.period.end() <= as_of && v.period.year() >= as_of.year() - 1)
        .map(PublicFigure::of)
        .collect();
    let values_json = serde_json::to_string(&behind).map_err(|e| Error::Internal(e.to_string()))?;
    let made = state
        .store
        .publish(
            &NewPublication {
                as_of: &as_of.to_string(),
                reason,
                revision,
                rows_json: String::from_utf8_lossy(&rows).into_owned(),
                values_json,
            },
            me.name,
            &now.stamp,
        )
        .await?;
    Ok(made)
}
