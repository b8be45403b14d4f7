//! The plan-file parser (`plan::load`) on arbitrary text (bytes that are not
//! UTF-8 are replaced, as a lossy read would). Any panic, hang or runaway
//! allocation is a bug; `Err`, with messages that point into the text, is
//! the expected answer to a bad file.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: common::Limited = common::Limited;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    match anju_core::plan::load("fuzz.toml", &src) {
        Ok(plan) => {
            if *common::SHOW {
                eprintln!("plan::load: ok, {} indicators", plan.indicators.len());
            }
        }
        Err(errs) => {
            // Rendering the errors walks their spans over the source.
            let text = errs.to_string();
            if *common::SHOW {
                eprintln!("plan::load: {text}");
            }
        }
    }
});
