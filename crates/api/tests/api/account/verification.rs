//! `email_verified`, the welcome mail's verification link, `POST /auth/verify-email` and
//! `/auth/verify-email/resend`, and how the tokens are stored.

use super::*;
use crate::answers::assert_invalid;
use crate::helpers::ADMIN_EMAIL;
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn registration_sends_one_welcome_mail_holding_the_verification_link() {
    let (smtp, app) = mail_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "new@example.com", "password": "password-123"}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email_verified"], false);
    let access = body["access_token"].as_str().unwrap();
    let id = body["user"]["id"].as_str().unwrap();

    let mails = smtp.wait_for(1, WAIT).await;
    assert_eq!(mails[0].to, vec!["new@example.com".to_owned()]);
    assert!(
        mails[0].text().contains("Subject: Welcome"),
        "{}",
        mails[0].text()
    );
    let link = link_in(&mails[0], VERIFY_PAGE).expect("a verification link");
    assert!(
        link.starts_with(&format!("{}{VERIFY_PAGE}", app.config.app_url())),
        "{link}"
    );
    token_in(&mails[0], VERIFY_PAGE);
    queue_drained(&app).await;
    assert_eq!(smtp.mails().len(), 1, "registration sends exactly one mail");

    // The flag is the owner's and the admins' to see, not everyone's.
    assert_eq!(me(&app, access).await["email_verified"], false);
    let admin = app.admin_token().await;
    let path = format!("/api/v1/users/{id}");
    assert_eq!(
        app.get_json(&path, Some(&admin)).await["email_verified"],
        false
    );
    let other = app.register("other@example.com").await;
    let public = app.get_json(&path, Some(&other.access)).await;
    let keys: Vec<&String> = public.as_object().expect("an object").keys().collect();
    assert_eq!(keys.len(), 2, "{public}");
    assert!(
        public["id"].is_string() && public["name"].is_string(),
        "{public}"
    );

    // Users an admin creates, and the bootstrap admin, start verified.
    let res = app
        .post_json(
            "/api/v1/users",
            &json!({"email": "made@example.com", "password": "password-123", "role": "member"}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let made: Value = res.json().await.unwrap();
    assert_eq!(made["email_verified"], true);
    let made_access = sign_in(&app, "made@example.com", "password-123").await;
    assert_eq!(me(&app, &made_access).await["email_verified"], true);
    assert_eq!(
        resend(&app, &made_access).await.status(),
        StatusCode::CONFLICT
    );
    let admin_me = me(&app, &admin).await;
    assert_eq!(
        (
            admin_me["email"].as_str(),
            admin_me["email_verified"].as_bool()
        ),
        (Some(ADMIN_EMAIL), Some(true))
    );
}

#[tokio::test]
async fn the_mailed_link_verifies_the_address_once() {
    let (smtp, app) = mail_app().await;
    let user = app.register("ver@example.com").await;
    let token = nth_token(&smtp, &user.email, VERIFY_PAGE, 1).await;

    let unknown = format!("{}x", &token[..token.len() - 1]);
    assert_invalid(verify(&app, &unknown).await, &["token"]).await;
    assert_invalid(verify(&app, "").await, &["token"]).await;
    assert_eq!(me(&app, &user.access).await["email_verified"], false);

    // Anyone holding the link may use it: no sign-in needed.
    assert_eq!(verify(&app, &token).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &user.access).await["email_verified"], true);
    let admin = app.admin_token().await;
    let path = format!("/api/v1/users/{}", user.id);
    assert_eq!(
        app.get_json(&path, Some(&admin)).await["email_verified"],
        true
    );

    assert_invalid(verify(&app, &token).await, &["token"]).await;
    let res = resend(&app, &user.access).await;
    crate::answers::assert_problem(res, 409).await;
}

#[tokio::test]
async fn an_expired_verification_token_is_refused() {
    let (smtp, app) = mail_app().await;
    let user = app.register("late@example.com").await;
    let token = nth_token(&smtp, &user.email, VERIFY_PAGE, 1).await;
    expire(&app, &token).await;
    assert_invalid(verify(&app, &token).await, &["token"]).await;
    assert_eq!(me(&app, &user.access).await["email_verified"], false);
}

#[tokio::test]
async fn resend_mails_a_new_link_and_spends_the_earlier_one() {
    let (smtp, app) = mail_app().await;
    let user = app.register("again@example.com").await;
    let first = nth_token(&smtp, &user.email, VERIFY_PAGE, 1).await;

    let res = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/verify-email/resend",
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(
        resend(&app, &user.access).await.status(),
        StatusCode::ACCEPTED
    );
    let second = nth_token(&smtp, &user.email, VERIFY_PAGE, 2).await;
    assert_ne!(first, second);
    assert_invalid(verify(&app, &first).await, &["token"]).await;
    assert_eq!(me(&app, &user.access).await["email_verified"], false);
    assert_eq!(verify(&app, &second).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &user.access).await["email_verified"], true);
    assert_eq!(
        resend(&app, &user.access).await.status(),
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn tokens_are_stored_only_as_their_sha256() {
    let (smtp, app) = mail_app().await;
    let user = app.register("hash@example.com").await;
    let verify_token = nth_token(&smtp, &user.email, VERIFY_PAGE, 1).await;
    assert_eq!(
        request_reset(&app, &user.email).await.status(),
        StatusCode::ACCEPTED
    );
    let reset_token = nth_token(&smtp, &user.email, RESET_PAGE, 1).await;

    assert_eq!(app.count("SELECT COUNT(*) FROM account_tokens").await, 2);
    let columns = [
        "id",
        "user_id",
        "purpose",
        "token_hash",
        "expires_at",
        "used_at",
        "created_at",
    ];
    for plain in [&verify_token, &reset_token] {
        for column in columns {
            let sql = format!(
                "SELECT COUNT(*) FROM account_tokens WHERE CAST({column} AS TEXT) LIKE '%{plain}%'"
            );
            assert_eq!(app.count(&sql).await, 0, "{column} holds the plain token");
        }
        let hash = sha256_hex(plain.as_bytes());
        let sql = format!("SELECT COUNT(*) FROM account_tokens WHERE token_hash = '{hash}'");
        assert_eq!(app.count(&sql).await, 1, "one row holds SHA-256({plain})");
    }
    // Every stored hash is 64 hex digits.
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT token_hash FROM account_tokens".to_owned(),
        ))
        .await
        .unwrap();
    for row in rows {
        let hash: String = row.try_get_by_index(0).unwrap();
        assert!(
            hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "{hash}"
        );
    }
}
