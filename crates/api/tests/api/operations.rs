//! SPEC section 7: health, readiness, metrics, configuration errors.

use crate::helpers::{Backend, TestApp, backend, spawn_app, spawn_app_with};
use crate::metered::{OwnProcess, sample};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::Value;
use std::time::{Duration, Instant};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let res = app.get("/health", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        serde_json::json!({"ok": true})
    );

    let res = app.get("/health/ready", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(body["checks"]["database"]["ok"], true);
    assert!(body["checks"]["database"]["latency_ms"].is_u64());
}

/// In a process of its own: the recorder is process-wide, so only there are the counts
/// this test's alone, and exact.
#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let own = OwnProcess::start(&[("DB_MAX_CONNECTIONS", "3")]).await;
    let ann = own.register("ann@example.com").await;
    let token = ann["access_token"].as_str().unwrap();
    let labels = r#"{method="GET",route="/api/v1/users/{id}",status="404"}"#;
    let count = format!("http_requests_total{labels}");
    assert_eq!(own.sample(&count).await, 0.0);

    let ids = [
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    ];
    let client = reqwest::Client::new();
    for id in ids {
        let res = client
            .get(own.url(&format!("/api/v1/users/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let page = own.metrics().await;
    assert_eq!(sample(&page, &count), 3.0, "{page}");
    assert_eq!(
        sample(
            &page,
            &format!("http_request_duration_seconds_count{labels}")
        ),
        3.0,
        "{page}"
    );
    assert_eq!(
        sample(
            &page,
            r#"http_requests_total{method="POST",route="/api/v1/auth/register",status="201"}"#
        ),
        1.0,
        "{page}"
    );
    // Route templates, not raw paths.
    for id in ids {
        assert!(!page.contains(&id.to_string()), "{id} is a label:\n{page}");
    }
    // The pool as configured, with the connection the requests used.
    assert_eq!(sample(&page, "db_pool_max_connections"), 3.0, "{page}");
    assert!(sample(&page, "db_pool_connections") >= 1.0, "{page}");
}

/// PostgreSQL: refuse new connections and end the open ones; readiness must say 503 and
/// come back by itself once the database accepts connections again.
#[tokio::test]
async fn readiness_follows_the_database_down_and_back() {
    let app = spawn_app().await;
    if backend() != Backend::Postgres {
        // SQLite is a file inside the process: it cannot go away while the file is open.
        assert_eq!(
            app.get("/health/ready", None).await.status(),
            StatusCode::OK
        );
        eprintln!(
            "skipped: the database going down and back on SQLite (a file inside the process cannot go away)"
        );
        return;
    }
    let admin = database_away(&app.config.database_url).await;

    let res = app.get("/health/ready", None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["ok"], false);
    assert_eq!(body["checks"]["database"]["ok"], false);
    // A request needing the database is a 503 problem, not a 500.
    let res = app.login("nobody@example.com", "password-1").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    database_back(&admin, &app.config.database_url).await;
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = app.get("/health/ready", None).await.status();
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status,
        StatusCode::OK,
        "readiness recovers without a restart"
    );
}

/// The name of the PostgreSQL database `url` names.
fn database_name(url: &str) -> &str {
    let tail = url.rsplit('/').next().unwrap_or_default();
    tail.split('?').next().unwrap_or_default()
}

/// Makes the PostgreSQL database of `url` refuse connections and ends the open ones, as if
/// the server went away; the admin connection returned brings it back.
pub async fn database_away(url: &str) -> sea_orm::DatabaseConnection {
    let name = database_name(url);
    let admin = sea_orm::Database::connect(std::env::var("TEST_DATABASE_URL").unwrap())
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
        ))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    admin
}

pub async fn database_back(admin: &sea_orm::DatabaseConnection, url: &str) {
    let name = database_name(url);
    admin
        .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
}

/// `n` concurrent GETs of `path`: each one's status and how long it took.
async fn burst(app: &TestApp, path: &str, n: usize) -> Vec<(StatusCode, Duration)> {
    let requests = (0..n).map(|_| async {
        let started = Instant::now();
        let res = app.get(path, None).await;
        (res.status(), started.elapsed())
    });
    futures_util::future::join_all(requests).await
}

/// PostgreSQL goes away while requests keep coming: each answers (200 or 503, never a 500)
/// within a bounded time, none hangs, and the service recovers by itself.
#[tokio::test]
async fn the_database_going_away_under_load_gives_fast_503s_and_recovery() {
    if backend() != Backend::Postgres {
        eprintln!(
            "skipped: the database going away under load on SQLite (a file inside the process cannot go away)"
        );
        return;
    }
    let app = spawn_app_with(|c| c.db_timeout_secs = 2).await;
    assert!(
        burst(&app, "/api/v1/products", 20)
            .await
            .iter()
            .all(|(s, _)| s.is_success())
    );

    let admin = database_away(&app.config.database_url).await;
    for round in 0..3 {
        let answers = burst(&app, "/api/v1/products?sort=price", 40).await;
        for (status, took) in &answers {
            assert!(
                [StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE].contains(status),
                "round {round}: {status}"
            );
            assert!(*took < Duration::from_secs(6), "round {round}: {took:?}");
        }
        assert!(
            answers
                .iter()
                .any(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE),
            "round {round}: the database is gone"
        );
    }
    assert_eq!(
        app.get("/health/ready", None).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    database_back(&admin, &app.config.database_url).await;
    let mut recovered = false;
    for _ in 0..50 {
        if burst(&app, "/api/v1/products", 10)
            .await
            .iter()
            .all(|(s, _)| s.is_success())
        {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "the service recovers without a restart");
}

/// Every connection of the pool stuck behind a lock: requests are answered 503 after the
/// configured timeout instead of queueing without bound; then all is well again.
#[tokio::test]
async fn a_pool_held_by_slow_queries_answers_503_fast() {
    if backend() != Backend::Postgres {
        eprintln!(
            "skipped: a pool held by slow queries on SQLite (readers never wait for a writer under WAL)"
        );
        return;
    }
    let app = spawn_app_with(|c| {
        c.db_max_connections = Some(2);
        c.db_timeout_secs = 1;
    })
    .await;
    let db = sea_orm::Database::connect(&app.config.database_url)
        .await
        .unwrap();
    let blocker = db.begin().await.unwrap();
    blocker
        .execute_unprepared("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();

    let started = Instant::now();
    let answers = burst(&app, "/api/v1/products", 12).await;
    for (status, took) in &answers {
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(*took < Duration::from_secs(4), "{took:?}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        app.get("/health", None).await.status(),
        StatusCode::OK,
        "what needs no database still answers"
    );

    blocker.rollback().await.unwrap();
    assert!(
        burst(&app, "/api/v1/products", 12)
            .await
            .iter()
            .all(|(s, _)| s.is_success())
    );
}

#[test]
fn a_bad_setting_stops_start_up_with_status_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("PORT", "eighty"),
        ("JWT_ALGORITHM", "none"),
        ("BCRYPT_COST", "99"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_api"))
            .current_dir(dir.path())
            .env(key, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{key}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(key), "{stderr}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_api"))
        .current_dir(dir.path())
        .env("APP_ENV", "production")
        .env_remove("JWT_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("JWT_SECRET"));
}

/// README, Operations: "one line per request with its request id, method, route template,
/// status and latency; `LOG_FORMAT=json` for JSON lines".
#[tokio::test]
async fn each_request_logs_one_line_with_its_id_method_route_status_and_latency() {
    let own = OwnProcess::start(&[("LOG_FORMAT", "json")]).await;
    let id = format!("log-fields-{}", uuid::Uuid::now_v7().simple());
    let path = format!("/api/v1/users/{}", uuid::Uuid::now_v7());
    let res = reqwest::Client::new()
        .get(own.url(&path))
        .header("x-request-id", &id)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The line is written before the answer leaves, so it is in the log by now.
    let line = own.wait_for_line(|l| l.contains(&id)).await;
    let v: Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(v["message"], "request", "{line}");
    assert_eq!(v["level"], "INFO", "{line}");
    assert_eq!(v["request_id"], id.as_str(), "{line}");
    assert_eq!(v["method"], "GET", "{line}");
    assert_eq!(v["route"], "/api/v1/users/{id}", "{line}");
    assert_eq!(v["status"], 401, "{line}");
    assert!(
        v["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{line}"
    );
    assert_eq!(
        own.log().lines().filter(|l| l.contains(&id)).count(),
        1,
        "one line per request"
    );
}

/// README, Operations: "A 500 logs its whole cause chain" (and the client learns nothing
/// internal). A table the service reads is gone: an unexpected failure.
#[tokio::test]
async fn a_500_logs_its_cause_chain_under_the_request_id() {
    let own = OwnProcess::start(&[("LOG_FORMAT", "json")]).await;
    let user = own.register("ann@example.com").await;
    let db = own.db().await;
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "DROP TABLE employees CASCADE",
        _ => "DROP TABLE employees",
    };
    db.execute_unprepared(sql).await.unwrap();

    let id = format!("cause-chain-{}", uuid::Uuid::now_v7().simple());
    let res = reqwest::Client::new()
        .get(own.url("/api/v1/employees"))
        .bearer_auth(user["access_token"].as_str().unwrap())
        .header("x-request-id", &id)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str());
    assert!(
        !body.to_string().contains("employees"),
        "internals in the answer: {body}"
    );

    let error = own
        .wait_for_line(|l| l.contains(&id) && l.contains("\"ERROR\""))
        .await;
    let v: Value = serde_json::from_str(&error).expect("a JSON line");
    let message = v["message"].as_str().unwrap_or_default();
    // Every level of the chain, down to the database's own words about the table.
    assert!(message.contains("caused by: "), "{error}");
    assert!(message.contains("employees"), "{error}");
    assert_eq!(v["status"], 500, "{error}");
}
