//! anju-core: the pure heart of anju. The plan model, indicator kinds, periods,
//! exact numbers, reading figures, evaluation, ranking and validation.
//!
//! It does no I/O, reads no clock and runs no async code: every function takes
//! its inputs (texts, bytes, the as-of month) as parameters. `cargo tree -p
//! anju-core` proves it: no tokio, no database, no web framework.

pub mod access;
pub mod adjustments;
pub mod airing;
pub mod auth;
pub mod engine;
pub mod entries;
pub mod error;
pub mod input;
pub mod num;
pub mod period;
pub mod plan;
pub mod projects;
pub mod records;
pub mod supervision;
pub mod targets;
pub mod validate;
pub mod values;
pub mod work;
pub mod workflow;

/// The built-in plan: Haining's 2023–2027 plan (`plans/haining-2023-2027.toml`).
pub const BUILTIN_PLAN: &str = include_str!("../../../plans/haining-2023-2027.toml");
/// The name the built-in plan goes by in messages.
pub const BUILTIN_PLAN_NAME: &str = "plans/haining-2023-2027.toml";

/// Loads the built-in plan.
pub fn builtin_plan() -> Result<plan::Plan, plan::PlanErrors> {
    plan::load(BUILTIN_PLAN_NAME, BUILTIN_PLAN)
}
