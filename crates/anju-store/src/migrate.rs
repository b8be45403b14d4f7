//! Migrations, embedded in the binary, one list per backend. Each runs in a
//! transaction and is recorded in `anju_migrations`; on PostgreSQL an
//! advisory lock keeps servers that start together from migrating twice.

use crate::{Store, StoreError, on_pool, sql};

/// (name, SQL) in order.
type Migrations = &'static [(&'static str, &'static str)];

const SQLITE: Migrations = &[
    (
        "0001_values",
        include_str!("../migrations/sqlite/0001_values.sql"),
    ),
    (
        "0002_users",
        include_str!("../migrations/sqlite/0002_users.sql"),
    ),
    (
        "0003_sessions",
        include_str!("../migrations/sqlite/0003_sessions.sql"),
    ),
    (
        "0004_revision",
        include_str!("../migrations/sqlite/0004_revision.sql"),
    ),
    (
        "0005_plans",
        include_str!("../migrations/sqlite/0005_plans.sql"),
    ),
    (
        "0006_changes",
        include_str!("../migrations/sqlite/0006_changes.sql"),
    ),
    (
        "0007_audit",
        include_str!("../migrations/sqlite/0007_audit.sql"),
    ),
    (
        "0008_publications",
        include_str!("../migrations/sqlite/0008_publications.sql"),
    ),
    (
        "0009_target_adjustments",
        include_str!("../migrations/sqlite/0009_target_adjustments.sql"),
    ),
    (
        "0010_decompositions",
        include_str!("../migrations/sqlite/0010_decompositions.sql"),
    ),
    (
        "0011_live_versions",
        include_str!("../migrations/sqlite/0011_live_versions.sql"),
    ),
    (
        "0012_login_addresses",
        include_str!("../migrations/sqlite/0012_login_addresses.sql"),
    ),
    (
        "0013_three_administrators",
        include_str!("../migrations/sqlite/0013_three_administrators.sql"),
    ),
    (
        "0014_jobs",
        include_str!("../migrations/sqlite/0014_jobs.sql"),
    ),
    (
        "0015_month_safeguards",
        include_str!("../migrations/sqlite/0015_month_safeguards.sql"),
    ),
    (
        "0016_supervision",
        include_str!("../migrations/sqlite/0016_supervision.sql"),
    ),
    (
        "0017_projects",
        include_str!("../migrations/sqlite/0017_projects.sql"),
    ),
    (
        "0018_work_items",
        include_str!("../migrations/sqlite/0018_work_items.sql"),
    ),
    (
        "0019_dispatch_files",
        include_str!("../migrations/sqlite/0019_dispatch_files.sql"),
    ),
];
const POSTGRES: Migrations = &[
    (
        "0001_values",
        include_str!("../migrations/postgres/0001_values.sql"),
    ),
    (
        "0002_users",
        include_str!("../migrations/postgres/0002_users.sql"),
    ),
    (
        "0003_sessions",
        include_str!("../migrations/postgres/0003_sessions.sql"),
    ),
    (
        "0004_revision",
        include_str!("../migrations/postgres/0004_revision.sql"),
    ),
    (
        "0005_plans",
        include_str!("../migrations/postgres/0005_plans.sql"),
    ),
    (
        "0006_changes",
        include_str!("../migrations/postgres/0006_changes.sql"),
    ),
    (
        "0007_audit",
        include_str!("../migrations/postgres/0007_audit.sql"),
    ),
    (
        "0008_publications",
        include_str!("../migrations/postgres/0008_publications.sql"),
    ),
    (
        "0009_target_adjustments",
        include_str!("../migrations/postgres/0009_target_adjustments.sql"),
    ),
    (
        "0010_decompositions",
        include_str!("../migrations/postgres/0010_decompositions.sql"),
    ),
    (
        "0011_live_versions",
        include_str!("../migrations/postgres/0011_live_versions.sql"),
    ),
    (
        "0012_login_addresses",
        include_str!("../migrations/postgres/0012_login_addresses.sql"),
    ),
    (
        "0013_three_administrators",
        include_str!("../migrations/postgres/0013_three_administrators.sql"),
    ),
    (
        "0014_jobs",
        include_str!("../migrations/postgres/0014_jobs.sql"),
    ),
    (
        "0015_month_safeguards",
        include_str!("../migrations/postgres/0015_month_safeguards.sql"),
    ),
    (
        "0016_supervision",
        include_str!("../migrations/postgres/0016_supervision.sql"),
    ),
    (
        "0017_projects",
        include_str!("../migrations/postgres/0017_projects.sql"),
    ),
    (
        "0018_work_items",
        include_str!("../migrations/postgres/0018_work_items.sql"),
    ),
    (
        "0019_dispatch_files",
        include_str!("../migrations/postgres/0019_dispatch_files.sql"),
    ),
];

/// A number for `pg_advisory_xact_lock`: "anju" in ASCII.
const LOCK: i64 = 0x616e_6a75;

pub(crate) async fn run(store: &Store) -> Result<Vec<&'static str>, StoreError> {
    on_pool!(store, |pool, pg| {
        let list = if pg { POSTGRES } else { SQLITE };
        // SQLite: take the write lock at once, so a second process waits and
        // then finds the migrations done.
        let mut tx = if pg {
            pool.begin().await?
        } else {
            pool.begin_with("BEGIN IMMEDIATE").await?
        };
        if pg {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(LOCK)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("CREATE TABLE IF NOT EXISTS anju_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")
            .execute(&mut *tx)
            .await?;
        let done: Vec<String> = sqlx::query_scalar("SELECT name FROM anju_migrations")
            .fetch_all(&mut *tx)
            .await?;
        let mut applied = Vec::new();
        for (name, text) in list {
            if done.iter().any(|d| d == name) {
                continue;
            }
            sqlx::raw_sql(*text).execute(&mut *tx).await?;
            sqlx::query(sql("INSERT INTO anju_migrations (name) VALUES (?)", pg))
                .bind(*name)
                .execute(&mut *tx)
                .await?;
            applied.push(*name);
        }
        tx.commit().await?;
        Ok(applied)
    })
}
