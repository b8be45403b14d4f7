//! The evaluation as the service gives it: the engine's result for a month,
//! computed from the approved figures and the targets in force, kept per
//! store revision and filled single-flight (`crate::cache`); the rows a
//! user may read, as typed rows. The API's JSON answer is a presenter of the
//! same evaluation with a cache of its own bytes.

use std::sync::Arc;

use anju_core::access::{Action, Actor};
use anju_core::engine::{self, Evaluation, Light, Row, Status};
use anju_core::period::YearMonth;
use anju_core::plan::{IndicatorCode, OrgId, Plan};
use anju_core::values::ValueSet;
use anju_reports::view::RowView;
use rust_decimal::Decimal;

use super::Error;
use crate::cache::Filling;
use crate::{AppState, PlanInForce};

/// One row of an evaluation as the pages show it: typed, its numbers exact.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownRow {
    /// The indicator's code.
    pub indicator: u16,
    /// The unit's name.
    pub org_unit: String,
    /// The month.
    pub as_of: YearMonth,
    /// A, in the display unit.
    pub actual: Option<Decimal>,
    /// T in force.
    pub target: Option<Decimal>,
    /// `>=` or `>`.
    pub comparator: Option<&'static str>,
    /// `plan`, `decomposed`, `inherited` or `adjusted`.
    pub target_origin: Option<&'static str>,
    /// For an adjusted target, the one it replaced.
    pub original_target: Option<Decimal>,
    /// S.
    pub start: Option<Decimal>,
    /// E (序时目标值).
    pub expected: Option<Decimal>,
    /// p (完成进度), a share.
    pub completion: Option<Decimal>,
    /// The status.
    pub status: Status,
    /// Its Chinese label.
    pub status_label: &'static str,
    /// Its light.
    pub light: Light,
    /// Why, in words.
    pub reason: String,
    /// Rank among siblings.
    pub rank: Option<u32>,
    /// Siblings ranked.
    pub rank_of: Option<u32>,
    /// The rank is shared (并列).
    pub tied: bool,
    /// Remarks on the figures.
    pub warnings: Vec<String>,
    /// `own` or `aggregate`.
    pub actual_source: Option<&'static str>,
    /// For an aggregate: children with a figure, of them this month's, all.
    pub children: Option<(u32, u32, u32)>,
    /// The month the actual carries when it is an earlier month's (沿用).
    pub carried_from: Option<YearMonth>,
}

impl ShownRow {
    /// A row of an evaluation.
    pub fn of(plan: &Plan, eval: &Evaluation, r: &Row) -> ShownRow {
        let v = RowView::new(plan, eval, r);
        let n = |x: Option<anju_reports::view::Num>| x.map(|n| n.0);
        ShownRow {
            indicator: v.indicator,
            org_unit: v.org_unit.to_string(),
            as_of: eval.as_of,
            actual: n(v.actual),
            target: n(v.target),
            comparator: v.comparator,
            target_origin: v.target_origin,
            original_target: n(v.original_target),
            start: n(v.start),
            expected: n(v.expected),
            completion: n(v.completion),
            status: r.status,
            status_label: r.status.label(),
            light: r.status.light(),
            reason: r.reason.clone(),
            rank: r.rank,
            rank_of: r.rank_of,
            tied: r.tied,
            warnings: r.warnings.clone(),
            actual_source: v.actual_source,
            children: match (v.reported_children, v.current_children, v.children) {
                (Some(a), Some(b), Some(c)) => Some((a, b, c)),
                _ => None,
            },
            carried_from: r.carried_from,
        }
    }

    /// Whether the actual is wholly an earlier month's: the unit's own
    /// figure carried, or an aggregate none of whose figures is this
    /// month's. In the month's standings such a row is 未报, not its old light.
    pub fn stale(&self) -> bool {
        self.carried_from.is_some()
            && match self.children {
                Some((_, current, _)) => current == 0,
                None => true,
            }
    }

    /// "沿用10月数据" for a carried figure (with the year when it is not
    /// the as-of month's), or for an aggregate "9/12 个本月数据".
    pub fn carried_words(&self) -> Option<String> {
        let from = self.carried_from?;
        Some(match self.children {
            Some((reported, current, all)) if current > 0 => {
                format!(
                    "{current}/{all} 个为本月数据,{} 个沿用此前月份",
                    reported - current
                )
            }
            _ if from.year() == self.as_of.year() => format!("沿用{}月数据", from.month()),
            _ => format!("沿用{}年{}月数据", from.year(), from.month()),
        })
    }

    /// Whether a missing figure of this row counts against its unit in the
    /// airing (`anju_core::airing::counts_if_missing`).
    pub fn due(&self, plan: &Plan) -> bool {
        anju_core::airing::counts_if_missing(
            plan,
            IndicatorCode(self.indicator),
            plan.orgs.resolve(&self.org_unit).ok(),
            self.as_of,
            self.target.is_some(),
        )
    }
}

/// Which rows of an evaluation a caller asks for (every part optional): one
/// unit, a unit and everything below it, one indicator — so that a
/// province's answer need not be all of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RowFilter {
    /// Only this unit.
    pub only: Option<OrgId>,
    /// Only this unit and the units below it.
    pub under: Option<OrgId>,
    /// Only this indicator (its index in the plan).
    pub indicator: Option<usize>,
}

impl RowFilter {
    /// Whether the filter takes row `r`.
    pub fn takes(&self, plan: &Plan, r: &Row) -> bool {
        self.only.is_none_or(|o| o == r.org)
            && self.indicator.is_none_or(|ix| ix == r.indicator)
            && self.under.is_none_or(|top| {
                let mut at = Some(r.org);
                while let Some(o) = at {
                    if o == top {
                        return true;
                    }
                    at = plan.orgs.get(o).parent;
                }
                false
            })
    }
}

/// Whether `me` sees row `r`: the reporting root's rows are everyone's
/// (results display); the rest follow the read scope.
pub fn visible(plan: &Plan, me: &Actor<'_>, r: &Row) -> bool {
    r.org == plan.reporting_root
        || me.can(
            plan,
            &Action::ReadFigure {
                indicator: r.indicator,
                org: r.org,
            },
        )
}

/// The evaluation as of `as_of` in the plan in force, current at `revision`
/// or later.
pub async fn evaluation(
    state: &AppState,
    revision: i64,
    in_force: &PlanInForce,
    as_of: YearMonth,
) -> Result<Arc<Evaluation>, Error> {
    let now = (state.clock)();
    match state
        .cache
        .evaluation(revision, in_force.0, as_of, now)
        .await
    {
        Ok(eval) => Ok(eval),
        Err(filling) => {
            let (values, eval) = fill(state, &in_force.1, &filling, as_of).await?;
            state
                .cache
                .put_eval(filling, in_force.0, values, eval.clone());
            Ok(eval)
        }
    }
}

/// The rows of the evaluation as of `as_of` that `me` may read and `filter`
/// takes; `revision` is the store's as the caller's session read it.
pub async fn rows(
    state: &AppState,
    me: &Actor<'_>,
    revision: i64,
    in_force: &PlanInForce,
    as_of: YearMonth,
    filter: RowFilter,
) -> Result<Vec<ShownRow>, Error> {
    let eval = evaluation(state, revision, in_force, as_of).await?;
    let plan = &*in_force.1;
    Ok(eval
        .rows
        .iter()
        .filter(|r| visible(plan, me, r) && filter.takes(plan, r))
        .map(|r| ShownRow::of(plan, &eval, r))
        .collect())
}

/// Computes what a fill lacks: the approved figures (brought forward from
/// those kept) and the month's evaluation, off the async threads.
pub(crate) async fn fill(
    state: &AppState,
    plan: &Arc<Plan>,
    filling: &Filling,
    as_of: YearMonth,
) -> Result<(Arc<ValueSet>, Arc<Evaluation>), Error> {
    let values = match &filling.values {
        Some(v) => v.clone(),
        None => approved_values(state, plan, filling).await?,
    };
    if let Some(eval) = &filling.eval {
        return Ok((values, eval.clone()));
    }
    // The targets in force as of the month: approved adjustments due by then.
    let records = super::targets::TargetRecords::read(&state.store).await?;
    let (plan, values_for) = (plan.clone(), values.clone());
    let eval = tokio::task::spawn_blocking(move || {
        let plan = &*plan;
        let book = records.book(plan, as_of);
        Arc::new(engine::evaluate(plan, &values_for, &book, as_of))
    })
    .await
    .map_err(|_| internal())?;
    Ok((values, eval))
}

/// A failure of the server's own (a task that did not finish).
pub(crate) fn internal() -> Error {
    Error::internal()
}

/// The approved figures as the engine reads them, current at the revision
/// of the fill or later. The approved versions are kept between fills, and
/// only those that entered or left the approved set since are read.
async fn approved_values(
    state: &AppState,
    plan: &Plan,
    filling: &Filling,
) -> Result<Arc<ValueSet>, Error> {
    let now = (state.clock)();
    let kept = state
        .cache
        .take_rows(filling)
        .filter(|(_, _, read)| now - read < crate::cache::FULL_READ_EVERY);
    let rows = match kept {
        Some((at, rows, read)) if at >= filling.revision => (at, rows, read),
        Some((at, mut rows, read)) => {
            let changes = state.store.approved_figure_changes(at).await?;
            let map = Arc::make_mut(&mut rows);
            for (v, approved) in changes {
                if approved {
                    map.insert(v.id, v);
                } else {
                    map.remove(&v.id);
                }
            }
            (filling.revision, rows, read)
        }
        None => {
            let all = state.store.approved_figures().await?;
            (
                filling.revision,
                Arc::new(all.into_iter().map(|v| (v.id, v)).collect()),
                now,
            )
        }
    };
    let obs = anju_store::observations(plan, rows.1.values(), 0);
    state.cache.keep_rows(filling, rows);
    if let Some(first) = obs.skipped.first() {
        tracing::warn!(
            skipped = obs.skipped.len(),
            "{} 条已审核数据不在现行计划内,未计入评估(如 {first})",
            obs.skipped.len()
        );
    }
    let values = ValueSet::build(plan, obs.observations, &["数据库".into()])
        .map_err(|e| Error::Duplicate(e.to_string()))?;
    Ok(Arc::new(values))
}
