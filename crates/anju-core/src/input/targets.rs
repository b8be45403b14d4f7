//! The target decomposition file (分解下达): one target per indicator, unit
//! and year.

use super::table::{INDICATOR, ORG_UNIT};
use super::values::OrgCache;
use super::*;

/// One row of a target decomposition (分解下达) file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetRow {
    /// Index into `plan.indicators`.
    pub indicator: u16,
    /// The unit in the reporting tree.
    pub org: OrgId,
    /// The year; the plan's baseline year means the unit's baseline (现状值).
    pub year: i32,
    /// `None` for "/".
    pub target: Option<Target>,
    /// Where it came from.
    pub source: Source,
}

/// Columns of a target decomposition file.
pub const TARGET_COLUMNS: [Column; 4] = [
    INDICATOR,
    ORG_UNIT,
    Column {
        name: "year",
        aliases: &["year", "年份", "年度"],
        required: true,
    },
    Column {
        name: "target",
        aliases: &["target", "目标", "目标值"],
        required: true,
    },
];

/// Reads a decomposition file (`indicator,org_unit,year,target`); a target may
/// carry a comparator (`>17`) or be `/`.
pub fn read_targets(
    plan: &Plan,
    file: &str,
    bytes: &[u8],
    threads: usize,
) -> Result<Vec<TargetRow>, InputErrors> {
    read_table(file, bytes, &TARGET_COLUMNS, threads, None, || {
        let mut orgs = OrgCache::new(plan);
        move |f: &[&str], source: Source| {
            let mut errs: Vec<(&'static str, String)> = Vec::new();
            let ind = plan.find_indicator(f[0]);
            if ind.is_none() {
                errs.push(("indicator", format!("未知的指标“{}”", f[0])));
            }
            let org = orgs.get(f[1]).map_err(|m| errs.push(("org_unit", m))).ok();
            let (by, ly) = (plan.meta.baseline_year, plan.meta.last_year);
            let year = match f[2].trim_end_matches('年').parse::<i32>() {
                Ok(y) if (by..=ly).contains(&y) => Some(y),
                _ => {
                    errs.push((
                        "year",
                        format!("年份“{}”须在 {by}—{ly} 之间({by} 为现状值)", f[2]),
                    ));
                    None
                }
            };
            let target = Target::parse(f[3])
                .map_err(|m| errs.push(("target", m)))
                .ok();
            if let (Some(i), Some(Some(t))) = (ind, target)
                && plan.indicators[i].kind != Kind::Ratio
                && t.value.is_sign_negative()
            {
                errs.push(("target", "目标值不能为负数".into()));
            }
            if !errs.is_empty() {
                return Err(errs);
            }
            match (ind, org, year, target) {
                (Some(i), Some(org), Some(year), Some(target)) => Ok(Some(TargetRow {
                    indicator: i as u16,
                    org,
                    year,
                    target,
                    source,
                })),
                _ => Err(vec![("indicator", "无法读取该行".into())]),
            }
        }
    })
}
