//! The service's operations, callable without an HTTP request: by the API's
//! handlers and the pages (its two presenters), and by the job runner. Each
//! takes the acting user as the permission table sees them and typed input,
//! and returns domain types; the API writes them as JSON, the pages as HTML.
//!
//! Every operation answers with one error type, [`Error`].
//!
//! What lives here: the evaluation (typed rows, kept per revision); figures
//! (entered, submitted, approved or returned, corrected; imported and
//! approved in bulk; the template); targets (in force, adjustments proposed
//! and decided, decompositions); publications (publishing a month, its rows
//! read back); accounts; the audit log (read, verified, exported). The
//! API's handlers in `api/` and the pages in `web/` present them; the
//! command line calls the same operations.

pub mod audit;
mod error;
pub mod evaluation;
pub mod figures;
mod lists;
pub mod projects;
pub mod publications;
pub mod supervision;
pub mod targets;
pub mod users;
pub mod work;

pub use error::{Error, FileProblem};
