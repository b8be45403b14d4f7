//! SVG charts drawn by our own code: printable, readable without
//! JavaScript, nothing loaded from anywhere. Positions are computed in
//! binary floating point (pixels); every number written as text is the exact
//! decimal it was given.

use std::fmt::Write;

/// One month's actual: the month (1–12), its position value and its exact text.
pub struct Point {
    /// The month, 1–12.
    pub month: u32,
    /// Its position value.
    pub value: f64,
    /// Its exact text.
    pub text: String,
}

/// A year's trajectory: actuals against the expected line from the start to
/// the target, and the target (and the original target, if adjusted).
pub struct Trajectory {
    /// The year drawn.
    pub year: i32,
    /// The indicator's unit of measure.
    pub unit: String,
    /// Value and text at month 0 (the start S; 0 for a flow indicator).
    pub start: Option<(f64, String)>,
    /// The target T of the year.
    pub target: Option<(f64, String)>,
    /// The target the adjustment replaced.
    pub original: Option<(f64, String)>,
    /// The months' actuals.
    pub actuals: Vec<Point>,
}

const W: f64 = 720.0;
const H: f64 = 320.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 120.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 40.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A tick label: up to two decimals, no trailing zeros.
fn tick(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// The value range of a chart: every value in view, with `pad` of the span
/// above and below (a flat or empty series still gets a scale).
fn scale(values: &[f64], pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if (hi - lo).abs() < 1e-9 {
        hi = lo + 1.0_f64.max(lo.abs() * 0.1);
    }
    let pad = (hi - lo) * pad;
    (lo - pad, hi + pad)
}

/// Five horizontal grid lines from `lo` to `hi` with their values, from the
/// left margin to `right`.
fn grid(s: &mut String, lo: f64, hi: f64, right: f64, y: impl Fn(f64) -> f64) {
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let yy = y(v);
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{right:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            yy + 4.0,
            tick(v)
        );
    }
}

impl Trajectory {
    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        let mut values: Vec<f64> = self.actuals.iter().map(|p| p.value).collect();
        for v in [&self.start, &self.target, &self.original]
            .into_iter()
            .flatten()
        {
            values.push(v.0);
        }
        let (lo, hi) = scale(&values, 0.1);
        let x = |m: f64| LEFT + (W - LEFT - RIGHT) * m / 12.0;
        let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - lo) / (hi - lo));
        let mut s = String::new();
        let _ = write!(
            s,
            "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" xmlns=\"http://www.w3.org/2000/svg\">"
        );
        let _ = write!(
            s,
            "<title id=\"chart-title\">{} 年实绩与序时进度({})</title><desc id=\"chart-desc\">实线圆点为各月实绩,斜线为按序时进度应达到的数值,横虚线为年度目标。</desc>",
            self.year,
            esc(&self.unit)
        );
        grid(&mut s, lo, hi, W - RIGHT, y);
        for m in 1..=12 {
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{m}月</text>",
                x(f64::from(m)),
                H - BOTTOM + 18.0
            );
        }
        // The expected line (序时进度).
        if let (Some((s0, _)), Some((t, _))) = (&self.start, &self.target) {
            let _ = write!(
                s,
                "<line class=\"expected\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
                x(0.0),
                y(*s0),
                x(12.0),
                y(*t)
            );
        }
        // Targets.
        if let Some((o, text)) = &self.original {
            let _ = write!(
                s,
                "<line class=\"original\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text class=\"label muted\" x=\"{:.1}\" y=\"{:.1}\">原目标 {}</text>",
                W - RIGHT,
                y(*o),
                y(*o),
                W - RIGHT + 6.0,
                y(*o) + 4.0,
                esc(text)
            );
        }
        if let Some((t, text)) = &self.target {
            let label = if self.original.is_some() {
                "调整后目标"
            } else {
                "目标"
            };
            let _ = write!(
                s,
                "<line class=\"target\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text class=\"label\" x=\"{:.1}\" y=\"{:.1}\">{label} {}</text>",
                W - RIGHT,
                y(*t),
                y(*t),
                W - RIGHT + 6.0,
                y(*t) - 4.0,
                esc(text)
            );
        }
        // Actuals.
        if self.actuals.len() > 1 {
            let pts: Vec<String> = self
                .actuals
                .iter()
                .map(|p| format!("{:.1},{:.1}", x(f64::from(p.month)), y(p.value)))
                .collect();
            let _ = write!(
                s,
                "<polyline class=\"actual\" points=\"{}\"/>",
                pts.join(" ")
            );
        }
        for p in &self.actuals {
            let _ = write!(
                s,
                "<circle class=\"actual-dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\"><title>{}月 实绩 {}</title></circle>",
                x(f64::from(p.month)),
                y(p.value),
                p.month,
                esc(&p.text)
            );
        }
        if let Some(last) = self.actuals.last() {
            let _ = write!(
                s,
                "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x(f64::from(last.month)),
                y(last.value) - 10.0,
                esc(&last.text)
            );
        }
        s.push_str("</svg>");
        s
    }
}

/// One year of the plan: its target in force (and the original, if
/// adjusted), and the unit's actual at the year's end (or at the month shown,
/// for the year under way).
pub struct PlanYear {
    /// The year.
    pub year: i32,
    /// The target in force: position value and exact text.
    pub target: Option<(f64, String)>,
    /// The target an adjustment replaced.
    pub original: Option<(f64, String)>,
    /// The actual at the year's end (or the month shown).
    pub actual: Option<(f64, String)>,
}

/// The whole plan at a glance: the baseline, each year's target as a bar
/// (the original dotted beside an adjusted one) and the actual of each year
/// as a point.
pub struct PlanYears {
    /// The indicator's unit of measure.
    pub unit: String,
    /// The baseline: its year, position value and exact text.
    pub baseline: Option<(i32, f64, String)>,
    /// The plan's years.
    pub years: Vec<PlanYear>,
}

impl PlanYears {
    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        let mut values: Vec<f64> = Vec::new();
        if let Some((_, v, _)) = &self.baseline {
            values.push(*v);
        }
        for y in &self.years {
            for v in [&y.target, &y.original, &y.actual].into_iter().flatten() {
                values.push(v.0);
            }
        }
        let (lo, hi) = scale(&values, 0.12);
        let first = self
            .baseline
            .as_ref()
            .map(|b| b.0)
            .or(self.years.first().map(|y| y.year - 1))
            .unwrap_or(0);
        let n = (self.years.len() + 1) as f64;
        let x = |year: i32| LEFT + (W - LEFT - 40.0) * (f64::from(year - first) + 0.5) / n;
        let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - lo) / (hi - lo));
        let mut s = String::new();
        let _ = write!(
            s,
            "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"years-title years-desc\" xmlns=\"http://www.w3.org/2000/svg\">"
        );
        let _ = write!(
            s,
            "<title id=\"years-title\">计划期内各年目标与实绩({})</title><desc id=\"years-desc\">横条为各年目标(虚线为调整前的原目标),圆点为各年年末实绩(当年为截至所示月份)。</desc>",
            esc(&self.unit)
        );
        grid(&mut s, lo, hi, W - 40.0, y);
        let mut points: Vec<(f64, f64)> = Vec::new();
        if let Some((year, v, text)) = &self.baseline {
            let (xx, yy) = (x(*year), y(*v));
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{year} 基数</text><circle class=\"actual-dot\" cx=\"{xx:.1}\" cy=\"{yy:.1}\" r=\"4\"><title>{year} 年基数 {}</title></circle>",
                H - BOTTOM + 18.0,
                esc(text)
            );
            points.push((xx, yy));
        }
        for py in &self.years {
            let xx = x(py.year);
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                H - BOTTOM + 18.0,
                py.year
            );
            if let Some((o, text)) = &py.original {
                let _ = write!(
                    s,
                    "<line class=\"original\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"><title>{} 年原目标 {}</title></line>",
                    xx - 22.0,
                    xx + 22.0,
                    y(*o),
                    y(*o),
                    py.year,
                    esc(text)
                );
            }
            if let Some((t, text)) = &py.target {
                let _ = write!(
                    s,
                    "<line class=\"target-bar\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"><title>{} 年目标 {}</title></line><text class=\"label\" x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                    xx - 22.0,
                    xx + 22.0,
                    y(*t),
                    y(*t),
                    py.year,
                    esc(text),
                    y(*t) - 6.0,
                    esc(text)
                );
            }
            if let Some((a, text)) = &py.actual {
                let (ax, ay) = (xx, y(*a));
                let _ = write!(
                    s,
                    "<circle class=\"actual-dot\" cx=\"{ax:.1}\" cy=\"{ay:.1}\" r=\"5\"><title>{} 年实绩 {}</title></circle><text class=\"label actual-label\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                    py.year,
                    esc(text),
                    ax + 8.0,
                    ay + 4.0,
                    esc(text)
                );
                points.push((ax, ay));
            }
        }
        if points.len() > 1 {
            let pts: Vec<String> = points
                .iter()
                .map(|(a, b)| format!("{a:.1},{b:.1}"))
                .collect();
            let _ = write!(
                s,
                "<polyline class=\"actual\" points=\"{}\"/>",
                pts.join(" ")
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Trajectory {
        Trajectory {
            year: 2024,
            unit: "%".into(),
            start: Some((50.0, "50".into())),
            target: Some((80.0, "80".into())),
            original: Some((90.0, "90".into())),
            actuals: vec![
                Point {
                    month: 1,
                    value: 52.0,
                    text: "52".into(),
                },
                Point {
                    month: 2,
                    value: 55.5,
                    text: "55.50".into(),
                },
            ],
        }
    }

    #[test]
    fn a_chart_shows_every_actual_the_targets_and_the_expected_line() {
        let svg = chart().svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("2月 实绩 55.50"), "{svg}");
        assert!(svg.contains("调整后目标 80") && svg.contains("原目标 90"));
        assert!(svg.contains("class=\"expected\""));
    }

    #[test]
    fn text_in_a_chart_is_escaped() {
        let mut c = chart();
        c.unit = "<script>".into();
        assert!(!c.svg().contains("<script>"));
    }

    #[test]
    fn the_plan_chart_shows_each_year_target_and_actual() {
        let c = PlanYears {
            unit: "台".into(),
            baseline: Some((2022, 44.0, "44".into())),
            years: vec![
                PlanYear {
                    year: 2023,
                    target: Some((52.0, "≥52".into())),
                    original: None,
                    actual: Some((53.0, "53".into())),
                },
                PlanYear {
                    year: 2024,
                    target: Some((66.0, "≥66".into())),
                    original: Some((64.0, "≥64".into())),
                    actual: None,
                },
            ],
        };
        let svg = c.svg();
        assert_eq!(svg.matches("class=\"target-bar\"").count(), 2);
        assert_eq!(svg.matches("class=\"original\"").count(), 1);
        assert!(svg.contains("2023 年实绩 53") && svg.contains("2022 年基数 44"));
        assert!(svg.contains("2024 年原目标 ≥64") && !svg.contains("NaN"));
    }

    #[test]
    fn a_flat_chart_still_has_a_scale() {
        let c = Trajectory {
            year: 2024,
            unit: "个".into(),
            start: None,
            target: None,
            original: None,
            actuals: vec![Point {
                month: 3,
                value: 0.0,
                text: "0".into(),
            }],
        };
        assert!(!c.svg().contains("NaN"));
    }
}
