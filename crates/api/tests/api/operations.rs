//! SPEC section 7: health, readiness, metrics, configuration errors.

use crate::helpers::{Backend, backend, spawn_app};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::Value;
use std::time::Duration;

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

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.get(
        &format!("/api/v1/users/{}", uuid::Uuid::now_v7()),
        Some(&admin),
    )
    .await;
    let res = app.get("/metrics", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(
        text.contains(r#"route="/api/v1/users/{id}""#),
        "route templates, not raw paths"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains("db_pool_connections"));
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
        return;
    }
    let name = app
        .config
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
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

    let res = app.get("/health/ready", None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["ok"], false);
    assert_eq!(body["checks"]["database"]["ok"], false);
    // A request needing the database is a 503 problem, not a 500.
    let res = app.login("nobody@example.com", "password-1").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    admin
        .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
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
