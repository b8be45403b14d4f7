//! What the service's test files share: the two backends. Every API test
//! runs on SQLite, and on PostgreSQL when `ANJU_TEST_PG_URL` is set (`.ci/run`
//! sets it; an unreachable database then fails the test, it is not skipped).
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use anju_store::Store;

/// Where a test's store lives.
pub enum Backend {
    /// A fresh SQLite file in the temporary directory.
    Sqlite,
    /// A fresh schema in the PostgreSQL database at this URL.
    Postgres(String),
}

impl Backend {
    /// PostgreSQL if `ANJU_TEST_PG_URL` is set.
    pub fn postgres() -> Option<Backend> {
        match std::env::var("ANJU_TEST_PG_URL") {
            Ok(url) => Some(Backend::Postgres(url)),
            Err(_) => {
                eprintln!(
                    "ANJU_TEST_PG_URL is not set: the PostgreSQL run is skipped here (.ci/run sets it)"
                );
                None
            }
        }
    }

    /// `sqlite` or `postgres`, as `/api/v1/health` says.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// A fresh, migrated store for the test `name`, and what drops it after.
    pub async fn fresh(&self, name: &str) -> (Store, Option<SchemaGuard>) {
        let (store, _, guard) = self.fresh_at(name).await;
        (store, guard)
    }

    /// Two stores — two pools, as two servers have — on one fresh database.
    pub async fn fresh_twice(&self, name: &str) -> (Store, Store, Option<SchemaGuard>) {
        let (first, at, guard) = self.fresh_at(name).await;
        let second = match (self, at) {
            (Backend::Sqlite, Some(path)) => Store::connect(&path).await.unwrap(),
            (Backend::Postgres(url), Some(schema)) => {
                Store::connect_postgres_schema(url, &schema).await.unwrap()
            }
            _ => unreachable!("fresh_at names its database"),
        };
        (first, second, guard)
    }

    /// A fresh store, where it is (the SQLite address or the PostgreSQL
    /// schema), and what drops it.
    async fn fresh_at(&self, name: &str) -> (Store, Option<String>, Option<SchemaGuard>) {
        let tag: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(24)
            .collect();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        match self {
            Backend::Sqlite => {
                let dir = std::env::temp_dir()
                    .join(format!("anju-server-{}-{tag}-{nanos}", std::process::id()));
                std::fs::create_dir_all(&dir).unwrap();
                let path = dir.join("anju.db");
                let address = format!("sqlite://{}", path.display());
                let store = Store::connect(&address).await.unwrap();
                (store, Some(address), None)
            }
            Backend::Postgres(url) => {
                drop_stale_schemas(url).await;
                let schema = format!("anju_api_{}_{nanos}_{tag}", std::process::id());
                let store = Store::connect_postgres_schema(url, &schema)
                    .await
                    .expect("PostgreSQL at ANJU_TEST_PG_URL");
                (store, Some(schema.clone()), Some(SchemaGuard { schema }))
            }
        }
    }
}

/// A test's PostgreSQL schema. It is not dropped when the test ends: a
/// blocking drop there would wait for the test's own pooled connections,
/// whose runtime it blocks. Instead each test process first drops the
/// schemas of test processes that are no longer running (and `.ci/run` drops
/// what is left at its end).
pub struct SchemaGuard {
    pub schema: String,
}

/// Drops `anju_api_<pid>_…` schemas of processes that have ended (once per
/// test process).
async fn drop_stale_schemas(url: &str) {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        let Ok(pool) = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(url).await else {
            return;
        };
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT schema_name::text FROM information_schema.schemata WHERE schema_name LIKE 'anju\\_api\\_%'",
        )
        .fetch_all(&pool)
        .await
        .unwrap_or_default();
        for name in names {
            let pid = name.split('_').nth(2).unwrap_or("");
            let alive = !pid.is_empty() && std::path::Path::new(&format!("/proc/{pid}")).exists();
            if !alive {
                let _ = Store::drop_postgres_schema(url, &name).await;
            }
        }
        pool.close().await;
    })
    .await;
}

/// Runs each named `async fn NAME(backend: Backend)` as two tests,
/// `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }
                #[tokio::test]
                async fn postgres() {
                    if let Some(b) = $crate::common::Backend::postgres() {
                        super::$name(b).await;
                    }
                }
            }
        )*
    };
}
