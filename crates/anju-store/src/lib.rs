//! anju-store: persistence of anju on SQLite (the embedded default) or
//! PostgreSQL (several servers side by side), chosen once by the database URL.
//! Owns the schema and its migrations per backend, and applies the reporting
//! workflow of `anju_core::workflow` to stored figures. It decides no domain
//! rule itself and reads no clock: the time of every change is a parameter.
//!
//! One SQL text serves both backends: queries are written with `?`
//! placeholders, which become `$1, $2, …` for PostgreSQL. Decimals are stored
//! as text, exactly, and added up in Rust, never in SQL.
//!
//! Error policy: [`StoreError`] says what went wrong in domain terms (not
//! found, a step the state does not allow, bad input) or wraps the database
//! error; the service maps them to 404 / 409 / 422 / 500.

mod adjustments;
mod audit;
mod bulk;
mod jobs;
mod migrate;
mod plans;
mod projects;
mod publications;
mod sessions;
mod supervision;
mod users;
mod values;
mod work;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use adjustments::NewAdjustment;
pub use anju_core::adjustments::{Adjustment, AdjustmentState, Decomposition};
pub use anju_core::records::{Figure, Observations, observations};
pub use audit::{AuditCheck, AuditEntry, AuditFilter, FigureMismatch, GENESIS};
pub use bulk::{AUDIT_BLOCK, Candidate, Imported, Selection};
pub use jobs::{ClaimedJob, JobEnd, JobRecord, JobRun};
pub use plans::{PlanFile, plan_hash};
pub use projects::{NewPhoto, NewProject, PhotoInfo, Progress, Project};
pub use publications::{NewPublication, Publication};
pub use sessions::{AccountLock, LiveSession, LoginOutcome, Session, new_token};
pub use supervision::NewItem as NewSupervision;
pub use users::{MAX_PASSWORD_BYTES, MIN_PASSWORD, UserRecord, hash_password, verify_password};
pub use values::{ApprovedFigure, Deadline, NewValue, Now, Scope, StoredValue, ValueFilter};
pub use work::{FileInfo, NewWorkItem, WorkItem, WorkReport};

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no backend anju knows (only its scheme is kept: the
    /// rest may hold a password).
    #[error("不支持的数据库地址“{0}…”(应为 sqlite://文件 或 postgres://…)")]
    BadUrl(String),
    /// A figure that does not exist.
    #[error("数据 {0} 不存在")]
    NotFound(i64),
    /// A step the state of a version does not allow (HTTP 409).
    #[error("数据 {id}:{message}")]
    Conflict {
        /// The version.
        id: i64,
        /// Why, in Chinese.
        message: String,
    },
    /// A step the state of a record does not allow, in words (HTTP 409).
    #[error("{0}")]
    State(String),
    /// A user that does not exist.
    #[error("用户“{0}”不存在")]
    NoSuchUser(String),
    /// A user name already taken (HTTP 409).
    #[error("用户名“{0}”已存在")]
    UserExists(String),
    /// A month published already, republished without a reason (HTTP 409).
    #[error("{0} 已发布;如需重新发布,请说明理由")]
    Published(String),
    /// Input the store cannot take (HTTP 422).
    #[error("{0}")]
    Invalid(String),
    /// The audit log holds a row the service did not write where its next
    /// entry goes: every write is refused until it is looked at (HTTP 503).
    #[error("{0}")]
    AuditBlocked(String),
    /// The database is busy with other writers beyond the wait allowed
    /// ([`BUSY_WAIT`]): nothing was changed; the client may retry (HTTP 503).
    #[error("系统正忙,请稍后重试")]
    Busy,
    /// The database itself.
    #[error("数据库错误:{0}")]
    Database(sqlx::Error),
}

/// How long a writer waits for the database's write lock (SQLite) or for a
/// pooled connection before it gives up with [`StoreError::Busy`].
pub const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl From<sqlx::Error> for StoreError {
    /// A database too busy to answer within [`BUSY_WAIT`] is [`StoreError::Busy`]:
    /// SQLite's `SQLITE_BUSY` and `SQLITE_LOCKED` (with their extended codes),
    /// PostgreSQL's `lock_not_available`, and no free connection in the pool.
    fn from(e: sqlx::Error) -> StoreError {
        let busy = match &e {
            sqlx::Error::PoolTimedOut => true,
            sqlx::Error::Database(d) => {
                if let Some(pg) = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                    pg.code() == "55P03"
                } else if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    // The primary code is the low byte of an extended one.
                    d.code()
                        .and_then(|c| c.parse::<i64>().ok())
                        .is_some_and(|n| matches!(n & 0xff, 5 | 6))
                } else {
                    false
                }
            }
            _ => false,
        };
        if busy {
            StoreError::Busy
        } else {
            StoreError::Database(e)
        }
    }
}

/// The store: one pool of one backend.
#[derive(Clone, Debug)]
pub enum Store {
    /// SQLite, in WAL mode.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// Runs the same body on whichever pool the store has (the SQL is the same;
/// the body is compiled once per backend).
macro_rules! on_pool {
    ($store:expr, |$pool:ident, $pg:ident| $body:expr) => {
        match $store {
            $crate::Store::Sqlite($pool) => {
                let $pg = false;
                $body
            }
            $crate::Store::Postgres($pool) => {
                let $pg = true;
                $body
            }
        }
    };
}
pub(crate) use on_pool;

/// A write transaction: on SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`), so two writers queue for the busy timeout instead of both
/// reading and one failing to upgrade its lock; the second then sees the
/// first's result. PostgreSQL orders writers by row locks.
macro_rules! write_tx {
    ($pool:ident, $pg:ident) => {
        if $pg {
            $pool.begin().await?
        } else {
            $pool.begin_with("BEGIN IMMEDIATE").await?
        }
    };
}
pub(crate) use write_tx;

/// A query text for the backend: `?` placeholders as PostgreSQL writes them
/// (`$1`, `$2`, …) when `pg`. Every text passed here is built from this
/// crate's constants, never from input, which is what `AssertSqlSafe` asserts.
pub(crate) fn sql(text: &str, pg: bool) -> sqlx::AssertSqlSafe<String> {
    if !pg {
        return sqlx::AssertSqlSafe(text.to_string());
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut n = 0;
    for c in text.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    sqlx::AssertSqlSafe(out)
}

/// Text the databases cannot both keep: PostgreSQL refuses the NUL character
/// in text, SQLite would keep it. Refused on both, naming the field.
pub(crate) fn plain_text(field: &str, text: &str) -> Result<(), StoreError> {
    if text.contains('\0') {
        Err(StoreError::Invalid(format!("{field}: 含有空字符(\\u0000)")))
    } else {
        Ok(())
    }
}

/// The longest reason or note a step, a correction, an adjustment or a
/// publication takes, in characters: a paragraph, not a file (each is kept
/// for ever, in its table and in the audit log).
pub const MAX_REASON_CHARS: usize = 2_000;

/// A reason or note: plain text, at most [`MAX_REASON_CHARS`] characters.
pub(crate) fn reason_text(field: &str, text: &str) -> Result<(), StoreError> {
    plain_text(field, text)?;
    let n = text.chars().count();
    if n > MAX_REASON_CHARS {
        Err(StoreError::Invalid(format!(
            "{field}: 过长(至多 {MAX_REASON_CHARS} 个字符,收到 {n} 个)"
        )))
    } else {
        Ok(())
    }
}

/// A PostgreSQL pool whose writers wait at most [`BUSY_WAIT`] for a row
/// lock (`lock_timeout`, then `lock_not_available`: [`StoreError::Busy`])
/// and for a free connection.
async fn postgres_pool(options: PgConnectOptions) -> Result<PgPool, StoreError> {
    let wait = format!("{}s", BUSY_WAIT.as_secs());
    Ok(PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(BUSY_WAIT * 2)
        .connect_with(options.options([("lock_timeout", wait.as_str())]))
        .await?)
}

/// PostgreSQL folds unquoted names to lower case: accept only names it keeps
/// as written, within its 63-byte limit.
fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let mut chars = schema.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && schema.len() <= 63;
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "模式名“{schema}”须以小写字母或下划线开头,只含小写字母、数字和下划线,至多 63 个字符"
        )))
    }
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…`
    /// and brings the schema up to date.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("anju-doc-{}.db", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let store = anju_store::Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    /// assert_eq!(store.backend(), "sqlite");
    /// assert!(store.migrate().await.unwrap().is_empty(), "connect has migrated already");
    /// # });
    /// ```
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = Store::open(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating (`anju migrate` reports what it applies).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = if let Some(path) = url.strip_prefix("sqlite://") {
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(BUSY_WAIT);
            Store::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(BUSY_WAIT * 2)
                    .connect_with(options)
                    .await?,
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Store::Postgres(postgres_pool(PgConnectOptions::from_str(url)?).await?)
        } else {
            let scheme = url.split_once(':').map_or("", |(s, _)| s);
            return Err(StoreError::BadUrl(format!("{scheme}:")));
        };
        Ok(store)
    }

    /// Connects to PostgreSQL with every table in `schema` (created if
    /// missing): one database can hold several independent stores (tests, or
    /// several plans).
    pub async fn connect_postgres_schema(url: &str, schema: &str) -> Result<Store, StoreError> {
        check_schema_name(schema)?;
        let admin = PgPoolOptions::new().max_connections(1).connect(url).await?;
        // `schema` is checked above to be letters, digits and underscores.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(&admin)
        .await?;
        admin.close().await;
        let options = PgConnectOptions::from_str(url)?.options([("search_path", schema)]);
        let store = Store::Postgres(postgres_pool(options).await?);
        store.migrate().await?;
        Ok(store)
    }

    /// Drops a schema made by `connect_postgres_schema`, with every table in
    /// it (tests clean up with it). A schema that is not there is no error.
    pub async fn drop_postgres_schema(url: &str, schema: &str) -> Result<(), StoreError> {
        check_schema_name(schema)?;
        let admin = PgPoolOptions::new().max_connections(1).connect(url).await?;
        // `schema` is checked to be letters, digits and underscores.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&admin)
        .await?;
        admin.close().await;
        Ok(())
    }

    /// Applies the migrations this database lacks; returns their names.
    pub async fn migrate(&self) -> Result<Vec<&'static str>, StoreError> {
        migrate::run(self).await
    }

    /// Copies a SQLite database, consistent as of one moment, to a new file
    /// at `to` while the service runs (`VACUUM INTO`); PostgreSQL has
    /// `pg_dump` for this (docs/OPERATIONS.md).
    pub async fn backup_sqlite(&self, to: &str) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => {
                sqlx::query("VACUUM INTO ?").bind(to).execute(pool).await?;
                Ok(())
            }
            Store::Postgres(_) => Err(StoreError::Invalid(
                "PostgreSQL 请用 pg_dump 备份(见 docs/OPERATIONS.md)".into(),
            )),
        }
    }

    /// Which backend: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }
}
