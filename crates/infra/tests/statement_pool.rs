//! The PostgreSQL statement pool: a connection goes back only in a known state, a broken
//! one is replaced, and waiting too long for one is an error. Needs `TEST_DATABASE_URL`.

mod common;

use infra::db::PgStatementPool;
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::{ConnAcquireErr, ConnectionTrait, DbBackend, DbErr, Statement};
use std::sync::Arc;
use std::time::Duration;

fn new_pool(url: &str, max: u32, acquire_timeout: Duration) -> PgStatementPool {
    let options: PgConnectOptions = url.parse().expect("a PostgreSQL URL");
    PgStatementPool::new(options, max, acquire_timeout)
}

async fn one_i64(pool: &PgStatementPool, sql: &str) -> Result<i64, DbErr> {
    let row = pool
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .expect("a row");
    row.try_get_by_index::<i64>(0)
}

async fn backend_pid(pool: &PgStatementPool) -> i64 {
    one_i64(pool, "SELECT pg_backend_pid()::bigint")
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refused_statement_keeps_its_connection_usable() {
    common::on_postgres(|url| async move {
        let pool = new_pool(&url, 1, Duration::from_secs(2));
        let pid = backend_pid(&pool).await;
        let refused = one_i64(&pool, "SELECT (1 / 0)::bigint").await;
        assert!(refused.is_err(), "{refused:?}");
        assert_eq!(pool.usage(), (1, 1));
        assert_eq!(backend_pid(&pool).await, pid, "the same connection, reused");
        assert_eq!(one_i64(&pool, "SELECT 7::bigint").await.unwrap(), 7);
    })
    .await;
}

#[tokio::test]
async fn a_statement_past_its_timeout_keeps_its_connection_usable() {
    common::on_postgres(|url| async move {
        let options: PgConnectOptions = url.parse().expect("a PostgreSQL URL");
        let options = options.options([("statement_timeout", "100")]);
        let pool = PgStatementPool::new(options, 1, Duration::from_secs(2));
        let pid = backend_pid(&pool).await;
        let timed_out = one_i64(&pool, "SELECT 1::bigint FROM pg_sleep(2)").await;
        assert!(
            format!("{timed_out:?}").contains("57014"),
            "cancelled by the server: {timed_out:?}"
        );
        assert_eq!(backend_pid(&pool).await, pid, "the same connection, reused");
    })
    .await;
}

#[tokio::test]
async fn a_cancelled_statement_closes_its_connection() {
    common::on_postgres(|url| async move {
        let pool = new_pool(&url, 1, Duration::from_secs(2));
        let pid = backend_pid(&pool).await;
        let cancelled = tokio::time::timeout(
            Duration::from_millis(100),
            one_i64(&pool, "SELECT 1::bigint FROM pg_sleep(2)"),
        )
        .await;
        assert!(cancelled.is_err(), "the statement outlived its timeout");
        // Its answer may still be on the way: the connection is closed, not reused.
        assert_eq!(pool.usage(), (0, 0));
        assert_ne!(backend_pid(&pool).await, pid);
        assert_eq!(one_i64(&pool, "SELECT 8::bigint").await.unwrap(), 8);
    })
    .await;
}

#[tokio::test]
async fn a_connection_the_server_ended_is_replaced() {
    common::on_postgres(|url| async move {
        let pool = new_pool(&url, 1, Duration::from_secs(2));
        let pid = backend_pid(&pool).await;
        let admin = new_pool(&url, 1, Duration::from_secs(2));
        let ended = one_i64(
            &admin,
            &format!("SELECT pg_terminate_backend({pid})::int::bigint"),
        )
        .await;
        assert_eq!(ended.unwrap(), 1);
        // The first statement after finds the connection gone; the next gets a new one.
        let failed = one_i64(&pool, "SELECT 1::bigint").await;
        assert!(failed.is_err(), "{failed:?}");
        let fresh = backend_pid(&pool).await;
        assert_ne!(fresh, pid);
        assert_eq!(pool.usage(), (1, 1));
    })
    .await;
}

#[tokio::test]
async fn waiting_longer_than_the_acquire_timeout_is_an_error() {
    common::on_postgres(|url| async move {
        let pool = Arc::new(new_pool(&url, 1, Duration::from_millis(200)));
        // The one connection, open and idle.
        backend_pid(&pool).await;
        assert_eq!(pool.usage(), (1, 1));
        let busy = {
            let pool = pool.clone();
            // Long beside the 200 ms wait, so a stalled test task cannot outlast it.
            tokio::spawn(async move { one_i64(&pool, "SELECT 1::bigint FROM pg_sleep(3)").await })
        };
        // Wait until the statement holds it (however late its task runs), not a fixed time.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while pool.usage() != (1, 0) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the statement never took the connection"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let waited = one_i64(&pool, "SELECT 1::bigint").await;
        assert!(
            matches!(
                waited,
                Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
            ),
            "{waited:?}"
        );
        assert_eq!(busy.await.unwrap().unwrap(), 1);
        assert_eq!(one_i64(&pool, "SELECT 2::bigint").await.unwrap(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_connection_idle_too_long_is_closed() {
    common::on_postgres(|url| async move {
        let pool = Arc::new(
            new_pool(&url, 2, Duration::from_secs(2)).close_if_idle_for(Duration::from_millis(200)),
        );
        // Two statements at once open two connections.
        let (a, b) = tokio::join!(
            one_i64(&pool, "SELECT 1::bigint FROM pg_sleep(0.1)"),
            one_i64(&pool, "SELECT 2::bigint FROM pg_sleep(0.1)")
        );
        assert_eq!((a.unwrap(), b.unwrap()), (1, 2));
        assert_eq!(pool.usage(), (2, 2));
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The next statement closes the one idle longest and reuses the other.
        assert_eq!(one_i64(&pool, "SELECT 3::bigint").await.unwrap(), 3);
        assert_eq!(pool.usage(), (1, 1));
        // Recently used ones stay.
        assert_eq!(one_i64(&pool, "SELECT 4::bigint").await.unwrap(), 4);
        assert_eq!(pool.usage(), (1, 1));
    })
    .await;
}

/// How many of this connection's named statements contain `text`.
async fn kept_statements(pool: &PgStatementPool, text: &str) -> i64 {
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT count(*)::bigint FROM pg_prepared_statements WHERE strpos(statement, $1) > 0",
        [text.into()],
    );
    let row = pool.query_one_raw(stmt).await.unwrap().expect("a row");
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn a_search_is_planned_for_its_own_pattern_and_the_rest_are_kept_prepared() {
    common::on_postgres(|url| async move {
        let pool = new_pool(&url, 1, Duration::from_secs(2));
        let names = "FROM (VALUES ('Ada'), ('Grace'), ('Adele')) AS t(name)";
        for (pattern, found) in [("%ad%", 2), ("%race%", 1), ("%zzz%", 0)] {
            let search = Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!("SELECT count(*)::bigint {names} WHERE lower(name) LIKE $1"),
                [pattern.into()],
            );
            let row = pool.query_one_raw(search).await.unwrap().expect("a row");
            assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), found, "{pattern}");
        }
        let exact = Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT count(*)::bigint {names} WHERE name = $1"),
            ["Ada".into()],
        );
        let row = pool.query_one_raw(exact).await.unwrap().expect("a row");
        assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 1);
        // One connection ran them all: the search left no named statement, the rest did.
        assert_eq!(kept_statements(&pool, "LIKE $1").await, 0);
        assert_eq!(kept_statements(&pool, "WHERE name = $1").await, 1);
    })
    .await;
}
