//! `POST /auth/password-reset` and `/auth/password-reset/confirm`: what the request
//! answers and mails, what a confirmed reset changes, and the tokens that change nothing.

use super::*;
use crate::answers::assert_invalid;
use crate::helpers::{TestApp, start};
use reqwest::Method;

const NEW_PASSWORD: &str = "a-brand-new-password";
const CHANGED: &str = "Your password was changed";

/// A registered user whose welcome mail arrived, and the token of its first reset mail.
async fn user_with_reset_link(smtp: &SmtpServer, app: &TestApp, email: &str) -> (String, String) {
    let user = app.register(email).await;
    wait_for_mails(smtp, email, VERIFY_PAGE, 1).await;
    assert_eq!(
        request_reset(app, email).await.status(),
        StatusCode::ACCEPTED
    );
    (user.access, nth_token(smtp, email, RESET_PAGE, 1).await)
}

#[tokio::test]
async fn the_request_answers_alike_for_known_unknown_and_inactive_addresses() {
    let (smtp, app) = mail_app().await;
    app.register("known@example.com").await;
    let admin = app.admin_token().await;
    let res = app
        .post_json(
            "/api/v1/users",
            &json!({"email": "gone@example.com", "password": "password-123", "role": "member"}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let gone: Value = res.json().await.unwrap();
    let path = format!("/api/v1/users/{}", gone["id"].as_str().unwrap());
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            &json!({"is_active": false}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    for email in [
        "known@example.com",
        "nobody@example.com",
        "gone@example.com",
    ] {
        let res = request_reset(&app, email).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED, "{email}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, json!({"detail": RESET_ACCEPTED}), "{email}");
    }
    let mails = wait_for_mails(&smtp, "known@example.com", RESET_PAGE, 1).await;
    assert_eq!(mails.len(), 1);
    // Anything else it (wrongly) queued has been sent by now.
    queue_drained(&app).await;
    for email in ["nobody@example.com", "gone@example.com"] {
        assert!(mails_saying(&smtp, email, "").is_empty(), "mail to {email}");
    }
    assert_eq!(
        mails_saying(&smtp, "known@example.com", RESET_PAGE).len(),
        1
    );

    for email in ["not-an-address", ""] {
        assert_invalid(request_reset(&app, email).await, &["email"]).await;
    }
    let res = app
        .post_json("/api/v1/auth/password-reset", &json!({}), None)
        .await;
    assert_invalid(res, &["email"]).await;
}

#[tokio::test]
async fn a_confirmed_reset_sets_the_password_verifies_and_ends_every_session() {
    let (smtp, app) = mail_app().await;
    let email = "reset@example.com";
    let user = app.register(email).await;
    wait_for_mails(&smtp, email, VERIFY_PAGE, 1).await;
    // A second session whose refresh token was already traded once (a refresh family).
    let res = app.login(email, &user.password).await;
    let second: Value = res.json().await.unwrap();
    let res = app.refresh(second["refresh_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let traded: Value = res.json().await.unwrap();
    let access = [
        user.access.clone(),
        second["access_token"].as_str().unwrap().to_owned(),
        traded["access_token"].as_str().unwrap().to_owned(),
    ];
    for token in &access {
        assert_eq!(me(&app, token).await["email_verified"], false);
    }

    assert_eq!(
        request_reset(&app, email).await.status(),
        StatusCode::ACCEPTED
    );
    let token = nth_token(&smtp, email, RESET_PAGE, 1).await;
    assert_eq!(
        confirm(&app, &token, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );

    assert_eq!(
        app.login(email, &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let fresh = sign_in(&app, email, NEW_PASSWORD).await;
    assert_eq!(me(&app, &fresh).await["email_verified"], true);
    for token in &access {
        let res = app.get("/api/v1/users/me", Some(token)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    for refresh in [&user.refresh, traded["refresh_token"].as_str().unwrap()] {
        assert_eq!(
            app.refresh(refresh).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let notices = wait_for_mails(&smtp, email, CHANGED, 1).await;
    assert!(link_in(&notices[0], RESET_PAGE).is_none());
    // The token is spent.
    assert_invalid(
        confirm(&app, &token, "yet-another-password").await,
        &["token"],
    )
    .await;
    assert_eq!(
        app.login(email, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_expired_or_spent_tokens_change_nothing() {
    let (smtp, app) = mail_app().await;
    let email = "keep@example.com";
    let (access, token) = user_with_reset_link(&smtp, &app, email).await;

    let unknown = format!("{}x", &token[..token.len() - 1]);
    for bad in [unknown.as_str(), "short", ""] {
        assert_invalid(confirm(&app, bad, NEW_PASSWORD).await, &["token"]).await;
    }
    // A verification token is no reset token, nor the other way round.
    let verify_token = nth_token(&smtp, email, VERIFY_PAGE, 1).await;
    assert_invalid(confirm(&app, &verify_token, NEW_PASSWORD).await, &["token"]).await;
    assert_invalid(verify(&app, &token).await, &["token"]).await;

    expire(&app, &token).await;
    assert_invalid(confirm(&app, &token, NEW_PASSWORD).await, &["token"]).await;

    // Nothing changed: the old password and session work, the address is unverified,
    // and no notice went out.
    assert_eq!(
        app.login(email, "password-123").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login(email, NEW_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me(&app, &access).await["email_verified"], false);
    queue_drained(&app).await;
    assert!(mails_saying(&smtp, email, CHANGED).is_empty());
}

#[tokio::test]
async fn a_bad_password_leaves_the_token_unspent() {
    let (smtp, app) = mail_app().await;
    let email = "careful@example.com";
    let (access, token) = user_with_reset_link(&smtp, &app, email).await;
    for bad in ["1234567", &"x".repeat(73)] {
        assert_invalid(confirm(&app, &token, bad).await, &["password"]).await;
    }
    let res = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token}),
            None,
        )
        .await;
    assert_invalid(res, &["password"]).await;
    assert_eq!(me(&app, &access).await["email_verified"], false);
    assert_eq!(
        app.login(email, "password-123").await.status(),
        StatusCode::OK
    );

    assert_eq!(
        confirm(&app, &token, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.login(email, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_newer_request_spends_the_earlier_token() {
    let (smtp, app) = mail_app().await;
    let email = "twice@example.com";
    let (_, first) = user_with_reset_link(&smtp, &app, email).await;
    assert_eq!(
        request_reset(&app, email).await.status(),
        StatusCode::ACCEPTED
    );
    let second = nth_token(&smtp, email, RESET_PAGE, 2).await;
    assert_ne!(first, second);

    assert_invalid(confirm(&app, &first, NEW_PASSWORD).await, &["token"]).await;
    assert_eq!(
        app.login(email, NEW_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        confirm(&app, &second, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.login(email, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
}

/// Confirms `token` on `a` and `b` at once with two different passwords, and asserts that
/// exactly one won: one `204`, one `422` naming `token`, one password, one notice.
async fn race(smtp: &SmtpServer, a: &TestApp, b: &TestApp, email: &str, token: &str) {
    let (one, two) = tokio::join!(
        confirm(a, token, "password-of-one"),
        confirm(b, token, "password-of-two")
    );
    let (won, lost) = match (one.status(), two.status()) {
        (StatusCode::NO_CONTENT, _) => (("password-of-one", "password-of-two"), two),
        (_, StatusCode::NO_CONTENT) => (("password-of-two", "password-of-one"), one),
        statuses => panic!("no confirm won: {statuses:?}"),
    };
    assert_invalid(lost, &["token"]).await;
    assert_eq!(a.login(email, won.0).await.status(), StatusCode::OK);
    assert_eq!(
        a.login(email, won.1).await.status(),
        StatusCode::UNAUTHORIZED
    );
    wait_for_mails(smtp, email, CHANGED, 1).await;
    queue_drained(a).await;
    assert_eq!(mails_saying(smtp, email, CHANGED).len(), 1);
}

#[tokio::test]
async fn two_confirms_racing_on_one_token_succeed_once() {
    let (smtp, app) = mail_app().await;
    let email = "race@example.com";
    let (_, token) = user_with_reset_link(&smtp, &app, email).await;
    race(&smtp, &app, &app, email, &token).await;
}

#[tokio::test]
async fn two_instances_racing_on_one_token_succeed_once() {
    let (smtp, app) = mail_app().await;
    let other = TestApp::on(&app, start(&app.config).await);
    let email = "race2@example.com";
    let (_, token) = user_with_reset_link(&smtp, &app, email).await;
    race(&smtp, &app, &other, email, &token).await;
}
