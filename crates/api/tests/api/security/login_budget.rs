//! SPEC section 2: failed logins are counted per account, whatever the address; past
//! `LOGIN_FAILURES_PER_ACCOUNT` even the right password waits, and the answer does not
//! say whether the account exists. A wrong `current_password` counts too.

use super::patch;
use crate::answers::{assert_invalid, assert_problem};
use crate::helpers::{TestApp, spawn_app_with};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// An instance with a budget of `failures` per account and no per-IP limit.
async fn app_with_budget(failures: u32) -> TestApp {
    spawn_app_with(|c| {
        c.auth_rate_limit_per_minute = 0;
        c.login_failures_per_account = failures;
    })
    .await
}

/// Logs in to `email` with `n` wrong passwords, each answered `401`.
async fn fail(app: &TestApp, email: &str, n: usize) {
    for attempt in 0..n {
        let res = app.login(email, &format!("wrong-password-{attempt}")).await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{email}: failure {attempt} is still a plain 401"
        );
    }
}

/// Asserts a `429` problem with a `Retry-After` of whole seconds above 0; its body.
async fn assert_throttled(res: Response, what: &str) -> Value {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{what}");
    let value = res
        .headers()
        .get("retry-after")
        .unwrap_or_else(|| panic!("{what}: no Retry-After"))
        .to_str()
        .unwrap()
        .to_owned();
    let seconds: u64 = value
        .parse()
        .unwrap_or_else(|_| panic!("{what}: Retry-After `{value}` is not whole seconds"));
    assert!(seconds > 0, "{what}: Retry-After {seconds}");
    assert_problem(res, 429).await
}

#[tokio::test]
async fn past_the_budget_even_the_right_password_waits_and_existence_is_not_told() {
    let app = app_with_budget(3).await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;

    fail(&app, &ann.email, 3).await;
    let known = app.login(&ann.email, &ann.password).await;
    let known = assert_throttled(known, "the right password after 3 failures").await;
    let again = app.login(&ann.email, &ann.password).await;
    assert_throttled(again, "the wait goes on").await;

    // An address with no account: the same answer after the same failures.
    fail(&app, "nobody@example.com", 3).await;
    let ghost = app.login("nobody@example.com", "password-123").await;
    let ghost = assert_throttled(ghost, "an address with no account").await;
    for key in ["type", "title", "status"] {
        assert_eq!(
            known[key], ghost[key],
            "`{key}` tells whether the account exists"
        );
    }
    // The detail names the wait, which differs by when each window began; the words match.
    let words = |v: &serde_json::Value| -> String {
        let text = v["detail"].as_str().unwrap_or_default();
        text.chars().filter(|c| !c.is_ascii_digit()).collect()
    };
    assert_eq!(
        words(&known),
        words(&ghost),
        "the detail tells whether the account exists"
    );

    // Another account keeps its own budget.
    assert_eq!(
        app.login(&bob.email, &bob.password).await.status(),
        StatusCode::OK,
        "another account is unaffected"
    );
}

#[tokio::test]
async fn failures_count_per_account_whatever_the_address() {
    let app = spawn_app_with(|c| {
        c.auth_rate_limit_per_minute = 2;
        c.login_failures_per_account = 3;
        c.trusted_proxies = "127.0.0.1".into();
    })
    .await;
    let ann = app.register("ann@example.com").await;
    // Each failure from another client, none of them past its own per-IP budget.
    let login = |client: String, password: &str| {
        app.request(Method::POST, "/api/v1/auth/login", None)
            .header("x-forwarded-for", client)
            .json(&json!({"email": ann.email, "password": password}))
            .send()
    };
    for n in 1..=3 {
        let res = login(format!("203.0.113.{n}"), "wrong-password")
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "failure {n}");
    }
    let res = login("203.0.113.9".into(), &ann.password).await.unwrap();
    assert_throttled(res, "the right password from a fresh address").await;
}

#[tokio::test]
async fn a_budget_of_zero_turns_the_count_off() {
    let app = app_with_budget(0).await;
    let ann = app.register("ann@example.com").await;
    fail(&app, &ann.email, 10).await;
    assert_eq!(
        app.login(&ann.email, &ann.password).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_wrong_current_password_counts_as_a_failed_login() {
    let app = app_with_budget(3).await;
    let ann = app.register("ann@example.com").await;
    for attempt in 0..3 {
        let body =
            json!({"password": "new-password-1", "current_password": format!("wrong-{attempt}")});
        let res = patch(&app, "/api/v1/users/me", &body, &ann.access).await;
        assert_invalid(res, &["current_password"]).await;
    }
    let res = app.login(&ann.email, &ann.password).await;
    assert_throttled(res, "login after 3 wrong current passwords").await;
}
