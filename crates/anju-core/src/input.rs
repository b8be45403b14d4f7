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
        crate::error::write_lines(f, &self.0)
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

/// The indicator column, by code or name.
const INDICATOR: Column = Column {
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
};

/// The unit column, by name or alias.
const ORG_UNIT: Column = Column {
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
};

/// Columns of a values file.
pub const VALUE_COLUMNS: [Column; 6] = [
    INDICATOR,
    ORG_UNIT,
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
    let whole = |message: String| {
        InputErrors(vec![InputError {
            file: file.into(),
            line: 0,
            field: None,
            message,
        }])
    };
    // Plain UTF-8 (the common case) is read in place; anything else is decoded first.
    if !bytes.starts_with(b"\xEF\xBB\xBF")
        && !bytes.starts_with(b"\xFF\xFE")
        && !bytes.starts_with(b"\xFE\xFF")
        && let Some(r) = read_utf8(file, bytes, columns, threads, progress, &make)
    {
        return r;
    }
    let text = decode(bytes).map_err(whole)?;
    read_utf8(file, text.as_bytes(), columns, threads, progress, &make)
        .unwrap_or_else(|| Err(whole("文件编码无法识别".into())))
}

/// [`read_table`] on bytes that should be UTF-8; `None` when they are not
/// (each thread checks its own part, so the check runs in parallel too).
fn read_utf8<T, P>(
    file: &str,
    bytes: &[u8],
    columns: &[Column],
    threads: usize,
    progress: Option<&AtomicU64>,
    make: &(impl Fn() -> P + Sync),
) -> Option<Result<Vec<T>, InputErrors>>
where
    T: Send,
    P: FnMut(&[&str], Source) -> RowResult<T>,
{
    let first_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1);
    let header_line = std::str::from_utf8(&bytes[..first_end]).ok()?;
    let header = match parse_header(file, header_line, columns) {
        Ok(h) => h,
        Err(e) => return Some(Err(e)),
    };
    let delimiter = header.delimiter;
    let body = &bytes[first_end..];
    // Split into chunks at line ends; one chunk when the text has quotes.
    let quoted = body.contains(&b'"');
    let threads = if quoted || body.len() < (1 << 20) {
        1
    } else {
        threads.clamp(1, 64)
    };
    let chunks = split_lines(body, threads, 2);
    let run = |(piece, first_line): (&[u8], u64)| -> Option<(Vec<T>, Vec<InputError>)> {
        let piece = std::str::from_utf8(piece).ok()?;
        let mut parse = make();
        let mut out = Vec::with_capacity(estimate_rows(piece.as_bytes()));
        let mut errors = Vec::new();
        let mut done = 0u64;
        let mut report = |at: u64| {
            if let Some(p) = progress
                && at - done >= 1 << 20
            {
                p.fetch_add(at - done, Ordering::Relaxed);
                done = at;
            }
        };
        if quoted {
            // The general path: quotes, and line breaks inside quoted cells.
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(piece.as_bytes());
            let mut rec = csv::ByteRecord::new();
            loop {
                match rdr.read_byte_record(&mut rec) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        let l = e.position().map_or(0, |p| p.line()) + first_line - 1;
                        let message = format!("CSV 格式错误:{e}");
                        errors.push(InputError {
                            file: file.into(),
                            line: l,
                            field: None,
                            message,
                        });
                        break;
                    }
                }
                let pos = rec.position().map_or((1, 0), |p| (p.line(), p.byte()));
                report(pos.1);
                let mut raw = [""; MAX_RAW];
                for (slot, f) in raw.iter_mut().zip(rec.iter()) {
                    *slot = std::str::from_utf8(f).unwrap_or("");
                }
                let n = rec.len().min(MAX_RAW);
                process(
                    file,
                    &raw[..n],
                    &header,
                    first_line + pos.0 - 1,
                    &mut parse,
                    &mut out,
                    &mut errors,
                );
            }
        } else {
            parse_plain(
                file,
                piece,
                first_line,
                &header,
                &mut parse,
                &mut out,
                &mut errors,
                Some(&mut report),
            );
        }
        if let Some(p) = progress {
            p.fetch_add((piece.len() as u64).saturating_sub(done), Ordering::Relaxed);
        }
        Some((out, errors))
    };
    let results: Vec<Option<(Vec<T>, Vec<InputError>)>> = if chunks.len() == 1 {
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
                        Some((Vec::new(), vec![e]))
                    })
                })
                .collect()
        })
    };
    let mut out: Vec<T> = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        let (mut o, e) = r?;
        if out.is_empty() {
            out = o;
        } else {
            out.append(&mut o);
        }
        errors.extend(e);
    }
    Some(if errors.is_empty() {
        Ok(out)
    } else {
        Err(InputErrors(errors))
    })
}

/// What a header line says: where each wanted column is, how many cells a row
/// has, and the delimiter.
#[derive(Clone, Debug)]
struct Header {
    /// Cell of each wanted column.
    index: Vec<Option<usize>>,
    /// Cells in the header.
    width: usize,
    /// Tab or comma.
    delimiter: u8,
}

/// Finds `columns` in a header line; also says the delimiter (tab or comma).
fn parse_header(file: &str, header_line: &str, columns: &[Column]) -> Result<Header, InputErrors> {
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
        let e = InputError {
            file: file.into(),
            line: 0,
            field: None,
            message: "文件为空,缺少表头行".into(),
        };
        return Err(InputErrors(vec![e]));
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
        let message = format!(
            "表头缺少列:{}(应有 {})",
            missing.join("、"),
            expected.join(",")
        );
        return Err(InputErrors(vec![InputError {
            file: file.into(),
            line: 1,
            field: None,
            message,
        }]));
    }
    if let Some((c, pos)) = columns
        .iter()
        .zip(&index)
        .find_map(|(c, p)| p.filter(|&p| p >= MAX_RAW).map(|p| (c, p)))
    {
        let message = format!(
            "列 {} 在第 {} 列,超出了可读的前 {MAX_RAW} 列,请把它移到前面",
            c.name,
            pos + 1
        );
        return Err(InputErrors(vec![InputError {
            file: file.into(),
            line: 1,
            field: None,
            message,
        }]));
    }
    Ok(Header {
        index,
        width: header.len(),
        delimiter,
    })
}

/// Positions of delimiters and line ends in a text, found eight bytes at a
/// time (both are ASCII, so every cut is at a character boundary).
struct Cuts<'a> {
    bytes: &'a [u8],
    delimiter: u8,
    base: usize,
    next: usize,
    mask: u64,
}

impl<'a> Cuts<'a> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;

    fn new(bytes: &'a [u8], delimiter: u8) -> Cuts<'a> {
        Cuts {
            bytes,
            delimiter,
            base: 0,
            next: 0,
            mask: 0,
        }
    }

    /// Bytes of `w` that may be a delimiter or a line end (a byte just above a
    /// true match may be flagged too; `next` checks each).
    fn candidates(&self, w: u64) -> u64 {
        let x = w ^ (u64::from(self.delimiter) * Self::ONES);
        let y = w ^ (u64::from(b'\n') * Self::ONES);
        ((x.wrapping_sub(Self::ONES) & !x) | (y.wrapping_sub(Self::ONES) & !y)) & Self::HIGH
    }
}

impl Iterator for Cuts<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.mask != 0 {
                let pos = self.base + (self.mask.trailing_zeros() / 8) as usize;
                self.mask &= self.mask - 1;
                let c = self.bytes[pos];
                if c == self.delimiter || c == b'\n' {
                    return Some(pos);
                }
                continue;
            }
            if let Some(word) = self.bytes.get(self.next..self.next + 8) {
                let word = <[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes);
                self.base = self.next;
                self.next += 8;
                self.mask = self.candidates(word);
                continue;
            }
            while self.next < self.bytes.len() {
                let pos = self.next;
                self.next += 1;
                let c = self.bytes[pos];
                if c == self.delimiter || c == b'\n' {
                    return Some(pos);
                }
            }
            return None;
        }
    }
}

/// The fast path for text without quotes: a line is a row, a delimiter a cell
/// boundary.
#[allow(clippy::too_many_arguments)]
fn parse_plain<T, P>(
    file: &str,
    piece: &str,
    first_line: u64,
    header: &Header,
    parse: &mut P,
    out: &mut Vec<T>,
    errors: &mut Vec<InputError>,
    mut report: Option<&mut dyn FnMut(u64)>,
) where
    P: FnMut(&[&str], Source) -> RowResult<T>,
{
    let bytes = piece.as_bytes();
    let mut raw = [""; MAX_RAW];
    let mut n = 0usize;
    let mut cell_start = 0usize;
    let mut line_start = 0usize;
    let mut line = first_line;
    let ends = Cuts::new(bytes, header.delimiter)
        .chain((!bytes.ends_with(b"\n") && !bytes.is_empty()).then_some(bytes.len()));
    for pos in ends {
        let at_line_end = pos == bytes.len() || bytes[pos] == b'\n';
        // A line's last cell ends before a CR.
        let cell_end = if at_line_end && pos > cell_start && bytes[pos - 1] == b'\r' {
            pos - 1
        } else {
            pos
        };
        if n < MAX_RAW {
            raw[n] = piece.get(cell_start..cell_end).unwrap_or("");
        }
        n += 1;
        cell_start = pos + 1;
        if at_line_end {
            if cell_end > line_start {
                process(
                    file,
                    &raw[..n.min(MAX_RAW)],
                    header,
                    line,
                    parse,
                    out,
                    errors,
                );
                if let Some(r) = report.as_mut() {
                    r(pos as u64 + 1);
                }
            }
            n = 0;
            line_start = pos + 1;
            line += 1;
        }
    }
}

/// Most cells a row may have; cells beyond are ignored.
const MAX_RAW: usize = 64;

/// Trims white space, cheaply when there is none (the common case): only a
/// cell whose first or last byte may belong to a white-space character goes
/// through `str::trim`.
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return s;
    };
    // Leading bytes of white space: ASCII controls and space, U+0085/U+00A0
    // (C2), U+1680 (E1), U+2000–U+205F (E2), U+3000 (E3).
    let maybe_first = first <= b' ' || matches!(first, 0xC2 | 0xE1 | 0xE2 | 0xE3);
    // Last bytes of those characters.
    let maybe_last = last <= b' ' || matches!(last, 0x80..=0x8A | 0x9F | 0xA0 | 0xA8 | 0xA9 | 0xAF);
    if maybe_first || maybe_last {
        s.trim()
    } else {
        s
    }
}

/// Picks the wanted cells of a row, skips empty rows, and hands it to `parse`.
#[allow(clippy::too_many_arguments)]
fn process<T, P>(
    file: &str,
    raw: &[&str],
    header: &Header,
    line: u64,
    parse: &mut P,
    out: &mut Vec<T>,
    errors: &mut Vec<InputError>,
) where
    P: FnMut(&[&str], Source) -> RowResult<T>,
{
    let index = &header.index;
    let mut buf = [""; MAX_COLUMNS];
    let mut all_empty = true;
    for (slot, ix) in buf.iter_mut().zip(index) {
        let f = trim(ix.and_then(|i| raw.get(i).copied()).unwrap_or(""));
        all_empty &= f.is_empty();
        *slot = f;
    }
    // More cells than the header has: most likely a number written with a
    // thousands separator and no quotes (`1,234`), which would be misread.
    let extra = raw.iter().skip(header.width).any(|c| !trim(c).is_empty());
    if all_empty && !extra {
        return;
    }
    if extra {
        let message = format!(
            "本行有 {} 列,多于表头的 {} 列(数字中的千分位逗号须加引号,如 \"1,234\")",
            raw.len(),
            header.width
        );
        errors.push(InputError {
            file: file.into(),
            line,
            field: None,
            message,
        });
        return;
    }
    let source = Source {
        file: 0,
        line: u32::try_from(line).unwrap_or(u32::MAX),
    };
    match parse(&buf[..index.len()], source) {
        Ok(Some(v)) => out.push(v),
        Ok(None) => {}
        Err(list) => errors.extend(list.into_iter().map(|(field, message)| InputError {
            file: file.into(),
            line,
            field: Some(field.to_string()),
            message,
        })),
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
    fn new(plan: &Plan) -> OrgCache<'_> {
        OrgCache { plan, last: None }
    }

    fn get(&mut self, name: &str) -> Result<OrgId, String> {
        if let Some((n, id)) = &self.last
            && n == name
        {
            return Ok(*id);
        }
        let id = self.plan.orgs.resolve(name).map_err(|e| e.to_string())?;
        let Some(unit) = self.plan.reporting_unit(id) else {
            let root = &self.plan.orgs.get(self.plan.reporting_root).name;
            return Err(format!("“{}”不在本计划的填报范围({root}及其下级)内", name));
        };
        match &mut self.last {
            Some((n, id)) => {
                n.clear();
                n.push_str(name);
                *id = unit;
            }
            None => self.last = Some((name.to_string(), unit)),
        }
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
        value_parser(plan, file_index)
    })
}

/// The parser of one values row.
fn value_parser(
    plan: &Plan,
    file_index: u16,
) -> impl FnMut(&[&str], Source) -> RowResult<Observation> + '_ {
    let mut orgs = OrgCache::new(plan);
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
            (Some(i), Some(org), Some(period), Some(amount)) => {
                Observation::new(i as u16, org, period, amount, source)
                    .map(Some)
                    .ok_or_else(|| vec![("value", "数值超出可精确保存的范围".to_string())])
            }
            _ => Err(vec![("indicator", "无法读取该行".into())]),
        }
    }
}

/// Why a [`ValueStream`] cannot go on block by block: the caller reads the
/// whole file and uses [`read_values`], which handles every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeedWhole {
    /// The text is not UTF-8 (GB18030, UTF-16).
    Encoding,
    /// The text has quotes: a cell may hold a line break.
    Quotes,
}

/// Reads a values file block by block, so a file of any size is read with a
/// few reusable buffers; each block's lines are parsed on `threads` threads.
/// Handles plain UTF-8 CSV (what `anju gen` and most exports write); for any
/// other text it says [`NeedWhole`].
pub struct ValueStream<'p> {
    plan: &'p Plan,
    file: String,
    file_index: u16,
    header: Option<Header>,
    line: u64,
    carry: Vec<u8>,
    first: bool,
}

impl<'p> ValueStream<'p> {
    /// A stream for one file.
    pub fn new(plan: &'p Plan, file: &str, file_index: u16) -> ValueStream<'p> {
        ValueStream {
            plan,
            file: file.to_string(),
            file_index,
            header: None,
            line: 1,
            carry: Vec::new(),
            first: true,
        }
    }

    /// Parses the complete lines of `block` (with what was left of the last
    /// one), adding a segment of figures per thread to `out`, and to `errors`.
    pub fn feed(
        &mut self,
        mut block: &[u8],
        threads: usize,
        out: &mut Vec<Vec<Observation>>,
        errors: &mut Vec<InputError>,
    ) -> Result<(), NeedWhole> {
        if self.first {
            self.first = false;
            if block.starts_with(b"\xFF\xFE") || block.starts_with(b"\xFE\xFF") {
                return Err(NeedWhole::Encoding);
            }
            block = block.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(block);
        }
        let Some(last_nl) = block.iter().rposition(|&b| b == b'\n') else {
            self.carry.extend_from_slice(block);
            return Ok(());
        };
        let (complete, rest) = block.split_at(last_nl + 1);
        let mut complete = complete;
        if !self.carry.is_empty() {
            let first_nl = complete
                .iter()
                .position(|&b| b == b'\n')
                .map_or(complete.len(), |i| i + 1);
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(&complete[..first_nl]);
            self.lines(&joined, 1, out, errors)?;
            joined.clear();
            self.carry = joined;
            complete = &complete[first_nl..];
        }
        self.lines(complete, threads, out, errors)?;
        self.carry.extend_from_slice(rest);
        Ok(())
    }

    /// Parses what is left after the last block.
    pub fn finish(
        &mut self,
        out: &mut Vec<Vec<Observation>>,
        errors: &mut Vec<InputError>,
    ) -> Result<(), NeedWhole> {
        let rest = std::mem::take(&mut self.carry);
        self.lines(&rest, 1, out, errors)?;
        if self.header.is_none() {
            let e = InputError {
                file: self.file.clone(),
                line: 0,
                field: None,
                message: "文件为空,缺少表头行".into(),
            };
            errors.push(e);
        }
        Ok(())
    }

    /// Complete lines.
    fn lines(
        &mut self,
        mut region: &[u8],
        threads: usize,
        out: &mut Vec<Vec<Observation>>,
        errors: &mut Vec<InputError>,
    ) -> Result<(), NeedWhole> {
        if region.is_empty() {
            return Ok(());
        }
        if region.contains(&b'"') {
            return Err(NeedWhole::Quotes);
        }
        if self.header.is_none() {
            let end = region
                .iter()
                .position(|&b| b == b'\n')
                .map_or(region.len(), |i| i + 1);
            let text = std::str::from_utf8(&region[..end]).map_err(|_| NeedWhole::Encoding)?;
            match parse_header(&self.file, text, &VALUE_COLUMNS) {
                Ok(h) => self.header = Some(h),
                Err(InputErrors(e)) => {
                    errors.extend(e);
                    self.header = Some(Header {
                        index: Vec::new(),
                        width: 0,
                        delimiter: b',',
                    });
                }
            }
            self.line += 1;
            region = &region[end..];
        }
        let Some(header) = &self.header else {
            return Ok(());
        };
        if header.index.is_empty() || region.is_empty() {
            return Ok(()); // nothing more, or a bad header already reported
        }
        let threads = if region.len() < (1 << 20) {
            1
        } else {
            threads.clamp(1, 64)
        };
        let pieces = split_lines(region, threads, self.line);
        self.line += bytecount(region) + u64::from(!region.ends_with(b"\n"));
        let (plan, file, file_index) = (self.plan, self.file.as_str(), self.file_index);
        // Each thread fills a list of its own (so the memory is first touched on
        // all cores), sized from the mean length of its first lines.
        let run =
            |(piece, first_line): (&[u8], u64)| -> Option<(Vec<Observation>, Vec<InputError>)> {
                let piece = std::str::from_utf8(piece).ok()?;
                let mut parse = value_parser(plan, file_index);
                let mut errors = Vec::new();
                let mut buf = Vec::with_capacity(estimate_rows(piece.as_bytes()));
                parse_plain(
                    file,
                    piece,
                    first_line,
                    header,
                    &mut parse,
                    &mut buf,
                    &mut errors,
                    None,
                );
                Some((buf, errors))
            };
        let results: Vec<Option<(Vec<Observation>, Vec<InputError>)>> = if pieces.len() == 1 {
            vec![run(pieces[0])]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = pieces.iter().map(|&p| s.spawn(move || run(p))).collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or(None))
                    .collect()
            })
        };
        for r in results {
            let (buf, e) = r.ok_or(NeedWhole::Encoding)?;
            errors.extend(e);
            out.push(buf);
        }
        Ok(())
    }
}

/// Rows in a piece of text, estimated from the mean length of its first lines
/// (with a little to spare), to size a list once.
fn estimate_rows(piece: &[u8]) -> usize {
    let sample = &piece[..piece.len().min(1 << 16)];
    let per_row = sample.len() / (bytecount(sample) as usize).max(1);
    piece.len() / per_row.max(1) + piece.len() / per_row.max(1) / 32 + 16
}

/// Splits complete lines into `n` pieces at line ends, each with its first
/// line number.
fn split_lines(body: &[u8], n: usize, first_line: u64) -> Vec<(&[u8], u64)> {
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    let mut line = first_line;
    for k in 1..=n {
        let mut end = if k == n {
            body.len()
        } else {
            (body.len() * k / n).max(start)
        };
        if k < n {
            end = body[end..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(body.len(), |i| end + i + 1);
        }
        let piece = &body[start..end];
        pieces.push((piece, line));
        if k < n {
            line += bytecount(piece);
        }
        start = end;
    }
    pieces
}

/// One figure by the rules of the values file, for input that is not a file
/// (the API): a ratio indicator takes numerator and denominator (or a rate in
/// `value`, and a rate given with them must agree with them), every other
/// indicator takes `value`; no negatives, no zero denominator, at most six
/// decimals. Empty text is a missing field. Each error names its field
/// (`value`, `numerator`, `denominator`).
pub fn figure_of(
    plan: &Plan,
    indicator: usize,
    value: &str,
    numerator: &str,
    denominator: &str,
) -> Result<Amount, Vec<(&'static str, String)>> {
    let mut errs = Vec::new();
    match amount_of(
        plan,
        indicator,
        value.trim(),
        numerator.trim(),
        denominator.trim(),
        &mut errs,
    ) {
        Some(a) if errs.is_empty() => Ok(a),
        _ => Err(errs),
    }
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
                let computed = indicator.rate(n, d)?;
                // The rate must be the exact rate rounded (四舍五入) to the places it is written with.
                if computed.round(v.scale()) != Some(v.normalize()) {
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
    INDICATOR,
    ORG_UNIT,
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
pub fn read_targets(
    plan: &Plan,
    file: &str,
    bytes: &[u8],
    threads: usize,
) -> Result<Vec<TargetRow>, InputErrors> {
    read_table(file, bytes, &TARGET_COLUMNS, threads, None, || {
        let mut orgs = OrgCache::new(plan);
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
            if let (Some(i), Some(Some(t))) = (ind, target)
                && plan.indicators[i].kind != Kind::Ratio
                && t.value.is_sign_negative()
            {
                errs.push(("target", "目标值不能为负数".into()));
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

#[cfg(test)]
mod tests {
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
