//! Spreadsheets: the .xlsx template a unit fills in for a period, and reading
//! an .xlsx back as the rows of a values file. A sheet is turned into the
//! values file's text (header, rows) so one reader, with one set of rules,
//! checks every file; row numbers are mapped back to the sheet's own.

use std::fmt::Write as _;
use std::str::FromStr;

use anju_core::access::Actor;
use anju_core::input::VALUE_COLUMNS;
use anju_core::period::Period;
use anju_core::plan::{Kind, OrgId, Plan};
use anju_core::records::Figure;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};

/// The most rows, columns and filled cells an imported sheet may have.
const MAX_ROWS: usize = 100_000;
const MAX_COLUMNS: usize = 64;
const MAX_CELLS: usize = 1_000_000;
/// The most a workbook may expand to, counted in the bytes actually inflated
/// (a zip may state any sizes it likes).
const MAX_EXPANDED: u64 = 64 << 20;
/// The longest text a cell may hold: Excel's own limit, in characters.
pub const MAX_CELL_CHARS: usize = 32_767;
/// The longest run of XML text (bytes between two tags) a workbook part may
/// have: a cell's 32,767 characters at four bytes each, doubled for entities
/// written out (`&amp;` is five bytes for one): 256 KiB.
const MAX_TEXT_RUN: usize = MAX_CELL_CHARS * 4 * 2;

/// The name of the sheet a template writes and an import looks for first.
pub const SHEET: &str = "填报";

/// The template's columns, in order.
const TEMPLATE_HEAD: [&str; 10] = [
    "指标",
    "指标名称",
    "填报单位",
    "期间",
    "数值",
    "分子",
    "分母",
    "计量单位",
    "上期数值(参考)",
    "填写说明",
];

/// A sheet read as a values file.
#[derive(Debug)]
pub struct SheetText {
    /// The sheet's name.
    pub sheet: String,
    /// The values file's text (header first).
    pub csv: String,
    /// The sheet's row number (as Excel shows it) of each line of `csv`
    /// (index 0 is line 1, the header).
    pub rows: Vec<u32>,
}

fn xlsx_error(e: XlsxError) -> String {
    format!("无法生成表格:{e}")
}

/// The template for `org` and `period`: the indicators `me` may report for
/// the unit, last period's approved figure beside each for reference, and
/// numeric cells that take only numbers ≥ 0.
pub fn template(
    plan: &Plan,
    me: &Actor,
    org: OrgId,
    period: Period,
    previous: &[impl Figure],
) -> Result<Vec<u8>, String> {
    let unit = &plan.orgs.get(org).name;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET).map_err(xlsx_error)?;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_background_color("#D9E1F2")
        .set_border(FormatBorder::Thin);
    let fixed = Format::new().set_border(FormatBorder::Thin);
    let input = Format::new()
        .set_background_color("#FFF2CC")
        .set_border(FormatBorder::Thin)
        .set_unlocked();
    // A cell that does not apply to the row (a ratio's 数值, a count's 分子
    // and 分母): grey and locked.
    let unused = Format::new()
        .set_background_color("#E7E6E6")
        .set_border(FormatBorder::Thin);
    let last = TEMPLATE_HEAD.len() as u16 - 1;
    ws.merge_range(
        0,
        0,
        0,
        last,
        &format!("{} 指标数据填报表 — {unit} {period}", plan.meta.name),
        &title,
    )
    .map_err(xlsx_error)?;
    ws.write_string(
        1,
        0,
        "请只填写黄色单元格:比率指标填分子和分母,其他指标填数值;灰色单元格不填。表格已保护,黄色以外的单元格不能改动。填好后在系统中“导入”即可。",
    )
    .map_err(xlsx_error)?;
    for (c, h) in TEMPLATE_HEAD.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &head)
            .map_err(xlsx_error)?;
    }
    let widths = [6.0, 34.0, 12.0, 10.0, 12.0, 12.0, 12.0, 10.0, 16.0, 30.0];
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w).map_err(xlsx_error)?;
    }
    let mut row = 3u32;
    for (ix, ind) in plan.indicators.iter().enumerate() {
        if !me.can(
            plan,
            &anju_core::access::Action::ReportFigure { indicator: ix, org },
        ) {
            continue;
        }
        ws.write_number_with_format(row, 0, f64::from(ind.code.0), &fixed)
            .map_err(xlsx_error)?;
        ws.write_string_with_format(row, 1, &ind.name, &fixed)
            .map_err(xlsx_error)?;
        ws.write_string_with_format(row, 2, unit, &fixed)
            .map_err(xlsx_error)?;
        ws.write_string_with_format(row, 3, period.to_string(), &fixed)
            .map_err(xlsx_error)?;
        let ratio = ind.kind == Kind::Ratio;
        for c in 4..=6 {
            // E 数值 for a count; F 分子 and G 分母 for a ratio.
            let applies = (c == 4) != ratio;
            ws.write_blank(row, c, if applies { &input } else { &unused })
                .map_err(xlsx_error)?;
        }
        ws.write_string_with_format(row, 7, &ind.unit, &fixed)
            .map_err(xlsx_error)?;
        let before = previous
            .iter()
            .find(|v| v.indicator() == ind.code.0)
            .map(|v| match v.amount() {
                // With its rate, as the clerk compares it: 2114/8648(24.44%).
                (_, Some(n), Some(d)) => match ind.rate(n, d).and_then(|r| r.round(ind.decimals)) {
                    Some(r) => format!(
                        "{}/{}({r}{})",
                        n.normalize(),
                        d.normalize(),
                        if ind.unit == "%" { "%" } else { "" }
                    ),
                    None => format!("{}/{}", n.normalize(), d.normalize()),
                },
                (Some(x), _, _) => x.normalize().to_string(),
                _ => String::new(),
            })
            .unwrap_or_default();
        ws.write_string_with_format(row, 8, before, &fixed)
            .map_err(xlsx_error)?;
        let note = if ratio {
            format!(
                "填{}(分子)和{}(分母){}",
                ind.numerator.as_deref().unwrap_or("分子"),
                ind.denominator.as_deref().unwrap_or("分母"),
                if ind.share {
                    ",分子不大于分母"
                } else {
                    ""
                }
            )
        } else {
            format!("填数值,单位:{}", ind.unit)
        };
        ws.write_string_with_format(row, 9, note, &fixed)
            .map_err(xlsx_error)?;
        row += 1;
    }
    if row > 3 {
        let numbers = DataValidation::new()
            .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
            .set_error_title("数值有误")
            .map_err(xlsx_error)?
            .set_error_message("请填写不小于 0 的数字")
            .map_err(xlsx_error)?;
        ws.add_data_validation(3, 4, row - 1, 6, &numbers)
            .map_err(xlsx_error)?;
    }
    // The header stays in view; only the yellow cells can be changed (no
    // password: the protection guards against slips, not people).
    ws.set_freeze_panes(3, 0).map_err(xlsx_error)?;
    ws.protect();
    wb.save_to_buffer().map_err(xlsx_error)
}

/// Inflates every part of the archive once, into nothing, before the reader
/// sees it, and refuses the file when a part inflates to more than it states
/// (a lying zip bomb), when all of them together pass [`MAX_EXPANDED`], or
/// when a part holds a text longer than a cell may (or a CDATA section, which
/// Excel never writes and which could hide one). Memory stays constant: the
/// bytes are counted, not kept. The reader then inflates the same bytes the
/// same way, so what it reads is what was counted here.
/// Extra fields the zip reader cannot take, found in every local and
/// central header: an extended timestamp (`UT`, 0x5455) with no room for
/// its flags byte makes zip 4.6 subtract past zero
/// (`extra_fields/extended_timestamp.rs`: a panic where overflow is checked,
/// a wrapped length elsewhere). The fuzzer found it; refused here as a bad
/// file before the reader sees it.
fn unreadable_extra_field(bytes: &[u8]) -> Option<&'static str> {
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    for (at, _) in bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x03\x04" || *w == b"PK\x01\x02")
    {
        // Where the name and extra lengths stand, and the header's size.
        let (lengths, fixed) = if bytes[at + 2] == 3 {
            (at + 26, 30)
        } else {
            (at + 28, 46)
        };
        let (Some(name_len), Some(extra_len)) = (u16_at(lengths), u16_at(lengths + 2)) else {
            continue;
        };
        let start = at + fixed + name_len;
        let Some(extra) = bytes.get(start..start + extra_len) else {
            continue;
        };
        let mut k = 0;
        while k + 4 <= extra.len() {
            let id = u16::from_le_bytes([extra[k], extra[k + 1]]);
            let len = u16::from_le_bytes([extra[k + 2], extra[k + 3]]) as usize;
            if id == 0x5455 && len == 0 {
                return Some("扩展时间戳字段为空");
            }
            k += 4 + len;
        }
    }
    None
}

fn check_archive(name: &str, bytes: &[u8]) -> Result<(), String> {
    use std::io::Read as _;
    let bad = |e: &dyn std::fmt::Display| format!("{name}:不是有效的 .xlsx 文件({e})");
    if let Some(why) = unreadable_extra_field(bytes) {
        return Err(bad(&why));
    }
    let too_big = || format!("{name}:文件解压后超过 {} MiB,不予读取", MAX_EXPANDED >> 20);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(&e))?;
    // What the archive states first: an honest bomb is refused before any work.
    let mut stated = 0u64;
    for k in 0..zip.len() {
        let entry = zip.by_index_raw(k).map_err(|e| bad(&e))?;
        stated = stated.saturating_add(entry.size());
    }
    if stated > MAX_EXPANDED {
        return Err(too_big());
    }
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 << 10];
    for k in 0..zip.len() {
        let mut entry = zip.by_index(k).map_err(|e| bad(&e))?;
        let part = entry.name().to_string();
        let declared = entry.size();
        let mut scan = TextScan::default();
        let mut inflated = 0u64;
        loop {
            let n = entry.read(&mut buf).map_err(|e| bad(&e))?;
            if n == 0 {
                break;
            }
            inflated += n as u64;
            total += n as u64;
            if inflated > declared {
                return Err(format!(
                    "{name}:文件中的“{part}”解压后比它声明的 {declared} 字节更大,文件已损坏或被篡改,不予读取"
                ));
            }
            if total > MAX_EXPANDED {
                return Err(too_big());
            }
            // Every part that is XML by its first bytes, whatever its name
            // (the reader finds parts by the workbook's relationships, and
            // without regard to case): images and other binaries are not.
            if inflated == n as u64 {
                scan.xml = looks_like_xml(&buf[..n]);
            }
            if scan.xml {
                scan.feed(&buf[..n])
                    .map_err(|e| format!("{name}:“{part}”{e}"))?;
            }
        }
    }
    Ok(())
}

/// Whether a part's first bytes are XML's: white space or a UTF-8 BOM, then `<`.
fn looks_like_xml(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_none_or(|&b| b == b'<')
}

/// Follows a workbook part's XML as it inflates: the length of the text run
/// since the last tag, and whether a CDATA section begins.
#[derive(Default)]
struct TextScan {
    /// The part is XML (so its text is looked at).
    xml: bool,
    run: usize,
    /// The last bytes seen, to find `<![CDATA[` across two chunks.
    tail: Vec<u8>,
}

impl TextScan {
    const CDATA: &'static [u8] = b"<![CDATA[";

    fn feed(&mut self, chunk: &[u8]) -> Result<(), String> {
        let mut joined = std::mem::take(&mut self.tail);
        joined.extend_from_slice(chunk);
        if joined.windows(Self::CDATA.len()).any(|w| w == Self::CDATA) {
            return Err("含有 CDATA 段,不是 Excel 写出的文件,不予读取".into());
        }
        for &b in chunk {
            if b == b'<' {
                self.run = 0;
            } else {
                self.run += 1;
                if self.run > MAX_TEXT_RUN {
                    return Err(format!(
                        "中有超过 {MAX_CELL_CHARS} 个字符的文本(Excel 单元格的上限),不予读取"
                    ));
                }
            }
        }
        let keep = joined.len().min(Self::CDATA.len() - 1);
        self.tail = joined[joined.len() - keep..].to_vec();
        Ok(())
    }
}

/// A column as Excel names it: 0 is A, 25 is Z, 26 is AA.
fn column_name(c: usize) -> String {
    anju_core::input::column_letter(c)
}

fn header_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// A cell as the values file's text: numbers by their shortest decimal form
/// (Excel keeps binary floats: 0.1 stays 0.1), dates as YYYY-MM-DD.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        // An error cell (#DIV/0!, #N/A) is not a figure: its text makes the row refused.
        Data::Error(e) => format!("#{e:?}"),
        // A line break in a cell (Alt+Enter) would break the row in two.
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            s.replace(['\r', '\n'], " ").trim().to_string()
        }
        Data::Int(i) => i.to_string(),
        Data::Float(f) => Decimal::from_str(&f.to_string())
            .map(|d| d.normalize().to_string())
            .unwrap_or_else(|_| f.to_string()),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            // Days since 1899-12-30 (Excel's day 0, leap bug included after 1900-02).
            let days = d.as_f64();
            if (0.0..3_000_000.0).contains(&days) {
                civil_from_days(days.floor() as i64 - 25569)
            } else {
                format!("{days}")
            }
        }
    }
}

/// YYYY-MM-DD of a day count from 1970-01-01.
fn civil_from_days(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        let _ = write!(out, "\"{}\"", s.replace('"', "\"\""));
    } else {
        out.push_str(s);
    }
}

/// Reads an .xlsx as a values file: the sheet named 填报, else the first;
/// the header is the first row (of the first 20) naming at least the
/// indicator, unit and period columns — title rows, notes and blank rows above
/// it are skipped, and a header cell left empty by a merge takes the text of
/// the cell above it.
pub fn read_xlsx(name: &str, bytes: &[u8]) -> Result<SheetText, String> {
    read_xlsx_table(
        name,
        bytes,
        &VALUE_COLUMNS,
        &[0, 1, 2],
        SHEET,
        "指标、单位、期间",
    )
}

/// Reads an .xlsx as a table of `columns`: the sheet named `prefer`, else
/// the first; the header is the first row (of the first 20) naming every
/// column of `need` (indices into `columns`; `need_words` says them to
/// people) — as [`read_xlsx`] does for a values file.
pub fn read_xlsx_table(
    name: &str,
    bytes: &[u8],
    columns: &[anju_core::input::Column],
    need: &[usize],
    prefer: &str,
    need_words: &str,
) -> Result<SheetText, String> {
    check_archive(name, bytes)?;
    // calamine indexes some parts without checking (a cell naming a shared
    // string that is not there panics): a file it cannot read is a bad file,
    // not a crash. Nothing is shared across the boundary but the bytes.
    std::panic::catch_unwind(|| read_sheet(name, bytes, columns, need, prefer, need_words))
        .unwrap_or_else(|_| {
            Err(format!(
                "{name}:不是有效的 .xlsx 文件(内容不完整或相互矛盾)"
            ))
        })
}

/// [`read_xlsx_table`] once the archive has been checked.
fn read_sheet(
    name: &str,
    bytes: &[u8],
    columns: &[anju_core::input::Column],
    need: &[usize],
    prefer: &str,
    need_words: &str,
) -> Result<SheetText, String> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))
            .map_err(|e| format!("{name}:不是有效的 .xlsx 文件({e})"))?;
    let names = book.sheet_names();
    let sheet = names
        .iter()
        .find(|n| n.as_str() == prefer)
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| format!("{name}:文件中没有工作表"))?;
    // Cells one by one, within bounds: a sheet's stated extent (or a cell
    // at XFD1048576) must not make us allocate its whole rectangle.
    let mut reader = book
        .worksheet_cells_reader(&sheet)
        .map_err(|e| format!("{name}:无法读取工作表“{sheet}”({e})"))?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut cells = 0usize;
    while let Some(cell) = reader
        .next_cell()
        .map_err(|e| format!("{name}:无法读取工作表“{sheet}”({e})"))?
    {
        let (r, c) = cell.get_position();
        let (r, c) = (r as usize, c as usize);
        if c >= MAX_COLUMNS {
            continue;
        }
        let text = cell_text(&calamine::Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        if text.chars().count() > MAX_CELL_CHARS {
            return Err(format!(
                "{name}:工作表“{sheet}”第 {} 行第 {} 列的文本超过 {MAX_CELL_CHARS} 个字符(Excel 单元格的上限)",
                r + 1,
                column_name(c)
            ));
        }
        if r >= MAX_ROWS {
            return Err(format!(
                "{name}:工作表“{sheet}”超过 {MAX_ROWS} 行,请分成几份导入"
            ));
        }
        cells += 1;
        if cells > MAX_CELLS {
            return Err(format!(
                "{name}:工作表“{sheet}”的单元格过多(超过 {MAX_CELLS} 个)"
            ));
        }
        if rows.len() <= r {
            rows.resize(r + 1, Vec::new());
        }
        if rows[r].len() <= c {
            rows[r].resize(c + 1, String::new());
        }
        rows[r][c] = text;
    }
    let first_row = 0u32;
    let known = |s: &str| {
        let k = header_key(s);
        columns
            .iter()
            .position(|c| c.aliases.iter().any(|a| header_key(a) == k))
    };
    let header_at = rows
        .iter()
        .take(20)
        .position(|r| {
            let found: Vec<usize> = r.iter().filter_map(|c| known(c)).collect();
            need.iter().all(|n| found.contains(n))
        })
        .ok_or_else(|| {
            format!("{name}:工作表“{sheet}”的前 20 行中找不到表头(须有 {need_words} 列)")
        })?;
    // A header over two rows (cells merged down, or a group over 分子 and
    // 分母): the lower row names a column where it has text, the upper row
    // where the lower is empty.
    let mut header: Vec<String> = rows[header_at].clone();
    let mut header_at = header_at;
    while let Some(next) = rows.get(header_at + 1) {
        let names_a_column = next.iter().any(|c| known(c).is_some());
        let first_is_code = next.first().is_some_and(|c| c.parse::<f64>().is_ok());
        if !names_a_column || first_is_code {
            break;
        }
        header.resize(header.len().max(next.len()), String::new());
        for (c, cell) in next.iter().enumerate() {
            if !cell.is_empty() {
                header[c] = cell.clone();
            }
        }
        header_at += 1;
    }
    let mut csv = String::new();
    let mut line_rows = Vec::new();
    let mut push_row = |cells: &[String], sheet_row: u32, csv: &mut String| {
        for (c, cell) in cells.iter().enumerate() {
            if c > 0 {
                csv.push(',');
            }
            csv_field(csv, cell);
        }
        csv.push('\n');
        line_rows.push(sheet_row);
    };
    let row_no = |k: usize| first_row + u32::try_from(k).unwrap_or(u32::MAX - first_row) + 1;
    push_row(&header, row_no(header_at), &mut csv);
    // Rows hold only their filled cells: pad them to the header's width.
    let width = header.len();
    for (k, r) in rows.iter().enumerate().skip(header_at + 1) {
        let mut r = r.clone();
        if r.len() < width {
            r.resize(width, String::new());
        }
        push_row(&r, row_no(k), &mut csv);
    }
    Ok(SheetText {
        sheet,
        csv,
        rows: line_rows,
    })
}

/// A cell of the evaluation workbook.
enum Cell<'a> {
    Number(Option<crate::view::Num>),
    /// A share shown as a percentage (0.9167 → 91.67%).
    Percent(Option<crate::view::Num>),
    Whole(Option<u32>),
    Text(&'a str),
}

/// The evaluation rows as a workbook: one row per indicator and unit,
/// numbers as numbers, the columns of `anju eval --format json` that people
/// read.
pub fn evaluation_xlsx(title: &str, rows: &[crate::view::RowView<'_>]) -> Result<Vec<u8>, String> {
    const COLUMNS: [(&str, f64); 15] = [
        ("指标", 6.0),
        ("指标名称", 34.0),
        ("单位名称", 12.0),
        ("计量单位", 10.0),
        ("实际值", 12.0),
        ("数据月份", 14.0),
        ("目标值", 10.0),
        ("原目标值", 10.0),
        ("序时应达", 12.0),
        ("序时进度", 10.0),
        ("完成进度", 10.0),
        ("落后", 8.0),
        ("状态", 8.0),
        ("排名", 6.0),
        ("说明", 60.0),
    ];
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("评估结果").map_err(xlsx_error)?;
    let bold = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color("#D9E1F2")
        .set_border(FormatBorder::Thin);
    ws.write_string_with_format(0, 0, title, &bold)
        .map_err(xlsx_error)?;
    for (c, (h, w)) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &head)
            .map_err(xlsx_error)?;
        ws.set_column_width(c as u16, *w).map_err(xlsx_error)?;
    }
    let percent = Format::new().set_num_format("0.00%");
    for (r, row) in rows.iter().enumerate() {
        let at = r as u32 + 2;
        // Where the actual comes from: this month, or the month it carries.
        let month = match (&row.carried_from, row.actual) {
            (Some(m), _) => format!("沿用{m}"),
            (None, Some(_)) => "本月".to_string(),
            (None, None) => String::new(),
        };
        let cells = [
            Cell::Whole(Some(u32::from(row.indicator))),
            Cell::Text(row.indicator_name),
            Cell::Text(row.org_unit),
            Cell::Text(row.unit),
            Cell::Number(row.actual),
            Cell::Text(&month),
            Cell::Number(row.target),
            Cell::Number(row.original_target),
            Cell::Number(row.expected),
            Cell::Percent(row.time_share),
            Cell::Percent(row.completion),
            Cell::Percent(row.lag),
            Cell::Text(row.status_label),
            Cell::Whole(row.rank),
            Cell::Text(row.reason),
        ];
        for (c, cell) in cells.iter().enumerate() {
            let c = c as u16;
            match cell {
                // The exact decimal's nearest double: what a spreadsheet
                // holds (its text is in the JSON answer).
                Cell::Number(Some(n)) => {
                    let x = n.0.to_string().parse::<f64>().unwrap_or_default();
                    ws.write_number(at, c, x).map_err(xlsx_error)?;
                }
                Cell::Percent(Some(n)) => {
                    let x = n.0.to_string().parse::<f64>().unwrap_or_default();
                    ws.write_number_with_format(at, c, x, &percent)
                        .map_err(xlsx_error)?;
                }
                Cell::Whole(Some(n)) => {
                    ws.write_number(at, c, f64::from(*n)).map_err(xlsx_error)?;
                }
                Cell::Text(s) => {
                    ws.write_string(at, c, *s).map_err(xlsx_error)?;
                }
                Cell::Number(None) | Cell::Percent(None) | Cell::Whole(None) => {}
            }
        }
    }
    ws.set_freeze_panes(2, 3).map_err(xlsx_error)?;
    wb.save_to_buffer().map_err(xlsx_error)
}

/// A cell of a list workbook: text, or an exact decimal written as the
/// nearest number (its text is in the JSON answer).
pub enum ListCell {
    /// Text.
    Text(String),
    /// A number.
    Number(rust_decimal::Decimal),
    /// Nothing.
    Empty,
}

/// A list as a workbook: a title row, a bold frozen header, one row per
/// line, column widths as given — what the 督办, project and work-item
/// lists export.
pub fn list_xlsx(
    sheet: &str,
    title: &str,
    columns: &[(&str, f64)],
    rows: &[Vec<ListCell>],
) -> Result<Vec<u8>, String> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(xlsx_error)?;
    let bold = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color("#D9E1F2")
        .set_border(FormatBorder::Thin);
    let wrap = Format::new().set_text_wrap();
    ws.write_string_with_format(0, 0, title, &bold)
        .map_err(xlsx_error)?;
    for (c, (h, w)) in columns.iter().enumerate() {
        let c = u16::try_from(c).map_err(|e| e.to_string())?;
        ws.write_string_with_format(1, c, *h, &head)
            .map_err(xlsx_error)?;
        ws.set_column_width(c, *w).map_err(xlsx_error)?;
    }
    ws.set_freeze_panes(2, 0).map_err(xlsx_error)?;
    for (r, row) in rows.iter().enumerate() {
        let at = u32::try_from(r + 2).map_err(|e| e.to_string())?;
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|e| e.to_string())?;
            match cell {
                ListCell::Text(t) => {
                    ws.write_string_with_format(at, c, t, &wrap)
                        .map_err(xlsx_error)?;
                }
                ListCell::Number(d) => {
                    let x = d.to_string().parse::<f64>().unwrap_or_default();
                    ws.write_number(at, c, x).map_err(xlsx_error)?;
                }
                ListCell::Empty => {}
            }
        }
    }
    wb.save_to_buffer().map_err(xlsx_error)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_empty_extended_timestamp_is_a_bad_file_not_a_crash() {
        // The input the fuzzer found: zip 4.6 subtracts past zero on it.
        let bytes = include_bytes!(
            "../../../fuzz/regressions/xlsx/crash-c0f9a4a664140eadb00057ca70662e1a4bd45f9c.xlsx"
        );
        let err = read_xlsx("坏.xlsx", bytes).unwrap_err();
        assert!(err.contains("不是有效的 .xlsx 文件"), "{err}");
    }

    /// A sheet as people make them: a merged title, a note, a blank row, a
    /// header over two rows (指标/单位/期间 merged down, 分子 and 分母 under a
    /// merged 比率), numbers as numbers, a blank row among the data.
    #[test]
    fn a_hand_made_sheet_reads_as_a_values_file() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let f = Format::new();
        ws.merge_range(0, 0, 0, 5, "海宁市住房指标 2024年6月", &f)
            .unwrap();
        ws.write_string(1, 0, "填报说明:……").unwrap();
        for (c, h) in ["指标", "单位", "期间", "数值"].iter().enumerate() {
            ws.merge_range(3, c as u16, 4, c as u16, h, &f).unwrap();
        }
        ws.merge_range(3, 4, 3, 5, "比率", &f).unwrap();
        ws.write_string(4, 4, "分子").unwrap();
        ws.write_string(4, 5, "分母").unwrap();
        ws.write_number(5, 0, 8.0).unwrap();
        ws.write_string(5, 1, "硖石街道").unwrap();
        ws.write_string(5, 2, "2024-06").unwrap();
        ws.write_number(5, 3, 0.1 + 0.2).unwrap();
        ws.write_number(7, 0, 6.0).unwrap();
        ws.write_string(7, 1, "硖石街道").unwrap();
        ws.write_string(7, 2, "2024-06").unwrap();
        ws.write_number(7, 4, 45.0).unwrap();
        ws.write_number(7, 5, 50.0).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let text = read_xlsx("手工表.xlsx", &bytes).unwrap();
        assert_eq!(text.sheet, "Sheet1");
        let lines: Vec<&str> = text.csv.lines().collect();
        assert_eq!(lines[0], "指标,单位,期间,数值,分子,分母");
        assert_eq!(lines[1], "8,硖石街道,2024-06,0.30000000000000004,,");
        assert_eq!(lines[3], "6,硖石街道,2024-06,,45,50");
        // Excel's own row numbers: the header is row 5, the figures rows 6 and 8.
        assert_eq!((text.rows[0], text.rows[1], text.rows[3]), (5, 6, 8));
    }

    /// A cell far out (XFD1048576) does not make the reader allocate the
    /// whole rectangle; a line break in a cell does not split its row.
    #[test]
    fn far_cells_and_line_breaks() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["指标", "单位", "期间", "数值"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_number(1, 0, 8.0).unwrap();
        ws.write_string(1, 1, "硖石\n街道").unwrap();
        ws.write_string(1, 2, "2024-06").unwrap();
        ws.write_number(1, 3, 7.0).unwrap();
        ws.write_string(1_048_575, 16_383, "far away").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let text = read_xlsx("far.xlsx", &bytes).unwrap();
        assert_eq!(text.csv.lines().nth(1), Some("8,硖石 街道,2024-06,7"));
        // A figure at the last row is refused as too many rows, not read.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["指标", "单位", "期间", "数值"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_number(1_048_575, 0, 8.0).unwrap();
        let err = read_xlsx("deep.xlsx", &wb.save_to_buffer().unwrap()).unwrap_err();
        assert!(err.contains("行"), "{err}");
    }

    /// What the fuzzer found: a cell naming a shared string that is not
    /// there made calamine panic; it is a bad file, named as such.
    #[test]
    fn a_cell_naming_a_missing_shared_string_is_a_bad_file_not_a_panic() {
        for bytes in [
            &include_bytes!("../../../fuzz/regressions/xlsx/shared-string-index-out-of-range.xlsx")
                [..],
            &include_bytes!(
                "../../../fuzz/regressions/xlsx/crash-b0743535ddfc645aee76a1c910179646b3bdb6f6.xlsx"
            )[..],
        ] {
            let err = read_xlsx("坏表.xlsx", bytes).unwrap_err();
            assert!(err.starts_with("坏表.xlsx:"), "{err}");
        }
    }

    /// A part holding a text longer than a cell may, or a CDATA section, is
    /// refused while it inflates.
    #[test]
    fn overlong_text_and_cdata_are_refused_while_inflating() {
        let mut scan = TextScan::default();
        assert!(scan.feed(b"<c><v>1</v></c><").is_ok());
        let long = vec![b'x'; MAX_TEXT_RUN];
        assert!(scan.feed(&long).is_ok());
        let err = scan.feed(b"x").unwrap_err();
        assert!(err.contains("32767"), "{err}");
        // CDATA split across two chunks.
        let mut scan = TextScan::default();
        assert!(scan.feed(b"<t><![CD").is_ok());
        assert!(scan.feed(b"ATA[<<<]]></t>").unwrap_err().contains("CDATA"));
    }

    /// A sheet part named without `.xml` (or in capitals) is still XML and
    /// still scanned; an image is not.
    #[test]
    fn parts_are_scanned_by_what_they_hold_not_their_names() {
        assert!(looks_like_xml(b"<?xml version=\"1.0\"?><worksheet>"));
        assert!(looks_like_xml(b"\xEF\xBB\xBF  <worksheet>"));
        assert!(!looks_like_xml(b"\x89PNG\r\n\x1a\n"));
        let mut text = b"<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_TEXT_RUN + 1));
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("xl/worksheets/S", options).unwrap();
        std::io::Write::write_all(&mut zip, &text).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let err = check_archive("名字.xlsx", &bytes).unwrap_err();
        assert!(
            err.contains("xl/worksheets/S") && err.contains("32767"),
            "{err}"
        );
    }

    #[test]
    fn excel_dates_are_read_as_dates() {
        assert_eq!(civil_from_days(0), "1970-01-01");
        // 2024-06-01 is Excel's day 45444.
        assert_eq!(civil_from_days(45444 - 25569), "2024-06-01");
    }
}
