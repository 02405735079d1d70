//! Database connections (SQLite or PostgreSQL from one URL), pool statistics and the
//! readiness probe.

use async_trait::async_trait;
use domain::health::{DependencyProbe, ProbeResult};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, MutexGuard};

/// The connection pool the repositories share, with SQLite's writers queued in-process.
///
/// SQLite admits one writer at a time and makes the others sleep-poll for the lock (in
/// steps of up to 100 ms), which under a burst of writes turns into long tails. Writers
/// here wait their turn on an async mutex instead, while readers keep using the whole pool.
/// PostgreSQL locks rows itself and gets no gate.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    writers: Option<Arc<Mutex<()>>>,
}

impl Db {
    pub fn new(conn: DatabaseConnection) -> Self {
        let writers =
            (conn.get_database_backend() == DbBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Self { conn, writers }
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Held for the whole of a write (statement or transaction); never nest two.
    pub async fn write_turn(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.writers {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }
}

/// Opens a pool. For SQLite the file's folder is created and the connection tuned for
/// concurrent writers (WAL, a busy timeout instead of immediate `SQLITE_BUSY`).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        ensure_sqlite_dir(url)
            .map_err(|e| DbErr::Custom(format!("cannot create the database folder: {e}")))?;
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
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
            tracing::warn!("database readiness probe failed");
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
