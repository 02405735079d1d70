//! Database connections (SQLite or PostgreSQL from one URL), pool statistics and the
//! readiness probe.

use crate::statement_pool::PgStatementPool;
use async_trait::async_trait;
use domain::health::{DependencyProbe, ProbeResult};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, ExecResult, FromQueryResult, PaginatorTrait, QueryResult, QueryTrait,
    Select, Statement, TransactionTrait, Value,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, MutexGuard};

/// The connection pool the repositories share, with SQLite's writers queued in-process and
/// the list totals it has counted.
///
/// SQLite admits one writer at a time and makes the others sleep-poll for the lock (in
/// steps of up to 100 ms), which under a burst of writes turns into long tails. Writers
/// here wait their turn on an async mutex instead, while readers keep using the whole pool.
/// PostgreSQL locks rows itself and gets no gate.
#[derive(Clone)]
pub struct Db {
    conn: Connection,
    writers: Option<Arc<Mutex<()>>>,
    counts: Arc<CountCache>,
}

/// Where the repositories' statements run: transactions on SeaORM's pool; on PostgreSQL,
/// every statement outside one on a [`PgStatementPool`] of the same size, which gives
/// connections back without sqlx's round trip (see there).
#[derive(Clone)]
pub struct Connection {
    pool: DatabaseConnection,
    statements: Option<Arc<PgStatementPool>>,
}

impl Connection {
    pub fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }
}

#[async_trait]
impl ConnectionTrait for Connection {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match &self.statements {
            Some(direct) => direct.execute_raw(stmt).await,
            None => self.pool.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match &self.statements {
            Some(direct) => direct.execute_unprepared(sql).await,
            None => self.pool.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match &self.statements {
            Some(direct) => direct.query_one_raw(stmt).await,
            None => self.pool.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.statements {
            Some(direct) => direct.query_all_raw(stmt).await,
            None => self.pool.query_all_raw(stmt).await,
        }
    }
}

/// Held for the whole of a write (statement or transaction); never nest two. Dropping it
/// (after the write) marks every cached count as outdated.
pub struct WriteTurn<'a> {
    _gate: Option<MutexGuard<'a, ()>>,
    counts: Option<&'a CountCache>,
}

impl Drop for WriteTurn<'_> {
    fn drop(&mut self) {
        if let Some(counts) = self.counts {
            counts.writes.fetch_add(1, Ordering::Release);
        }
    }
}

/// A transaction begun in a writer turn ([`Db::transaction`]): the turn lasts until the
/// transaction commits, rolls back or is dropped (which rolls it back), so a transaction can
/// neither start without its turn nor outlive it. Statements run on `&*txn`.
pub struct WriteTxn<'a> {
    // Declared first: dropped (rolled back) before the turn is given up.
    txn: DatabaseTransaction,
    _turn: WriteTurn<'a>,
}

impl std::ops::Deref for WriteTxn<'_> {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn<'_> {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl Db {
    /// Takes the writer turn, then begins a transaction.
    pub async fn transaction(&self) -> Result<WriteTxn<'_>, DbErr> {
        let turn = self.write_turn().await;
        Ok(WriteTxn {
            txn: self.conn.pool.begin().await?,
            _turn: turn,
        })
    }

    /// [`Db::transaction`] for tables no list counts (see [`Db::write_turn_unlisted`]).
    pub async fn transaction_unlisted(&self) -> Result<WriteTxn<'_>, DbErr> {
        let turn = self.write_turn_unlisted().await;
        Ok(WriteTxn {
            txn: self.conn.pool.begin().await?,
            _turn: turn,
        })
    }

    /// On PostgreSQL, statements outside transactions get a [`PgStatementPool`] as large as
    /// `conn`'s pool, with its connect options (statement timeout included) and acquire
    /// timeout.
    pub fn new(conn: DatabaseConnection) -> Self {
        let backend = conn.get_database_backend();
        let writers = (backend == DbBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        let statements = (backend == DbBackend::Postgres).then(|| {
            let pool = conn.get_postgres_connection_pool();
            Arc::new(PgStatementPool::new(
                (*pool.connect_options()).clone(),
                pool.options().get_max_connections(),
                pool.options().get_acquire_timeout(),
            ))
        });
        Self {
            conn: Connection {
                pool: conn,
                statements,
            },
            writers,
            counts: Arc::new(CountCache::default()),
        }
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Like SeaORM's `DatabaseConnection::set_metric_callback`, for both pools: call it
    /// before cloning this `Db`.
    pub fn set_metric_callback<F>(&mut self, callback: F)
    where
        F: Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
    {
        let callback: crate::statement_pool::MetricCallback = Arc::new(callback);
        if let Some(direct) = &self.conn.statements {
            direct.set_metric_callback(callback.clone());
        }
        self.conn
            .pool
            .set_metric_callback(move |info| callback(info));
    }

    /// Connections `(open, idle)` of both pools, for the metrics.
    pub fn pool_usage(&self) -> (u32, usize) {
        let (open, idle) = pool_usage(&self.conn.pool);
        match &self.conn.statements {
            Some(direct) => {
                let (more_open, more_idle) = direct.usage();
                (open.saturating_add(more_open), idle + more_idle)
            }
            None => (open, idle),
        }
    }

    /// The rows of a list page (a query through [`Keyset::window`](crate::repositories)),
    /// read as `R`.
    ///
    /// On PostgreSQL a first page's (or a cursor page's) `LIMIT` and `OFFSET 0` are written
    /// into the SQL instead of sent as parameters. With parameters there, PostgreSQL cannot
    /// see that a generic plan would do and plans the statement again on every call, which
    /// costs more than running a first page; written in, one prepared statement per page
    /// size is planned once per connection. Deeper pages keep both parameters.
    pub async fn page_rows<R: FromQueryResult>(
        &self,
        query: &impl QueryTrait,
    ) -> Result<Vec<R>, DbErr> {
        let backend = self.conn.get_database_backend();
        let mut statement = query.build(backend);
        if backend == DbBackend::Postgres {
            statement = inline_page_bounds(statement);
        }
        R::find_by_statement(statement).all(&self.conn).await
    }

    /// Taken by every write through the repositories.
    pub async fn write_turn(&self) -> WriteTurn<'_> {
        WriteTurn {
            _gate: self.gate().await,
            counts: Some(&self.counts),
        }
    }

    /// For writes to tables no list counts (sessions, jobs), which therefore leave the
    /// cached totals alone: logins and the job worker's polling would outdate them all.
    pub async fn write_turn_unlisted(&self) -> WriteTurn<'_> {
        WriteTurn {
            _gate: self.gate().await,
            counts: None,
        }
    }

    async fn gate(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.writers {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }

    /// How many rows `select` matches: the total of a list page.
    ///
    /// Counting is most of what a list page costs the database (every matching row, against
    /// the page's twenty), so a large total (at least [`CountCache::EXACT_BELOW`]) is kept
    /// for up to [`CountCache::TTL`]. Any write through this instance outdates every kept
    /// total at once, so this instance's own writes show immediately; another instance's
    /// writes show within the TTL plus one count (an aged total answers while a background
    /// task counts again). Small totals are always counted exactly.
    pub async fn count<E>(&self, select: Select<E>) -> Result<u64, DbErr>
    where
        E: EntityTrait,
        E::Model: Send + Sync,
    {
        let key = select.build(self.conn.get_database_backend()).to_string();
        let writes = self.counts.writes.load(Ordering::Acquire);
        match self.counts.lookup(&key, writes) {
            Lookup::Fresh(total) | Lookup::Refreshing(total) => Ok(total),
            Lookup::Aged(total) => {
                // Recounted in the background: no request waits for a large count.
                let (conn, counts) = (self.conn.clone(), self.counts.clone());
                tokio::spawn(async move {
                    let counted = select.count(&conn).await;
                    counts.settle(key, counted.ok(), writes);
                });
                Ok(total)
            }
            Lookup::Miss => {
                let counted = select.count(&self.conn).await;
                self.counts
                    .settle(key, counted.as_ref().ok().copied(), writes);
                counted
            }
        }
    }
}

/// `statement` with each `LIMIT $n` not followed by a non-zero `OFFSET $m` written as
/// numbers (PostgreSQL's numbered placeholders). A deeper page keeps both parameters: its
/// offsets vary, and a plan made for the actual one beats a generic plan on skewed data
/// (a post with most of the comments). The values stay bound: PostgreSQL accepts typed
/// parameters a statement does not use, and the other placeholders keep their numbers.
fn inline_page_bounds(mut statement: Statement) -> Statement {
    const LIMIT: &str = " LIMIT ";
    const OFFSET: &str = " OFFSET ";
    let Some(values) = &statement.values else {
        return statement;
    };
    // The bound at the start of `text` (`$n`, n counted from 1), and the length of `$n`.
    let bound = |text: &str| -> Option<(u64, usize)> {
        let digits = text.strip_prefix('$')?;
        let len = digits.bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = digits[..len].parse().ok()?;
        match values.0.get(n.checked_sub(1)?)? {
            Value::BigUnsigned(Some(v)) => Some((*v, len + 1)),
            _ => None,
        }
    };
    let mut sql = String::with_capacity(statement.sql.len());
    let mut rest = statement.sql.as_str();
    while let Some(at) = rest.find(LIMIT) {
        let after_keyword = at + LIMIT.len();
        sql.push_str(&rest[..after_keyword]);
        rest = &rest[after_keyword..];
        let Some((limit, limit_len)) = bound(rest) else {
            continue;
        };
        let tail = &rest[limit_len..];
        let offset = tail.strip_prefix(OFFSET).map(|t| (t, bound(t)));
        match offset {
            None => {
                sql.push_str(&limit.to_string());
                rest = tail;
            }
            Some((after, Some((0, offset_len)))) => {
                sql.push_str(&format!("{limit}{OFFSET}0"));
                rest = &after[offset_len..];
            }
            Some(_) => {}
        }
    }
    sql.push_str(rest);
    statement.sql = sql;
    statement
}

/// What the cache has for a count.
enum Lookup {
    Fresh(u64),
    /// Past its TTL, and being counted again: the old total serves meanwhile (a thousand
    /// requests a second would otherwise all count at once each time it ages out).
    Refreshing(u64),
    /// Past its TTL: the caller starts the recount, and the old total serves meanwhile.
    Aged(u64),
    /// Nothing usable: count it now.
    Miss,
}

struct Entry {
    total: u64,
    writes: u64,
    at: Instant,
    refreshing_since: Option<Instant>,
}

/// List totals by the SQL that counts them.
#[derive(Default)]
pub struct CountCache {
    /// Writes completed through this instance; a total counted before the latest is stale.
    writes: AtomicU64,
    entries: std::sync::Mutex<HashMap<String, Entry>>,
}

impl CountCache {
    pub const TTL: Duration = Duration::from_secs(1);
    /// Totals below this are cheap to count and always exact.
    pub const EXACT_BELOW: u64 = 200;
    /// Distinct filters kept at most; past that the cache starts again.
    const MAX_ENTRIES: usize = 1024;
    /// A refresh that has not finished by then (its request went away) is someone else's.
    const REFRESH_GIVEN_UP: Duration = Duration::from_secs(5);

    fn lookup(&self, key: &str, writes: u64) -> Lookup {
        let Ok(mut entries) = self.entries.lock() else {
            return Lookup::Miss;
        };
        let Some(entry) = entries.get_mut(key) else {
            return Lookup::Miss;
        };
        if entry.writes != writes {
            // Outdated by a write here: everyone counts, so nobody sees the old total.
            return Lookup::Miss;
        }
        if entry.at.elapsed() < Self::TTL {
            return Lookup::Fresh(entry.total);
        }
        match entry.refreshing_since {
            Some(since) if since.elapsed() < Self::REFRESH_GIVEN_UP => {
                Lookup::Refreshing(entry.total)
            }
            _ => {
                entry.refreshing_since = Some(Instant::now());
                Lookup::Aged(entry.total)
            }
        }
    }

    /// Keeps a fresh count (stored against the writes seen before counting, so a write that
    /// completed meanwhile has already outdated it); a small or failed one is not kept.
    fn settle(&self, key: String, counted: Option<u64>, writes: u64) {
        match counted {
            Some(total) if total >= Self::EXACT_BELOW => self.put(key, total, writes),
            _ => self.forget(&key),
        }
    }

    fn put(&self, key: String, total: u64, writes: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::MAX_ENTRIES {
                entries.clear();
            }
            let entry = Entry {
                total,
                writes,
                at: Instant::now(),
                refreshing_since: None,
            };
            entries.insert(key, entry);
        }
    }

    /// The total fell below the threshold, or counting failed: nothing kept for it.
    fn forget(&self, key: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

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
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
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
    use crate::entities::products::{Column, Entity};
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};

    fn page_of_ids(offset: u64) -> Statement {
        let ids = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::Category.eq("grocery"))
            .limit(21)
            .offset(offset)
            .into_query();
        Entity::find()
            .filter(Column::Id.in_subquery(ids))
            .build(DbBackend::Postgres)
    }

    #[test]
    fn a_first_page_has_its_bounds_written_in() {
        let statement = inline_page_bounds(page_of_ids(0));
        assert!(
            statement
                .sql
                .contains(r#""category" = $1 LIMIT 21 OFFSET 0)"#),
            "{}",
            statement.sql
        );
        // The other placeholders keep their numbers and every value stays bound.
        assert_eq!(statement.values.map(|v| v.0.len()), Some(3));
    }

    #[test]
    fn a_deeper_page_keeps_its_parameters() {
        let statement = inline_page_bounds(page_of_ids(40));
        assert!(
            statement
                .sql
                .contains(r#""category" = $1 LIMIT $2 OFFSET $3)"#),
            "{}",
            statement.sql
        );
    }

    #[test]
    fn a_limit_without_offset_is_written_in() {
        let statement = inline_page_bounds(
            Entity::find()
                .filter(Column::Name.gt("m"))
                .limit(21)
                .build(DbBackend::Postgres),
        );
        assert!(
            statement.sql.ends_with(r#""name" > $1 LIMIT 21"#),
            "{}",
            statement.sql
        );
    }

    #[test]
    fn a_statement_without_bounds_is_left_alone() {
        let statement = Entity::find()
            .filter(Column::Name.eq(" LIMIT $1"))
            .build(DbBackend::Postgres);
        let sql = statement.sql.clone();
        assert_eq!(inline_page_bounds(statement).sql, sql);
    }

    #[test]
    fn an_aged_total_is_refreshed_by_one_request_while_the_others_use_it() {
        let cache = CountCache::default();
        cache.put("k".into(), 5000, 0);
        assert!(matches!(cache.lookup("k", 0), Lookup::Fresh(5000)));
        // A write here outdates it for everyone at once.
        assert!(matches!(cache.lookup("k", 1), Lookup::Miss));
        std::thread::sleep(CountCache::TTL + Duration::from_millis(20));
        // The first to see it aged starts the recount; meanwhile everyone keeps the old total.
        assert!(matches!(cache.lookup("k", 0), Lookup::Aged(5000)));
        assert!(matches!(cache.lookup("k", 0), Lookup::Refreshing(5000)));
        assert!(matches!(cache.lookup("k", 0), Lookup::Refreshing(5000)));
        assert!(matches!(cache.lookup("k", 1), Lookup::Miss));
        cache.put("k".into(), 5001, 0);
        assert!(matches!(cache.lookup("k", 0), Lookup::Fresh(5001)));
        cache.settle("k".into(), Some(10), 0);
        assert!(
            matches!(cache.lookup("k", 0), Lookup::Miss),
            "small totals are not kept"
        );
    }

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
