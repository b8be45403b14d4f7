//! Figures a user enters from a file (导入): every row read by the rules of
//! the values file, within the user's scope, each unit and period once. A
//! file is taken whole or not at all: the answer is every row, or every bad
//! row with its line, column and why.

use rustc_hash::FxHashMap;

use crate::access::Actor;
use crate::input::{Amount, InputError, InputErrors, Source, VALUE_COLUMNS, figure_of, read_table};
use crate::period::Period;
use crate::plan::Plan;

/// One figure of a file, as the plan names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The indicator's code.
    pub indicator: u16,
    /// The unit, by the plan's own name (whatever alias the file used).
    pub org_unit: String,
    /// The period.
    pub period: Period,
    /// The figure.
    pub amount: Amount,
    /// Its line in the file (the header is line 1).
    pub line: u32,
}

/// Reads the figures of a values file (`indicator,org_unit,period,value,
/// numerator,denominator`, Chinese headers too; UTF-8, UTF-16 or GB18030) that
/// `actor` may report; a row with no value, numerator or denominator at all
/// (a template's unfilled row) is skipped. All or nothing: any bad row — a figure the values-file
/// rules refuse, a unit or indicator outside the actor's scope, a unit and
/// period given twice — and the answer is every bad row.
///
/// `today` (China time) refuses a period that has not ended yet.
pub fn read_entries(
    plan: &Plan,
    actor: &Actor<'_>,
    file: &str,
    bytes: &[u8],
    today: crate::workflow::Date,
) -> Result<Vec<Entry>, InputErrors> {
    let entries: Vec<Entry> = read_table(file, bytes, &VALUE_COLUMNS, 1, None, || {
        |f: &[&str], source: Source| -> crate::input::RowResult<Entry> {
            // A row with no figure at all is a figure not reported (a
            // template's unfilled row), not an error.
            if f[3].trim().is_empty() && f[4].trim().is_empty() && f[5].trim().is_empty() {
                return Ok(None);
            }
            let mut errs = Vec::new();
            let ix = plan.find_indicator(f[0]);
            if ix.is_none() {
                errs.push(("indicator", format!("未知的指标“{}”", f[0])));
            }
            let org = match plan.orgs.resolve(f[1]) {
                Ok(o) => match plan.reporting_unit(o) {
                    Some(o) => Some(o),
                    None => {
                        errs.push(("org_unit", format!("“{}”不在本计划的填报范围内", f[1])));
                        None
                    }
                },
                Err(e) => {
                    errs.push(("org_unit", e.to_string()));
                    None
                }
            };
            let period = match Period::parse(f[2]) {
                Ok(p) => match crate::workflow::check_ended(p, today) {
                    Ok(()) => Some(p),
                    Err(why) => {
                        errs.push(("period", why));
                        None
                    }
                },
                Err(e) => {
                    errs.push(("period", e.to_string()));
                    None
                }
            };
            let amount = match ix {
                Some(ix) => match figure_of(plan, ix, f[3], f[4], f[5]) {
                    Ok(a) => Some(a),
                    Err(e) => {
                        errs.extend(e);
                        None
                    }
                },
                None => None,
            };
            if let (Some(ix), Some(org)) = (ix, org)
                && let Err(denied) = actor.may(
                    plan,
                    &crate::access::Action::ReportFigure { indicator: ix, org },
                )
            {
                errs.push(("org_unit", denied.0));
            }
            match (ix, org, period, amount) {
                (Some(ix), Some(org), Some(period), Some(amount)) if errs.is_empty() => {
                    Ok(Some(Entry {
                        indicator: plan.indicators[ix].code.0,
                        org_unit: plan.orgs.get(org).name.clone(),
                        period,
                        amount,
                        line: source.line,
                    }))
                }
                _ => Err(errs),
            }
        }
    })?;
    // Each indicator, unit and period once in a file.
    let mut seen: FxHashMap<(u16, &str, Period), u32> = FxHashMap::default();
    let mut errors = Vec::new();
    for e in &entries {
        if let Some(first) = seen.insert((e.indicator, e.org_unit.as_str(), e.period), e.line) {
            errors.push(InputError {
                file: file.into(),
                line: u64::from(e.line),
                field: Some("period".into()),
                cell: None,
                message: format!(
                    "与第 {first} 行重复(指标 {}、{}、{})",
                    e.indicator, e.org_unit, e.period
                ),
            });
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(InputErrors(errors))
    }
}
