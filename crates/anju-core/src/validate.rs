//! Validation warnings: figures that are allowed but probably wrong — a
//! year-to-date or cumulative value that falls, a value ten times the last one
//! (likely the wrong unit: 套 instead of 万套). Owns the `Warning` type, which
//! the decomposition check (`targets::TargetBook::check_sums`) shares. A
//! warning never stops an evaluation; it is shown beside it.

use crate::input::{Amount, Observation, Source};
use crate::num::Exact;
use crate::period::{Period, YearMonth};
use crate::plan::{IndicatorCode, Kind, OrgId, Plan};
use crate::values::ValueSet;

/// A warning about the data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The indicator concerned.
    pub indicator: IndicatorCode,
    /// The unit concerned.
    pub org: Option<OrgId>,
    /// The period or year concerned.
    pub period: Option<String>,
    /// The input line, when a figure is at fault.
    pub source: Option<Source>,
    /// What looks wrong, in Chinese.
    pub message: String,
}

impl Warning {
    /// The warning as one line: `file:line: 指标 N 单位 期间: message`.
    pub fn describe(&self, plan: &Plan, files: &[String]) -> String {
        let mut s = String::new();
        if let Some(src) = self.source {
            let f = files.get(usize::from(src.file)).map_or("", String::as_str);
            s.push_str(&format!("{f}:{}: ", src.line));
        }
        s.push_str(&format!("指标{}", self.indicator));
        if let Some(o) = self.org {
            s.push_str(&format!(" {}", plan.orgs.get(o).name));
        }
        if let Some(p) = &self.period {
            s.push_str(&format!(" {p}"));
        }
        s.push_str(": ");
        s.push_str(&self.message);
        s
    }
}

/// The value of a figure in the indicator's display unit.
pub fn value_of(plan: &Plan, o: &Observation) -> Option<Exact> {
    match o.amount() {
        Amount::Value(v) => Some(Exact::from(v)),
        Amount::Ratio { num, den } => plan.indicators[usize::from(o.indicator)].rate(num, den),
    }
}

fn shown(x: &Exact, dp: u32) -> String {
    x.round(dp)
        .map(|d| d.to_string())
        .unwrap_or_else(|| "?".into())
}

/// Whether `cur` after `prev` certainly raises no warning: it did not fall and
/// stays within a tenfold band. Exact, on decimals, without building rationals.
fn quick_ok(prev: &Observation, cur: &Observation) -> bool {
    // On the stored millionths: integers, exact, no decimal arithmetic.
    let ((p, pd), (c, cd)) = (prev.millionths(), cur.millionths());
    let (a, b) = match (pd, cd) {
        (0, 0) => (i128::from(c), i128::from(p)),
        (0, _) | (_, 0) => return false,
        _ => (
            i128::from(c) * i128::from(pd),
            i128::from(p) * i128::from(cd),
        ),
    };
    // a/b is cur/prev (up to a common positive factor); values are never negative.
    let ten = |x: i128| x.checked_mul(10);
    a >= b
        && (b == 0 || ten(b).is_some_and(|t| a <= t))
        && (a == 0 || ten(a).is_some_and(|t| b < t))
}

/// Checks every series up to `as_of` for falling totals and tenfold jumps,
/// on `threads` threads.
pub fn check_values(
    plan: &Plan,
    values: &ValueSet,
    as_of: YearMonth,
    threads: usize,
) -> Vec<Warning> {
    let bound = Period::upper_bound(as_of);
    let same = |x: &Observation, y: &Observation| (x.indicator, x.org) == (y.indicator, y.org);
    // Work in parts cut at series boundaries: segments, and halves of big ones.
    let mut parts: Vec<&[Observation]> = Vec::new();
    let threads = threads.clamp(1, 64);
    for seg in values.segments() {
        let pieces = if seg.len() < 100_000 { 1 } else { threads };
        let mut start = 0;
        for k in 1..=pieces {
            let mut end = if k == pieces {
                seg.len()
            } else {
                (seg.len() * k / pieces).max(start)
            };
            while end > start && end < seg.len() && same(&seg[end], &seg[end - 1]) {
                end += 1;
            }
            parts.push(&seg[start..end]);
            start = end;
        }
    }
    if threads == 1 || parts.len() == 1 {
        return parts
            .into_iter()
            .flat_map(|p| check_slice(plan, p, bound))
            .collect();
    }
    // Threads take parts in turn; the warnings keep the input's order.
    let per: Vec<Vec<(usize, Vec<Warning>)>> = std::thread::scope(|s| {
        let parts = &parts;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    parts
                        .iter()
                        .enumerate()
                        .skip(t)
                        .step_by(threads)
                        .map(|(i, p)| (i, check_slice(plan, p, bound)))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut all: Vec<(usize, Vec<Warning>)> = per.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().flat_map(|(_, w)| w).collect()
}

/// What looks wrong about `v` (of `period`) after `pv` (of `before`), for
/// an indicator: ten times the last value or under a tenth of it (a wrong
/// unit, most likely), or a cumulative or year-to-date value that falls.
/// Values of the same month, or of different years for a year-to-date
/// indicator, are not compared. One warning at most, in Chinese.
pub fn compare(
    indicator: &crate::plan::Indicator,
    before: Period,
    pv: &Exact,
    period: Period,
    v: &Exact,
) -> Option<String> {
    let comparable = before.end() != period.end()
        && (indicator.kind != Kind::Flow || before.year() == period.year());
    if !comparable {
        return None;
    }
    let ten = Exact::int(10);
    let dp = indicator.decimals.max(2);
    if !pv.is_zero() && *v > pv.mul(&ten) {
        let times = v.div(pv).map(|r| shown(&r, 1)).unwrap_or_default();
        Some(format!(
            "数值 {} 是上期({before})数值 {} 的 {times} 倍,可能单位有误(如{}填成了更小的单位)",
            shown(v, dp),
            shown(pv, dp),
            indicator.unit
        ))
    } else if !v.is_zero() && v.mul(&ten) < *pv {
        Some(format!(
            "数值 {} 不到上期({before})数值 {} 的十分之一,可能单位有误",
            shown(v, dp),
            shown(pv, dp)
        ))
    } else if *v < *pv
        && matches!(
            indicator.kind,
            Kind::Flow | Kind::Cumulative | Kind::Milestone
        )
    {
        let what = if indicator.kind == Kind::Flow {
            "本年累计值"
        } else {
            "累计值"
        };
        Some(format!(
            "{what}从上期({before})的 {} 降到 {}",
            shown(pv, dp),
            shown(v, dp)
        ))
    } else {
        None
    }
}

/// The warnings of a figure about to be submitted (the server's, stored
/// with it and shown to the clerk and the reviewer): [`compare`] with the
/// last approved figure before it.
pub fn figure_warnings(
    plan: &Plan,
    ix: usize,
    period: Period,
    amount: Amount,
    last: Option<(Period, Amount)>,
) -> Vec<String> {
    let Some(indicator) = plan.indicators.get(ix) else {
        return Vec::new();
    };
    let value = |a: Amount| match a {
        Amount::Value(v) => Some(Exact::from(v)),
        Amount::Ratio { num, den } => indicator.rate(num, den),
    };
    let mut out = Vec::new();
    if let (Some(v), Some((before, last))) = (value(amount), last)
        && let Some(pv) = value(last)
        && let Some(w) = compare(indicator, before, &pv, period, &v)
    {
        out.push(w);
    }
    out
}

fn check_slice(plan: &Plan, all: &[Observation], bound: Period) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let (ind, org) = (all[i].indicator, all[i].org);
        let mut j = i;
        while j < all.len() && all[j].indicator == ind && all[j].org == org {
            j += 1;
        }
        let indicator = &plan.indicators[usize::from(ind)];
        let mut prev: Option<&Observation> = None;
        for o in all[i..j].iter().take_while(|o| o.period <= bound) {
            let Some(p) = prev.replace(o) else { continue };
            if quick_ok(p, o) {
                continue;
            }
            let (Some(v), Some(pv)) = (value_of(plan, o), value_of(plan, p)) else {
                continue;
            };
            if let Some(message) = compare(indicator, p.period, &pv, o.period, &v) {
                out.push(Warning {
                    indicator: indicator.code,
                    org: Some(org),
                    period: Some(o.period.to_string()),
                    source: Some(o.source()),
                    message,
                });
            }
        }
        i = j;
    }
    out
}
