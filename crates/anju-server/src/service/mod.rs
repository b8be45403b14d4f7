//! The service's operations, callable without an HTTP request: by the API's
//! handlers and the pages (its two presenters), and by the job runner. Each
//! takes the acting user as the permission table sees them and typed input,
//! and returns domain types; the API writes them as JSON, the pages as HTML.
//!
//! Every operation answers with one error type, [`Error`].
//!
//! What lives here so far: the evaluation (typed rows, kept per revision),
//! figures (entered, submitted, approved or returned, corrected; imported
//! and approved in bulk; the template), the targets in force, and the rows
//! of a published month, and accounts. The targets' proposals and
//! decisions, publishing and the audit log's reading move here next.

mod error;
pub mod evaluation;
pub mod figures;
pub mod publications;
pub mod targets;
pub mod users;

pub use error::{Error, FileProblem};
