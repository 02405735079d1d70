//! SPEC section 2: registration, login, refresh, logout, rate limiting.

use crate::answers::{assert_invalid, assert_problem, assert_tally, fields, location_of};
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, spawn_app, spawn_app_with, start};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod rate_limits;

#[tokio::test]
async fn register_creates_a_member_with_a_session_and_a_welcome_job() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "  Ada.Lovelace@Example.COM ", "password": "password-123"}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = location_of(&res);
    let body: Value = res.json().await.unwrap();
    let user = &body["user"];
    assert_eq!(
        location,
        format!("/api/v1/users/{}", user["id"].as_str().unwrap())
    );
    assert_eq!(user["email"], "ada.lovelace@example.com");
    assert_eq!(user["name"], "ada.lovelace");
    assert_eq!(user["role"], "member");
    assert_eq!(user["is_active"], true);
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 40);

    let me: Value = app
        .get_json("/api/v1/users/me", body["access_token"].as_str())
        .await;
    assert_eq!(me["id"], user["id"]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'welcome_email'")
            .await,
        1,
        "registration enqueues exactly one welcome e-mail"
    );
}

#[tokio::test]
async fn register_refuses_duplicates_case_insensitively_and_invalid_input() {
    let app = spawn_app().await;
    app.register("dup@example.com").await;
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "DUP@example.com", "password": "password-123"}),
            None,
        )
        .await;
    assert_problem(res, 409).await;

    for (body, field) in [
        (
            json!({"email": "not-an-email", "password": "password-123"}),
            "email",
        ),
        (json!({"email": "a@b.co", "password": "short"}), "password"),
        (
            json!({"email": "a@b.co", "password": "x".repeat(73)}),
            "password",
        ),
        (
            json!({"email": "a@b.co", "password": "password-123", "name": "  "}),
            "name",
        ),
        (
            json!({"email": "a@b.co", "password": "password-123", "name": "n".repeat(101)}),
            "name",
        ),
    ] {
        let problem = assert_problem(
            app.post_json("/api/v1/auth/register", &body, None).await,
            422,
        )
        .await;
        assert_eq!(fields(&problem), vec![field], "{body}");
    }
    // A missing field is named beside the invalid ones.
    assert_invalid(
        app.post_json("/api/v1/auth/register", &json!({"email": "x"}), None)
            .await,
        &["email", "password"],
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs").await,
        1,
        "refused registrations enqueue nothing"
    );
}

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_email_create_one_account() {
    let app = spawn_app().await;
    let body = json!({"email": "race@example.com", "password": "password-123"});
    let attempts = (0..20).map(|_| app.post_json("/api/v1/auth/register", &body, None));
    assert_tally(attempts, &[(201, 1), (409, 19)]).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'race@example.com'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, 1);
}

#[tokio::test]
async fn login_accepts_json_and_the_oauth2_form() {
    let app = spawn_app().await;
    let user = app.register("login@example.com").await;
    let res = app.login("LOGIN@example.com", &user.password).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert!(body.get("user").is_none());

    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .form(&[
            ("grant_type", "password"),
            ("username", "login@example.com"),
            ("password", "password-123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let token: Value = res.json().await.unwrap();
    let me = app
        .get("/api/v1/users/me", token["access_token"].as_str())
        .await;
    assert_eq!(me.status(), StatusCode::OK);

    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .form(&[("username", "x")])
        .send()
        .await
        .unwrap();
    assert_invalid(res, &["password"]).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;
}

#[tokio::test]
async fn wrong_password_unknown_email_and_inactive_user_look_the_same() {
    let app = spawn_app().await;
    let user = app.register("same@example.com").await;
    let admin = app.admin_token().await;
    let wrong = assert_problem(app.login(&user.email, "wrong-password").await, 401).await;
    let unknown =
        assert_problem(app.login("nobody@example.com", "wrong-password").await, 401).await;
    let malformed = assert_problem(app.login("not an email", "wrong-password").await, 401).await;

    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{}", user.id),
            &json!({"is_active": false}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let inactive = assert_problem(app.login(&user.email, &user.password).await, 401).await;
    for other in [&unknown, &malformed, &inactive] {
        assert_eq!(wrong["detail"], other["detail"]);
        assert_eq!(wrong["type"], other["type"]);
    }
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_session() {
    let app = spawn_app().await;
    let user = app.register("refresh@example.com").await;
    let res = app.refresh(&user.refresh).await;
    assert_eq!(res.status(), StatusCode::OK);
    let pair: Value = res.json().await.unwrap();
    let (access2, refresh2) = (
        pair["access_token"].as_str().unwrap(),
        pair["refresh_token"].as_str().unwrap(),
    );
    assert_ne!(refresh2, user.refresh);
    assert_eq!(
        app.get("/api/v1/users/me", Some(access2)).await.status(),
        StatusCode::OK
    );

    // The spent token comes back: reuse. The whole family dies, including the new pair.
    let res = app.refresh(&user.refresh).await;
    assert_problem(res, 401).await;
    let res = app.refresh(refresh2).await;
    assert_problem(res, 401).await;
    assert_problem(app.get("/api/v1/users/me", Some(access2)).await, 401).await;
    assert_problem(app.get("/api/v1/users/me", Some(&user.access)).await, 401).await;

    // Other sessions of the same user are untouched.
    let res = app.login(&user.email, &user.password).await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = app.refresh("made-up").await;
    assert_problem(res, 401).await;
    let res = app
        .post_json("/api/v1/auth/refresh", &json!({}), None)
        .await;
    assert_invalid(res, &["refresh_token"]).await;
}

#[tokio::test]
async fn logout_revokes_everywhere_and_survives_a_restart() {
    let app = spawn_app().await;
    let user = app.register("logout@example.com").await;
    let res = app.send_logout(&user.access).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert_problem(app.get("/api/v1/users/me", Some(&user.access)).await, 401).await;
    let res = app.refresh(&user.refresh).await;
    assert_problem(res, 401).await;
    let res = app.send_logout(&user.access).await;
    assert_problem(res, 401).await;

    // A second instance on the same database (or this one restarted) agrees.
    let (other, _, _) = start(&app.config).await;
    let res = app
        .client
        .get(format!("{other}/api/v1/users/me"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
