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

use crate::num::{Exact, parse_figure};
use crate::period::Period;
use crate::plan::{Kind, OrgId, Plan, ResolveError, Target};

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

/// One reported figure, resolved against the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Index into `plan.indicators`.
    pub indicator: u16,
    /// The unit in the reporting tree the figure is for.
    pub org: OrgId,
    /// The period it covers.
    pub period: Period,
    /// The figure.
    pub amount: Amount,
    /// Where it came from.
    pub source: Source,
}

/// One bad row (or a bad file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The file's name as given.
    pub file: String,
    /// Line as a spreadsheet shows it; 0 for the file as a whole.
    pub line: u64,
    /// The column, when one is at fault.
    pub field: Option<String>,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.field, self.line) {
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
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Turns the bytes of a text file into text: UTF-8 (a BOM is dropped), UTF-16
/// with a BOM, else GB18030 (a superset of GBK and GB2312).
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest).map(Cow::Borrowed).map_err(|e| {
            format!(
                "文件以 UTF-8 标记开头,但第 {} 字节起不是有效的 UTF-8",
                e.valid_up_to() + 4
            )
        });
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let (text, _, bad) = encoding_rs::UTF_16LE.decode(bytes);
        return if bad {
            Err("文件不是有效的 UTF-16 文本".into())
        } else {
            Ok(Cow::Owned(text.into_owned()))
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(s));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|c| Cow::Owned(c.into_owned()))
        .ok_or_else(|| "文件既不是 UTF-8 也不是 GB18030/GBK 编码的文本".into())
}

/// A column the reader looks for.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Its canonical (English) name, used in messages.
    pub name: &'static str,
    /// Header names accepted, compared without case and spaces.
    pub aliases: &'static [&'static str],
    /// Whether the file must have it.
    pub required: bool,
}

/// Columns of a values file.
pub const VALUE_COLUMNS: [Column; 6] = [
    Column {
        name: "indicator",
        aliases: &[
            "indicator",
            "指标",
            "指标代码",
            "指标序号",
            "指标编号",
            "序号",
        ],
        required: true,
    },
    Column {
        name: "org_unit",
        aliases: &[
            "org_unit",
            "org",
            "单位",
            "地区",
            "镇街",
            "镇(街道)",
            "填报单位",
            "组织",
        ],
        required: true,
    },
    Column {
        name: "period",
        aliases: &["period", "期间", "月份", "时间", "报告期"],
        required: true,
    },
    Column {
        name: "value",
        aliases: &["value", "数值", "值", "实际值", "完成值"],
        required: false,
    },
    Column {
        name: "numerator",
        aliases: &["numerator", "分子"],
        required: false,
    },
    Column {
        name: "denominator",
        aliases: &["denominator", "分母"],
        required: false,
    },
];

/// Most columns a table reader looks for.
pub const MAX_COLUMNS: usize = 8;

/// What a row parser says about one row.
pub type RowResult<T> = Result<Option<T>, Vec<(&'static str, String)>>;

fn header_key(s: &str) -> String {
    crate::plan::org::normalize_name(s).to_lowercase()
}

/// Reads a delimited text table: finds `columns` in the header, then hands each
/// row's fields (in `columns` order, trimmed, empty when the column is absent)
/// to a parser made by `make` (one per thread). Rows whose fields are all empty
/// are skipped. Splits the work over `threads` when the text has no quotes
/// (a quoted field may hold a line break); adds the bytes done to `progress`.
pub fn read_table<T, P>(
    file: &str,
    bytes: &[u8],
    columns: &[Column],
    threads: usize,
    progress: Option<&AtomicU64>,
    make: impl Fn() -> P + Sync,
) -> Result<Vec<T>, InputErrors>
where
    T: Send,
    P: FnMut(&[&str], Source) -> RowResult<T>,
{
    let whole = |message: String, field: Option<String>| {
        InputErrors(vec![InputError {
            file: file.into(),
            line: 0,
            field,
            message,
        }])
    };
    let text = decode(bytes).map_err(|m| whole(m, None))?;
    let text: &str = &text;
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    let header_line = &text[..first_end];
    let delimiter = if header_line.contains('\t') && !header_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut hr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(header_line.as_bytes());
    let mut header = csv::StringRecord::new();
    if !hr.read_record(&mut header).unwrap_or(false) {
        return Err(whole("文件为空,缺少表头行".into(), None));
    }
    let columns = &columns[..columns.len().min(MAX_COLUMNS)];
    let mut index: Vec<Option<usize>> = Vec::with_capacity(columns.len());
    let mut missing = Vec::new();
    for c in columns {
        let pos = header
            .iter()
            .position(|h| c.aliases.iter().any(|a| header_key(a) == header_key(h)));
        if pos.is_none() && c.required {
            missing.push(c.name);
        }
        index.push(pos);
    }
    if !missing.is_empty() {
        let expected: Vec<&str> = columns.iter().map(|c| c.name).collect();
        return Err(InputErrors(vec![InputError {
            file: file.into(),
            line: 1,
            field: None,
            message: format!(
                "表头缺少列:{}(应有 {})",
                missing.join("、"),
                expected.join(",")
            ),
        }]));
    }
    let body = &text[first_end..];
    // Split into chunks at line ends; one chunk when the text has quotes.
    let threads = if body.contains('"') || body.len() < (1 << 20) {
        1
    } else {
        threads.clamp(1, 64)
    };
    let mut chunks = Vec::with_capacity(threads);
    let mut start = 0;
    let mut line = 2u64; // the body starts on line 2
    for k in 1..=threads {
        let mut end = if k == threads {
            body.len()
        } else {
            (body.len() * k / threads).max(start)
        };
        if k < threads {
            end = body.as_bytes()[end..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(body.len(), |i| end + i + 1);
        }
        let piece = &body[start..end];
        chunks.push((piece, line));
        line += bytecount(piece.as_bytes());
        start = end;
    }
    let run = |(piece, first_line): (&str, u64)| -> (Vec<T>, Vec<InputError>) {
        let mut parse = make();
        let mut out = Vec::new();
        let mut errors = Vec::new();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(piece.as_bytes());
        let mut rec = csv::ByteRecord::new();
        let mut done = 0u64;
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let l = e.position().map_or(0, |p| p.line()) + first_line - 1;
                    errors.push(InputError {
                        file: file.into(),
                        line: l,
                        field: None,
                        message: format!("CSV 格式错误:{e}"),
                    });
                    break;
                }
            }
            let pos = rec.position().map_or(0, |p| p.line());
            let l = first_line + pos - 1;
            if let Some(p) = progress {
                let b = rec.position().map_or(0, |p| p.byte());
                if b - done >= 1 << 20 {
                    p.fetch_add(b - done, Ordering::Relaxed);
                    done = b;
                }
            }
            let mut buf = [""; MAX_COLUMNS];
            let mut all_empty = true;
            for (slot, ix) in buf.iter_mut().zip(&index) {
                let f = ix
                    .and_then(|i| rec.get(i))
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .unwrap_or("")
                    .trim();
                all_empty &= f.is_empty();
                *slot = f;
            }
            let fields = &buf[..index.len()];
            if all_empty {
                continue;
            }
            let source = Source {
                file: 0,
                line: u32::try_from(l).unwrap_or(u32::MAX),
            };
            match parse(fields, source) {
                Ok(Some(v)) => out.push(v),
                Ok(None) => {}
                Err(list) => errors.extend(list.into_iter().map(|(field, message)| InputError {
                    file: file.into(),
                    line: l,
                    field: Some(field.to_string()),
                    message,
                })),
            }
        }
        if let Some(p) = progress {
            p.fetch_add(piece.len() as u64 - done, Ordering::Relaxed);
        }
        (out, errors)
    };
    let results: Vec<(Vec<T>, Vec<InputError>)> = if chunks.len() == 1 {
        chunks.into_iter().map(run).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|c| s.spawn(move || run(c)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        let e = InputError {
                            file: file.into(),
                            line: 0,
                            field: None,
                            message: "读取时发生内部错误".into(),
                        };
                        (Vec::new(), vec![e])
                    })
                })
                .collect()
        })
    };
    let mut out = Vec::with_capacity(results.iter().map(|r| r.0.len()).sum());
    let mut errors = Vec::new();
    for (o, e) in results {
        out.extend(o);
        errors.extend(e);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(InputErrors(errors))
    }
}

fn bytecount(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

/// Resolves a unit name to its unit in the plan's reporting tree, with a
/// one-entry cache (files list many rows of one unit in a row).
struct OrgCache<'p> {
    plan: &'p Plan,
    last: Option<(String, OrgId)>,
}

impl OrgCache<'_> {
    fn get(&mut self, name: &str) -> Result<OrgId, String> {
        if let Some((n, id)) = &self.last {
            if n == name {
                return Ok(*id);
            }
        }
        let id = self.plan.orgs.resolve(name).map_err(|e| match e {
            ResolveError::Unknown(_) | ResolveError::Ambiguous(_) => e.to_string(),
        })?;
        let Some(unit) = self.plan.reporting_unit(id) else {
            let root = &self.plan.orgs.get(self.plan.reporting_root).name;
            return Err(format!("“{}”不在本计划的填报范围({root}及其下级)内", name));
        };
        self.last = Some((name.to_string(), unit));
        Ok(unit)
    }
}

/// Reads a values file (`indicator,org_unit,period,value,numerator,denominator`).
/// `file_index` is stored in each observation's [`Source`].
pub fn read_values(
    plan: &Plan,
    file: &str,
    file_index: u16,
    bytes: &[u8],
    threads: usize,
    progress: Option<&AtomicU64>,
) -> Result<Vec<Observation>, InputErrors> {
    read_table(file, bytes, &VALUE_COLUMNS, threads, progress, || {
        let mut orgs = OrgCache { plan, last: None };
        let mut last_ind: Option<(String, usize)> = None;
        move |f: &[&str], mut source: Source| {
            source.file = file_index;
            let mut errs: Vec<(&'static str, String)> = Vec::new();
            let ind = match &last_ind {
                Some((s, i)) if s == f[0] => Some(*i),
                _ => {
                    let found = plan.find_indicator(f[0]);
                    match found {
                        Some(i) => last_ind = Some((f[0].to_string(), i)),
                        None if f[0].is_empty() => errs.push(("indicator", "缺少指标".into())),
                        None => errs.push(("indicator", format!("未知的指标“{}”", f[0]))),
                    }
                    found
                }
            };
            let org = if f[1].is_empty() {
                errs.push(("org_unit", "缺少单位".into()));
                None
            } else {
                orgs.get(f[1]).map_err(|m| errs.push(("org_unit", m))).ok()
            };
            let period = Period::parse(f[2])
                .map_err(|e| errs.push(("period", e.to_string())))
                .ok();
            let amount = ind.and_then(|i| amount_of(plan, i, f[3], f[4], f[5], &mut errs));
            if !errs.is_empty() {
                return Err(errs);
            }
            match (ind, org, period, amount) {
                (Some(i), Some(org), Some(period), Some(amount)) => Ok(Some(Observation {
                    indicator: i as u16,
                    org,
                    period,
                    amount,
                    source,
                })),
                _ => Err(vec![("indicator", "无法读取该行".into())]),
            }
        }
    })
}

fn amount_of(
    plan: &Plan,
    ind: usize,
    value: &str,
    num: &str,
    den: &str,
    errs: &mut Vec<(&'static str, String)>,
) -> Option<Amount> {
    let indicator = &plan.indicators[ind];
    let percent = indicator.unit == "%";
    let mut figure = |field: &'static str, s: &str, percent: bool| -> Option<Decimal> {
        match parse_figure(s, percent) {
            Ok(d) if d.is_sign_negative() && !d.is_zero() => {
                errs.push((field, format!("不能为负数“{s}”")));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                errs.push((field, e.to_string()));
                None
            }
        }
    };
    if indicator.kind != Kind::Ratio {
        if !num.is_empty() || !den.is_empty() {
            errs.push((
                "numerator",
                format!("指标 {} 不是比率指标,请只填 value", indicator.code),
            ));
            return None;
        }
        if value.is_empty() {
            errs.push(("value", "缺少数值".into()));
            return None;
        }
        return figure("value", value, percent).map(Amount::Value);
    }
    match (num.is_empty(), den.is_empty()) {
        (true, true) => {
            if value.is_empty() {
                errs.push((
                    "value",
                    "缺少数值:比率指标请填写分子和分母(或比率值)".into(),
                ));
                return None;
            }
            figure("value", value, percent).map(Amount::Value)
        }
        (false, true) => {
            errs.push(("denominator", "有分子而缺少分母".into()));
            None
        }
        (true, false) => {
            errs.push(("numerator", "有分母而缺少分子".into()));
            None
        }
        (false, false) => {
            let n = figure("numerator", num, false);
            let d = figure("denominator", den, false);
            let (n, d) = (n?, d?);
            if d.is_zero() {
                errs.push(("denominator", "分母不能为 0".into()));
                return None;
            }
            if !value.is_empty() {
                let v = figure("value", value, percent)?;
                let mult = Exact::from(indicator.multiplier.unwrap_or(Decimal::ONE));
                let computed = Exact::from(n).mul(&mult).div(&Exact::from(d))?;
                let half_ulp = Exact::from(Decimal::new(5, v.scale() + 1));
                let diff = computed.sub(&Exact::from(v));
                let diff = if diff.is_negative() { diff.neg() } else { diff };
                if diff > half_ulp {
                    let shown = computed
                        .round(v.scale() + 2)
                        .map(|x| x.to_string())
                        .unwrap_or_default();
                    errs.push((
                        "value",
                        format!("比率值 {v} 与分子/分母算得的 {shown} 不一致"),
                    ));
                    return None;
                }
            }
            Some(Amount::Ratio { num: n, den: d })
        }
    }
}

/// One row of a target decomposition (分解下达) file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetRow {
    /// Index into `plan.indicators`.
    pub indicator: u16,
    /// The unit in the reporting tree.
    pub org: OrgId,
    /// The year; the plan's baseline year means the unit's baseline (现状值).
    pub year: i32,
    /// `None` for "/".
    pub target: Option<Target>,
    /// Where it came from.
    pub source: Source,
}

/// Columns of a target decomposition file.
pub const TARGET_COLUMNS: [Column; 4] = [
    Column {
        name: "indicator",
        aliases: &["indicator", "指标", "指标代码", "指标序号", "序号"],
        required: true,
    },
    Column {
        name: "org_unit",
        aliases: &[
            "org_unit",
            "org",
            "单位",
            "地区",
            "镇街",
            "镇(街道)",
            "组织",
        ],
        required: true,
    },
    Column {
        name: "year",
        aliases: &["year", "年份", "年度"],
        required: true,
    },
    Column {
        name: "target",
        aliases: &["target", "目标", "目标值"],
        required: true,
    },
];

/// Reads a decomposition file (`indicator,org_unit,year,target`); a target may
/// carry a comparator (`>17`) or be `/`.
pub fn read_targets(plan: &Plan, file: &str, bytes: &[u8]) -> Result<Vec<TargetRow>, InputErrors> {
    read_table(file, bytes, &TARGET_COLUMNS, 1, None, || {
        let mut orgs = OrgCache { plan, last: None };
        move |f: &[&str], source: Source| {
            let mut errs: Vec<(&'static str, String)> = Vec::new();
            let ind = plan.find_indicator(f[0]);
            if ind.is_none() {
                errs.push(("indicator", format!("未知的指标“{}”", f[0])));
            }
            let org = orgs.get(f[1]).map_err(|m| errs.push(("org_unit", m))).ok();
            let (by, ly) = (plan.meta.baseline_year, plan.meta.last_year);
            let year = match f[2].trim_end_matches('年').parse::<i32>() {
                Ok(y) if (by..=ly).contains(&y) => Some(y),
                _ => {
                    errs.push((
                        "year",
                        format!("年份“{}”须在 {by}—{ly} 之间({by} 为现状值)", f[2]),
                    ));
                    None
                }
            };
            let target = Target::parse(f[3])
                .map_err(|m| errs.push(("target", m)))
                .ok();
            if let (Some(i), Some(Some(t))) = (ind, target) {
                if plan.indicators[i].kind != Kind::Ratio && t.value.is_sign_negative() {
                    errs.push(("target", "目标值不能为负数".into()));
                }
            }
            if !errs.is_empty() {
                return Err(errs);
            }
            match (ind, org, year, target) {
                (Some(i), Some(org), Some(year), Some(target)) => Ok(Some(TargetRow {
                    indicator: i as u16,
                    org,
                    year,
                    target,
                    source,
                })),
                _ => Err(vec![("indicator", "无法读取该行".into())]),
            }
        }
    })
}
