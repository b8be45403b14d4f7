//! Target adjustments (适当调整完善) and decomposition files as the rules read
//! them, and which targets are in force as of a month: the plan's, decomposed
//! by the files in upload order, with the approved adjustments whose
//! effective month has come, in order of that month and then of approval.
//! An adjustment's life is `proposed` → `approved` or `rejected`, once.

use rust_decimal::Decimal;

use crate::period::YearMonth;
use crate::plan::{IndicatorCode, Plan, Target};
use crate::targets::TargetBook;

/// Where an adjustment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AdjustmentState {
    /// 待批准.
    Proposed,
    /// 已批准: in force from its effective month.
    Approved,
    /// 已驳回.
    Rejected,
}

impl AdjustmentState {
    /// Every state.
    pub const ALL: [AdjustmentState; 3] = [
        AdjustmentState::Proposed,
        AdjustmentState::Approved,
        AdjustmentState::Rejected,
    ];

    /// The name stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentState::Proposed => "proposed",
            AdjustmentState::Approved => "approved",
            AdjustmentState::Rejected => "rejected",
        }
    }

    /// The state of a name, if it is one.
    pub fn parse(name: &str) -> Option<AdjustmentState> {
        AdjustmentState::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            AdjustmentState::Proposed => "待批准",
            AdjustmentState::Approved => "已批准",
            AdjustmentState::Rejected => "已驳回",
        }
    }

    /// The state after a decision: only a proposal is decided.
    pub fn decide(self, approve: bool) -> Result<AdjustmentState, &'static str> {
        match (self, approve) {
            (AdjustmentState::Proposed, true) => Ok(AdjustmentState::Approved),
            (AdjustmentState::Proposed, false) => Ok(AdjustmentState::Rejected),
            _ => Err("只能审核待审核的目标调整"),
        }
    }
}

/// An adjustment as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    /// Its id.
    pub id: i64,
    /// The indicator's code.
    pub indicator: u16,
    /// The unit (the plan's name).
    pub org_unit: String,
    /// The target year.
    pub year: i32,
    /// The new target and how it is compared.
    pub target: Target,
    /// The month it takes effect.
    pub effective: YearMonth,
    /// Why.
    pub reason: String,
    /// Where it stands.
    pub state: AdjustmentState,
    /// Who proposed it.
    pub proposed_by: String,
    /// When (China time).
    pub proposed_at: String,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When (China time).
    pub decided_at: Option<String>,
    /// The decision's note.
    pub decision_note: Option<String>,
}

/// A decomposition file as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decomposition {
    /// Its id (upload order).
    pub id: i64,
    /// The file's name.
    pub name: String,
    /// SM3 of the text.
    pub sm3: String,
    /// The text (UTF-8).
    pub text: String,
    /// How many target rows it has.
    pub rows: i64,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: String,
}

/// The targets in force as of a month: the plan's, decomposed by the files,
/// with the approved adjustments whose effective month has come.
/// Adjustments and files the plan cannot take (a unit it no longer has) are
/// left out and named.
pub fn targets_in_force(
    plan: &Plan,
    decompositions: &[Decomposition],
    adjustments: &[Adjustment],
    as_of: YearMonth,
) -> (TargetBook, Vec<String>) {
    let mut book = TargetBook::from_plan(plan);
    let mut left_out = apply_decompositions(&mut book, plan, decompositions);
    left_out.extend(apply_adjustments(&mut book, plan, adjustments, as_of));
    (book, left_out)
}

/// Applies the approved adjustments due by `as_of` to a book (after its
/// decompositions), in order of effective month, then of approval (time,
/// then id for a tie); returns those left out, named.
pub fn apply_adjustments(
    book: &mut TargetBook,
    plan: &Plan,
    adjustments: &[Adjustment],
    as_of: YearMonth,
) -> Vec<String> {
    let mut left_out = Vec::new();
    let mut due: Vec<&Adjustment> = adjustments
        .iter()
        .filter(|a| a.state == AdjustmentState::Approved && a.effective <= as_of)
        .collect();
    due.sort_by(|a, b| {
        (a.effective, a.decided_at.as_deref(), a.id).cmp(&(
            b.effective,
            b.decided_at.as_deref(),
            b.id,
        ))
    });
    for a in due {
        let ix = plan.indicator_index(IndicatorCode(a.indicator));
        let org = plan.orgs.resolve(&a.org_unit).ok();
        let done = match (ix, org) {
            (Some(ix), Some(org)) => book.adjust(plan, ix, org, a.year, a.target),
            _ => Err("计划中没有该指标或单位".to_string()),
        };
        if let Err(e) = done {
            left_out.push(format!("目标调整 {}:{e},未计入", a.id));
        }
    }
    left_out
}

/// Applies decomposition files to a book, in upload order (each was checked
/// when uploaded; one the plan no longer takes is left out and named).
pub fn apply_decompositions(
    book: &mut TargetBook,
    plan: &Plan,
    files: &[Decomposition],
) -> Vec<String> {
    let mut left_out = Vec::new();
    for f in files {
        let name = format!("{}(第 {} 份分解)", f.name, f.id);
        let applied = crate::input::read_targets(plan, &name, f.text.as_bytes(), 1)
            .and_then(|rows| book.decompose(plan, &name, &rows));
        if let Err(e) = applied {
            left_out.push(format!(
                "{name}:{},未计入",
                e.0.first().map(ToString::to_string).unwrap_or_default()
            ));
        }
    }
    left_out
}

/// The target an adjustment's text gives: `>` is above, anything else at least.
pub fn target_of(value: Decimal, comparator: &str) -> Target {
    Target {
        value,
        comparator: if comparator.trim() == ">" {
            crate::plan::Comparator::Above
        } else {
            crate::plan::Comparator::AtLeast
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_proposal_is_decided_once() {
        use AdjustmentState::*;
        assert_eq!(Proposed.decide(true), Ok(Approved));
        assert_eq!(Proposed.decide(false), Ok(Rejected));
        assert!(Approved.decide(true).is_err() && Rejected.decide(true).is_err());
        assert!(
            AdjustmentState::ALL
                .iter()
                .all(|s| AdjustmentState::parse(s.as_str()) == Some(*s))
        );
        assert_eq!(AdjustmentState::parse("maybe"), None);
    }
}
