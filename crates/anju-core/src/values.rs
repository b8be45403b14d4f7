//! The figures of an evaluation, grouped by series (one indicator of one unit)
//! and ordered in time, so that "the latest value of year y at or before month
//! m" is a binary search. Owns the check that no period is reported twice.
//!
//! Figures arrive in segments — one per piece of input each reader thread
//! parsed — and stay there when the input was already in series order (as
//! exports and `anju gen` write it): no copy into one big list, no sort.
//! Otherwise they are gathered and sorted once.

use crate::input::{InputError, InputErrors, Observation};
use crate::period::{Period, YearMonth};
use crate::plan::{OrgId, Plan};

/// Figures grouped by series.
#[derive(Clone, Debug, Default)]
pub struct ValueSet {
    n_ind: usize,
    segments: Vec<Vec<Observation>>,
    /// Per series: (segment, start, end).
    index: Vec<(u32, u32, u32)>,
}

fn series_key(n_ind: usize, o: &Observation) -> usize {
    o.org.ix() * n_ind + usize::from(o.indicator)
}

impl ValueSet {
    /// Groups `obs`; two figures for the same indicator, unit and period are an
    /// error naming both lines (`files` names the inputs by their index).
    pub fn build(
        plan: &Plan,
        obs: Vec<Observation>,
        files: &[String],
    ) -> Result<ValueSet, InputErrors> {
        ValueSet::from_segments(plan, vec![obs], files)
    }

    /// Groups figures given in segments (in input order).
    pub fn from_segments(
        plan: &Plan,
        mut segments: Vec<Vec<Observation>>,
        files: &[String],
    ) -> Result<ValueSet, InputErrors> {
        let n_ind = plan.indicators.len();
        let key =
            |o: &Observation| ((series_key(n_ind, o) as u64) << 32) | u64::from(o.period.key());
        let series = |o: &Observation| series_key(n_ind, o);
        segments.retain(|s| !s.is_empty());
        // A series cut by a segment boundary moves whole into the earlier segment
        // (the pages moved are already in memory: a cheap copy).
        let mut k = 1;
        while k < segments.len() {
            let (head, tail) = segments.split_at_mut(k);
            let (prev, next) = (&mut head[k - 1], &mut tail[0]);
            if let (Some(last), Some(first)) = (prev.last(), next.first())
                && series(last) == series(first)
            {
                let s = series(first);
                let run = next.iter().take_while(|o| series(o) == s).count();
                prev.extend(next.drain(..run));
            }
            if segments[k].is_empty() {
                segments.remove(k);
            } else {
                k += 1;
            }
        }
        let in_order = segments.iter().all(|s| s.is_sorted_by_key(key))
            && segments
                .windows(2)
                .all(|w| match (w[0].last(), w[1].first()) {
                    (Some(a), Some(b)) => key(a) < key(b),
                    _ => true,
                });
        if !in_order {
            let mut all: Vec<Observation> = Vec::with_capacity(segments.iter().map(Vec::len).sum());
            for mut s in segments.drain(..) {
                all.append(&mut s);
            }
            all.sort_by_key(|o| (key(o), o.source()));
            segments = vec![all];
        }
        let name = |f: u16| files.get(usize::from(f)).cloned().unwrap_or_default();
        let mut errors = Vec::new();
        for w in segments.iter().flat_map(|s| s.windows(2)) {
            if key(&w[0]) == key(&w[1]) {
                let (a, b) = (w[0].source(), w[1].source());
                let place = if a.file == b.file {
                    format!("第 {} 行", a.line)
                } else {
                    format!("{} 第 {} 行", name(a.file), a.line)
                };
                let o = &w[1];
                errors.push(InputError {
                    file: name(b.file),
                    line: u64::from(b.line),
                    field: Some("period".into()),
                    cell: None,
                    message: format!(
                        "与{place}重复:同一指标 {}、单位“{}”、期间 {} 只能有一个数",
                        plan.indicators[usize::from(o.indicator)].code,
                        plan.orgs.get(o.org).name,
                        o.period
                    ),
                });
            }
        }
        if !errors.is_empty() {
            errors.sort_by(|x, y| (&x.file, x.line).cmp(&(&y.file, y.line)));
            return Err(InputErrors(errors));
        }
        let mut index = vec![(0u32, 0u32, 0u32); plan.orgs.len() * n_ind];
        for (k, seg) in segments.iter().enumerate() {
            let mut i = 0;
            while i < seg.len() {
                let s = series(&seg[i]);
                let mut j = i + 1;
                while j < seg.len() && series(&seg[j]) == s {
                    j += 1;
                }
                if let Some(slot) = index.get_mut(s) {
                    *slot = (k as u32, i as u32, j as u32);
                }
                i = j;
            }
        }
        Ok(ValueSet {
            n_ind,
            segments,
            index,
        })
    }

    /// Number of figures.
    pub fn len(&self) -> usize {
        self.segments.iter().map(Vec::len).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.segments.iter().all(Vec::is_empty)
    }

    /// All figures in segments; within a segment by series then period, and no
    /// series spans two segments.
    pub fn segments(&self) -> &[Vec<Observation>] {
        &self.segments
    }

    /// The figures of one series, oldest first.
    pub fn series(&self, ind: usize, org: OrgId) -> &[Observation] {
        match self.index.get(org.ix() * self.n_ind + ind) {
            Some(&(k, a, b)) if b > a => &self.segments[k as usize][a as usize..b as usize],
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
