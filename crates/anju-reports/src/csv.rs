//! CSV as Excel and WPS open it: a cell quoted when it must be, and never
//! read as a formula (a cell starting `=`, `+`, `-`, `@`, a tab or a return
//! gets a leading `'`, OWASP's advice against CSV injection).

/// Appends one cell to a CSV line.
pub fn cell(out: &mut String, text: &str) {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&text);
    }
}

/// Appends a line of cells (and its line end).
pub fn line<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    for (k, c) in cells.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        cell(out, c.as_ref());
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::{cell, line};

    #[test]
    fn exported_cells_never_start_a_formula() {
        let cell = |t: &str| {
            let mut out = String::new();
            cell(&mut out, t);
            out
        };
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+cmd"), "'+cmd");
        assert_eq!(cell("@SUM(1)"), "'@SUM(1)");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("硖石街道"), "硖石街道");
        assert_eq!(cell("a,b"), "\"a,b\"");
        let mut out = String::new();
        line(&mut out, &["1", "a\nb", "=x"]);
        assert_eq!(out, "1,\"a\nb\",'=x\n");
    }
}
