//! The data-access kit: the [`Db`] every repository holds, and what makes its reads and
//! writes cheap. Also the connections (SQLite or PostgreSQL from one URL), pool statistics
//! and the readiness probe.
//!
//! A fork can keep the surface below and drop any part of the machinery behind it: each
//! part says what it bought, as measured (in brackets, the commit whose message, or README
//! or comment, gives the figure and how it was taken), and where it is turned off. A part
//! no commit measured says "not measured", beside the commit that added it. Only the
//! principal cache has a setting; each other part is one place in the code.
//!
//! # The surface (everything a repository can reach)
//!
//! The machinery sits in private modules below; this list is all a repository can name, so
//! a list cannot skip the count rule or build its own page again.
//!
//! Writes, each in SQLite's writer turn; all but the unlisted ones outdate the kept totals:
//! - [`Db::write`]: one insert, update or delete; the number of rows it changed.
//! - [`Db::write_one`]: the same, reading one row back (`INSERT … RETURNING`).
//! - [`Db::transaction`]: a [`WriteTxn`] that holds the turn until it commits, rolls back
//!   or is dropped (which rolls it back); its statements run on `&*txn`.
//! - [`Db::write_unlisted`], [`Db::write_rows_unlisted`], [`Db::transaction_unlisted`]: the
//!   same for tables no list counts (sessions, jobs), which leave the kept totals alone.
//! - [`update_versioned`], [`delete_versioned`] (for a [`Versioned`] table): row `id`
//!   updated or deleted, only while its `updated_at` is the expected version (if any); else
//!   `NotFound` or `Stale` ([`missing_or_stale`] tells them apart).
//!
//! Reads:
//! - [`list`]`(db, listing, page, key, convert)`: the one list path. A [`Listing`] states
//!   the rows (`rows`: filtered, no joins), how a page shows them (`listed`, `all`), its
//!   order and `ids_first`; `list` decides where the page starts, reads it, gets the total
//!   and makes the cursor. [`Listing::of`]`(select, order)` is a one-table list.
//! - [`Keyset::asc`], [`Keyset::desc`], [`Keyset::newest_first`]: a list's order, over
//!   [`Key::col`] and [`Key::lower`] (case-insensitive) parts, the id last so the order is
//!   total.
//! - [`any_contains`]: the condition for `q`, a case-insensitive substring in any of the
//!   columns (SQLite's FTS5 trigram index from 3 characters, else `LIKE`).
//! - [`Db::find_by_id`]: a row by primary key. [`Db::one_kept`]: one row by a
//!   repository's own statement, under a name. Both keep their SQL text (below).
//! - [`Db::conn`]: a SeaORM [`ConnectionTrait`] for any other read, in plain SeaORM.
//! - [`one`], [`all`]: the first row or every row of any select, on the pool or in a
//!   transaction, read as a [`FromRow`] type.
//! - [`FromRow`] (`from_row!`, [`Columns`], [`Readable`]): how `list`, the kept reads,
//!   [`one`] and `write_one` read a row; each row type has one, beside its entity.
//!
//! Errors: [`DbResultExt::db_err`] and [`map_db_err`] (a SeaORM failure as the ports
//! report it: conflict, not found, unavailable or unexpected), [`corrupt`] (a stored value
//! the domain refuses).
//!
//! Start-up's: [`connect`], [`connect_service`], [`Db::new`], [`Db::set_metric_callback`],
//! [`Db::pool_usage`], [`pool_usage`], [`DatabaseProbe`], [`PgStatementPool`]. The
//! sessions': [`PrincipalCache`]. Tests': [`CountCache::TTL`], [`CountCache::EXACT_BELOW`].
//!
//! Counting, anchors and a page's rows (`Db::count`, `Db::anchors`, `Db::page_rows`) and
//! the keyset's steps are private to this module: [`list`] is their only caller.
//!
//! # What each part buys, and how to turn it off
//!
//! - **Writer gate (SQLite).** SQLite admits one writer and makes the others sleep-poll for
//!   the lock, up to 100 ms a try; here they queue on an async mutex and readers keep the
//!   pool. Before it, `make bench` showed "stock changes on one hot row missing p99
//!   (115 ms)" (e347381); the figure after it was not recorded. Off: in [`Db::new`], leave
//!   `writers` at `None`; writers then wait in SQLite's busy handler (`busy_timeout` 10 s,
//!   `connect.rs`). Keep writing through [`Db::write`]: it also outdates the kept totals.
//! - **Checkpoints off the writer's path (SQLite, `checkpoint.rs`).** SQLite checkpoints
//!   inside the commit that takes the WAL past 1000 pages, and every writer queued at the
//!   gate waits for it; here a task checkpoints after every 64 writes while writers go on,
//!   (and once writes pause), and starts the WAL over (under the gate) past 64 MiB. Post
//!   create at c=32: p99 85-87 ms -> 11-13 ms, 4.1-4.3k -> 4.5-4.6k req/s, WAL file
//!   171 -> 71 MB (`checkpoint.rs`).
//!   Off: in [`Db::new`], leave `checkpoints` at `None` and drop the `wal_autocheckpoint`
//!   pragma in `connect.rs`.
//! - **Kept totals (`Db::count`, `count_cache.rs`, `kept.rs`).** Counting is most of a
//!   list page's cost to the database: 1.7 ms against the page's 0.05 ms for 10k products
//!   on PostgreSQL (README, 18838cd). A total of [`CountCache::EXACT_BELOW`] (200) rows or
//!   more is kept for [`CountCache::TTL`] (1 s), outdated by any write through this `Db`
//!   but the unlisted ones; an aged one answers while one background count replaces it; a
//!   missing one is counted by one request per key while the others wait. That rule and
//!   the anchors' limit below, at 1M products on PostgreSQL: random offset 4.4 -> 6501
//!   req/s, p99 5000 -> 14.9 ms (35e366f). Kept by statement and values, not by the SQL
//!   rendered with its values: the rendering was 3 % of a list page (921f9a8). A page
//!   holding the list's end reads its total off its rows and runs no COUNT: searches at
//!   10k rows, products 5231 -> 6675 req/s (p99 24 -> 21 ms), posts 4554 -> 6522 (p99
//!   18 -> 19 ms), one run each (README, 40ce4c6). The cache alone (d711c7f): not
//!   measured. Off: in `total_of` (`db/list.rs`), count with SeaORM,
//!   `select.count(db.conn())`; drop its `total_if_last` match to count every page too.
//! - **Anchors for deep offsets (`Db::anchors`, `Keyset::start`).** A page at an offset
//!   of 100 or more seeks to the kept anchor below it (the key of every 100th row, up to
//!   1000) and skips fewer than 100 rows, instead of walking every row before it.
//!   Unvacuumed 10k products at a random offset: PostgreSQL CPU 1.7 ms -> 0.4 ms per page,
//!   1025 -> 2845 req/s (35cb81a). The anchors' own statement, limited to the rows they
//!   reach: EXPLAIN ANALYZE 562 ms -> 57 ms at 1M rows (35e366f). Off: make
//!   `Keyset::start` return `Ok(Start::of(page))`; pages then skip with a plain `OFFSET`.
//! - **Ids first (`Keyset::ids_first`, `Listing::ids_first`).** A page that skips rows
//!   (and every page of a `Listing` with `ids_first`: posts on SQLite) picks its ids
//!   first, through an index where one covers the order, then reads only those rows with
//!   their joins. A skip under 100 rows is taken from the nearest 100 + page rows, a
//!   number written into the SQL, so PostgreSQL plans it once per connection instead of
//!   on each call (0.3-1 ms): unvacuumed products at a random offset 2845 -> 8395 req/s,
//!   comments 3244 -> 5688 (8deb13c). Ids first itself (d711c7f): not measured. Off: in
//!   `list`, always read `order.window(listed, &start, &page)`; a deep page then skips
//!   whole rows, joins included.
//! - **Page bounds in the SQL (PostgreSQL, `page_bounds.rs`).** A first or cursor page's
//!   `LIMIT` and `OFFSET 0` are written into the text, so one prepared statement per page
//!   size is planned once per connection; sent as parameters, it was planned on every
//!   call. Not measured (81466f2). Off: drop the `inline_page_bounds` call in
//!   `Db::page_rows`.
//! - **Kept SQL texts ([`Db::find_by_id`], [`Db::one_kept`], `sql_texts.rs`).** SeaORM
//!   builds a statement's SQL on every call; these build it once and bind each call's
//!   values. Building was "a fifth of the instructions a whole request cost the server
//!   (callgrind, product by id)" (6ce0e78, in `sql_texts.rs`); a post's view through
//!   `one_kept`: post create 262k -> 189k instructions per request (d576700). Off:
//!   `E::find_by_id(id).one(db.conn())`, and `one_kept`'s statement built and run on
//!   `db.conn()` at each call.
//! - **Statement pool (PostgreSQL, [`PgStatementPool`]).** Statements outside transactions
//!   skip sqlx's ping of every connection handed back, a second round trip each: product
//!   by id about 6.1k -> 8.7–10.1k req/s, PostgreSQL CPU per request 106 -> 64 µs
//!   (`wrk -c32`, two cores; ae8a06f, in `statement_pool.rs`). It also sends a search
//!   unnamed, so each pattern gets its own plan: with the `pg_trgm` indexes of the same
//!   commit, 10k products 558 -> 5231 req/s (p99 84 -> 24 ms), posts 871 -> 4554 (p99
//!   70 -> 18 ms) (9f82568). Off: in [`Db::new`], leave `statements` at `None`, and in
//!   [`connect_service`] give SeaORM's pool all of `DB_MAX_CONNECTIONS` (it takes half on
//!   PostgreSQL). Searches then run as named statements, which may settle on one plan.
//! - **Principal cache ([`PrincipalCache`]).** A signed-in request's session
//!   and user (one query) are remembered for `SESSION_CACHE_SECS` (5 s), not read on every
//!   request; revocations and account writes make it forget at once, here and, through
//!   Redis, on every instance. Not measured (bc5e7ef). Off: `SESSION_CACHE_SECS=0` (a TTL
//!   of zero keeps nothing).
//! - **Rows read by position ([`FromRow`], `rows.rs`).** Each column is the row's next,
//!   its name compared as a string; its type is checked on a result's first row only on
//!   PostgreSQL (on every row on SQLite). SeaORM's by-name reader with sqlx's per-value
//!   type check was "a fifth of a comments page's instructions" (9ff3417); after: not
//!   measured. Off: no switch, as `list`, the kept reads and `write_one` read rows this
//!   way; a read that wants SeaORM's `FromQueryResult` runs on [`Db::conn`].

mod anchors;
mod checkpoint;
mod connect;
mod count_cache;
mod errors;
mod kept;
mod list;
mod page_bounds;
mod principal_cache;
mod rows;
mod search;
mod sql_texts;
mod statement_pool;
mod versioned;

use async_trait::async_trait;
use checkpoint::Checkpointer;
pub use connect::{DatabaseProbe, connect, connect_service, pool_usage};
pub use count_cache::CountCache;
pub use errors::{DbResultExt, corrupt, map_db_err};
pub use list::{Key, Keyset, Listing, list};
use page_bounds::inline_page_bounds;
pub use principal_cache::{PrincipalCache, Ticket};
pub use rows::{Columns, FromRow, Readable, all, one};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    ExecResult, PrimaryKeyTrait, QueryResult, QueryTrait, Statement, TransactionTrait, Value,
};
pub use search::any_contains;
use sql_texts::{SqlKey, SqlTexts};
pub use statement_pool::PgStatementPool;
use std::any::TypeId;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::{Mutex, MutexGuard};
use tracing::Instrument;
use uuid::Uuid;
pub use versioned::{Versioned, delete_versioned, missing_or_stale, update_versioned};

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
    /// SQLite: the WAL's checkpoints, taken after writes, off their path.
    checkpoints: Option<Arc<Checkpointer>>,
    counts: Arc<CountCache>,
    texts: Arc<SqlTexts>,
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
        let span = statement_span(self.get_database_backend(), &stmt.sql);
        match &self.statements {
            Some(direct) => direct.execute_raw(stmt).instrument(span).await,
            None => self.pool.execute_raw(stmt).instrument(span).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let span = statement_span(self.get_database_backend(), sql);
        match &self.statements {
            Some(direct) => direct.execute_unprepared(sql).instrument(span).await,
            None => self.pool.execute_unprepared(sql).instrument(span).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let span = statement_span(self.get_database_backend(), &stmt.sql);
        match &self.statements {
            Some(direct) => direct.query_one_raw(stmt).instrument(span).await,
            None => self.pool.query_one_raw(stmt).instrument(span).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let span = statement_span(self.get_database_backend(), &stmt.sql);
        match &self.statements {
            Some(direct) => direct.query_all_raw(stmt).instrument(span).await,
            None => self.pool.query_all_raw(stmt).instrument(span).await,
        }
    }
}

fn system_name(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "postgresql",
        DbBackend::Sqlite => "sqlite",
        _ => "other_sql",
    }
}

/// A statement's trace span (OpenTelemetry's database conventions). DEBUG, so that with
/// no exporter and the default log level the callsite is off and costs nothing.
fn statement_span(backend: DbBackend, sql: &str) -> tracing::Span {
    // Only inside a request or a job: the worker's polling would otherwise open a new
    // trace twice a second.
    if tracing::Span::current().is_none() {
        return tracing::Span::none();
    }
    let operation = sql.split_whitespace().next().unwrap_or("SQL");
    tracing::debug_span!(
        "db.statement",
        otel.name = operation,
        otel.kind = "client",
        db.system.name = system_name(backend),
        db.operation.name = operation,
        db.query.text = sql,
    )
}

/// Held for the whole of a write (statement or transaction). Dropping it (after the write)
/// marks every cached count as outdated.
struct WriteTurn<'a> {
    _gate: Option<MutexGuard<'a, ()>>,
    counts: Option<&'a CountCache>,
    checkpoints: Option<&'a Arc<Checkpointer>>,
}

impl Drop for WriteTurn<'_> {
    fn drop(&mut self) {
        if let Some(counts) = self.counts {
            counts.writes.fetch_add(1, Ordering::Release);
        }
        if let Some(checkpoints) = self.checkpoints {
            checkpoints.wrote();
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
    /// Open from `BEGIN` to the end: the transaction's time in a trace (its statements
    /// run on SeaORM's transaction, which has no spans of its own).
    _span: tracing::Span,
}

fn transaction_span(backend: DbBackend) -> tracing::Span {
    if tracing::Span::current().is_none() {
        return tracing::Span::none();
    }
    tracing::debug_span!(
        "db.transaction",
        otel.kind = "client",
        db.system.name = system_name(backend),
    )
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
            _span: transaction_span(self.conn.get_database_backend()),
        })
    }

    /// [`Db::transaction`] for tables no list counts (see [`Db::write_unlisted`]).
    pub async fn transaction_unlisted(&self) -> Result<WriteTxn<'_>, DbErr> {
        let turn = self.write_turn_unlisted().await;
        Ok(WriteTxn {
            txn: self.conn.pool.begin().await?,
            _turn: turn,
            _span: transaction_span(self.conn.get_database_backend()),
        })
    }

    /// On PostgreSQL, statements outside transactions get a [`PgStatementPool`] as large as
    /// `conn`'s pool, with its connect options (statement timeout included) and acquire
    /// timeout.
    pub fn new(conn: DatabaseConnection) -> Self {
        let backend = conn.get_database_backend();
        let writers = (backend == DbBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        let checkpoints = writers
            .as_ref()
            .map(|gate| Checkpointer::start(&conn, gate.clone()));
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
            checkpoints,
            counts: Arc::new(CountCache::default()),
            texts: Arc::new(SqlTexts::default()),
        }
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Like SeaORM's `DatabaseConnection::set_metric_callback`, for both pools: call it
    /// before cloning this `Db`.
    pub fn set_metric_callback<F>(&mut self, callback: F)
    where
        F: Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
    {
        let callback: statement_pool::MetricCallback = Arc::new(callback);
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

    /// The row of `E` whose primary key is `id`. Its SQL is built on the first call and
    /// reused (see [`SqlTexts`]): this read is on the hot path of most requests.
    pub async fn find_by_id<E>(&self, id: Uuid) -> Result<Option<E::Model>, DbErr>
    where
        E: EntityTrait,
        E::Model: FromRow,
        E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
    {
        let key = SqlKey::ById(TypeId::of::<E>());
        self.kept(key, vec![id.into()], |backend| {
            E::find_by_id(id).build(backend)
        })
        .await
    }

    /// One row read as `R` by a statement whose SQL is built once per `key` and kept:
    /// `build` runs on the first call only, and each call binds its own `values`. They must
    /// be the values `build` binds, in its order: a first call where they differ is refused
    /// (an error, nothing kept), so a kept text never gets values in the wrong places.
    pub async fn one_kept<R: FromRow>(
        &self,
        key: &'static str,
        values: Vec<Value>,
        build: impl FnOnce(DbBackend) -> Statement,
    ) -> Result<Option<R>, DbErr> {
        self.kept(SqlKey::Named(key), values, build).await
    }

    async fn kept<R: FromRow>(
        &self,
        key: SqlKey,
        values: Vec<Value>,
        build: impl FnOnce(DbBackend) -> Statement,
    ) -> Result<Option<R>, DbErr> {
        let backend = self.conn.get_database_backend();
        let sql = self.texts.try_get_or_build(key, || {
            let built = build(backend);
            match &built.values {
                Some(v) if v.0 == values => Ok(built.sql),
                _ => Err(DbErr::Custom(format!(
                    "{key:?}: the values given are not the ones its statement binds"
                ))),
            }
        })?;
        let statement = Statement::from_sql_and_values(backend, sql, values);
        rows::read_one(self.conn.query_one_raw(statement).await?)
    }

    /// The rows of a list page (the query [`list`] builds for it), read as `R`
    /// by position ([`FromRow`]).
    ///
    /// On PostgreSQL a first page's (or a cursor page's) `LIMIT` and `OFFSET 0` are written
    /// into the SQL instead of sent as parameters. With parameters there, PostgreSQL cannot
    /// see that a generic plan would do and plans the statement again on every call, which
    /// costs more than running a first page; written in, one prepared statement per page
    /// size is planned once per connection. Deeper pages keep both parameters.
    async fn page_rows<R: FromRow>(&self, query: &impl QueryTrait) -> Result<Vec<R>, DbErr> {
        let backend = self.conn.get_database_backend();
        let mut statement = query.build(backend);
        if backend == DbBackend::Postgres {
            statement = inline_page_bounds(statement);
        }
        rows::read_all(&self.conn.query_all_raw(statement).await?)
    }

    /// Runs one writing statement (an insert, or an update or delete that sets or matches
    /// something) in a writer turn held just for it; the rows it changed. Every write through
    /// the repositories is this or a [`Db::transaction`]: neither can forget the turn, end
    /// it early, or hold it past the statement.
    pub async fn write(&self, statement: &impl QueryTrait) -> Result<u64, DbErr> {
        let _turn = self.write_turn().await;
        self.execute(statement).await
    }

    /// [`Db::write`] for a statement that reads one row back (`INSERT … RETURNING`), read
    /// as `R`; `None` when it changed nothing.
    pub async fn write_one<R: FromRow>(
        &self,
        statement: &impl QueryTrait,
    ) -> Result<Option<R>, DbErr> {
        let _turn = self.write_turn().await;
        let statement = statement.build(self.conn.get_database_backend());
        rows::read_one(self.conn.query_one_raw(statement).await?)
    }

    /// [`Db::write`] to a table no list counts (sessions, jobs), which therefore leaves the
    /// cached totals alone: logins and the job worker's polling would outdate them all.
    pub async fn write_unlisted(&self, statement: &impl QueryTrait) -> Result<u64, DbErr> {
        let _turn = self.write_turn_unlisted().await;
        self.execute(statement).await
    }

    /// [`Db::write_unlisted`] for a statement whose rows are read back (`UPDATE … RETURNING`).
    pub async fn write_rows_unlisted(
        &self,
        statement: Statement,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let _turn = self.write_turn_unlisted().await;
        self.conn.query_all_raw(statement).await
    }

    async fn execute(&self, statement: &impl QueryTrait) -> Result<u64, DbErr> {
        let statement = statement.build(self.conn.get_database_backend());
        Ok(self.conn.execute_raw(statement).await?.rows_affected())
    }

    async fn write_turn(&self) -> WriteTurn<'_> {
        WriteTurn {
            _gate: self.gate().await,
            counts: Some(&self.counts),
            checkpoints: self.checkpoints.as_ref(),
        }
    }

    async fn write_turn_unlisted(&self) -> WriteTurn<'_> {
        WriteTurn {
            _gate: self.gate().await,
            counts: None,
            checkpoints: self.checkpoints.as_ref(),
        }
    }

    async fn gate(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.writers {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }
}
