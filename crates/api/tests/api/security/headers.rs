//! SPEC section 2: answers that carry tokens (register, login, refresh) have
//! `Cache-Control: no-store`.

use crate::helpers::spawn_app;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// Asserts `status`, a `Cache-Control` with the `no-store` directive and a body that
/// does carry tokens; returns the body.
async fn assert_not_stored(res: Response, status: StatusCode, what: &str) -> Value {
    assert_eq!(res.status(), status, "{what}");
    let value = res
        .headers()
        .get("cache-control")
        .unwrap_or_else(|| panic!("{what}: no Cache-Control"))
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        value
            .split(',')
            .any(|d| d.trim().eq_ignore_ascii_case("no-store")),
        "{what}: Cache-Control `{value}`"
    );
    let body: Value = res.json().await.unwrap();
    for key in ["access_token", "refresh_token"] {
        assert!(body[key].is_string(), "{what} carries {key}: {body}");
    }
    body
}

#[tokio::test]
async fn answers_that_carry_tokens_are_never_stored() {
    let app = spawn_app().await;
    let body = json!({"email": "ann@example.com", "password": "password-123"});
    let res = app.post_json("/api/v1/auth/register", &body, None).await;
    assert_not_stored(res, StatusCode::CREATED, "register").await;

    let res = app.login("ann@example.com", "password-123").await;
    let pair = assert_not_stored(res, StatusCode::OK, "login").await;
    let res = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .form(&[
            ("username", "ann@example.com"),
            ("password", "password-123"),
        ])
        .send()
        .await
        .unwrap();
    assert_not_stored(res, StatusCode::OK, "the OAuth2 form login").await;

    let res = app.refresh(pair["refresh_token"].as_str().unwrap()).await;
    assert_not_stored(res, StatusCode::OK, "refresh").await;
}
