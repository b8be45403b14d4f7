//! The service's operations, callable without an HTTP request: by the API's
//! handlers and the pages (its two presenters), and by the job runner. Each
//! takes the acting user as the permission table sees them and typed input,
//! and returns domain types; the API writes them as JSON, the pages as HTML.
//!
//! What lives here so far: the evaluation (typed rows, kept per revision),
//! figures in bulk (an import, a bulk approval), the targets in force, and
//! the rows of a published month. The figures, targets, publications,
//! users and audit operations move here from the handlers next.

pub mod evaluation;
pub mod figures;
pub mod publications;
pub mod targets;
