//! The targets in force, read once for every caller (the evaluation, a
//! publication, the indicator page, `anju eval` on a database): the stored
//! decompositions and the approved adjustments, put together by the core's
//! rule (`anju_core::adjustments::targets_in_force`).

use anju_core::adjustments::{self, Adjustment, AdjustmentState, Decomposition};
use anju_core::period::YearMonth;
use anju_core::plan::Plan;
use anju_core::targets::TargetBook;
use anju_store::{Store, StoreError};

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
