//! The JSON API's handlers: each takes the request apart (the caller, the
//! path, the query, the body), asks the permission table and the service's
//! operations, and writes the answer. The routes are in `lib.rs`, the
//! OpenAPI document from the handlers' annotations.

pub(crate) mod audit;
pub(crate) mod exports;
pub(crate) mod imports;
pub(crate) mod projects;
pub(crate) mod publications;
pub(crate) mod security;
pub(crate) mod supervision;
pub(crate) mod targets;
pub(crate) mod users;
pub(crate) mod values;
pub(crate) mod work;
