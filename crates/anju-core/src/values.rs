//! The figures of an evaluation, grouped by series (one indicator of one unit)
//! and ordered in time, so that "the latest value of year y at or before month
//! m" is a binary search. Owns the check that no period is reported twice.

use crate::input::{InputError, InputErrors, Observation};
use crate::period::{Period, YearMonth};
use crate::plan::{OrgId, Plan};

/// Figures grouped by series.
#[derive(Clone, Debug, Default)]
pub struct ValueSet {
    n_ind: usize,
    obs: Vec<Observation>,
    starts: Vec<u32>,
}

fn series_key(n_ind: usize, o: &Observation) -> usize {
    o.org.ix() * n_ind + usize::from(o.indicator)
}

impl ValueSet {
    /// Groups `obs`; two figures for the same indicator, unit and period are an
    /// error naming both lines (`files` names the inputs by their index).
    pub fn build(
        plan: &Plan,
        mut obs: Vec<Observation>,
        files: &[String],
    ) -> Result<ValueSet, InputErrors> {
        let n_ind = plan.indicators.len();
        let n_series = plan.orgs.len() * n_ind;
        let key =
            |o: &Observation| ((series_key(n_ind, o) as u64) << 32) | u64::from(o.period.key());
        if !obs.is_sorted_by_key(key) {
            obs.sort_by_key(|o| (key(o), o.source()));
        }
        let name = |f: u16| files.get(usize::from(f)).cloned().unwrap_or_default();
        let mut errors = Vec::new();
        for w in obs.windows(2) {
            if key(&w[0]) == key(&w[1]) {
                let (a, b) = (&w[0], &w[1]);
                let place = if a.source().file == b.source().file {
                    format!("第 {} 行", a.source().line)
                } else {
                    format!("{} 第 {} 行", name(a.source().file), a.source().line)
                };
                errors.push(InputError {
                    file: name(b.source().file),
                    line: u64::from(b.source().line),
                    field: Some("period".into()),
                    message: format!(
                        "与{place}重复:同一指标 {}、单位“{}”、期间 {} 只能有一个数",
                        plan.indicators[usize::from(b.indicator)].code,
                        plan.orgs.get(b.org).name,
                        b.period
                    ),
                });
            }
        }
        if !errors.is_empty() {
            errors.sort_by(|x, y| (&x.file, x.line).cmp(&(&y.file, y.line)));
            return Err(InputErrors(errors));
        }
        let mut starts = vec![0u32; n_series + 1];
        for o in &obs {
            starts[series_key(n_ind, o) + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        Ok(ValueSet { n_ind, obs, starts })
    }

    /// Number of figures.
    pub fn len(&self) -> usize {
        self.obs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.obs.is_empty()
    }

    /// All figures, by series then period.
    pub fn all(&self) -> &[Observation] {
        &self.obs
    }

    /// The figures of one series, oldest first.
    pub fn series(&self, ind: usize, org: OrgId) -> &[Observation] {
        let s = org.ix() * self.n_ind + ind;
        match (self.starts.get(s), self.starts.get(s + 1)) {
            (Some(&a), Some(&b)) => &self.obs[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The latest figure of `as_of`'s year at or before `as_of` (a month's own
    /// figure before its quarter's, before the year's).
    pub fn latest(&self, ind: usize, org: OrgId, as_of: YearMonth) -> Option<&Observation> {
        let s = self.series(ind, org);
        let bound = Period::upper_bound(as_of);
        let n = s.partition_point(|o| o.period <= bound);
        n.checked_sub(1)
            .map(|i| &s[i])
            .filter(|o| o.period.year() == as_of.year())
    }

    /// The figure for December of `year` (the month, else the fourth quarter,
    /// else the year as a whole).
    pub fn december(&self, ind: usize, org: OrgId, year: i32) -> Option<&Observation> {
        let dec = YearMonth::new(year, 12)?;
        self.latest(ind, org, dec)
            .filter(|o| o.period.end_month() == 12)
    }
}
