//! Data generators, kept out of the pure core: [`demo`] makes the demo's
//! plausible figures and decomposition for a plan (`anju serve --demo`),
//! [`synth`] a synthetic province of any size with its decomposition and
//! monthly figures (`anju gen`, the benchmarks, the tests at scale).
//! Deterministic: the same input gives the same bytes.

pub mod demo;
pub mod synth;
