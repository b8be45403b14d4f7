//! The .xlsx import reader (`sheets::read_xlsx`) on arbitrary bytes, then the
//! values reader on the text it yields, as an import does. Any panic, hang or
//! runaway allocation (a zip bomb, a huge stated sheet extent) is a bug.
#![no_main]

mod common;

use anju_core::input;
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: common::Limited = common::Limited;

fuzz_target!(
    init: {
        // read_xlsx catches a panic inside calamine and answers "a bad file";
        // libFuzzer's hook would abort on it first. The default hook only
        // prints: a panic that escapes read_xlsx still aborts at the FFI
        // boundary and is reported as a crash.
        drop(std::panic::take_hook());
    },
    |data: &[u8]| {
    match anju_reports::sheets::read_xlsx("fuzz.xlsx", data) {
        Ok(sheet) => {
            // One sheet row number for each line of the text, header included.
            assert_eq!(
                sheet.rows.len(),
                sheet.csv.lines().count(),
                "read_xlsx: rows and csv lines disagree"
            );
            let read =
                input::read_values(&common::PLAN, "fuzz.xlsx", 0, sheet.csv.as_bytes(), 1, None);
            if *common::SHOW {
                eprintln!(
                    "read_xlsx: sheet {:?}, rows {:?}\n{}",
                    sheet.sheet, sheet.rows, sheet.csv
                );
                match read {
                    Ok(obs) => eprintln!("read_values: {} observations", obs.len()),
                    Err(e) => eprintln!("read_values: {e}"),
                }
            }
        }
        Err(e) => {
            if *common::SHOW {
                eprintln!("read_xlsx: {e}");
            }
        }
    }
});
