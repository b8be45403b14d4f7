//! Reading figures as users send them: CSV or tab-separated text in UTF-8 (with
//! or without BOM), UTF-16 with BOM, or GB18030/GBK as Excel and WPS save on
//! Chinese Windows; columns found by name (English or Chinese), in any order.
//! Owns the checks on each row; every bad row is reported with the line number a
//! spreadsheet shows (the header is line 1), the column and what is wrong, and
//! nothing is returned when any row is bad. Takes bytes, never opens a file.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use rust_decimal::Decimal;

use crate::num::parse_figure;
use crate::period::Period;
use crate::plan::{Kind, OrgId, Plan, Target};

/// Where a figure came from: which input file, which line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    /// Index of the file among those read.
    pub file: u16,
    /// Line as a spreadsheet shows it (the header is line 1).
    pub line: u32,
}

/// A reported amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    /// A value in the display unit (for a ratio: the rate itself, which cannot
    /// be aggregated).
    Value(Decimal),
    /// Numerator and denominator of a ratio (denominator > 0).
    Ratio {
        /// 分子.
        num: Decimal,
        /// 分母.
        den: Decimal,
    },
}

impl Amount {
    /// The rule every stored amount keeps, whoever made it: no negative
    /// number, no zero denominator (a file's and the API's figures are read
    /// by the values file's rules, which say more and name the field).
    pub fn check(&self) -> Result<(), String> {
        let negative = |d: &Decimal| d.is_sign_negative() && !d.is_zero();
        match self {
            Amount::Value(v) if negative(v) => Err("不能为负数".into()),
            Amount::Ratio { num, den } if negative(num) || negative(den) => {
                Err("不能为负数".into())
            }
            Amount::Ratio { den, .. } if den.is_zero() => Err("分母不能为 0".into()),
            _ => Ok(()),
        }
    }

    /// As the store keeps it: value, numerator, denominator.
    pub fn parts(&self) -> (Option<Decimal>, Option<Decimal>, Option<Decimal>) {
        match *self {
            Amount::Value(v) => (Some(v), None, None),
            Amount::Ratio { num, den } => (None, Some(num), Some(den)),
        }
    }
}

/// One reported figure, resolved against the plan. Kept compact (32 bytes): a
/// file of ten million figures is held in memory at once. Amounts are kept as
/// millionths (the six decimals a figure may have), exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Index into `plan.indicators`.
    pub indicator: u16,
    file: u16,
    /// The unit in the reporting tree the figure is for.
    pub org: OrgId,
    /// The period it covers.
    pub period: Period,
    line: u32,
    /// The value, or the numerator, in millionths.
    a: i64,
    /// The denominator in millionths; 0 for a plain value.
    b: i64,
}

/// Decimals an observation keeps.
const SCALE: u32 = crate::num::MAX_DECIMALS;

impl Observation {
    /// A figure; `None` when an amount exceeds the limits of
    /// [`crate::num::parse_figure`] (|x| < 10¹², at most 6 decimals) or a
    /// denominator is zero.
    pub fn new(
        indicator: u16,
        org: OrgId,
        period: Period,
        amount: Amount,
        source: Source,
    ) -> Option<Observation> {
        let pack = |d: Decimal| {
            let k = SCALE.checked_sub(d.scale())?;
            i64::try_from(d.mantissa().checked_mul(crate::num::POW10[k as usize])?).ok()
        };
        let (a, b) = match amount {
            Amount::Value(v) => (pack(v)?, 0),
            Amount::Ratio { num, den } => (pack(num)?, pack(den).filter(|&d| d != 0)?),
        };
        Some(Observation {
            indicator,
            file: source.file,
            org,
            period,
            line: source.line,
            a,
            b,
        })
    }
    /// The figure.
    pub fn amount(&self) -> Amount {
        let a = Decimal::new(self.a, SCALE);
        if self.b == 0 {
            Amount::Value(a)
        } else {
            Amount::Ratio {
                num: a,
                den: Decimal::new(self.b, SCALE),
            }
        }
    }
    /// The figure as stored: value (or numerator) and denominator in
    /// millionths, the denominator 0 for a plain value.
    pub(crate) fn millionths(&self) -> (i64, i64) {
        (self.a, self.b)
    }

    /// Where it came from.
    pub fn source(&self) -> Source {
        Source {
            file: self.file,
            line: self.line,
        }
    }
}

/// One bad row (or a bad file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The file's name as given.
    pub file: String,
    /// Line as a spreadsheet shows it; 0 for the file as a whole.
    pub line: u64,
    /// The column, when one is at fault (its name in the API: `numerator`).
    pub field: Option<String>,
    /// The cell as a spreadsheet shows it, when known: "F 列(分子)".
    pub cell: Option<String>,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A spreadsheet's cell, when known, says it as people read it.
        let field = self.cell.as_ref().or(self.field.as_ref());
        match (field, self.line) {
            (Some(field), 0) => write!(f, "{}: {}: {}", self.file, field, self.message),
            (None, 0) => write!(f, "{}: {}", self.file, self.message),
            (Some(field), line) => write!(f, "{}:{}: {}: {}", self.file, line, field, self.message),
            (None, line) => write!(f, "{}:{}: {}", self.file, line, self.message),
        }
    }
}

/// Every bad row of an input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::error::write_lines(f, &self.0)
    }
}

mod decode;
mod table;
mod targets;
mod values;

pub use decode::decode;
pub(crate) use table::trim;
pub use table::{Column, MAX_COLUMNS, RowResult, VALUE_COLUMNS, column_letter, read_table};
pub use targets::{TARGET_COLUMNS, TargetRow, read_targets};
pub use values::{NeedWhole, ValueStream, figure_of, read_values};

#[cfg(test)]
mod tests {
    use super::table::*;
    use super::*;

    #[test]
    fn cuts_find_exactly_the_delimiters_and_line_ends() {
        // Bytes next to ',' (0x2C) and '\n' (0x0A) in value are the ones a
        // word-at-a-time scan may flag by mistake: '-', '+', '\x0b', '\t'.
        let alphabet = b",\n-+\x0b\t0123456789.aZ";
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..200 {
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            let naive: Vec<usize> = text
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == b',' || **c == b'\n')
                .map(|(i, _)| i)
                .collect();
            assert_eq!(
                Cuts::new(&text, b',').collect::<Vec<_>>(),
                naive,
                "{text:?}"
            );
        }
    }

    fn errors(text: &str) -> Vec<String> {
        let plan = crate::builtin_plan().unwrap();
        read_values(&plan, "v.csv", 0, text.as_bytes(), 1, None)
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn a_row_wider_than_its_header_is_refused_not_misread() {
        let e = errors("indicator,org_unit,period,value\n8,硖石街道,2024-06,1,234\n");
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("v.csv:2: 本行有 5 列,多于表头的 4 列"),
            "{e:?}"
        );
        // Quoted, the same figure is one cell.
        let plan = crate::builtin_plan().unwrap();
        let ok = "indicator,org_unit,period,value,numerator,denominator\n8,硖石街道,2024-06,\"1,234\",,\n";
        let obs = read_values(&plan, "v.csv", 0, ok.as_bytes(), 1, None).unwrap();
        assert_eq!(obs[0].amount(), Amount::Value(Decimal::new(1234, 0)));
        // Empty cells past the header are what spreadsheets write: fine.
        let trailing =
            "indicator,org_unit,period,value,numerator,denominator\n8,硖石街道,2024-06,1,,,,\n";
        assert_eq!(
            read_values(&plan, "v.csv", 0, trailing.as_bytes(), 1, None)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_column_past_the_readable_width_is_refused_at_the_header() {
        let mut header: Vec<String> = (0..70).map(|i| format!("x{i}")).collect();
        header[66] = "indicator".into();
        header[1] = "org_unit".into();
        header[2] = "period".into();
        header[3] = "value".into();
        let e = errors(&format!("{}\n", header.join(",")));
        assert!(
            e[0].starts_with("v.csv:1: 列 indicator 在第 67 列"),
            "{e:?}"
        );
    }

    #[test]
    fn a_rate_given_with_its_numerator_must_be_their_rounded_rate() {
        let head = "indicator,org_unit,period,value,numerator,denominator\n";
        // 67/200 = 33.5%: written with no places it rounds (四舍五入) to 34.
        assert!(errors(&format!("{head}6,硖石街道,2024-06,33,67,200\n"))[0].contains("不一致"));
        let plan = crate::builtin_plan().unwrap();
        for v in ["34", "33.5", "33.50"] {
            let text = format!("{head}6,硖石街道,2024-06,{v},67,200\n");
            assert!(
                read_values(&plan, "v.csv", 0, text.as_bytes(), 1, None).is_ok(),
                "{v}"
            );
        }
    }

    #[test]
    fn cells_are_trimmed_only_of_white_space() {
        assert_eq!(trim(" 硖石街道 "), "硖石街道");
        assert_eq!(trim("\u{3000}海宁市\u{3000}"), "海宁市");
        assert_eq!(trim("硖石街道"), "硖石街道");
        assert_eq!(trim("2.5\t"), "2.5");
    }
}
