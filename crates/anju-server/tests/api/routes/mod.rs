//! The tests of each route, one file per route of the API (and the pages).

mod audit;
mod evaluation;
mod health;
mod imports;
mod pages;
mod permissions;
mod plan;
mod projects;
mod publications;
mod sessions;
mod supervision;
mod targets;
mod users;
mod values;
mod work;
