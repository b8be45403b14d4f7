//! The values-file (CSV) reader: `input::decode`, then `input::read_values`
//! against the built-in plan, on arbitrary bytes. Any panic, hang or runaway
//! allocation is a bug; an `Err` is the expected answer to garbage.
#![no_main]

mod common;

use anju_core::input;
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: common::Limited = common::Limited;

fuzz_target!(|data: &[u8]| {
    let plan = &*common::PLAN;
    // The raw bytes, as an upload arrives (read_values decodes by itself),
    // and what decode makes of them on its own.
    let raw = input::read_values(plan, "fuzz.csv", 0, data, 1, None);
    let decoded = input::decode(data)
        .map(|text| input::read_values(plan, "fuzz.csv", 0, text.as_bytes(), 1, None));
    if *common::SHOW {
        match &raw {
            Ok(obs) => eprintln!("read_values: {} observations", obs.len()),
            Err(e) => eprintln!(
                "read_values: {} errors, first: {:?}",
                e.0.len(),
                e.0.first()
            ),
        }
        match &decoded {
            Ok(Ok(obs)) => eprintln!("decode + read_values: {} observations", obs.len()),
            Ok(Err(e)) => eprintln!("decode + read_values: {} errors", e.0.len()),
            Err(e) => eprintln!("decode: {e}"),
        }
    }
});
