//! The targets in force, read once for every caller (the evaluation, a
//! publication, the indicator page, `anju eval` on a database): the stored
//! decompositions and the approved adjustments, put together by the core's
//! rule (`anju_core::adjustments::targets_in_force`). And the operations on
//! them: an adjustment proposed, read, decided; a decomposition put in force.

use anju_core::access::{Action, Actor};
use anju_core::adjustments::{self, Adjustment, AdjustmentState, Decomposition};
use anju_core::num::parse_figure;
use anju_core::period::YearMonth;
use anju_core::plan::{Comparator, IndicatorCode, Plan, Target};
use anju_core::targets::TargetBook;
use anju_store::{NewAdjustment, Store, StoreError};

use super::Error;

/// What decides the targets in force besides the plan.
#[derive(Clone, Debug, Default)]
pub struct TargetRecords {
    /// The decomposition files, in upload order.
    pub decompositions: Vec<Decomposition>,
    /// The approved adjustments.
    pub adjustments: Vec<Adjustment>,
}

impl TargetRecords {
    /// Reads them from the store.
    pub async fn read(store: &Store) -> Result<TargetRecords, StoreError> {
        Ok(TargetRecords {
            decompositions: store.decompositions().await?,
            adjustments: store.adjustments(Some(AdjustmentState::Approved)).await?,
        })
    }

    /// The targets in force as of `as_of`; what the plan could not take is
    /// logged as a warning.
    pub fn book(&self, plan: &Plan, as_of: YearMonth) -> TargetBook {
        let (book, left_out) =
            adjustments::targets_in_force(plan, &self.decompositions, &self.adjustments, as_of);
        for l in &left_out {
            tracing::warn!("{l}");
        }
        book
    }
}

/// The targets in force as of `as_of`.
pub async fn in_force(
    store: &Store,
    plan: &Plan,
    as_of: YearMonth,
) -> Result<TargetBook, StoreError> {
    Ok(TargetRecords::read(store).await?.book(plan, as_of))
}

/// A target adjustment as proposed, each field as sent (text).
#[derive(Clone, Debug, Default)]
pub struct Proposal {
    /// The indicator's code or name.
    pub indicator: String,
    /// The unit, by any of its names.
    pub org_unit: String,
    /// The target year.
    pub year: i32,
    /// The new target, as written (`88`, `88%`).
    pub target: String,
    /// `>=` (the default) or `>`.
    pub comparator: Option<String>,
    /// The month it takes effect (`YYYY-MM`).
    pub effective: String,
    /// Why.
    pub reason: String,
}

/// Proposes a target adjustment as `me` (the permission table: the task
/// force, or the indicator's lead unit), for a target year and a unit
/// that has a target to adjust — the plan's, an inherited one or one of a
/// decomposition in force.
pub async fn propose(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    p: &Proposal,
    now: &str,
) -> Result<Adjustment, Error> {
    let code = p.indicator.trim();
    let ix = plan
        .find_indicator(code)
        .ok_or_else(|| Error::invalid("indicator", format!("未知的指标“{code}”")))?;
    me.may(plan, &Action::ProposeAdjustment { indicator: ix })?;
    let org = plan
        .orgs
        .resolve(&p.org_unit)
        .ok()
        .and_then(|o| plan.reporting_unit(o))
        .ok_or_else(|| {
            Error::invalid(
                "org_unit",
                format!("“{}”不在本计划的填报范围内", p.org_unit),
            )
        })?;
    let years = plan.target_years();
    if !years.contains(&p.year) {
        return Err(Error::invalid(
            "year",
            format!("须为计划目标年度 {}–{}", years.start(), years.end()),
        ));
    }
    let percent = plan.indicators[ix].unit == "%";
    let target =
        parse_figure(&p.target, percent).map_err(|e| Error::invalid("target", e.to_string()))?;
    if target.is_sign_negative() {
        return Err(Error::invalid("target", "不能为负数"));
    }
    let comparator = match p.comparator.as_deref().map(str::trim) {
        None | Some("") | Some(">=") | Some("≥") => Comparator::AtLeast,
        Some(">") => Comparator::Above,
        Some(other) => {
            return Err(Error::invalid(
                "comparator",
                format!("应为 >= 或 >,不是“{other}”"),
            ));
        }
    };
    let effective =
        YearMonth::parse(&p.effective).map_err(|e| Error::invalid("effective", e.to_string()))?;
    if !years.contains(&effective.year()) {
        return Err(Error::invalid("effective", "不在计划年度之内"));
    }
    // The cell must have a target to adjust (the book says why not).
    let mut book = TargetBook::from_plan(plan);
    let decompositions = store.decompositions().await?;
    adjustments::apply_decompositions(&mut book, plan, &decompositions);
    book.adjust(
        plan,
        ix,
        org,
        p.year,
        Target {
            value: target,
            comparator: Comparator::AtLeast,
        },
    )
    .map_err(|e| Error::invalid("org_unit", e.to_string()))?;
    Ok(store
        .propose_adjustment(
            &NewAdjustment {
                indicator: plan.indicators[ix].code.0,
                org_unit: &plan.orgs.get(org).name,
                year: p.year,
                target: Target {
                    value: target,
                    comparator,
                },
                effective,
                reason: &p.reason,
            },
            me.name,
            now,
        )
        .await?)
}

/// Whether `me` may read an adjustment (of an indicator they lead, for a
/// lead unit; one of an indicator the plan no longer has is the task
/// force's and the leaders').
pub fn readable(plan: &Plan, me: &Actor<'_>, a: &Adjustment) -> bool {
    match plan.indicator_index(IndicatorCode(a.indicator)) {
        Some(ix) => me.can(plan, &Action::ReadAdjustment { indicator: ix }),
        None => me.reads_everything(),
    }
}

/// The adjustments `me` may read, in one state or all.
pub async fn adjustments_for(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    state: Option<AdjustmentState>,
) -> Result<Vec<Adjustment>, Error> {
    me.may(plan, &Action::ReadTargets)?;
    Ok(store
        .adjustments(state)
        .await?
        .into_iter()
        .filter(|a| readable(plan, me, a))
        .collect())
}

/// Approves (`approve`) or rejects a proposed adjustment as `me`: the task
/// force, never one's own proposal.
pub async fn decide(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    approve: bool,
    note: Option<&str>,
    now: &str,
) -> Result<Adjustment, Error> {
    // One who decides none is refused whether the adjustment exists or not.
    me.may(plan, &Action::DecideAdjustment { proposer: None })?;
    let proposer = store
        .adjustment(id)
        .await?
        .ok_or(StoreError::NotFound(id))?
        .proposed_by;
    me.may(
        plan,
        &Action::DecideAdjustment {
            proposer: Some(&proposer),
        },
    )?;
    Ok(store
        .decide_adjustment(id, approve, note, me.name, now)
        .await?)
}

/// Puts a decomposition file (`name`, `bytes`) in force as `me` (the task
/// force): read against the plan, no cell given twice with the files in
/// force, and refused unless every sum adds up.
pub async fn decompose(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    name: &str,
    bytes: &[u8],
    now: &str,
) -> Result<Decomposition, Error> {
    me.may(plan, &Action::Decompose)?;
    let text = anju_core::input::decode(bytes)
        .map_err(|m| Error::invalid("file", m))?
        .into_owned();
    let rows = anju_core::input::read_targets(plan, name, text.as_bytes(), 1)
        .map_err(|e| Error::Rows(e.0, None))?;
    if rows.is_empty() {
        return Err(Error::invalid("file", "文件中没有目标"));
    }
    let in_force = store.decompositions().await?;
    let mut book = TargetBook::from_plan(plan);
    for l in adjustments::apply_decompositions(&mut book, plan, &in_force) {
        tracing::warn!("{l}");
    }
    book.decompose(plan, name, &rows)
        .map_err(|e| Error::Rows(e.0, None))?;
    let sums = book.check_sums(plan);
    if !sums.is_empty() {
        return Err(Error::Unbalanced(
            sums.iter()
                .map(|w| anju_core::input::InputError {
                    file: name.to_string(),
                    line: w.source.map_or(0, |s| u64::from(s.line)),
                    field: Some("target".into()),
                    cell: None,
                    message: format!("指标 {}:{}", w.indicator, w.message),
                })
                .collect(),
        ));
    }
    Ok(store
        .add_decomposition(
            name,
            &text,
            i64::try_from(rows.len()).unwrap_or(i64::MAX),
            me.name,
            now,
        )
        .await?)
}

/// The decompositions in force, for who may read the targets.
pub async fn decompositions_for(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
) -> Result<Vec<Decomposition>, Error> {
    me.may(plan, &Action::ReadTargets)?;
    Ok(store.decompositions().await?)
}
