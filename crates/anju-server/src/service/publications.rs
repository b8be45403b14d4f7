//! Published months as the service gives them back: a publication keeps its
//! rows as the document published (JSON, byte for byte, so that it reads the
//! same after any correction); here they are read back as typed rows for the
//! pages.

use std::str::FromStr as _;

use anju_core::engine::Status;
use anju_core::period::YearMonth;
use anju_store::Publication;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::Error;
use super::evaluation::ShownRow;

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
