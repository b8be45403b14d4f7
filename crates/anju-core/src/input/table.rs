//! Delimited tables: columns found by name (English or Chinese) in any
//! order, the fast path for text without quotes split over threads, the
//! csv reader for the rest, cells trimmed and empty rows skipped.

use super::*;

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

impl Column {
    /// Its name for people: the first Chinese header it accepts (数值, 分子…).
    pub fn label(&self) -> &'static str {
        self.aliases
            .iter()
            .find(|a| !a.is_ascii())
            .copied()
            .unwrap_or(self.name)
    }
}

/// The indicator column, by code or name.
pub(super) const INDICATOR: Column = Column {
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
pub(super) const ORG_UNIT: Column = Column {
    name: "org_unit",
    aliases: &[
        "org_unit",
        "org",
        "填报单位",
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

pub(super) fn header_key(s: &str) -> String {
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
            cell: None,
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
pub(super) fn read_utf8<T, P>(
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
                            cell: None,
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
                            cell: None,
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
pub(super) struct Header {
    /// Cell of each wanted column.
    pub(super) index: Vec<Option<usize>>,
    /// Each wanted column found: its name and how a spreadsheet shows it
    /// ("F 列(分子)").
    pub(super) cells: Vec<(&'static str, String)>,
    /// Cells in the header.
    pub(super) width: usize,
    /// Tab or comma.
    pub(super) delimiter: u8,
}

/// Finds `columns` in a header line; also says the delimiter (tab or comma).
pub(super) fn parse_header(
    file: &str,
    header_line: &str,
    columns: &[Column],
) -> Result<Header, InputErrors> {
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
            cell: None,
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
    let cells = columns
        .iter()
        .zip(&index)
        .filter_map(|(c, p)| p.map(|p| (c.name, format!("{} 列({})", column_letter(p), c.label()))))
        .collect();
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
            cell: None,
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
            cell: None,
            message,
        }]));
    }
    Ok(Header {
        index,
        cells,
        width: header.len(),
        delimiter,
    })
}

/// Positions of delimiters and line ends in a text (both are ASCII, so
/// every cut is at a character boundary): `memchr`'s two-byte search, which
/// replaced a hand-written eight-bytes-at-a-time scan (see
/// docs/PERFORMANCE.md for the two measured side by side).
pub(super) struct Cuts<'a>(memchr::Memchr2<'a>);

impl<'a> Cuts<'a> {
    pub(super) fn new(bytes: &'a [u8], delimiter: u8) -> Cuts<'a> {
        Cuts(memchr::memchr2_iter(delimiter, b'\n', bytes))
    }
}

impl Iterator for Cuts<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        self.0.next()
    }
}

/// The fast path for text without quotes: a line is a row, a delimiter a cell
/// boundary.
#[allow(clippy::too_many_arguments)]
pub(super) fn parse_plain<T, P>(
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
pub(super) const MAX_RAW: usize = 64;

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
pub(super) fn process<T, P>(
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
            cell: None,
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
        Err(list) => errors.extend(list.into_iter().map(|(field, message)| {
            InputError {
                file: file.into(),
                line,
                field: Some(field.to_string()),
                cell: header
                    .cells
                    .iter()
                    .find(|(name, _)| *name == field)
                    .map(|(_, cell)| cell.clone()),
                message,
            }
        })),
    }
}

/// A column's letters as a spreadsheet shows them: 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(mut c: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn bytecount(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// Rows in a piece of text, estimated from the mean length of its first lines
/// (with a little to spare), to size a list once.
pub(super) fn estimate_rows(piece: &[u8]) -> usize {
    let sample = &piece[..piece.len().min(1 << 16)];
    let per_row = sample.len() / (bytecount(sample) as usize).max(1);
    piece.len() / per_row.max(1) + piece.len() / per_row.max(1) / 32 + 16
}

/// Splits complete lines into `n` pieces at line ends, each with its first
/// line number.
pub(super) fn split_lines(body: &[u8], n: usize, first_line: u64) -> Vec<(&[u8], u64)> {
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
            end = memchr::memchr(b'\n', &body[end..]).map_or(body.len(), |i| end + i + 1);
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
