//! `anju eval`: read the plan, the figures and the decompositions, evaluate as
//! of a month, print JSON, a table or CSV. Bad input: every bad line on
//! standard error, nothing on standard output, exit code 1.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anju_core::engine;
use anju_core::input::{self, InputError, InputErrors, Observation, ValueStream};
use anju_core::period::YearMonth;
use anju_core::plan::Plan;
use anju_core::targets::TargetBook;
use anju_core::validate::{self, Warning};
use anju_core::values::ValueSet;
use anju_reports::evaluation::{write_csv, write_json, write_table};
use clap::{Args, ValueEnum};

use crate::Reported;

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(true).args(["data", "database"])))]
pub struct EvalArgs {
    /// 数据文件(CSV,可多次给出):indicator,org_unit,period,value,numerator,denominator。
    #[arg(long = "data")]
    data: Vec<PathBuf>,
    /// 数据库(sqlite://文件 或 postgres://…):使用其中已审核的数据。
    #[arg(long, env = "ANJU_DATABASE")]
    database: Option<String>,
    /// 计划文件(默认:内置计划)。
    #[arg(long, env = "ANJU_PLAN")]
    plan: Option<PathBuf>,
    /// 目标分解文件(CSV,可多次给出):indicator,org_unit,year,target。
    #[arg(long = "targets")]
    targets: Vec<PathBuf>,
    /// 评估截至的月份:YYYY-MM 或 YYYY年M月。
    #[arg(long = "as-of", value_parser = parse_as_of)]
    as_of: YearMonth,
    /// 输出格式。
    #[arg(long, value_enum, default_value_t = EvalFormat::Json)]
    format: EvalFormat,
    /// 使用的线程数(默认:CPU 核数)。
    #[arg(long)]
    threads: Option<usize>,
    /// 在标准错误上列出的数据提醒条数上限(0 为不列出)。
    #[arg(long, default_value_t = 20)]
    max_warnings: usize,
}

fn parse_as_of(s: &str) -> Result<YearMonth, String> {
    YearMonth::parse(s).map_err(|e| e.to_string())
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum EvalFormat {
    Json,
    Table,
    Csv,
}

/// A progress bar on standard error, only on a terminal and for big inputs.
struct Progress {
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    bar: Option<(indicatif::ProgressBar, std::thread::JoinHandle<()>)>,
}

impl Progress {
    fn new(total: u64) -> Progress {
        let done = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let show = std::io::stderr().is_terminal() && total >= 32 << 20;
        let bar = show.then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style.progress_chars("=> "));
            bar.set_message("读取数据");
            let (b, d, s) = (bar.clone(), done.clone(), stop.clone());
            let handle = std::thread::spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    b.set_position(d.load(Ordering::Relaxed));
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
            (bar, handle)
        });
        Progress { done, stop, bar }
    }
    fn phase(&self, msg: &'static str) {
        if let Some((b, _)) = &self.bar {
            b.set_message(msg);
        }
    }
    fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some((b, h)) = self.bar {
            let _ = h.join();
            b.finish_and_clear();
        }
    }
}

/// Reads one values file block by block (a few reusable buffers, whatever its
/// size), adding its figures to `segments`; text the stream cannot take
/// (GB18030, quotes) is read whole instead.
#[allow(clippy::too_many_arguments)]
fn read_file(
    plan: &Plan,
    path: &Path,
    name: &str,
    index: u16,
    threads: usize,
    done: &AtomicU64,
    segments: &mut Vec<Vec<Observation>>,
    errors: &mut Vec<InputError>,
) -> std::io::Result<()> {
    const BLOCK: usize = 16 << 20;
    let start = (segments.len(), errors.len());
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata().map_or(0, |m| m.len());
    let mut stream = ValueStream::new(plan, name, index);
    let mut buf = vec![0u8; BLOCK.min(usize::try_from(size).unwrap_or(BLOCK).max(1 << 16))];
    let whole = loop {
        let n = read_full(&mut file, &mut buf)?;
        done.fetch_add(n as u64, Ordering::Relaxed);
        let step = if n == 0 {
            stream.finish(segments, errors)
        } else {
            stream.feed(&buf[..n], threads, segments, errors)
        };
        match step {
            Err(_) => break true,
            Ok(()) if n == 0 => break false,
            Ok(()) => {}
        }
    };
    if whole {
        segments.truncate(start.0);
        errors.truncate(start.1);
        let bytes = std::fs::read(path)?;
        match input::read_values(plan, name, index, &bytes, threads, None) {
            Ok(obs) => segments.push(obs),
            Err(InputErrors(e)) => errors.extend(e),
        }
    }
    Ok(())
}

/// Fills `buf` as far as the file allows; returns how much was read.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn report_errors(errors: &[InputError]) -> anyhow::Error {
    for e in errors {
        eprintln!("{e}");
    }
    eprintln!("输入有 {} 处错误,未输出评估结果。", errors.len());
    anyhow::Error::new(Reported)
}

/// Phase timings on standard error when `ANJU_TIMINGS` is set (for
/// docs/PERFORMANCE.md).
struct Timings(Option<std::time::Instant>);

impl Timings {
    fn lap(&mut self, what: &str) {
        if let Some(t) = &mut self.0 {
            eprintln!("[timing] {what}: {:.3}s", t.elapsed().as_secs_f64());
            *t = std::time::Instant::now();
        }
    }
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let mut timings = Timings(std::env::var_os("ANJU_TIMINGS").map(|_| std::time::Instant::now()));
    // With a database and no --plan: the plan the service runs there.
    let plan = match (&args.database, &args.plan) {
        (Some(url), None) => crate::stored_plan(url)?,
        _ => crate::load_plan(args.plan.as_ref())?,
    };
    timings.lap("plan");
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let sizes: u64 = args
        .data
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let progress = Progress::new(sizes);

    // Figures.
    let mut files = Vec::new();
    let mut segments: Vec<Vec<Observation>> = Vec::new();
    let mut errors: Vec<InputError> = Vec::new();
    for (i, path) in args.data.iter().enumerate() {
        let name = path.display().to_string();
        files.push(name.clone());
        let index = u16::try_from(i).map_err(|_| anyhow::anyhow!("数据文件过多"))?;
        if let Err(e) = read_file(
            &plan,
            path,
            &name,
            index,
            threads,
            &progress.done,
            &mut segments,
            &mut errors,
        ) {
            errors.push(InputError {
                file: name,
                line: 0,
                field: None,
                cell: None,
                message: format!("无法读取文件:{e}"),
            });
        }
    }
    // Approved target adjustments in the database (applied after the
    // decomposition files).
    let mut stored_adjustments = Vec::new();
    let mut stored_decompositions = Vec::new();
    if let Some(url) = &args.database {
        // Only approved figures count (DESIGN.md); the record id stands for the line.
        let index = u16::try_from(files.len()).map_err(|_| anyhow::anyhow!("数据文件过多"))?;
        files.push("数据库".to_string());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // What the service reads for the targets in force, read as it does.
        let (approved, records) = rt.block_on(async {
            let store = anju_store::Store::connect(url).await?;
            let approved = store.approved_figures().await?;
            let records = anju_server::service::targets::TargetRecords::read(&store).await?;
            Ok::<_, anju_store::StoreError>((approved, records))
        })?;
        (stored_adjustments, stored_decompositions) = (records.adjustments, records.decompositions);
        let obs = anju_store::observations(&plan, &approved, index);
        for e in &obs.skipped {
            eprintln!("警告:{e}(不在计划内,未计入)");
        }
        segments.push(obs.observations);
    }
    if !errors.is_empty() {
        progress.finish();
        return Err(report_errors(&errors));
    }
    timings.lap("read+parse");
    progress.phase("整理数据");
    let values = match ValueSet::from_segments(&plan, segments, &files) {
        Ok(v) => v,
        Err(InputErrors(e)) => {
            progress.finish();
            return Err(report_errors(&e));
        }
    };

    timings.lap("group");
    // Targets.
    let mut book = TargetBook::from_plan(&plan);
    // The decompositions kept in the database first, then the files given.
    for l in anju_core::adjustments::apply_decompositions(&mut book, &plan, &stored_decompositions)
    {
        eprintln!("警告:{l}");
    }
    let mut warnings: Vec<Warning> = Vec::new();
    for path in &args.targets {
        let name = path.display().to_string();
        let bytes =
            std::fs::read(path).map_err(|e| anyhow::anyhow!("无法读取目标分解文件 {name}:{e}"))?;
        let rows = input::read_targets(&plan, &name, &bytes, threads)
            .map_err(|InputErrors(e)| report_errors(&e))?;
        book.decompose(&plan, &name, &rows)
            .map_err(|InputErrors(e)| report_errors(&e))?;
    }
    // Sums are checked once every decomposition file is in.
    warnings.extend(book.check_sums(&plan));
    for l in
        anju_core::adjustments::apply_adjustments(&mut book, &plan, &stored_adjustments, args.as_of)
    {
        eprintln!("警告:{l}");
    }

    timings.lap("targets");
    progress.phase("评估");
    warnings.extend(validate::check_values(&plan, &values, args.as_of, threads));
    timings.lap("validate");
    let eval = engine::evaluate_on(&plan, &values, &book, args.as_of, threads);
    timings.lap("evaluate");
    drop(values);
    progress.phase("输出");
    let stdout = std::io::stdout();
    let colour = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    match args.format {
        EvalFormat::Json => write_json(&mut out, &plan, &eval, threads)?,
        EvalFormat::Csv => write_csv(&mut out, &plan, &eval)?,
        EvalFormat::Table => write_table(&mut out, &plan, &eval, colour)?,
    }
    out.flush()?;
    timings.lap("output");
    progress.finish();
    print_warnings(&plan, &files, &warnings, args.max_warnings);
    Ok(())
}

fn print_warnings(plan: &Plan, files: &[String], warnings: &[Warning], max: usize) {
    if warnings.is_empty() {
        return;
    }
    eprintln!("数据提醒 {} 条(不影响评估结果):", warnings.len());
    for w in warnings.iter().take(max) {
        eprintln!("  {}", w.describe(plan, files));
    }
    if warnings.len() > max {
        eprintln!(
            "  ……另有 {} 条未列出(用 --max-warnings 调整)",
            warnings.len() - max
        );
    }
}
