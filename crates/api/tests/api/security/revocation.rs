//! SPEC section 2: with `REDIS_URL`, every change that ends sessions or lowers rights
//! takes effect on every instance at once, whatever `SESSION_CACHE_SECS` (left at its
//! default here). Two instances on one database and one Redis; each check first warms
//! instance B's cache with the token, then changes things on A and polls B.

use super::{assert_ok, patch, sign_in};
use crate::helpers::{TestApp, redis_prefix, redis_url, spawn_app_with, start};
use crate::realtime::wait_for_subscribers;
use crate::ws_client::{assert_served, closed_with};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const AT_ONCE: Duration = Duration::from_secs(1);

/// Instances A and B, both listening for events; `None` (skipped) without Redis.
async fn two_instances() -> Option<(TestApp, TestApp)> {
    let url = redis_url()?;
    let prefix = redis_prefix();
    let a = spawn_app_with(|c| {
        c.redis_url = Some(url.clone());
        c.redis_prefix = prefix.clone();
    })
    .await;
    assert_eq!(a.config.session_cache_secs, 5, "the default cache");
    let b = TestApp::on(&a, start(&a.config).await);
    wait_for_subscribers(&url, &format!("{prefix}events"), 2).await;
    Some((a, b))
}

/// `GET path` with `token` on `app` answers `200` (and the instance remembers it).
async fn warm(app: &TestApp, path: &str, token: &str) {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK, "warming {path}");
}

/// Polls `GET path` with `token` on `app` every 50 ms until it answers `status`, failing
/// if that takes over a second.
async fn answers_within_a_second(app: &TestApp, path: &str, token: &str, status: StatusCode) {
    let deadline = Instant::now() + AT_ONCE;
    loop {
        let got = app.get(path, Some(token)).await.status();
        if got == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{path} on the other instance still answers {got}, not {status}, after {AT_ONCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_on_every_instance() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let ann = a.register("ann@example.com").await;
    let (other, other_refresh) = sign_in(&b, &ann.email, &ann.password).await;
    warm(&b, "/api/v1/users/me", &other).await;

    let change = json!({"password": "new-password-1", "current_password": ann.password});
    let res = patch(&a, "/api/v1/users/me", &change, &ann.access).await;
    assert_ok(res, "the password change").await;

    answers_within_a_second(&b, "/api/v1/users/me", &other, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        b.refresh(&other_refresh).await.status(),
        StatusCode::UNAUTHORIZED,
        "the ended session's refresh token"
    );
}

#[tokio::test]
async fn a_demotion_takes_the_admin_rights_away_on_every_instance() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let admin = a.admin_token().await;
    let bob = a.register("bob@example.com").await;
    let path = format!("/api/v1/users/{}", bob.id);
    assert_ok(
        patch(&a, &path, &json!({"role": "admin"}), &admin).await,
        "promote",
    )
    .await;
    let (token, _) = sign_in(&b, &bob.email, &bob.password).await;
    warm(&b, "/api/v1/users", &token).await;

    assert_ok(
        patch(&a, &path, &json!({"role": "member"}), &admin).await,
        "demote",
    )
    .await;
    answers_within_a_second(&b, "/api/v1/users", &token, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_logout_ends_the_session_on_every_instance() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let ann = a.register("ann@example.com").await;
    let (token, _) = sign_in(&a, &ann.email, &ann.password).await;
    warm(&b, "/api/v1/users/me", &token).await;

    a.logout(&token).await;
    answers_within_a_second(&b, "/api/v1/users/me", &token, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_password_change_closes_the_other_sessions_sockets_on_every_instance() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let ann = a.register("ann@example.com").await;
    let (other, _) = sign_in(&b, &ann.email, &ann.password).await;
    let mut socket = b.ws(&other).await;
    // The socket is served (a ping is answered) before anything changes.
    assert_served(&mut socket).await;

    let change = json!({"password": "new-password-1", "current_password": ann.password});
    let res = patch(&a, "/api/v1/users/me", &change, &ann.access).await;
    assert_ok(res, "the password change").await;

    let frame = closed_with(&mut socket, AT_ONCE)
        .await
        .expect("a close frame");
    assert_eq!(frame.code, CloseCode::Policy);
}
