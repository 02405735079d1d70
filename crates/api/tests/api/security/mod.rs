//! SPEC section 2's security rules end to end: per-account login budgets, writes that
//! race without losing a change, revocations that reach every instance at once, answers
//! that carry tokens kept out of caches, and section 7's start-up refusals.

use crate::helpers::TestApp;
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

mod headers;
mod login_budget;
mod races;
mod revocation;
mod startup;

/// `PATCH path` with `body` as JSON.
async fn patch(app: &TestApp, path: &str, body: &Value, token: &str) -> Response {
    app.send_json(Method::PATCH, path, body, Some(token)).await
}

/// Asserts a `200` and returns its body, naming `what` and the answer's body on failure.
async fn assert_ok(res: Response, what: &str) -> Value {
    let status = res.status();
    let text = res.text().await.expect("a body");
    assert_eq!(status, StatusCode::OK, "{what}: {text}");
    serde_json::from_str(&text).expect("a JSON body")
}

/// A successful login's access and refresh tokens.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> (String, String) {
    let body = assert_ok(app.login(email, password).await, "login").await;
    let token = |key: &str| body[key].as_str().expect("a token").to_owned();
    (token("access_token"), token("refresh_token"))
}
