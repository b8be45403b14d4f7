//! Aligned text tables for people: widths counted in terminal columns (a
//! Chinese character is two), long cells cut with an ellipsis, optional colour.

use std::io::Write;

use unicode_width::UnicodeWidthStr;

/// A table of text cells.
pub struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
    colours: Vec<Option<&'static str>>,
    max_width: usize,
}

/// ANSI colour of a status cell.
pub fn status_colour(light: anju_core::engine::Light) -> Option<&'static str> {
    use anju_core::engine::Light;
    match light {
        Light::Green => Some("32"),
        Light::Yellow => Some("33"),
        Light::Red => Some("31"),
        Light::None => None,
    }
}

impl Table {
    /// A table with these column heads.
    pub fn new(head: Vec<String>) -> Table {
        Table {
            head,
            rows: Vec::new(),
            colours: Vec::new(),
            max_width: 60,
        }
    }

    /// Adds a row.
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
        self.colours.push(None);
    }

    /// A row whose cell `status_col` is coloured.
    pub fn push_coloured(&mut self, row: Vec<String>, colour: Option<&'static str>) {
        self.rows.push(row);
        self.colours.push(colour);
    }

    fn cut(&self, s: &str) -> String {
        if s.width() <= self.max_width {
            return s.to_string();
        }
        let mut out = String::new();
        let mut w = 0;
        for c in s.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if w + cw > self.max_width - 1 {
                break;
            }
            out.push(c);
            w += cw;
        }
        out.push('…');
        out
    }

    /// Writes the table; `colour` paints the cells marked with a colour (the
    /// column named 状态).
    pub fn write(&self, out: &mut impl Write, colour: bool) -> std::io::Result<()> {
        let n = self.head.len();
        let status_col = self.head.iter().position(|h| h == "状态");
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(i, c)| if i + 1 == n { c.clone() } else { self.cut(c) })
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = self.head.iter().map(|h| h.width()).collect();
        for r in &cells {
            for (i, c) in r.iter().enumerate().take(n.saturating_sub(1)) {
                widths[i] = widths[i].max(c.width());
            }
        }
        let line = |out: &mut dyn Write,
                    r: &[String],
                    paint: Option<&str>|
         -> std::io::Result<()> {
            let mut s = String::new();
            for (i, c) in r.iter().enumerate().take(n) {
                let pad = widths[i].saturating_sub(c.width());
                let last = i + 1 == n;
                match (paint, Some(i) == status_col) {
                    (Some(code), true) if colour => s.push_str(&format!("\x1b[{code}m{c}\x1b[0m")),
                    _ => s.push_str(c),
                }
                if !last {
                    s.push_str(&" ".repeat(pad + 2));
                }
            }
            writeln!(out, "{}", s.trim_end())
        };
        line(out, &self.head, None)?;
        let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
        line(out, &rule, None)?;
        for (r, c) in cells.iter().zip(&self.colours) {
            line(out, r, *c)?;
        }
        Ok(())
    }
}
