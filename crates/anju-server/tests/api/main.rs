#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::disallowed_methods
)]
//! The service end to end, one binary: the API route by route
//! (`routes/`, a file per route), the pages, the hardening probes, the job
//! runner and figures in bulk, all through one `TestApp` (`app.rs`), each
//! storage test on SQLite and on PostgreSQL.

#[macro_use]
mod common;
mod app;
mod bulk;
mod hardening;
mod jobs;
mod openapi;
mod routes;

pub(crate) use app::TestApp;

/// What every test file uses.
mod prelude {
    pub(crate) use std::sync::Arc;

    pub(crate) use anju_server::{AppState, router};
    pub(crate) use axum::body::Body;
    pub(crate) use axum::http::{Request, StatusCode};
    pub(crate) use http_body_util::BodyExt;
    pub(crate) use serde_json::Value;
    pub(crate) use tower::ServiceExt;

    pub(crate) use crate::app::*;
    pub(crate) use crate::common::Backend;
}
