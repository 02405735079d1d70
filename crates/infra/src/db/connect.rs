//! Opening the pools, their statistics, and the readiness probe.

use async_trait::async_trait;
use domain::health::{DependencyProbe, ProbeResult};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};
use std::time::{Duration, Instant};

/// Opens a pool. For SQLite the file's folder is created and the connection tuned for
/// concurrent writers (WAL, a busy timeout instead of immediate `SQLITE_BUSY`).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, max_connections, None).await
}

/// The service's pool: like [`connect`], and with `timeout` bounding both the wait for a
/// free connection and (PostgreSQL) each statement, so a pool held by slow queries answers
/// `503` after `timeout` instead of queueing requests without bound. Migrations connect
/// without it: an index build may rightly take longer.
pub async fn connect_service(
    url: &str,
    max_connections: u32,
    timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    // On PostgreSQL, `Db` opens a statement pool as large as this one beside it: half the
    // budget each (rounded down, at least one).
    let size = if url.starts_with("sqlite:") {
        max_connections
    } else {
        (max_connections / 2).max(1)
    };
    connect_with(url, size, Some(timeout)).await
}

async fn connect_with(
    url: &str,
    max_connections: u32,
    timeout: Option<Duration>,
) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        ensure_sqlite_dir(url)
            .map_err(|e| DbErr::Custom(format!("cannot create the database folder: {e}")))?;
    }
    let service = timeout.is_some();
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(timeout.unwrap_or(Duration::from_secs(5)))
        // sqlx pings every connection before handing it out unless told otherwise: a round
        // trip per query. Only a connection idle for a while (more likely dropped by the
        // server or a proxy) is pinged; a busy one that died fails its query (503) and the
        // pool replaces it.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // The service's writes leave checkpoints to `Db`'s checkpointer
                // (`checkpoint.rs`), off the writer's path; other connections (migrations,
                // the CLI) keep SQLite's own, every 1000 pages.
                .pragma("wal_autocheckpoint", if service { "0" } else { "1000" })
        });
    if let Some(timeout) = timeout {
        let millis = timeout.as_millis().to_string();
        // Cancelled statements fail with SQLSTATE 57014, which is answered as 503.
        opts.map_sqlx_postgres_opts(move |o| o.options([("statement_timeout", millis.as_str())]));
    }
    Database::connect(opts).await
}

fn ensure_sqlite_dir(url: &str) -> std::io::Result<()> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return Ok(());
    }
    match std::path::Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
        _ => Ok(()),
    }
}

/// Connections of the pool: `(open, idle)`.
pub fn pool_usage(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    }
}

/// Readiness of the database: a round trip, bounded by a timeout.
pub struct DatabaseProbe {
    db: DatabaseConnection,
    timeout: Duration,
}

impl DatabaseProbe {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            timeout: Duration::from_secs(2),
        }
    }
}

#[async_trait]
impl DependencyProbe for DatabaseProbe {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn probe(&self) -> ProbeResult {
        let started = Instant::now();
        let ok = matches!(
            tokio::time::timeout(self.timeout, self.db.ping()).await,
            Ok(Ok(()))
        );
        if !ok {
            // Not a WARN: probes run every 250 ms during an outage, which `outage` logs once.
            tracing::debug!("database readiness probe failed");
        }
        ProbeResult {
            ok,
            latency: started.elapsed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_folder_is_created_and_probe_answers() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}/nested/db.sqlite?mode=rwc",
            dir.path().display()
        );
        let db = connect(&url, 2).await.unwrap();
        assert!(dir.path().join("nested").is_dir());
        let result = DatabaseProbe::new(db.clone()).probe().await;
        assert!(result.ok);
        let (open, _) = pool_usage(&db);
        assert!(open >= 1);
    }
}
