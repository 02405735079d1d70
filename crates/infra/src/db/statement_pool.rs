//! PostgreSQL connections for statements outside transactions, given back to the pool
//! without a round trip.
//!
//! sqlx's pool pings every connection as it comes back (a `Sync` and its `ReadyForQuery`),
//! unconditionally: a second round trip for every statement, which wakes PostgreSQL and this
//! process once more. Measured on two cores (`wrk -c32`, same database, alternating
//! binaries): a product by id went from about 6.1k to 8.7–10.1k requests per second without
//! it, its PostgreSQL CPU per request from 106 to 64 µs. The ping is there to catch a
//! connection left mid-protocol by a cancelled statement; here such a connection is closed
//! instead: one goes back only when its statement ran to the end or the server refused it.
//! Transactions keep sqlx's pool (SeaORM builds them on it).

use async_trait::async_trait;
use sea_orm::metric::Info;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement,
};
use sea_query_sqlx::SqlxValues;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A connection idle this long may have been dropped by the server or a proxy: it is
/// pinged before use (as the transaction pool is told to).
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

/// A connection left idle this long is closed (as the transaction pool's are, after sqlx's
/// default of ten minutes): after a burst, the server gets its connections back.
const CLOSE_IF_IDLE_FOR: Duration = Duration::from_secs(600);

pub struct PgStatementPool {
    options: PgConnectOptions,
    slots: Arc<Semaphore>,
    idle: Mutex<Vec<(PgConnection, Instant)>>,
    acquire_timeout: Duration,
    close_if_idle_for: Duration,
    max: u32,
    metric: OnceLock<MetricCallback>,
}

/// Called after each statement, as SeaORM's `set_metric_callback` is for its pool.
pub type MetricCallback = Arc<dyn Fn(&Info<'_>) + Send + Sync>;

/// A connection lent for one statement. Dropped without [`Lease::give_back`] (the
/// statement's future was cancelled, or the connection broke), it is closed, not reused.
struct Lease<'a> {
    conn: PgConnection,
    pool: &'a PgStatementPool,
    _slot: OwnedSemaphorePermit,
}

impl Lease<'_> {
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// Back to the pool if `outcome` leaves the connection in a known state: success, or an
    /// error the server answered about the statement (the connection reads up to its next
    /// `ReadyForQuery` before the next statement), a statement timeout (57014) included.
    /// Not after SQLSTATE class 08 or 57P01–57P05: the session is ending.
    fn give_back<T>(self, outcome: &Result<T, sqlx::Error>) {
        let reusable = match outcome {
            Ok(_) | Err(sqlx::Error::RowNotFound) => true,
            Err(sqlx::Error::Database(e)) => !e
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
            Err(_) => false,
        };
        // The slot is freed after the connection is back, so whoever takes it finds one.
        let Lease { conn, pool, _slot } = self;
        if reusable && let Ok(mut idle) = pool.idle.lock() {
            idle.push((conn, Instant::now()));
        }
    }
}

impl PgStatementPool {
    /// Up to `max` connections, opened on demand with `options`; waiting longer than
    /// `acquire_timeout` for one is an error (`503` to a client), as with the other pool.
    pub fn new(options: PgConnectOptions, max: u32, acquire_timeout: Duration) -> Self {
        let max = max.max(1);
        Self {
            options,
            slots: Arc::new(Semaphore::new(max as usize)),
            idle: Mutex::new(Vec::new()),
            acquire_timeout,
            close_if_idle_for: CLOSE_IF_IDLE_FOR,
            max,
            metric: OnceLock::new(),
        }
    }

    /// Closes connections idle for `after` instead of the default ten minutes.
    pub fn close_if_idle_for(mut self, after: Duration) -> Self {
        self.close_if_idle_for = after;
        self
    }

    /// The least recently used idle connection, if idle too long: closed (each lease checks
    /// one, so a pool in use sheds what a burst opened without a task of its own).
    fn close_one_stale(&self) {
        let stale = self.idle.lock().ok().and_then(|mut idle| {
            let expired = idle
                .first()
                .is_some_and(|(_, since)| since.elapsed() >= self.close_if_idle_for);
            expired.then(|| idle.remove(0).0)
        });
        if let Some(conn) = stale {
            // A polite goodbye (`Terminate`), off the request's path.
            tokio::spawn(async move {
                let _ = conn.close().await;
            });
        }
    }

    /// Sets the callback once; later calls change nothing.
    pub fn set_metric_callback(&self, callback: MetricCallback) {
        let _ = self.metric.set(callback);
    }

    fn observe<T>(&self, stmt: &Statement, started: Instant, outcome: &Result<T, sqlx::Error>) {
        if let Some(callback) = self.metric.get() {
            callback(&Info {
                elapsed: started.elapsed(),
                statement: stmt,
                failed: outcome.is_err(),
            });
        }
    }

    /// Connections `(open, idle)`, for the pool metrics.
    pub fn usage(&self) -> (u32, usize) {
        let idle = self.idle.lock().map_or(0, |idle| idle.len());
        let busy = self.max as usize - self.slots.available_permits();
        (u32::try_from(busy + idle).unwrap_or(u32::MAX), idle)
    }

    async fn lease(&self) -> Result<Lease<'_>, DbErr> {
        let slot = tokio::time::timeout(self.acquire_timeout, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))?;
        self.close_one_stale();
        loop {
            // Most recently used first: the others age out of use and get checked.
            let next = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let conn = match next {
                Some((mut conn, since)) => {
                    if since.elapsed() >= PING_IF_IDLE_FOR && conn.ping().await.is_err() {
                        continue;
                    }
                    conn
                }
                None => tokio::time::timeout(self.acquire_timeout, self.options.connect())
                    .await
                    .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
                    .map_err(connect_err)?,
            };
            return Ok(Lease {
                conn,
                pool: self,
                _slot: slot,
            });
        }
    }
}

// The errors in the shapes SeaORM's own pool gives, so they are classified the same way.
fn exec_err(e: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(e.into()))
}

fn query_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(e.into()))
}

fn connect_err(e: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(e.into()))
}

fn query(stmt: &Statement) -> sqlx::query::Query<'_, sqlx::Postgres, SqlxValues> {
    let values = stmt
        .values
        .clone()
        .unwrap_or(sea_orm::sea_query::Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
        .persistent(!planned_per_pattern(&stmt.sql))
}

/// A search (`LIKE`) runs as an unnamed statement, which PostgreSQL plans for the pattern it
/// is given each time. A named one may settle, after five runs, on one generic plan, and no
/// plan suits every pattern: a rare text wants the trigram index, a common one the list's
/// own order, stopping after a page (a rare search on the generic plan read every one of
/// 1M products). Values are always parameters, so ` LIKE ` in the text is the operator.
fn planned_per_pattern(sql: &str) -> bool {
    sql.contains(" LIKE ")
}

#[async_trait]
impl ConnectionTrait for PgStatementPool {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let started = Instant::now();
        let mut lease = self.lease().await?;
        let outcome = query(&stmt).execute(lease.conn()).await;
        lease.give_back(&outcome);
        self.observe(&stmt, started, &outcome);
        outcome.map(Into::into).map_err(exec_err)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let mut lease = self.lease().await?;
        let outcome = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(lease.conn())
            .await;
        lease.give_back(&outcome);
        outcome.map(Into::into).map_err(exec_err)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let started = Instant::now();
        let mut lease = self.lease().await?;
        let outcome = query(&stmt).fetch_optional(lease.conn()).await;
        lease.give_back(&outcome);
        self.observe(&stmt, started, &outcome);
        outcome.map(|row| row.map(Into::into)).map_err(query_err)
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let started = Instant::now();
        let mut lease = self.lease().await?;
        let outcome = query(&stmt).fetch_all(lease.conn()).await;
        lease.give_back(&outcome);
        self.observe(&stmt, started, &outcome);
        outcome
            .map(|rows| rows.into_iter().map(Into::into).collect())
            .map_err(query_err)
    }
}
