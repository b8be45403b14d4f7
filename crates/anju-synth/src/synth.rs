//! Synthetic data at province scale: a plan with the base plan's indicators over
//! a tree of towns in counties in cities, a target decomposition that adds up
//! at every level, and plausible monthly figures for every town — for tests,
//! benchmarks and load scripts. Deterministic for a given size and seed.
//! Writes to any `Write` the caller gives; opens nothing itself.

use std::io::{self, Write};

use anju_core::plan::{Comparator, Kind, Plan, Target};

/// The shape of a synthetic province.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Number of towns.
    pub towns: usize,
    /// Random seed.
    pub seed: u64,
    /// Towns per county (Haining has 12).
    pub towns_per_county: usize,
    /// Counties per city.
    pub counties_per_city: usize,
    /// First and last year with monthly figures.
    pub years: (i32, i32),
    /// No figures after this month (year × 100 + month), when given: a
    /// service refuses figures of months that have not ended.
    pub until: Option<u32>,
}

impl Spec {
    /// `towns` towns, 12 to a county, 10 counties to a city, figures for the
    /// base plan's years.
    pub fn new(towns: usize, seed: u64, base: &Plan) -> Spec {
        Spec {
            towns: towns.max(1),
            seed,
            towns_per_county: 12,
            counties_per_city: 10,
            years: (base.meta.first_year, base.meta.last_year),
            until: None,
        }
    }
    fn counties(&self) -> usize {
        self.towns.div_ceil(self.towns_per_county)
    }
    fn cities(&self) -> usize {
        self.counties().div_ceil(self.counties_per_city)
    }
}

/// Name of the province.
pub const PROVINCE: &str = "样例省";

/// Name of city `i` (0-based).
pub fn city_name(i: usize) -> String {
    format!("样例市{:03}", i + 1)
}
/// Name of county `i`.
pub fn county_name(i: usize) -> String {
    format!("样例县{:04}", i + 1)
}
/// Name of town `i`.
pub fn town_name(i: usize) -> String {
    format!("样例镇{:05}", i + 1)
}

/// SplitMix64: small, fast, good enough for plausible figures.
struct Rng(u64);

impl Rng {
    fn for_cell(seed: u64, town: usize, ind: usize) -> Rng {
        let mut r = Rng(seed
            ^ (town as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (ind as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn scale(dp: u32) -> f64 {
    10f64.powi(dp as i32)
}

fn to_scaled(x: f64, dp: u32) -> i64 {
    (x * scale(dp)).round() as i64
}

/// Formats a scaled integer (`value × 10^dp`) as a decimal.
fn fmt_scaled(v: i64, dp: u32, out: &mut String) {
    use std::fmt::Write as _;
    if dp == 0 {
        let _ = write!(out, "{v}");
        return;
    }
    let s = 10i64.pow(dp);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let (i, f) = (a / s as u64, a % s as u64);
    let _ = write!(out, "{sign}{i}.{f:0width$}", width = dp as usize);
}

fn target_value(t: Option<Target>) -> Option<f64> {
    t.and_then(|t| t.value.to_string().parse::<f64>().ok())
}

/// One town's figures for one indicator that adds up: baseline and yearly
/// targets (scaled integers).
struct SumCell {
    base: i64,
    targets: Vec<i64>,
    perf: f64,
}

fn sum_cell(spec: &Spec, plan: &Plan, town: usize, ix: usize) -> SumCell {
    let ind = &plan.indicators[ix];
    let dp = ind.decimals;
    let mut rng = Rng::for_cell(spec.seed, town, ix);
    let w = 0.5 + rng.unit();
    let perf = 0.85 + 0.3 * rng.unit();
    let k = if dp == 0 { 1.0 } else { 1.0 / 12.0 };
    let years = spec.years.0..=spec.years.1;
    if ind.kind == Kind::Milestone {
        return SumCell {
            base: 0,
            targets: years.map(|_| 1).collect(),
            perf,
        };
    }
    let base_f = ind
        .baseline
        .and_then(|b| b.to_string().parse::<f64>().ok())
        .unwrap_or(0.0);
    let base = to_scaled(base_f * w * k, dp);
    let mut last = base_f;
    let targets = years
        .map(|y| {
            let t = target_value(ind.targets.get(&y).copied().flatten()).unwrap_or(last);
            last = t;
            to_scaled(t * w * k, dp)
        })
        .collect();
    SumCell {
        base,
        targets,
        perf,
    }
}

/// The comparator of the base plan's target in year `y`.
fn comparator(plan: &Plan, ix: usize, y: i32) -> Comparator {
    let ind = &plan.indicators[ix];
    match ind.kind {
        Kind::Milestone => ind
            .milestone
            .map_or(Comparator::AtLeast, |m| m.target.comparator),
        _ => ind
            .targets
            .get(&y)
            .copied()
            .flatten()
            .map_or(Comparator::AtLeast, |t| t.comparator),
    }
}

/// Sums of the sum-kind cells: `[indicator][year slot][unit]` for cities,
/// counties and the province, where year slot 0 is the baseline.
struct Totals {
    county: Vec<Vec<Vec<i64>>>,
    city: Vec<Vec<Vec<i64>>>,
    province: Vec<Vec<i64>>,
}

fn totals(spec: &Spec, plan: &Plan) -> Totals {
    let n_years = (spec.years.1 - spec.years.0 + 1) as usize;
    let n_ind = plan.indicators.len();
    let mut county = vec![vec![vec![0i64; spec.counties()]; n_years + 1]; n_ind];
    let mut city = vec![vec![vec![0i64; spec.cities()]; n_years + 1]; n_ind];
    let mut province = vec![vec![0i64; n_years + 1]; n_ind];
    for (ix, ind) in plan.indicators.iter().enumerate() {
        if !ind.kind.sums() {
            continue;
        }
        for town in 0..spec.towns {
            let c = sum_cell(spec, plan, town, ix);
            let cty = town / spec.towns_per_county;
            let ct = cty / spec.counties_per_city;
            for (slot, v) in std::iter::once(c.base)
                .chain(c.targets.iter().copied())
                .enumerate()
            {
                county[ix][slot][cty] += v;
                city[ix][slot][ct] += v;
                province[ix][slot] += v;
            }
        }
    }
    Totals {
        county,
        city,
        province,
    }
}

fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The synthetic plan file: the base plan's domains and indicators, province
/// targets that equal the sums of the towns', and the org tree.
pub fn plan_toml(spec: &Spec, base: &Plan) -> String {
    let tot = totals(spec, base);
    let mut s = String::new();
    s.push_str(&format!(
        "# Synthetic plan written by `anju gen --towns {} --seed {}`: the built-in plan's indicators over\n# {} towns in {} counties in {} cities. Targets of the province are the sums of the towns'.\n\n",
        spec.towns,
        spec.seed,
        spec.towns,
        spec.counties(),
        spec.cities()
    ));
    s.push_str("[plan]\n");
    s.push_str(&format!(
        "id = \"synthetic-{}-{}\"\n",
        spec.towns, spec.seed
    ));
    s.push_str(&format!(
        "name = {}\n",
        toml_str(&format!("合成测试计划({} 个镇)", spec.towns))
    ));
    s.push_str(&format!(
        "baseline_year = {}\nfirst_year = {}\nlast_year = {}\nreporting_root = \"{PROVINCE}\"\n\n",
        spec.years.0 - 1,
        spec.years.0,
        spec.years.1
    ));
    s.push_str(&format!(
        "[settings]\nlagging_threshold = \"{}\"\nreport_deadline_day = {}\n\n",
        base.settings.lagging_threshold, base.settings.report_deadline_day
    ));
    for d in &base.domains {
        s.push_str(&format!("[[domain]]\nname = {}\n\n", toml_str(&d.name)));
    }
    for (ix, ind) in base.indicators.iter().enumerate() {
        let dp = ind.decimals;
        s.push_str(&format!(
            "[[indicator]]\ncode = {}\ndomain = {}\nname = {}\nunit = {}\nkind = \"{}\"\ndecimals = {}\n",
            ind.code,
            toml_str(&ind.domain),
            toml_str(&ind.name),
            toml_str(&ind.unit),
            ind.kind.as_str(),
            dp
        ));
        if let Some(m) = ind.multiplier {
            s.push_str(&format!("multiplier = \"{m}\"\n"));
        }
        let mut v = String::new();
        match ind.kind {
            Kind::Milestone => {
                let deadline = ind.milestone.map_or_else(
                    || format!("{}-12", spec.years.1),
                    |m| m.deadline.to_string(),
                );
                let slot = tot.province[ix].len() - 1;
                fmt_scaled(tot.province[ix][slot], 0, &mut v);
                s.push_str(&format!(
                    "milestone = {{ deadline = \"{deadline}\", target = \"{v}\" }}\n"
                ));
            }
            Kind::Ratio => {
                if let Some(b) = ind.baseline {
                    s.push_str(&format!("baseline = \"{b}\"\n"));
                }
                let ts: Vec<String> = ind
                    .targets
                    .iter()
                    .map(|(y, t)| match t {
                        Some(t) => format!("{y} = \"{}\"", t.as_written()),
                        None => format!("{y} = \"/\""),
                    })
                    .collect();
                s.push_str(&format!("targets = {{ {} }}\n", ts.join(", ")));
            }
            _ => {
                fmt_scaled(tot.province[ix][0], dp, &mut v);
                s.push_str(&format!("baseline = \"{v}\"\n"));
                let ts: Vec<String> = (spec.years.0..=spec.years.1)
                    .enumerate()
                    .map(|(k, y)| {
                        let mut v = String::new();
                        fmt_scaled(tot.province[ix][k + 1], dp, &mut v);
                        let c = if comparator(base, ix, y) == Comparator::Above {
                            ">"
                        } else {
                            ""
                        };
                        format!("{y} = \"{c}{v}\"")
                    })
                    .collect();
                s.push_str(&format!("targets = {{ {} }}\n", ts.join(", ")));
            }
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "[[org_unit]]\nname = \"{PROVINCE}\"\nlevel = \"province\"\n\n"
    ));
    for c in 0..spec.cities() {
        s.push_str(&format!(
            "[[org_unit]]\nname = \"{}\"\nparent = \"{PROVINCE}\"\nlevel = \"city\"\n\n",
            city_name(c)
        ));
    }
    for k in 0..spec.counties() {
        let parent = city_name(k / spec.counties_per_city);
        s.push_str(&format!(
            "[[org_unit]]\nname = \"{}\"\nparent = \"{parent}\"\nlevel = \"county\"\n\n",
            county_name(k)
        ));
    }
    for t in 0..spec.towns {
        let parent = county_name(t / spec.towns_per_county);
        s.push_str(&format!(
            "[[org_unit]]\nname = \"{}\"\nparent = \"{parent}\"\nlevel = \"town\"\n\n",
            town_name(t)
        ));
    }
    s.push_str("[[department]]\nname = \"省住房城乡建设厅\"\n");
    s
}

/// The decomposition: for every indicator that adds up, the baseline and
/// yearly targets of every city, county and town (the province's are in the
/// plan). Ratios have none: their rate applies to every unit.
pub fn write_targets(spec: &Spec, base: &Plan, w: &mut impl Write) -> io::Result<()> {
    let tot = totals(spec, base);
    writeln!(w, "indicator,org_unit,year,target")?;
    let mut v = String::new();
    for (ix, ind) in base.indicators.iter().enumerate() {
        if !ind.kind.sums() {
            continue;
        }
        let dp = ind.decimals;
        let slots: Vec<(usize, i32)> = if ind.kind == Kind::Milestone {
            let deadline = ind.milestone.map_or(spec.years.1, |m| m.deadline.year());
            vec![(tot.province[ix].len() - 1, deadline)]
        } else {
            (0..tot.province[ix].len())
                .map(|k| (k, spec.years.0 - 1 + k as i32))
                .collect()
        };
        for &(slot, year) in &slots {
            let c = if slot > 0 && comparator(base, ix, year) == Comparator::Above {
                ">"
            } else {
                ""
            };
            let mut row = |name: String, value: i64| -> io::Result<()> {
                v.clear();
                fmt_scaled(value, dp, &mut v);
                writeln!(w, "{},{name},{year},{c}{v}", ind.code)
            };
            for (k, &x) in tot.city[ix][slot].iter().enumerate() {
                row(city_name(k), x)?;
            }
            for (k, &x) in tot.county[ix][slot].iter().enumerate() {
                row(county_name(k), x)?;
            }
            for t in 0..spec.towns {
                let cell = sum_cell(spec, base, t, ix);
                let x = if slot == 0 {
                    cell.base
                } else {
                    cell.targets[slot - 1]
                };
                row(town_name(t), x)?;
            }
        }
    }
    Ok(())
}

/// Monthly figures for every town and indicator, from December of the year
/// before the first to December of the last year (or `spec.until`; the
/// figures up to it are the same either way). Returns the number of rows.
pub fn write_values(spec: &Spec, base: &Plan, w: &mut impl Write) -> io::Result<u64> {
    writeln!(w, "indicator,org_unit,period,value,numerator,denominator")?;
    let mut rows = 0u64;
    let mut line = String::with_capacity(64);
    for town in 0..spec.towns {
        let name = town_name(town);
        for (ix, ind) in base.indicators.iter().enumerate() {
            let dp = ind.decimals;
            let mut rng = Rng::for_cell(spec.seed ^ 0x5EED, town, ix);
            let mut emit = |line: &mut String,
                            period: &str,
                            value: Option<i64>,
                            ratio: Option<(i64, i64)>|
             -> io::Result<()> {
                // Periods are written YYYY-MM.
                let key = period
                    .get(..4)
                    .and_then(|y| y.parse::<u32>().ok())
                    .zip(period.get(5..7).and_then(|m| m.parse::<u32>().ok()));
                if let (Some(u), Some((y, m))) = (spec.until, key)
                    && y * 100 + m > u
                {
                    return Ok(());
                }
                line.clear();
                line.push_str(&format!("{},{name},{period},", ind.code));
                if let Some(v) = value {
                    fmt_scaled(v, dp, line);
                }
                line.push(',');
                if let Some((n, d)) = ratio {
                    line.push_str(&format!("{n},{d}"));
                } else {
                    line.push(',');
                }
                line.push('\n');
                rows += 1;
                w.write_all(line.as_bytes())
            };
            let first = spec.years.0;
            if ind.kind == Kind::Ratio {
                let mult = ind
                    .multiplier
                    .and_then(|m| m.to_string().parse::<f64>().ok())
                    .unwrap_or(1.0);
                let is_pct = (mult - 100.0).abs() < 1e-9;
                let den0 = if is_pct {
                    200.0 + 4800.0 * rng.unit()
                } else {
                    10000.0 + 50000.0 * rng.unit()
                };
                let perf = 0.85 + 0.3 * rng.unit();
                let base_rate = ind
                    .baseline
                    .and_then(|b| b.to_string().parse::<f64>().ok())
                    .or_else(|| {
                        target_value(ind.targets.get(&first).copied().flatten()).map(|t| t * 0.9)
                    });
                let mut rate = base_rate.unwrap_or(0.0) * (0.95 + 0.1 * rng.unit());
                let cap = if is_pct { 100.0 } else { f64::MAX };
                rate = rate.min(cap);
                let den = den0.round() as i64;
                let num = |rate: f64| {
                    (((rate / mult) * den as f64).round() as i64).min(if is_pct {
                        den
                    } else {
                        i64::MAX
                    })
                };
                emit(
                    &mut line,
                    &format!("{}-12", first - 1),
                    None,
                    Some((num(rate), den)),
                )?;
                for y in first..=spec.years.1 {
                    let t = target_value(ind.targets.get(&y).copied().flatten()).unwrap_or(rate);
                    let start = rate;
                    for m in 1..=12u32 {
                        let f = (f64::from(m) / 12.0 * perf + 0.02 * (rng.unit() - 0.5))
                            .clamp(0.0, 1.0);
                        let r = (start + (t - start) * f).min(cap);
                        if m == 12 {
                            rate = r;
                        }
                        emit(&mut line, &format!("{y}-{m:02}"), None, Some((num(r), den)))?;
                    }
                }
                continue;
            }
            let cell = sum_cell(spec, base, town, ix);
            if ind.kind == Kind::Milestone {
                // Reaches its one village at some month, or (slow towns) never.
                let total = (spec.years.1 - first + 1) as u32 * 12;
                let at = if cell.perf < 0.9 {
                    u32::MAX
                } else {
                    (rng.unit() * f64::from(total)) as u32
                };
                emit(&mut line, &format!("{}-12", first - 1), Some(0), None)?;
                let mut k = 0u32;
                for y in first..=spec.years.1 {
                    for m in 1..=12u32 {
                        emit(
                            &mut line,
                            &format!("{y}-{m:02}"),
                            Some(i64::from(k >= at)),
                            None,
                        )?;
                        k += 1;
                    }
                }
                continue;
            }
            let mut last_dec = cell.base;
            emit(
                &mut line,
                &format!("{}-12", first - 1),
                Some(if ind.kind == Kind::Flow {
                    cell.base
                } else {
                    last_dec
                }),
                None,
            )?;
            for (k, y) in (first..=spec.years.1).enumerate() {
                let t = cell.targets[k];
                let mut prev = if ind.kind == Kind::Flow { 0 } else { last_dec };
                for m in 1..=12u32 {
                    let f = (f64::from(m) / 12.0 * cell.perf + 0.03 * (rng.unit() - 0.5))
                        .clamp(0.0, 1.2);
                    let mut v = match ind.kind {
                        Kind::Flow => (t as f64 * f).round() as i64,
                        _ => last_dec + ((t - last_dec) as f64 * f).round() as i64,
                    };
                    if ind.kind != Kind::Stock {
                        v = v.max(prev);
                    }
                    prev = v;
                    emit(&mut line, &format!("{y}-{m:02}"), Some(v), None)?;
                }
                if ind.kind != Kind::Flow {
                    last_dec = prev;
                }
            }
        }
    }
    Ok(rows)
}
