//! Targets in force for every unit of the reporting tree: the plan's own
//! targets for the reporting root, and the decomposition (分解下达) to lower
//! units, with the check that a decomposition adds up. Owns which target a unit
//! has in a year and where it came from; knows nothing of actual values.

use rust_decimal::Decimal;

use crate::input::{InputError, InputErrors, TargetRow};
use crate::plan::{Kind, Level, OrgId, Plan, Target};
use crate::validate::Warning;

/// Where a unit's target comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetOrigin {
    /// The plan file (the reporting root's targets).
    Plan,
    /// A decomposition file.
    Decomposed,
    /// A ratio's target applies to every unit below the one that has it.
    Inherited(OrgId),
    /// An approved adjustment (适当调整) replaced the target; the original
    /// is in `Resolved::original`.
    Adjusted,
}

/// A target with its origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The target.
    pub target: Target,
    /// Where it comes from.
    pub origin: TargetOrigin,
    /// For an adjusted target, the target it replaced (what the plan or the
    /// decomposition gave, or what was inherited).
    pub original: Option<Target>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Unset,
    NoValue,
    Set(Target, bool),
}

/// Targets and baselines of every indicator × unit × year, from the baseline
/// year to the last plan year.
#[derive(Clone, Debug)]
pub struct TargetBook {
    /// Where each decomposed cell was given: (file number from 1, line).
    given: Vec<(u16, u32)>,
    /// Decomposition files applied, in order.
    files: Vec<String>,
    base_year: i32,
    first_year: i32,
    n_years: usize,
    n_orgs: usize,
    slots: Vec<Slot>,
    /// Adjusted cells: the slot, and the target it had before.
    adjusted: rustc_hash::FxHashMap<usize, Target>,
}

impl TargetBook {
    /// The plan's own targets and baselines, for its reporting root.
    pub fn from_plan(plan: &Plan) -> TargetBook {
        let base_year = plan.meta.baseline_year;
        let n_years = usize::try_from(plan.meta.last_year - base_year + 1).unwrap_or(1);
        let n_orgs = plan.orgs.len();
        let mut book = TargetBook {
            given: Vec::new(),
            adjusted: rustc_hash::FxHashMap::default(),
            files: Vec::new(),
            base_year,
            first_year: plan.meta.first_year,
            n_years,
            n_orgs,
            slots: vec![Slot::Unset; plan.indicators.len() * n_orgs * n_years],
        };
        let root = plan.reporting_root;
        for (i, ind) in plan.indicators.iter().enumerate() {
            if let Some(s) = book.slot_ix(i, root, base_year) {
                book.slots[s] = match ind.baseline {
                    Some(v) if ind.kind != Kind::Milestone => Slot::Set(
                        Target {
                            value: v,
                            comparator: crate::plan::Comparator::AtLeast,
                        },
                        false,
                    ),
                    _ => Slot::NoValue,
                };
            }
            for (&y, t) in &ind.targets {
                if let Some(s) = book.slot_ix(i, root, y) {
                    book.slots[s] = t.map_or(Slot::NoValue, |t| Slot::Set(t, false));
                }
            }
            if let Some(m) = ind.milestone
                && let Some(s) = book.slot_ix(i, root, m.deadline.year())
            {
                book.slots[s] = Slot::Set(m.target, false);
            }
        }
        book
    }

    fn slot_ix(&self, ind: usize, org: OrgId, year: i32) -> Option<usize> {
        let y = usize::try_from(year - self.base_year)
            .ok()
            .filter(|&y| y < self.n_years)?;
        Some((ind * self.n_orgs + org.ix()) * self.n_years + y)
    }

    fn slot(&self, ind: usize, org: OrgId, year: i32) -> Slot {
        self.slot_ix(ind, org, year)
            .map_or(Slot::Unset, |s| self.slots[s])
    }

    /// Applies a decomposition file. A file is taken whole or not at all: a bad
    /// row (a second target for a cell already given, in this file or an
    /// earlier one; a target for the reporting root, which the plan fixes)
    /// leaves the book as it was. Check the sums with [`TargetBook::check_sums`]
    /// once every file is in.
    pub fn decompose(
        &mut self,
        plan: &Plan,
        file: &str,
        rows: &[TargetRow],
    ) -> Result<(), InputErrors> {
        if self.given.is_empty() {
            self.given = vec![(0, 0); self.slots.len()];
        }
        let file_no = u16::try_from(self.files.len() + 1).unwrap_or(u16::MAX);
        let mut errors = Vec::new();
        let mut taken: Vec<(usize, &TargetRow)> = Vec::with_capacity(rows.len());
        for r in rows {
            let ind = usize::from(r.indicator);
            let err = |message: String| InputError {
                file: file.into(),
                line: u64::from(r.source.line),
                field: Some("org_unit".into()),
                cell: None,
                message,
            };
            if r.org == plan.reporting_root {
                let name = &plan.orgs.get(r.org).name;
                errors.push(err(format!(
                    "{name}的目标由计划文件规定,不能在分解文件中改写"
                )));
                continue;
            }
            let year = match (plan.indicators[ind].kind, plan.indicators[ind].milestone) {
                (Kind::Milestone, Some(m)) if r.year != plan.meta.baseline_year => {
                    m.deadline.year()
                }
                _ => r.year,
            };
            let Some(s) = self.slot_ix(ind, r.org, year) else {
                continue;
            };
            match self.given[s] {
                (0, _) => self.given[s] = (file_no, r.source.line),
                (f, line) => {
                    let place = if f == file_no {
                        format!("第 {line} 行")
                    } else {
                        format!(
                            "{} 第 {line} 行",
                            self.files
                                .get(usize::from(f) - 1)
                                .map_or("", String::as_str)
                        )
                    };
                    errors.push(err(format!(
                        "与{place}重复:同一指标、单位、年份只能有一个目标"
                    )));
                    continue;
                }
            }
            taken.push((s, r));
        }
        if !errors.is_empty() {
            // Nothing of this file stays.
            for (s, _) in &taken {
                self.given[*s] = (0, 0);
            }
            return Err(InputErrors(errors));
        }
        for (s, r) in taken {
            self.slots[s] = r.target.map_or(Slot::NoValue, |t| Slot::Set(t, true));
        }
        self.files.push(file.to_string());
        Ok(())
    }

    /// For every indicator that adds up, each unit's decomposed children must
    /// add up to its own target.
    pub fn check_sums(&self, plan: &Plan) -> Vec<Warning> {
        let mut out = Vec::new();
        for (i, ind) in plan.indicators.iter().enumerate() {
            if !ind.kind.sums() {
                continue;
            }
            let years: Vec<i32> = match ind.milestone {
                Some(m) => vec![m.deadline.year()],
                None => (self.base_year..self.base_year + self.n_years as i32).collect(),
            };
            for &id in &plan.reporting {
                let kids = &plan.orgs.get(id).children;
                if kids.is_empty() {
                    continue;
                }
                for &y in &years {
                    let Slot::Set(t, _) = self.slot(i, id, y) else {
                        continue;
                    };
                    let mut sum = Some(Decimal::ZERO);
                    let mut set = 0usize;
                    for &c in kids {
                        if let Slot::Set(ct, _) = self.slot(i, c, y) {
                            sum = sum.and_then(|s| s.checked_add(ct.value));
                            set += 1;
                        }
                    }
                    let Some(sum) = sum else { continue };
                    let what = if y == self.base_year {
                        "现状值"
                    } else {
                        "目标"
                    };
                    let unit = &plan.orgs.get(id).name;
                    let message = if set == 0 {
                        continue;
                    } else if set < kids.len() {
                        format!("{unit}{y}年{what}只分解到 {set}/{} 个下级单位", kids.len())
                    } else if sum != t.value {
                        format!(
                            "{unit}{y}年下级{what}之和 {} 与本级{what} {} 不一致(相差 {})",
                            sum.normalize(),
                            t.value.normalize(),
                            sum.checked_sub(t.value)
                                .map_or_else(|| "?".into(), |d| d.normalize().to_string())
                        )
                    } else {
                        continue;
                    };
                    out.push(Warning {
                        indicator: ind.code,
                        org: Some(id),
                        period: Some(y.to_string()),
                        source: None,
                        message,
                    });
                }
            }
        }
        out
    }

    /// The target of a unit for a year, or `None` (no target: not decomposed,
    /// "/" in the plan, or outside the plan's years). A milestone's target holds
    /// in every year from the first plan year on.
    pub fn target(&self, plan: &Plan, ind: usize, org: OrgId, year: i32) -> Option<Resolved> {
        let indicator = &plan.indicators[ind];
        let year = match (indicator.kind, indicator.milestone) {
            (Kind::Milestone, Some(m)) if year >= self.first_year => m.deadline.year(),
            (Kind::Milestone, _) => return None,
            _ if year < self.first_year => return None,
            _ => year,
        };
        match self.slot(ind, org, year) {
            Slot::Set(target, decomposed) => {
                let origin = if decomposed {
                    TargetOrigin::Decomposed
                } else {
                    TargetOrigin::Plan
                };
                let slot = self.slot_ix(ind, org, year);
                match slot.and_then(|s| self.adjusted.get(&s)) {
                    Some(original) => Some(Resolved {
                        target,
                        origin: TargetOrigin::Adjusted,
                        original: Some(*original),
                    }),
                    None => Some(Resolved {
                        target,
                        origin,
                        original: None,
                    }),
                }
            }
            Slot::NoValue => None,
            Slot::Unset if indicator.kind == Kind::Ratio => {
                let mut up = plan.orgs.get(org).parent;
                while let Some(p) = up {
                    if !plan.orgs.is_within(p, plan.reporting_root)
                        || plan.orgs.get(p).level == Level::Department
                    {
                        return None;
                    }
                    match self.slot(ind, p, year) {
                        Slot::Set(target, _) => {
                            // An inherited adjusted target shows its original too.
                            let original = self
                                .slot_ix(ind, p, year)
                                .and_then(|s| self.adjusted.get(&s))
                                .copied();
                            return Some(Resolved {
                                target,
                                origin: TargetOrigin::Inherited(p),
                                original,
                            });
                        }
                        Slot::NoValue => return None,
                        Slot::Unset => up = plan.orgs.get(p).parent,
                    }
                }
                None
            }
            Slot::Unset => None,
        }
    }

    /// Replaces the target of a unit for a year by an approved adjustment,
    /// keeping the target it had (shown beside it). The cell must have a
    /// target to adjust — the plan's, a decomposition's or an inherited one:
    /// a unit without one gets it by decomposition, not by adjustment.
    /// Adjusting a cell again keeps the first original.
    pub fn adjust(
        &mut self,
        plan: &Plan,
        ind: usize,
        org: OrgId,
        year: i32,
        target: Target,
    ) -> Result<(), String> {
        let indicator = plan
            .indicators
            .get(ind)
            .ok_or_else(|| format!("没有第 {} 个指标", ind + 1))?;
        if indicator.kind == Kind::Milestone {
            return Err(format!(
                "指标 {} 是里程碑指标,不按年度调整目标",
                indicator.code
            ));
        }
        if year < self.first_year {
            return Err(format!("{year} 年不是计划目标年度"));
        }
        let slot = self
            .slot_ix(ind, org, year)
            .ok_or_else(|| format!("{year} 年不在计划年度之内"))?;
        let before = self.target(plan, ind, org, year).ok_or_else(|| {
            format!(
                "{}在 {year} 年没有指标 {} 的目标可调整(须先分解下达)",
                plan.orgs.get(org).name,
                indicator.code
            )
        })?;
        let original = before.original.unwrap_or(before.target);
        let decomposed = matches!(self.slots[slot], Slot::Set(_, true));
        self.slots[slot] = Slot::Set(target, decomposed);
        self.adjusted.entry(slot).or_insert(original);
        Ok(())
    }

    /// A unit's baseline (现状值): the plan's for the reporting root, a
    /// decomposition's for others. Never inherited: a baseline is a fact.
    pub fn baseline(&self, ind: usize, org: OrgId) -> Option<Decimal> {
        match self.slot(ind, org, self.base_year) {
            Slot::Set(t, _) => Some(t.value),
            _ => None,
        }
    }
}
