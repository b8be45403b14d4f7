//! The evaluation: where each indicator stands for each unit of the reporting
//! tree as of a month, against the plan (docs/RULES.md has the rules in words).
//! Owns the start, the expected progress (序时进度), completion, lag, status
//! with its reason, aggregation up the tree and ranking among siblings. Every
//! decision is taken on exact rationals.

use rust_decimal::Decimal;

use crate::input::{Amount, Observation, Source};
use crate::num::Exact;
use crate::period::{Period, YearMonth};
use crate::plan::{Indicator, Kind, OrgId, Plan};
use crate::targets::{Resolved, TargetBook, TargetOrigin};
use crate::values::ValueSet;

/// The status of an indicator for a unit (亮灯).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// 已达标 — the target is met.
    Achieved,
    /// 序时推进 — at or ahead of the expected progress.
    OnTrack,
    /// 滞后 — behind by at most the threshold.
    Lagging,
    /// 严重滞后 — behind by more than the threshold, or nothing left to gain.
    Severe,
    /// 未完成 — the year (or the milestone's deadline) is over, not met.
    Missed,
    /// 未到期 — a milestone not yet due.
    Pending,
    /// 无数据 — no figure in the year.
    NoData,
    /// 无目标 — no target for this unit and year.
    NoTarget,
}

/// The colour of a status light.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Light {
    /// 绿灯
    Green,
    /// 黄灯
    Yellow,
    /// 红灯
    Red,
    /// No light (pending, no data, no target).
    None,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 8] = [
        Status::Achieved,
        Status::OnTrack,
        Status::Lagging,
        Status::Severe,
        Status::Missed,
        Status::Pending,
        Status::NoData,
        Status::NoTarget,
    ];

    /// The status of its name in JSON and CSV (`on_track`), if it is one.
    pub fn parse(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The name used in JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Achieved => "achieved",
            Status::OnTrack => "on_track",
            Status::Lagging => "lagging",
            Status::Severe => "severe",
            Status::Missed => "missed",
            Status::Pending => "pending",
            Status::NoData => "no_data",
            Status::NoTarget => "no_target",
        }
    }
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Status::Achieved => "已达标",
            Status::OnTrack => "序时推进",
            Status::Lagging => "滞后",
            Status::Severe => "严重滞后",
            Status::Missed => "未完成",
            Status::Pending => "未到期",
            Status::NoData => "无数据",
            Status::NoTarget => "无目标",
        }
    }
    /// Its light.
    pub fn light(self) -> Light {
        match self {
            Status::Achieved | Status::OnTrack => Light::Green,
            Status::Lagging => Light::Yellow,
            Status::Severe | Status::Missed => Light::Red,
            Status::Pending | Status::NoData | Status::NoTarget => Light::None,
        }
    }
}

/// An aggregated or reported amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agg {
    /// A sum (or a single value) in the display unit.
    Sum(Decimal),
    /// Σ numerators and Σ denominators of a ratio.
    Ratio(Decimal, Decimal),
    /// A rate reported without numerator and denominator: cannot be aggregated.
    Rate(Decimal),
}

/// Where an actual comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActualOrigin {
    /// The unit's own figure.
    Own {
        /// Its period.
        period: Period,
        /// Its input line.
        source: Source,
    },
    /// The aggregate of the unit's children.
    Aggregate {
        /// Children that have a figure included in the aggregate.
        reported: u32,
        /// Of those, children whose figure is wholly of the as-of month (none
        /// of it carried from an earlier month).
        current: u32,
        /// Children in all.
        children: u32,
    },
}

/// An actual value with its origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actual {
    /// The amount as reported or aggregated.
    pub amount: Agg,
    /// The value in the display unit, exact.
    pub value: Exact,
    /// Own figure or aggregate.
    pub origin: ActualOrigin,
}

/// Where the start S comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartOrigin {
    /// The unit's December value of the year before.
    PriorDecember,
    /// The target of the year before.
    PriorTarget,
    /// The plan's baseline (现状值).
    Baseline,
}

/// One result: an indicator for a unit as of a month.
#[derive(Clone, Debug)]
pub struct Row {
    /// Index into `plan.indicators`.
    pub indicator: usize,
    /// The unit.
    pub org: OrgId,
    /// A (实际值).
    pub actual: Option<Actual>,
    /// T (目标值) in force.
    pub target: Option<Resolved>,
    /// S (起点值).
    pub start: Option<(Exact, StartOrigin)>,
    /// E (序时目标值).
    pub expected: Option<Exact>,
    /// p (完成进度).
    pub completion: Option<Exact>,
    /// t − p.
    pub lag: Option<Exact>,
    /// The status.
    pub status: Status,
    /// Why, in words.
    pub reason: String,
    /// 1-based rank among siblings by completion (ties share a rank).
    pub rank: Option<u32>,
    /// Number of siblings ranked.
    pub rank_of: Option<u32>,
    /// The rank is shared with another sibling (并列).
    pub tied: bool,
    /// Remarks on this row's figures.
    pub warnings: Vec<String>,
    /// Where the actual is not the as-of month's own: the month of the
    /// figure it carries (for an aggregate, the earliest month among the
    /// figures summed). `None` when the actual is the month's, or absent.
    pub carried_from: Option<YearMonth>,
}

/// The result of an evaluation.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// As of this month.
    pub as_of: YearMonth,
    /// t = m/12 (序时进度), the same for every row.
    pub time_share: Exact,
    /// One row per indicator × unit of the reporting tree, indicator-major,
    /// units parents first.
    pub rows: Vec<Row>,
}

#[derive(Clone, Copy)]
struct NodeVal<'a> {
    amount: Agg,
    own: Option<&'a Observation>,
    child_agg: Option<Agg>,
    reported: u32,
    excluded: u32,
    children: u32,
    /// The earliest month among the figures the amount is made of.
    oldest: YearMonth,
    /// Children included whose figures are all of the month rolled up to.
    current: u32,
}

fn agg_of(o: &Observation) -> Agg {
    match o.amount() {
        Amount::Value(v) => Agg::Sum(v),
        Amount::Ratio { num, den } => Agg::Ratio(num, den),
    }
}

/// The value of an amount in the display unit.
pub fn agg_value(ind: &Indicator, a: Agg) -> Option<Exact> {
    match a {
        Agg::Sum(v) | Agg::Rate(v) => Some(Exact::from(v)),
        Agg::Ratio(n, d) => ind.rate(n, d),
    }
}

/// Rolls figures up the reporting tree: a unit's own figure wins; otherwise
/// the sum (or Σnum/Σden) of its children's. With `complete`, an aggregate
/// needs every child.
fn roll_up<'a>(
    plan: &Plan,
    ind: &Indicator,
    pick: impl Fn(OrgId) -> Option<&'a Observation>,
    complete: bool,
    month: YearMonth,
    vals: &mut [Option<NodeVal<'a>>],
) {
    for &id in plan.reporting.iter().rev() {
        let own = pick(id);
        let kids = &plan.orgs.get(id).children;
        let mut child_agg = None;
        let (mut reported, mut excluded) = (0u32, 0u32);
        let (mut oldest, mut current) = (YearMonth::MAX, 0u32);
        if !kids.is_empty() {
            let mut sum = Some(Decimal::ZERO);
            let mut num = Some(Decimal::ZERO);
            let mut den = Some(Decimal::ZERO);
            for &c in kids {
                let Some(v) = vals[c.ix()] else { continue };
                match v.amount {
                    Agg::Sum(x) => sum = sum.and_then(|s| s.checked_add(x)),
                    Agg::Ratio(n, d) => {
                        num = num.and_then(|s| s.checked_add(n));
                        den = den.and_then(|s| s.checked_add(d));
                    }
                    Agg::Rate(_) => {
                        excluded += 1;
                        continue;
                    }
                }
                reported += 1;
                oldest = oldest.min(v.oldest);
                current += u32::from(v.oldest >= month);
            }
            let enough = if complete {
                reported as usize == kids.len()
            } else {
                reported > 0
            };
            if enough {
                child_agg = if ind.kind == Kind::Ratio {
                    num.zip(den)
                        .filter(|(_, d)| !d.is_zero())
                        .map(|(n, d)| Agg::Ratio(n, d))
                } else {
                    sum.map(Agg::Sum)
                };
            }
        }
        let amount = match own {
            Some(o) => Some(match agg_of(o) {
                Agg::Sum(v) if ind.kind == Kind::Ratio => Agg::Rate(v),
                a => a,
            }),
            None => child_agg,
        };
        let oldest = own.map_or(oldest, |o| o.period.end());
        vals[id.ix()] = amount.map(|amount| NodeVal {
            amount,
            own,
            child_agg,
            reported,
            excluded,
            children: kids.len() as u32,
            oldest,
            current,
        });
    }
}

struct Fmt<'a> {
    ind: &'a Indicator,
}

/// A number with its unit, written straight into the reason (no temporary
/// strings: this runs for every row).
struct Shown<'a> {
    prefix: &'static str,
    value: Option<Decimal>,
    unit: &'a str,
}

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.prefix)?;
        match self.value {
            Some(v) => std::fmt::Display::fmt(&v, f)?,
            None => f.write_str("?")?,
        }
        f.write_str(self.unit)
    }
}

impl<'a> Fmt<'a> {
    /// Places for an actual value: a ratio at the indicator's decimals; a sum of
    /// figures exactly (figures have at most six places).
    fn places(&self) -> u32 {
        if self.ind.kind == Kind::Ratio {
            self.ind.decimals
        } else {
            crate::num::MAX_DECIMALS
        }
    }
    /// A value with its unit, as an actual value is shown.
    fn v(&self, x: &Exact) -> Shown<'a> {
        Shown {
            prefix: "",
            value: x.round(self.places()),
            unit: &self.ind.unit,
        }
    }
    /// An actual value beside its target: with as many more places as it takes
    /// for the shown figure not to seem to meet a target it misses (or the
    /// reverse): 83.995% is not shown as 84% next to “≥84%”.
    fn a(&self, x: &Exact, t: &crate::plan::Target) -> Shown<'a> {
        let met = t.is_met_by(x);
        let mut dp = self.places();
        let mut shown = x.round(dp);
        while dp < self.places() + 8 && shown.is_some_and(|v| t.is_met_by(&Exact::from(v)) != met) {
            dp += 1;
            shown = x.round(dp);
        }
        Shown {
            prefix: "",
            value: shown,
            unit: &self.ind.unit,
        }
    }
    /// An expected or start value, at the indicator's display precision
    /// (the JSON keeps two more places).
    fn e(&self, x: &Exact) -> Shown<'a> {
        Shown {
            prefix: "",
            value: x.round(self.ind.decimals).map(|d| d.normalize()),
            unit: &self.ind.unit,
        }
    }
    /// A target with its comparator.
    fn t(&self, t: &crate::plan::Target) -> Shown<'a> {
        Shown {
            prefix: t.comparator.label(),
            value: Some(t.value.normalize()),
            unit: &self.ind.unit,
        }
    }
}

/// A share (0.5) as percent (50%).
fn pct(x: &Exact) -> Shown<'static> {
    Shown {
        prefix: "",
        value: x.mul(&Exact::int(100)).round(2),
        unit: "%",
    }
}

/// Evaluates every indicator for every unit of the reporting tree as of `as_of`.
pub fn evaluate(plan: &Plan, values: &ValueSet, book: &TargetBook, as_of: YearMonth) -> Evaluation {
    evaluate_on(plan, values, book, as_of, 1)
}

/// [`evaluate`], with the indicators shared out over `threads` threads.
pub fn evaluate_on(
    plan: &Plan,
    values: &ValueSet,
    book: &TargetBook,
    as_of: YearMonth,
    threads: usize,
) -> Evaluation {
    let n = plan.indicators.len();
    let picks = Picks::new(plan, values, as_of);
    let threads = if plan.reporting.len() < 1000 {
        1
    } else {
        threads.clamp(1, n.max(1))
    };
    let rows = if threads == 1 {
        evaluate_indicators(plan, &picks, book, as_of, 0..n)
    } else {
        // Indicators differ in cost (ratios more): threads take the next one.
        let next = std::sync::atomic::AtomicUsize::new(0);
        let parts: Vec<Vec<(usize, Vec<Row>)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let ix = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if ix >= n {
                                break done;
                            }
                            done.push((
                                ix,
                                evaluate_indicators(plan, &picks, book, as_of, ix..ix + 1),
                            ));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut parts: Vec<(usize, Vec<Row>)> = parts.into_iter().flatten().collect();
        parts.sort_by_key(|(ix, _)| *ix);
        // Never expected: an indicator lost to a failed thread is done here.
        let mut rows = Vec::with_capacity(n * plan.reporting.len());
        let mut have = parts.into_iter().peekable();
        for ix in 0..n {
            match have.next_if(|(i, _)| *i == ix) {
                Some((_, mut r)) => rows.append(&mut r),
                None => rows.extend(evaluate_indicators(plan, &picks, book, as_of, ix..ix + 1)),
            }
        }
        rows
    };
    Evaluation {
        as_of,
        time_share: Exact::fraction(i64::from(as_of.month()), 12).unwrap_or(Exact::ONE),
        rows,
    }
}

/// For every indicator and unit, its own latest figure as of the month and its
/// December figure of the year before, looked up once in the order the figures
/// lie in memory (the evaluation then walks indicator by indicator).
struct Picks {
    n_orgs: usize,
    now: Vec<Option<Observation>>,
    dec: Vec<Option<Observation>>,
}

impl Picks {
    fn new(plan: &Plan, values: &ValueSet, as_of: YearMonth) -> Picks {
        let (n_orgs, n_ind) = (plan.orgs.len(), plan.indicators.len());
        let mut now = vec![None; n_orgs * n_ind];
        let mut dec = vec![None; n_orgs * n_ind];
        for &org in &plan.reporting {
            for ind in 0..n_ind {
                now[ind * n_orgs + org.ix()] = values.latest(ind, org, as_of).copied();
                dec[ind * n_orgs + org.ix()] = values.december(ind, org, as_of.year() - 1).copied();
            }
        }
        Picks { n_orgs, now, dec }
    }
}

fn evaluate_indicators(
    plan: &Plan,
    picks: &Picks,
    book: &TargetBook,
    as_of: YearMonth,
    indicators: std::ops::Range<usize>,
) -> Vec<Row> {
    let m = as_of.month();
    let t = Exact::fraction(i64::from(m), 12).unwrap_or(Exact::ONE);
    let threshold = Exact::from(plan.settings.lagging_threshold);
    let n_orgs = plan.orgs.len();
    let mut rows = Vec::with_capacity(indicators.len() * plan.reporting.len());
    let mut now: Vec<Option<NodeVal>> = vec![None; n_orgs];
    let mut dec: Vec<Option<NodeVal>> = vec![None; n_orgs];
    for ix in indicators {
        let ind = &plan.indicators[ix];
        now.fill(None);
        dec.fill(None);
        let base = ix * picks.n_orgs;
        roll_up(
            plan,
            ind,
            |o| picks.now[base + o.ix()].as_ref(),
            false,
            as_of,
            &mut now,
        );
        let needs_start = !matches!(ind.kind, Kind::Flow | Kind::Milestone);
        if needs_start {
            roll_up(
                plan,
                ind,
                |o| picks.dec[base + o.ix()].as_ref(),
                true,
                YearMonth::new(as_of.year() - 1, 12).unwrap_or(YearMonth::MIN),
                &mut dec,
            );
        }
        let f = Fmt { ind };
        let first_row = rows.len();
        for &org in &plan.reporting {
            rows.push(evaluate_one(
                plan,
                book,
                ix,
                ind,
                org,
                as_of,
                &t,
                &threshold,
                now[org.ix()],
                dec[org.ix()],
                &f,
            ));
        }
        rank(plan, &mut rows[first_row..]);
    }
    rows
}

#[allow(clippy::too_many_arguments)]
fn evaluate_one(
    plan: &Plan,
    book: &TargetBook,
    ix: usize,
    ind: &Indicator,
    org: OrgId,
    as_of: YearMonth,
    t: &Exact,
    threshold: &Exact,
    now: Option<NodeVal>,
    dec: Option<NodeVal>,
    f: &Fmt,
) -> Row {
    let (y, m) = (as_of.year(), as_of.month());
    let mut warnings = Vec::new();
    let actual = now.and_then(|v| {
        let value = agg_value(ind, v.amount)?;
        let origin = match v.own {
            Some(o) => ActualOrigin::Own {
                period: o.period,
                source: o.source(),
            },
            None => ActualOrigin::Aggregate {
                reported: v.reported,
                current: v.current,
                children: v.children,
            },
        };
        if let (Some(_), Some(ca)) = (v.own, v.child_agg)
            && v.reported == v.children
            && let Some(cv) = agg_value(ind, ca)
            && cv != value
        {
            warnings.push(format!(
                "本级填报值 {} 与下级汇总值 {} 不一致",
                f.v(&value),
                f.v(&cv)
            ));
        }
        if v.own.is_none() && v.reported < v.children {
            warnings.push(format!(
                "仅 {}/{} 个下级单位有数据,汇总值可能偏低或不全",
                v.reported, v.children
            ));
        }
        if v.excluded > 0 {
            warnings.push(format!(
                "{} 个下级单位只填了比率值、未填分子分母,未计入汇总",
                v.excluded
            ));
        }
        Some(Actual {
            amount: v.amount,
            value,
            origin,
        })
    });
    let target = book.target(plan, ix, org, y);
    let start = if matches!(ind.kind, Kind::Flow | Kind::Milestone) {
        None
    } else {
        dec.and_then(|d| agg_value(ind, d.amount))
            .map(|v| (v, StartOrigin::PriorDecember))
            .or_else(|| {
                (y > plan.meta.first_year)
                    .then(|| book.target(plan, ix, org, y - 1))
                    .flatten()
                    .map(|r| (Exact::from(r.target.value), StartOrigin::PriorTarget))
            })
            .or_else(|| {
                (y - 1 == plan.meta.baseline_year)
                    .then(|| book.baseline(ix, org))
                    .flatten()
                    .map(|b| (Exact::from(b), StartOrigin::Baseline))
            })
    };
    let tv = target.map(|r| Exact::from(r.target.value));
    let expected = match (ind.kind, &tv, &start) {
        (Kind::Milestone, _, _) => None,
        (Kind::Flow, Some(tv), _) => Some(tv.mul(t)),
        (_, Some(tv), Some((s, _))) => Some(s.add(&tv.sub(s).mul(t))),
        _ => None,
    };
    let achieved = matches!((&actual, &target), (Some(a), Some(r)) if r.target.is_met_by(&a.value));
    let completion = match (&actual, &tv) {
        (Some(a), Some(tv)) => match ind.kind {
            Kind::Flow | Kind::Milestone => a.value.div(tv),
            _ => start.as_ref().and_then(|(s, _)| {
                let room = tv.sub(s);
                if room.is_zero() || room.is_negative() {
                    // Hold-the-level targets (12, 13 at 100% every year): met is
                    // complete, otherwise the share of the level reached.
                    if achieved {
                        Some(Exact::ONE)
                    } else {
                        a.value.div(tv)
                    }
                } else {
                    a.value.sub(s).div(&room)
                }
            }),
        },
        _ => None,
    };
    let lag = completion.as_ref().map(|p| t.sub(p));

    // The status: the first rule that applies (DESIGN.md, docs/RULES.md).
    let deadline_passed = ind.milestone.is_some_and(|ms| as_of >= ms.deadline);
    let (status, reason) = match (&actual, &target) {
        (None, _) => match ind.frequency {
            // A yearly figure is not missing before it is due.
            crate::plan::Frequency::Yearly { due_month, due_day } if m < 12 => (
                Status::NoData,
                format!(
                    "年度指标,每年报送一次:{y}年数据于{}年{due_month}月{due_day}日前报送",
                    y + 1
                ),
            ),
            _ => (Status::NoData, format!("{y}年截至{m}月无数据")),
        },
        (Some(_), None) => {
            let why = if y < plan.meta.first_year
                || (y > plan.meta.last_year && ind.kind != Kind::Milestone)
            {
                format!(
                    "{y}年不在计划年度({}—{}年)内,无目标值",
                    plan.meta.first_year, plan.meta.last_year
                )
            } else if org != plan.reporting_root && ind.kind.sums() {
                format!("{y}年目标未分解下达到本单位")
            } else {
                format!("{y}年无目标值")
            };
            (Status::NoTarget, why)
        }
        (Some(a), Some(r)) => {
            let (av, tt) = (f.a(&a.value, &r.target), f.t(&r.target));
            if achieved {
                (
                    Status::Achieved,
                    format!("实际值 {av} 已达到{}目标 {tt}", year_word(ind, y)),
                )
            } else if let Some(ms) = ind.milestone.filter(|_| ind.kind == Kind::Milestone) {
                if deadline_passed {
                    (
                        Status::Missed,
                        format!(
                            "节点目标期限 {} 已到,实际值 {av} 未达到目标 {tt}",
                            ym_word(ms.deadline)
                        ),
                    )
                } else {
                    (
                        Status::Pending,
                        format!(
                            "实际值 {av},尚未达到节点目标 {tt}(期限 {})",
                            ym_word(ms.deadline)
                        ),
                    )
                }
            } else if m == 12 {
                (
                    Status::Missed,
                    format!("截至{y}年12月,实际值 {av} 未达到年度目标 {tt}"),
                )
            } else if ind.kind != Kind::Flow && start.is_none() {
                (
                    Status::Lagging,
                    format!(
                        "缺少起点值({}年12月实际值与{}年目标、现状值均无),无法计算序时进度;实际值 {av} 未达到目标 {tt}",
                        y - 1,
                        y - 1
                    ),
                )
            } else if let (Some((s, _)), true) = (&start, ind.kind != Kind::Flow) {
                if tv.as_ref().is_some_and(|tv| tv <= s) {
                    // Nothing left to add over the start, yet not met: for
                    // "more than N" the plan asks to go past N.
                    let words = if r.target.comparator == crate::plan::Comparator::Above {
                        format!(
                            "目标为超过 {}{},目前 {av},尚未超过",
                            r.target.value.normalize(),
                            ind.unit
                        )
                    } else {
                        format!("目标 {tt} 不高于起点值 {},实际值 {av} 仍未达到目标", f.e(s))
                    };
                    (Status::Severe, words)
                } else {
                    progress(f, a, &expected, t, &completion, &lag, threshold)
                }
            } else if tv
                .as_ref()
                .is_some_and(|tv| tv.is_zero() || tv.is_negative())
            {
                (
                    Status::Severe,
                    format!("目标 {tt} 下无法计算完成进度,实际值 {av} 未达到目标"),
                )
            } else {
                progress(f, a, &expected, t, &completion, &lag, threshold)
            }
        }
    };
    let mut reason = reason;
    let carried_from = now
        .map(|v| v.oldest)
        .filter(|&m| actual.is_some() && m < as_of);
    match &actual {
        Some(Actual {
            origin:
                ActualOrigin::Aggregate {
                    reported,
                    current,
                    children,
                },
            ..
        }) => {
            if current == reported {
                reason.push_str(&format!("(实际值由 {reported}/{children} 个下级单位汇总)"));
            } else {
                reason.push_str(&format!(
                    "(实际值由 {reported} 个下级单位汇总,其中 {current}/{children} 个为{m}月数据,{} 个沿用此前月份)",
                    reported - current
                ));
            }
        }
        Some(Actual {
            origin: ActualOrigin::Own { .. },
            ..
        }) => {
            if let Some(from) = carried_from {
                reason.push_str(&format!("(沿用{}数据)", ym_word(from)));
            }
        }
        None => {}
    }
    if let Some(Resolved {
        origin: TargetOrigin::Inherited(from),
        ..
    }) = target
    {
        reason.push_str(&format!("(目标沿用{}的目标)", plan.orgs.get(from).name));
    }
    if let Some(Resolved {
        original: Some(o),
        target: t,
        ..
    }) = target
    {
        reason.push_str(&format!(
            "(目标已调整:原目标 {}{},现目标 {}{})",
            o.comparator.symbol().trim_start_matches(">="),
            o.value.normalize(),
            t.comparator.symbol().trim_start_matches(">="),
            t.value.normalize()
        ));
    }
    Row {
        indicator: ix,
        org,
        actual,
        target,
        start,
        expected,
        completion,
        lag,
        status,
        reason,
        rank: None,
        rank_of: None,
        tied: false,
        warnings,
        carried_from,
    }
}

fn year_word(ind: &Indicator, y: i32) -> String {
    if ind.kind == Kind::Milestone {
        "节点".into()
    } else {
        format!("{y}年")
    }
}

fn ym_word(d: YearMonth) -> String {
    format!("{}年{}月", d.year(), d.month())
}

fn progress(
    f: &Fmt,
    a: &Actual,
    expected: &Option<Exact>,
    t: &Exact,
    completion: &Option<Exact>,
    lag: &Option<Exact>,
    threshold: &Exact,
) -> (Status, String) {
    let (Some(p), Some(lag)) = (completion, lag) else {
        return (Status::Severe, "无法计算完成进度".into());
    };
    let status = if !lag.is_negative() && !lag.is_zero() {
        if *lag <= *threshold {
            Status::Lagging
        } else {
            Status::Severe
        }
    } else {
        Status::OnTrack
    };
    let exp = expected
        .as_ref()
        .map(|e| format!(",序时应达 {},实际 {}", f.e(e), f.v(&a.value)))
        .unwrap_or_default();
    let gap = if lag.is_negative() {
        format!("超前 {} 个百分点", pct_points(&lag.neg()))
    } else if lag.is_zero() {
        "与序时进度持平".to_string()
    } else {
        format!("落后 {} 个百分点", pct_points(lag))
    };
    // Below the start, a completion share is negative: said in words, never
    // as "完成进度 -4608.85%".
    let done = if p.is_negative() {
        "实际值低于起点值".to_string()
    } else {
        format!("完成进度 {}", pct(p))
    };
    (
        status,
        format!(
            "序时进度 {},{done},{gap}(黄灯阈值 {} 个百分点){exp}",
            pct(t),
            pct_points(threshold)
        ),
    )
}

fn pct_points(x: &Exact) -> String {
    x.mul(&Exact::int(100))
        .round(2)
        .map(|d| d.to_string())
        .unwrap_or_else(|| "?".into())
}

/// Ranks each unit among its siblings by completion, highest first; equal
/// completions share a rank (1, 1, 3). Units without a completion are not ranked.
fn rank(plan: &Plan, rows: &mut [Row]) {
    let mut pos = vec![usize::MAX; plan.orgs.len()];
    for (i, r) in rows.iter().enumerate() {
        pos[r.org.ix()] = i;
    }
    for &parent in &plan.reporting {
        let kids = &plan.orgs.get(parent).children;
        let mut ranked: Vec<usize> = kids
            .iter()
            .map(|c| pos[c.ix()])
            .filter(|&i| i != usize::MAX && rows[i].completion.is_some())
            .collect();
        ranked.sort_by(|&a, &b| rows[b].completion.cmp(&rows[a].completion));
        // No ranking where it says nothing: all tied, or all failed (a red
        // unit "first" reads as a contradiction).
        let all_tied = ranked
            .windows(2)
            .all(|w| rows[w[0]].completion == rows[w[1]].completion);
        let all_failed = ranked
            .iter()
            .all(|&i| matches!(rows[i].status, Status::Severe | Status::Missed));
        if ranked.len() < 2 || all_tied || all_failed {
            continue;
        }
        let n = ranked.len() as u32;
        for k in 0..ranked.len() {
            let r = if k > 0 && rows[ranked[k]].completion == rows[ranked[k - 1]].completion {
                rows[ranked[k - 1]].rank
            } else {
                Some(k as u32 + 1)
            };
            rows[ranked[k]].rank = r;
            rows[ranked[k]].rank_of = Some(n);
        }
        // Shared ranks are said to be shared (并列).
        for k in 0..ranked.len() {
            let same = |j: usize| rows[ranked[j]].completion == rows[ranked[k]].completion;
            rows[ranked[k]].tied = (k > 0 && same(k - 1)) || (k + 1 < ranked.len() && same(k + 1));
        }
    }
}
