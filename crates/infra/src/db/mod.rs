//! Database connections (SQLite or PostgreSQL from one URL), pool statistics and the
//! readiness probe.

mod anchors;
mod connect;
mod count_cache;
mod kept;
mod page_bounds;
mod rows;
mod sql_texts;

pub use connect::{DatabaseProbe, connect, connect_service, pool_usage};
pub use count_cache::CountCache;
pub use rows::{Columns, FromRow, Readable};

use crate::statement_pool::PgStatementPool;
use async_trait::async_trait;
use page_bounds::inline_page_bounds;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    ExecResult, PrimaryKeyTrait, QueryResult, QueryTrait, Statement, TransactionTrait, Value,
};
use sql_texts::{SqlKey, SqlTexts};
use std::any::TypeId;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::{Mutex, MutexGuard};
use tracing::Instrument;
use uuid::Uuid;

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

    /// The rows of a list page (a query through [`Keyset::window`](crate::repositories)),
    /// read as `R` by position ([`FromRow`]).
    ///
    /// On PostgreSQL a first page's (or a cursor page's) `LIMIT` and `OFFSET 0` are written
    /// into the SQL instead of sent as parameters. With parameters there, PostgreSQL cannot
    /// see that a generic plan would do and plans the statement again on every call, which
    /// costs more than running a first page; written in, one prepared statement per page
    /// size is planned once per connection. Deeper pages keep both parameters.
    pub async fn page_rows<R: FromRow>(&self, query: &impl QueryTrait) -> Result<Vec<R>, DbErr> {
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
        }
    }

    async fn write_turn_unlisted(&self) -> WriteTurn<'_> {
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
}
