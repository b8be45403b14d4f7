//! A zip bomb whose archive lies about its sizes: a small upload whose sheet
//! states 1,000 bytes and inflates to 600 MiB. The reader must refuse it
//! while this process's peak memory stays far below what it inflates to.
//! A test binary of its own, so no other test's memory counts in the peak.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

const INFLATED: usize = 600 << 20;
const STATED: u32 = 1_000;

/// Peak resident memory of this process (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// A workbook whose one sheet holds a single cell of `INFLATED` spaces.
fn bomb() -> Vec<u8> {
    let parts: [(&str, &str); 4] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="填报" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    // The sheet's deflate stream is built from blocks: the head, one block
    // of 1 MiB of spaces repeated, the tail. Each block is compressed on its
    // own and ends on a byte boundary, so they join into one valid stream.
    let block = |data: &[u8], last: bool| {
        let mut c = flate2::Compress::new(flate2::Compression::best(), false);
        let mut out = Vec::with_capacity(data.len() / 100 + 1024);
        let flush = if last {
            flate2::FlushCompress::Finish
        } else {
            flate2::FlushCompress::Sync
        };
        c.compress_vec(data, &mut out, flush).unwrap();
        out
    };
    let sheet = "xl/worksheets/sheet1.xml";
    let spaces = block(&vec![b' '; 1 << 20], false);
    let mut deflated = block(br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#, false);
    for _ in 0..INFLATED >> 20 {
        deflated.extend_from_slice(&spaces);
    }
    deflated.extend(block(b"</t></is></c></row></sheetData></worksheet>", true));
    let mut entries: Vec<(&str, Vec<u8>, u32, u32)> = parts
        .iter()
        .map(|(name, text)| {
            let mut crc = flate2::Crc::new();
            crc.update(text.as_bytes());
            (
                *name,
                block(text.as_bytes(), true),
                crc.sum(),
                text.len() as u32,
            )
        })
        .collect();
    // The lie: 1,000 bytes stated, 600 MiB inside (and a CRC to match nothing).
    entries.push((sheet, deflated, 0, STATED));
    zip_of(&entries)
}

/// A zip archive of deflated entries (name, data, CRC-32, stated size),
/// written by hand so that it can state what it likes.
fn zip_of(entries: &[(&str, Vec<u8>, u32, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, crc, size) in entries {
        let offset = out.len() as u32;
        let fixed = |b: &mut Vec<u8>| {
            b.extend_from_slice(&20u16.to_le_bytes()); // version needed
            b.extend_from_slice(&0u16.to_le_bytes()); // flags
            b.extend_from_slice(&8u16.to_le_bytes()); // deflate
            b.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
            b.extend_from_slice(&crc.to_le_bytes());
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(&size.to_le_bytes());
            b.extend_from_slice(&(name.len() as u16).to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(b"PK\x03\x04");
        fixed(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        fixed(&mut central);
        central.extend_from_slice(&[0; 6]); // comment, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let at = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]); // disks
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[test]
fn a_zip_bomb_that_lies_about_its_sizes_is_refused_in_bounded_memory() {
    let bytes = bomb();
    assert!(bytes.len() < 4 << 20, "the upload fits the body limit");
    let before = peak_rss();
    let err = anju_reports::sheets::read_xlsx("炸弹.xlsx", &bytes).unwrap_err();
    let after = peak_rss();
    eprintln!(
        "peak memory {} MiB before reading, {} MiB after; the upload is {} KiB",
        before >> 20,
        after >> 20,
        bytes.len() >> 10
    );
    assert!(err.contains("炸弹.xlsx"), "{err}");
    assert!(
        err.contains("声明") || err.contains("MiB"),
        "the error says why: {err}"
    );
    // Far below the 600 MiB the sheet inflates to.
    assert!(
        after < 64 << 20,
        "peak memory {} MiB (before reading: {} MiB)",
        after >> 20,
        before >> 20
    );
}
