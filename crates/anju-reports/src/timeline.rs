//! A project's charts as SVG: its milestones, planned against actual, on
//! one time axis with today marked (倒排工期); and its investment by month,
//! planned against completed. Drawn by our own code, printable, nothing
//! loaded from anywhere; every label is the exact text it was given.

use std::fmt::Write;

/// A milestone to draw: its name, planned day and actual day, each as days
/// since 1970 with its text (`2027-03-02`).
pub struct Mark {
    /// The milestone's name.
    pub name: String,
    /// Planned: (day number, text).
    pub planned: (i64, String),
    /// Met: (day number, text).
    pub actual: Option<(i64, String)>,
    /// Passed without being met.
    pub missed: bool,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The milestones on a time axis from `start` to the last of them (or
/// `today`), planned as hollow circles, met as filled ones joined to their
/// plan, missed ones in red; a line at `today`.
pub fn milestones_svg(marks: &[Mark], start: (i64, String), today: (i64, String)) -> String {
    const W: f64 = 720.0;
    const ROW: f64 = 34.0;
    const LEFT: f64 = 150.0;
    const RIGHT: f64 = 40.0;
    const TOP: f64 = 34.0;
    let h = TOP + ROW * marks.len().max(1) as f64 + 26.0;
    let mut lo = start.0.min(today.0);
    let mut hi = today.0.max(start.0 + 1);
    for m in marks {
        lo = lo.min(m.planned.0);
        hi = hi.max(m.planned.0);
        if let Some((a, _)) = &m.actual {
            lo = lo.min(*a);
            hi = hi.max(*a);
        }
    }
    let span = (hi - lo).max(1) as f64;
    let x = |d: i64| LEFT + (d - lo) as f64 / span * (W - LEFT - RIGHT);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h}" role="img" aria-labelledby="tl-title" class="timeline-chart"><title id="tl-title">项目节点:计划与实际</title>"##
    );
    let _ = write!(
        s,
        r##"<line x1="{l}" y1="{TOP}" x2="{r}" y2="{TOP}" stroke="#8c959f"/><text x="{l}" y="{ty}" font-size="11" fill="#59636e">{st}</text>"##,
        l = LEFT,
        r = W - RIGHT,
        ty = TOP - 8.0,
        st = esc(&start.1)
    );
    let tx = x(today.0);
    let _ = write!(
        s,
        r##"<line x1="{tx:.1}" y1="{y1}" x2="{tx:.1}" y2="{y2}" stroke="#0b5cad" stroke-dasharray="4 3"/><text x="{tx:.1}" y="{ty}" font-size="11" fill="#0b5cad" text-anchor="middle">今天 {t}</text>"##,
        y1 = TOP - 4.0,
        y2 = h - 20.0,
        ty = h - 6.0,
        t = esc(&today.1)
    );
    for (k, m) in marks.iter().enumerate() {
        let y = TOP + ROW * (k as f64 + 0.7);
        let colour = if m.missed { "#b42318" } else { "#1f2328" };
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ly:.1}" font-size="13" text-anchor="end" fill="{colour}">{n}</text>"##,
            lx = LEFT - 10.0,
            ly = y + 4.0,
            n = esc(&m.name)
        );
        let px = x(m.planned.0);
        if let Some((a, at)) = &m.actual {
            let ax = x(*a);
            let late = *a > m.planned.0;
            let stroke = if late { "#7d4e00" } else { "#1a7f37" };
            let _ = write!(
                s,
                r##"<line x1="{px:.1}" y1="{y:.1}" x2="{ax:.1}" y2="{y:.1}" stroke="{stroke}" stroke-width="3"/><circle cx="{ax:.1}" cy="{y:.1}" r="6" fill="{stroke}"><title>实际 {at}</title></circle><text x="{ax:.1}" y="{ty:.1}" font-size="10" fill="{stroke}" text-anchor="middle">实际 {at}</text>"##,
                ty = y + 17.0,
                at = esc(at)
            );
        }
        let fill = if m.missed { "#ffe2e0" } else { "#fff" };
        let _ = write!(
            s,
            r##"<circle cx="{px:.1}" cy="{y:.1}" r="6" fill="{fill}" stroke="{colour}" stroke-width="2"><title>计划 {p}</title></circle><text x="{px:.1}" y="{ty:.1}" font-size="10" fill="{colour}" text-anchor="middle">计划 {p}</text>"##,
            ty = y - 10.0,
            p = esc(&m.planned.1)
        );
    }
    s.push_str("</svg>");
    s
}

/// One month's investment: its label, planned and completed (万元), as
/// numbers for the scale and exact texts for the labels.
pub struct MonthBar {
    /// `2027-03`.
    pub month: String,
    /// Planned (value, text).
    pub planned: (f64, String),
    /// Completed and approved (value, text).
    pub completed: (f64, String),
}

/// Monthly investment as paired bars: planned (outlined) and completed
/// (filled), 万元.
pub fn investment_svg(bars: &[MonthBar]) -> String {
    const H: f64 = 220.0;
    const LEFT: f64 = 50.0;
    const BOTTOM: f64 = 40.0;
    const TOP: f64 = 20.0;
    let w = (LEFT + 20.0 + 46.0 * bars.len().max(1) as f64).max(360.0);
    let top = bars
        .iter()
        .map(|b| b.planned.0.max(b.completed.0))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let y = |v: f64| H - BOTTOM - v / top * (H - BOTTOM - TOP);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {H}" role="img" aria-labelledby="inv-title" class="investment-chart"><title id="inv-title">各月计划投资与完成投资(万元)</title><line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}" stroke="#8c959f"/>"##,
        b = H - BOTTOM,
        r = w - 10.0
    );
    for (k, bar) in bars.iter().enumerate() {
        let x0 = LEFT + 8.0 + 46.0 * k as f64;
        let (pv, pt) = &bar.planned;
        let (cv, ct) = &bar.completed;
        let _ = write!(
            s,
            r##"<rect x="{x0:.1}" y="{py:.1}" width="16" height="{ph:.1}" fill="#fff" stroke="#0b5cad"><title>{m} 计划 {pt} 万元</title></rect><rect x="{x1:.1}" y="{cy:.1}" width="16" height="{ch:.1}" fill="#1a7f37"><title>{m} 完成 {ct} 万元</title></rect><text x="{tx:.1}" y="{ly}" font-size="10" text-anchor="middle" fill="#59636e">{m}</text>"##,
            py = y(*pv),
            ph = (H - BOTTOM - y(*pv)).max(0.0),
            x1 = x0 + 18.0,
            cy = y(*cv),
            ch = (H - BOTTOM - y(*cv)).max(0.0),
            tx = x0 + 17.0,
            ly = H - BOTTOM + 14.0,
            m = esc(bar.month.get(2..).unwrap_or(&bar.month)),
            pt = esc(pt),
            ct = esc(ct)
        );
    }
    let _ = write!(
        s,
        r##"<rect x="{LEFT}" y="{ly}" width="12" height="10" fill="#fff" stroke="#0b5cad"/><text x="{l1}" y="{ty}" font-size="11">计划</text><rect x="{l2}" y="{ly}" width="12" height="10" fill="#1a7f37"/><text x="{l3}" y="{ty}" font-size="11">完成(已审核)</text>"##,
        ly = H - 16.0,
        ty = H - 7.0,
        l1 = LEFT + 16.0,
        l2 = LEFT + 60.0,
        l3 = LEFT + 76.0
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestones_show_plan_actual_and_a_missed_one() {
        let marks = vec![
            Mark {
                name: "开工".into(),
                planned: (100, "2027-03-02".into()),
                actual: Some((103, "2027-03-05".into())),
                missed: false,
            },
            Mark {
                name: "竣工<验收>".into(),
                planned: (200, "2027-06-30".into()),
                actual: None,
                missed: true,
            },
        ];
        let svg = milestones_svg(
            &marks,
            (50, "2027-01-31".into()),
            (210, "2027-07-10".into()),
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("实际 2027-03-05") && svg.contains("计划 2027-06-30"));
        assert!(svg.contains("竣工&lt;验收&gt;"), "escaped");
        assert!(svg.contains("#b42318"), "the missed one in red");
        assert!(svg.contains("今天 2027-07-10"));
    }

    #[test]
    fn investment_bars_carry_exact_labels() {
        let svg = investment_svg(&[MonthBar {
            month: "2027-01".into(),
            planned: (14.25, "14.25".into()),
            completed: (12.34, "12.34".into()),
        }]);
        assert!(svg.contains("计划 14.25 万元") && svg.contains("完成 12.34 万元"));
    }
}
