//! An evaluation written whole, as the command line hands it over: JSON
//! (the API's rows, one a line), CSV for Excel and WPS, and terminal tables.

use std::io::Write;

use anju_core::engine::Evaluation;
use anju_core::plan::Plan;

use crate::table::{Table, status_colour};
use crate::view::RowView;

/// The evaluation as a JSON array, one row a line (what `anju eval --format
/// json` writes). Rows are serialised in batches on
/// `threads` threads, each into a buffer it reuses, and written in order: the
/// memory stays small however many rows there are.
pub fn write_json(
    out: &mut impl Write,
    plan: &Plan,
    eval: &Evaluation,
    threads: usize,
) -> std::io::Result<()> {
    const BATCH: usize = 8192;
    let rows = &eval.rows;
    let threads = if rows.len() < 2 * BATCH {
        1
    } else {
        threads.clamp(1, 16)
    };
    let mut bufs: Vec<Vec<u8>> = vec![Vec::new(); threads];
    let encode = |first: usize, batch: &[anju_core::engine::Row], buf: &mut Vec<u8>| {
        buf.clear();
        for (i, r) in batch.iter().enumerate() {
            buf.extend_from_slice(if first + i == 0 { b"\n" } else { b",\n" });
            RowView::new(plan, eval, r).write_json(buf);
        }
    };
    out.write_all(b"[")?;
    for (round, chunk) in rows.chunks(BATCH * threads).enumerate() {
        let start = round * BATCH * threads;
        let batches: Vec<&[anju_core::engine::Row]> = chunk.chunks(BATCH).collect();
        if batches.len() == 1 {
            encode(start, batches[0], &mut bufs[0]);
        } else {
            std::thread::scope(|s| {
                for (k, (b, buf)) in batches.iter().zip(bufs.iter_mut()).enumerate() {
                    s.spawn(move || encode(start + k * BATCH, b, buf));
                }
            });
        }
        for buf in &bufs[..batches.len()] {
            out.write_all(buf)?;
        }
    }
    out.write_all(b"\n]\n")?;
    Ok(())
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn num(v: &Option<crate::view::Num>) -> String {
    v.map(|n| n.0.normalize().to_string()).unwrap_or_default()
}

const CSV_HEADER: [&str; 24] = [
    "indicator",
    "indicator_name",
    "unit",
    "org_unit",
    "as_of",
    "actual",
    "numerator",
    "denominator",
    "actual_source",
    "target",
    "comparator",
    "target_origin",
    "original_target",
    "original_comparator",
    "start",
    "start_origin",
    "expected",
    "completion",
    "lag",
    "status",
    "status_label",
    "rank",
    "reason",
    "warnings",
];

/// The evaluation as CSV with a BOM (Excel and WPS open it as UTF-8): one
/// row per indicator and unit, the view's fields as columns.
pub fn write_csv(out: &mut impl Write, plan: &Plan, eval: &Evaluation) -> std::io::Result<()> {
    // A BOM, so that Excel and WPS open the Chinese text as UTF-8.
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER).map_err(std::io::Error::other)?;
    for r in &eval.rows {
        let v = RowView::new(plan, eval, r);
        w.write_record([
            v.indicator.to_string(),
            v.indicator_name.to_string(),
            v.unit.to_string(),
            v.org_unit.to_string(),
            v.as_of,
            num(&v.actual),
            num(&v.numerator),
            num(&v.denominator),
            opt(v.actual_source),
            num(&v.target),
            opt(v.comparator),
            opt(v.target_origin),
            num(&v.original_target),
            opt(v.original_comparator),
            num(&v.start),
            opt(v.start_origin),
            num(&v.expected),
            num(&v.completion),
            num(&v.lag),
            v.status.to_string(),
            v.status_label.to_string(),
            opt(v.rank),
            v.reason.to_string(),
            v.warnings.join(";"),
        ])
        .map_err(std::io::Error::other)?;
    }
    w.flush()?;
    Ok(())
}

/// The evaluation as terminal tables, one per indicator, units indented by
/// their depth in the reporting tree, rows coloured by their light when
/// `colour`.
pub fn write_table(
    out: &mut impl Write,
    plan: &Plan,
    eval: &Evaluation,
    colour: bool,
) -> std::io::Result<()> {
    let rows_per = plan.reporting.len();
    for (ix, chunk) in eval.rows.chunks(rows_per.max(1)).enumerate() {
        let ind = &plan.indicators[ix];
        writeln!(
            out,
            "【{}】{}  {}  截至{}年{}月",
            ind.code,
            ind.title(),
            ind.kind.label(),
            eval.as_of.year(),
            eval.as_of.month()
        )?;
        let mut t = Table::new(
            [
                "单位",
                "实际值",
                "目标",
                "起点",
                "序时应达",
                "完成进度",
                "状态",
                "排名",
                "说明",
            ]
            .map(String::from)
            .to_vec(),
        );
        for r in chunk {
            let v = RowView::new(plan, eval, r);
            let depth = depth(plan, r.org);
            let mut target = match (v.comparator, &v.target) {
                (Some(">"), Some(t)) => format!(">{}", t.0.normalize()),
                (_, t) => num(t),
            };
            // An adjusted target shows its original beside it.
            if let Some(o) = &v.original_target {
                let was = match v.original_comparator {
                    Some(">") => format!(">{}", o.0.normalize()),
                    _ => num(&v.original_target),
                };
                target = format!("{target}(原{was})");
            }
            let completion = v
                .completion
                .map(|p| {
                    format!(
                        "{}%",
                        (p.0 * rust_decimal::Decimal::ONE_HUNDRED).normalize()
                    )
                })
                .unwrap_or_default();
            let rank = match (v.rank, v.rank_of) {
                (Some(r), Some(n)) => format!("{r}/{n}"),
                _ => String::new(),
            };
            let mut reason = v.reason.to_string();
            if !v.warnings.is_empty() {
                reason = format!("{reason};提醒:{}", v.warnings.join(";"));
            }
            t.push_coloured(
                vec![
                    format!("{}{}", "  ".repeat(depth), v.org_unit),
                    num(&v.actual),
                    target,
                    num(&v.start),
                    num(&v.expected),
                    completion,
                    v.status_label.to_string(),
                    rank,
                    reason,
                ],
                status_colour(r.status.light()),
            );
        }
        t.write(out, colour)?;
        writeln!(out)?;
    }
    Ok(())
}

fn depth(plan: &Plan, org: anju_core::plan::OrgId) -> usize {
    let mut d = 0;
    let mut cur = org;
    while cur != plan.reporting_root {
        match plan.orgs.get(cur).parent {
            Some(p) => {
                cur = p;
                d += 1;
            }
            None => break,
        }
    }
    d
}
