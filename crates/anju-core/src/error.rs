//! Error policy of anju.
//!
//! - The core and the storage return typed errors (`thiserror`), one enum per
//!   concern: [`crate::plan::PlanErrors`] for plan files,
//!   [`crate::input::InputErrors`] for figures, [`crate::period::PeriodError`],
//!   [`crate::num::NumberError`]. Their `Display` is Chinese, for the user, and
//!   names the place: file, line, field.
//! - Bad input is never a panic: library crates deny `unwrap`, `expect` and
//!   `panic!` (workspace lints); tests may use them.
//! - A few small parsers (`input::decode`, `plan::Target::parse`) return a
//!   `String` message; their one caller always wraps it into one of the types
//!   above with the file, line and field it belongs to.
//! - Input errors are collected, not returned at the first one: a user fixes
//!   the whole file in one go.
//! - `anyhow` is used only at the edges (the `anju` binary), which turn errors
//!   into a non-zero exit code and a message on standard error.

use std::fmt;

/// Writes a list of errors one a line (the `Display` of every error list).
pub(crate) fn write_lines<E: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    errors: &[E],
) -> fmt::Result {
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            writeln!(f)?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}
