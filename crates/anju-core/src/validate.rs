//! Validation warnings: figures that are allowed but probably wrong — a
//! year-to-date or cumulative value that falls, a value ten times the last one
//! (likely the wrong unit: 套 instead of 万套), a decomposition that does not add
//! up. A warning never stops an evaluation; it is shown beside it.

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
    match o.amount {
        Amount::Value(v) => Some(Exact::from(v)),
        Amount::Ratio { num, den } => {
            let m = plan.indicators[usize::from(o.indicator)]
                .multiplier
                .map(Exact::from)
                .unwrap_or(Exact::ONE);
            Exact::from(num).mul(&m).div(&Exact::from(den))
        }
    }
}

fn shown(x: &Exact, dp: u32) -> String {
    x.round(dp)
        .map(|d| d.to_string())
        .unwrap_or_else(|| "?".into())
}

/// Checks every series up to `as_of` for falling totals and tenfold jumps.
pub fn check_values(plan: &Plan, values: &ValueSet, as_of: YearMonth) -> Vec<Warning> {
    let bound = Period::upper_bound(as_of);
    let ten = Exact::int(10);
    let mut out = Vec::new();
    let all = values.all();
    let mut i = 0;
    while i < all.len() {
        let (ind, org) = (all[i].indicator, all[i].org);
        let mut j = i;
        while j < all.len() && all[j].indicator == ind && all[j].org == org {
            j += 1;
        }
        let indicator = &plan.indicators[usize::from(ind)];
        let dp = indicator.decimals.max(2);
        let mut prev: Option<(&Observation, Exact)> = None;
        for o in all[i..j].iter().take_while(|o| o.period <= bound) {
            let Some(v) = value_of(plan, o) else { continue };
            if let Some((p, pv)) = &prev {
                let comparable = p.period.end() != o.period.end()
                    && (indicator.kind != Kind::Flow || p.period.year() == o.period.year());
                if comparable {
                    let warn = |message: String| Warning {
                        indicator: indicator.code,
                        org: Some(org),
                        period: Some(o.period.to_string()),
                        source: Some(o.source),
                        message,
                    };
                    if !pv.is_zero() && v > pv.mul(&ten) {
                        let times = v.div(pv).map(|r| shown(&r, 1)).unwrap_or_default();
                        out.push(warn(format!(
                            "数值 {} 是上期({}){} 的 {times} 倍,可能单位有误(如{}填成了更小的单位)",
                            shown(&v, dp),
                            p.period,
                            shown(pv, dp),
                            indicator.unit
                        )));
                    } else if !v.is_zero() && v.mul(&ten) < *pv {
                        out.push(warn(format!(
                            "数值 {} 不到上期({}){} 的十分之一,可能单位有误",
                            shown(&v, dp),
                            p.period,
                            shown(pv, dp)
                        )));
                    } else if v < *pv
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
                        out.push(warn(format!(
                            "{what}从上期({}){} 降到 {}",
                            p.period,
                            shown(pv, dp),
                            shown(&v, dp)
                        )));
                    }
                }
            }
            prev = Some((o, v));
        }
        i = j;
    }
    out
}
