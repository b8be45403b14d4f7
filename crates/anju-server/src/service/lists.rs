//! What the list imports (projects, work items) share: an old .xls refused,
//! an .xlsx read as the table its sheet holds, the rows of errors named as
//! the sheet numbers them.

use anju_core::input::{Column, InputErrors};
use anju_reports::sheets::SheetText;

use super::{Error, FileProblem};

/// The file as table text: CSV as it is, an .xlsx as its sheet `prefer` (or
/// the first) with a header naming the columns of `need`.
pub(super) fn sheet_of(
    file: &str,
    bytes: &[u8],
    columns: &[Column],
    need: &[usize],
    prefer: &str,
    need_words: &str,
) -> Result<Option<SheetText>, Error> {
    if file.to_lowercase().ends_with(".xls") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(Error::File(
            FileProblem::OldExcel,
            "不支持旧版 .xls 文件,请在 Excel/WPS 中另存为 .xlsx 或 CSV 后导入".into(),
        ));
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Ok(None);
    }
    anju_reports::sheets::read_xlsx_table(file, bytes, columns, need, prefer, need_words)
        .map(Some)
        .map_err(|m| Error::File(FileProblem::Unreadable, m))
}

/// Bad rows, each named by the row the sheet shows (a CSV's own lines are
/// its rows).
pub(super) fn bad_rows(e: InputErrors, sheet: Option<SheetText>) -> Error {
    let errors =
        e.0.into_iter()
            .map(|mut r| {
                if let Some(s) = &sheet
                    && r.line > 0
                {
                    r.line = usize::try_from(r.line - 1)
                        .ok()
                        .and_then(|i| s.rows.get(i))
                        .map_or(r.line, |&row| u64::from(row));
                }
                r
            })
            .collect();
    Error::Rows(errors, sheet.map(|s| s.sheet))
}
