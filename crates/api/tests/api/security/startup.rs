//! SPEC section 7: the real binary refuses to start (exit status 2, a line naming the
//! key) on a short `JWT_SECRET`, and in production on a cheap `BCRYPT_COST` or a weak
//! `ADMIN_PASSWORD`; a sound production configuration starts.

use crate::helpers::fresh_database;
use crate::process::{binary, free_port};
use std::process::Child;
use std::time::Duration;
use tokio::time::Instant;

const PRODUCTION_SECRET: &str = "a-production-secret-of-more-than-32-bytes";
const STRONG_PASSWORD: &str = "Tq9-vexing-orbit-42";
/// Long enough for a slow CI machine to start the binary, or to fail to.
const PATIENCE: Duration = Duration::from_secs(30);

/// The binary, killed when dropped.
struct Binary(Child);

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary in `dir` on `database_url` and `port`, in development unless `env`
/// says otherwise.
fn spawn(dir: &std::path::Path, database_url: &str, port: u16, env: &[(&str, &str)]) -> Child {
    let mut command = binary(dir, database_url, port);
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().expect("the binary runs")
}

/// Production settings that start, with `overrides` on top.
fn production<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("APP_ENV", "production"),
        ("JWT_SECRET", PRODUCTION_SECRET),
        ("BCRYPT_COST", "10"),
        ("ADMIN_EMAIL", "root@example.com"),
        ("ADMIN_PASSWORD", STRONG_PASSWORD),
    ];
    env.extend_from_slice(overrides);
    env
}

/// Asserts that the binary with `env` exits with status 2 and a line naming `key`.
async fn assert_refuses(env: &[(&str, &str)], key: &str) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/app.db?mode=rwc", dir.path().display());
    let mut child = spawn(dir.path(), &url, free_port(), env);
    let deadline = Instant::now() + PATIENCE;
    let exited = loop {
        if child.try_wait().unwrap().is_some() {
            break true;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            break false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(exited, "{key}: still running after {PATIENCE:?}: {text}");
    assert_eq!(output.status.code(), Some(2), "{key}: {text}");
    assert!(
        text.lines().any(|line| line.contains(key)),
        "no line names {key}: {text}"
    );
}

#[tokio::test]
async fn a_jwt_secret_of_31_bytes_stops_start_up_even_in_development() {
    let short = "0123456789012345678901234567890";
    assert_eq!(short.len(), 31);
    assert_refuses(&[("JWT_SECRET", short)], "JWT_SECRET").await;
}

#[tokio::test]
async fn production_refuses_a_well_known_admin_password() {
    let env = production(&[("ADMIN_PASSWORD", "change-me-now")]);
    assert_refuses(&env, "ADMIN_PASSWORD").await;
}

#[tokio::test]
async fn production_refuses_an_admin_password_of_11_characters() {
    let env = production(&[("ADMIN_PASSWORD", "Tq9-vexing-")]);
    assert_eq!(env.last().unwrap().1.chars().count(), 11);
    assert_refuses(&env, "ADMIN_PASSWORD").await;
}

#[tokio::test]
async fn production_refuses_a_bcrypt_cost_of_9() {
    assert_refuses(&production(&[("BCRYPT_COST", "9")]), "BCRYPT_COST").await;
}

#[tokio::test]
async fn production_starts_with_cost_10_and_a_strong_admin_password() {
    let (_db, url) = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut binary = Binary(spawn(dir.path(), &url, port, &production(&[])));
    let client = reqwest::Client::new();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let health = client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await;
        if health.is_ok_and(|res| res.status().is_success()) {
            break;
        }
        if let Some(status) = binary.0.try_wait().unwrap() {
            panic!("the binary exited with {status}");
        }
        assert!(Instant::now() < deadline, "no /health after {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The bootstrap admin exists with its strong password.
    let res = client
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "root@example.com", "password": STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
}
