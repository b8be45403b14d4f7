#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::disallowed_methods
)]
//! The core's integration tests, one binary: the evaluation rules one by
//! one (`engine`), aggregation invariants for any figures (`props`), and
//! reading block by block against reading whole (`stream`).

mod engine;
mod props;
mod stream;
