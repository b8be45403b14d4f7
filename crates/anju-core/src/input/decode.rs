//! Text from the bytes users send: UTF-8 (with or without BOM), UTF-16
//! with BOM, or GB18030/GBK as Excel and WPS save on Chinese Windows.

use super::*;

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
