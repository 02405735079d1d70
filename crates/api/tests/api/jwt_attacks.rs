//! Every forged, stale or revoked access token is a 401 with `WWW-Authenticate: Bearer`.

use crate::answers::assert_problem;
use crate::helpers::{JWT_SECRET, TestApp, TestUser, spawn_app};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

pub fn sign(claims: &Value, alg: Algorithm, secret: &str) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn assert_refused(app: &TestApp, token: &str, what: &str) {
    let res = app.get("/api/v1/users/me", Some(token)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
    assert_eq!(res.headers()["www-authenticate"], "Bearer", "{what}");
    assert_problem(res, 401).await;
}

async fn victim(app: &TestApp) -> (TestUser, Value) {
    let user = app.register("victim@example.com").await;
    let claims = claims_of(&user.access);
    // The genuine token works, so each refusal below is down to the one change made.
    assert_eq!(
        app.get("/api/v1/users/me", Some(&user.access))
            .await
            .status(),
        StatusCode::OK
    );
    // The server's own token is what the forgeries imitate: a three-part HS256 JWT.
    let parts: Vec<&str> = user.access.split('.').collect();
    assert_eq!(parts.len(), 3, "{}", user.access);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256");
    for key in ["sub", "sid", "exp", "iat", "aud", "iss"] {
        assert!(
            !claims[key].is_null(),
            "the server's token lacks {key}: {claims}"
        );
    }
    (user, claims)
}

#[tokio::test]
async fn forged_and_tampered_tokens_are_refused() {
    let app = spawn_app().await;
    let (user, claims) = victim(&app).await;
    let resigned = sign(&claims, Algorithm::HS256, JWT_SECRET);
    assert_eq!(
        app.get("/api/v1/users/me", Some(&resigned)).await.status(),
        StatusCode::OK
    );

    // alg: none, no signature.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    assert_refused(&app, &format!("{header}.{body}."), "alg none").await;
    // Signed with another key.
    assert_refused(
        &app,
        &sign(
            &claims,
            Algorithm::HS256,
            "another-secret-another-secret-xx",
        ),
        "other key",
    )
    .await;
    // Signed with the right key but another algorithm than the pinned one.
    assert_refused(&app, &sign(&claims, Algorithm::HS512, JWT_SECRET), "HS512").await;
    // Payload changed (promoted to admin), signature kept.
    let mut promoted = claims.clone();
    promoted["role"] = json!("admin");
    let parts: Vec<&str> = user.access.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(promoted.to_string()),
        parts[2]
    );
    assert_refused(&app, &tampered, "tampered payload").await;
    // Garbage and malformed headers.
    assert_refused(&app, "not.a.jwt", "garbage").await;
    for header in ["Token abc", "Bearer", "Basic dXNlcjpwdw=="] {
        let res = app
            .client
            .get(app.url("/api/v1/users/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_problem(res, 401).await;
    }
    assert_problem(app.get("/api/v1/users/me", None).await, 401).await;
}

#[tokio::test]
async fn expired_and_misaddressed_tokens_are_refused() {
    let app = spawn_app().await;
    let (_, claims) = victim(&app).await;
    let now = chrono::Utc::now().timestamp();

    let mut expired = claims.clone();
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    assert_refused(
        &app,
        &sign(&expired, Algorithm::HS256, JWT_SECRET),
        "expired",
    )
    .await;

    let mut aud = claims.clone();
    aud["aud"] = json!("someone-else");
    assert_refused(&app, &sign(&aud, Algorithm::HS256, JWT_SECRET), "wrong aud").await;

    let mut iss = claims.clone();
    iss["iss"] = json!("evil-issuer");
    assert_refused(&app, &sign(&iss, Algorithm::HS256, JWT_SECRET), "wrong iss").await;

    let mut no_exp = claims.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_refused(&app, &sign(&no_exp, Algorithm::HS256, JWT_SECRET), "no exp").await;

    // A valid signature on a session that never existed.
    let mut ghost = claims.clone();
    ghost["sid"] = json!(uuid::Uuid::now_v7());
    assert_refused(
        &app,
        &sign(&ghost, Algorithm::HS256, JWT_SECRET),
        "unknown session",
    )
    .await;
}

#[tokio::test]
async fn revoked_sessions_and_deactivated_users_are_refused() {
    let app = spawn_app().await;
    let (user, _) = victim(&app).await;
    let admin = app.admin_token().await;

    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{}", user.id),
            &json!({"is_active": false}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_refused(&app, &user.access, "deactivated").await;
    let res = app.refresh(&user.refresh).await;
    assert_problem(res, 401).await;

    // Deactivation ended the sessions: reactivating does not bring them back.
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{}", user.id),
            &json!({"is_active": true}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "reactivation");
    assert_refused(&app, &user.access, "deactivated, then reactivated").await;
    let fresh = app.login(&user.email, &user.password).await;
    assert_eq!(fresh.status(), StatusCode::OK, "login after reactivation");
    let fresh: Value = fresh.json().await.unwrap();
    let fresh = fresh["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/users/me", Some(&fresh)).await.status(),
        StatusCode::OK
    );
    app.logout(&fresh).await;
    assert_refused(&app, &fresh, "revoked").await;
}
