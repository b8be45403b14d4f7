#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::disallowed_methods
)]
//! `cargo bench -p anju-core --bench engine [-- TOWNS]`: the engine alone, on
//! synthetic data held in memory (no disk, no output). Times each stage over
//! several runs and prints the best and the median; the figures go to
//! docs/PERFORMANCE.md.

use std::time::{Duration, Instant};

use anju_core::engine;
use anju_core::input;
use anju_core::period::YearMonth;
use anju_core::plan;
use anju_core::targets::TargetBook;
use anju_core::validate;
use anju_core::values::ValueSet;
use anju_reports::view;
use anju_synth::synth::{self, Spec};

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    time_with(runs, || (), |()| f())
}

/// Times `f` on a fresh input from `setup` each run; `setup` is not timed.
fn time_with<I, T>(
    runs: usize,
    mut setup: impl FnMut() -> I,
    mut f: impl FnMut(I) -> T,
) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let input = setup();
        let t = Instant::now();
        let r = f(input);
        times.push(t.elapsed());
        last = Some(r);
    }
    times.sort();
    let out = match last {
        Some(r) => r,
        None => f(setup()),
    };
    (times[0], times[times.len() / 2], out)
}

fn main() {
    let towns: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let runs = 5;
    let base = anju_core::builtin_plan().expect("built-in plan");
    let spec = Spec::new(towns, 1, &base);
    let plan_text = synth::plan_toml(&spec, &base);
    let plan = plan::load("synthetic.toml", &plan_text).expect("synthetic plan");
    let mut targets = Vec::new();
    synth::write_targets(&spec, &base, &mut targets).expect("targets");
    let mut values = Vec::new();
    let rows = synth::write_values(&spec, &base, &mut values).expect("values");
    let as_of = YearMonth::new(2025, 6).expect("month");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "engine benchmark: {towns} towns, {rows} rows ({} MB of CSV), {threads} threads, best / median of {runs}",
        values.len() >> 20
    );

    let report = |what: &str, (best, median): (Duration, Duration), per: u64| {
        println!(
            "  {what:<28} {:>9.1} ms {:>9.1} ms   {:>7.1} ns/row",
            best.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3,
            best.as_secs_f64() * 1e9 / per as f64
        );
    };
    for t in [1, threads] {
        let (b, m, _) = time(runs, || {
            input::read_values(&plan, "values.csv", 0, &values, t, None).expect("parse")
        });
        report(&format!("parse CSV ({t} thread)"), (b, m), rows);
    }
    let (b, m, segments) = time(runs, || {
        // As `anju eval` reads a file: 16 MiB blocks, each parsed on all threads.
        let mut stream = input::ValueStream::new(&plan, "values.csv", 0);
        let (mut segments, mut errors) = (Vec::new(), Vec::new());
        for block in values.chunks(16 << 20) {
            stream
                .feed(block, threads, &mut segments, &mut errors)
                .expect("stream");
        }
        stream.finish(&mut segments, &mut errors).expect("stream");
        segments
    });
    report(
        &format!("parse CSV in blocks ({threads} thr.)"),
        (b, m),
        rows,
    );
    let (b, m, set) = time_with(
        runs,
        || segments.clone(),
        |s| ValueSet::from_segments(&plan, s, &["values.csv".into()]).expect("group"),
    );
    drop(segments);
    report("group by series", (b, m), rows);
    let (b, m, book) = time(runs, || {
        let rows = input::read_targets(&plan, "targets.csv", &targets, threads).expect("targets");
        let mut book = TargetBook::from_plan(&plan);
        book.decompose(&plan, "targets.csv", &rows)
            .expect("decompose");
        std::hint::black_box(book.check_sums(&plan));
        book
    });
    report("targets (read + check)", (b, m), rows);
    for t in [1, threads] {
        let (b, m, _) = time(runs, || validate::check_values(&plan, &set, as_of, t));
        report(&format!("validate ({t} thread)"), (b, m), rows);
    }
    for t in [1, threads] {
        let (b, m, eval) = time(runs, || engine::evaluate_on(&plan, &set, &book, as_of, t));
        report(&format!("evaluate ({t} thread)"), (b, m), rows);
        if t == threads {
            let (b, m, bytes) = time(runs, || {
                let mut out = Vec::new();
                for r in &eval.rows {
                    view::RowView::new(&plan, &eval, r).write_json(&mut out);
                }
                out.len()
            });
            report(&format!("JSON of {} rows", eval.rows.len()), (b, m), rows);
            std::hint::black_box(bytes);
        }
    }
}
