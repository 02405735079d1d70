//! `REQUIRE_VERIFIED_EMAIL`, the per-IP budgets of the account endpoints, and where the
//! mailed links point (`APP_URL`, never the request's `Host`).

use super::*;
use crate::answers::{assert_invalid, assert_problem};
use reqwest::Method;

async fn create_product(app: &TestApp, access: &str) -> Response {
    app.post_json(
        "/api/v1/products",
        &json!({"name": "Tea", "price": "1.00"}),
        Some(access),
    )
    .await
}

#[tokio::test]
async fn with_require_verified_email_an_unverified_user_reads_but_does_not_write() {
    let (smtp, app) = mail_app_with(|c| c.require_verified_email = true).await;
    let user = app.register("unverified@example.com").await;
    let welcome = nth_token(&smtp, &user.email, VERIFY_PAGE, 1).await;

    assert_eq!(me(&app, &user.access).await["email_verified"], false);
    let res = app.get("/api/v1/products", Some(&user.access)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let problem = assert_problem(create_product(&app, &user.access).await, 403).await;
    let kind = problem["type"].as_str().unwrap();
    assert!(kind.ends_with("email-not-verified"), "{kind}");
    let res = app
        .send_json(
            Method::PATCH,
            "/api/v1/users/me",
            &json!({"name": "Renamed"}),
            Some(&user.access),
        )
        .await;
    let problem = assert_problem(res, 403).await;
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("email-not-verified")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM products").await, 0);

    // The auth endpoints stay open: a second session logs out, and a new link is mailed.
    let other = sign_in(&app, &user.email, &user.password).await;
    app.logout(&other).await;
    assert_eq!(
        resend(&app, &user.access).await.status(),
        StatusCode::ACCEPTED
    );
    let token = nth_token(&smtp, &user.email, VERIFY_PAGE, 2).await;
    assert_ne!(token, welcome);
    assert_eq!(verify(&app, &token).await.status(), StatusCode::NO_CONTENT);

    let res = create_product(&app, &user.access).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // The verified bootstrap admin was never held back.
    let admin = app.admin_token().await;
    let res = app
        .post_json(
            "/api/v1/products",
            &json!({"name": "Coffee", "price": "2.00"}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn without_require_verified_email_an_unverified_user_writes() {
    let app = crate::helpers::spawn_app().await;
    let user = app.register("free@example.com").await;
    assert_eq!(me(&app, &user.access).await["email_verified"], false);
    assert_eq!(
        create_product(&app, &user.access).await.status(),
        StatusCode::CREATED
    );
}

/// Asserts a `429` with a `Retry-After` of 1 to 60 seconds.
async fn assert_limited(res: Response) {
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_problem(res, 429).await;
}

#[tokio::test]
async fn the_account_endpoints_are_rate_limited_each_with_its_own_budget() {
    let app = crate::helpers::spawn_app_with(|c| c.auth_rate_limit_per_minute = 2).await;
    for _ in 0..2 {
        let res = request_reset(&app, "someone@example.com").await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
    assert_limited(request_reset(&app, "someone@example.com").await).await;
    // The limit comes before the body is read.
    assert_limited(request_reset(&app, "not-an-address").await).await;

    // Spending password-reset's budget left the others whole.
    for _ in 0..2 {
        assert_invalid(verify(&app, "no-such-token").await, &["token"]).await;
    }
    assert_limited(verify(&app, "no-such-token").await).await;
    for _ in 0..2 {
        let res = confirm(&app, "no-such-token", "password-123").await;
        assert_invalid(res, &["token"]).await;
    }
    assert_limited(confirm(&app, "no-such-token", "password-123").await).await;
    // Login's budget is its own too.
    let res = app.login("someone@example.com", "password-123").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// Asks for a reset of `email` with a `Host` header the client made up.
async fn request_reset_as(app: &TestApp, email: &str, host: &str) {
    let res = app
        .request(Method::POST, "/api/v1/auth/password-reset", None)
        .header("host", host)
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn the_links_point_to_app_url_whatever_the_host_header_says() {
    let (smtp, app) = mail_app_with(|c| c.app_url = Some("https://app.example.test".into())).await;
    let user = app.register("origin@example.com").await;
    let welcome = wait_for_mails(&smtp, &user.email, VERIFY_PAGE, 1).await;
    let link = link_in(&welcome[0], VERIFY_PAGE).unwrap();
    assert!(
        link.starts_with("https://app.example.test/verify-email?token="),
        "{link}"
    );

    request_reset_as(&app, &user.email, "evil.example").await;
    let mails = wait_for_mails(&smtp, &user.email, RESET_PAGE, 1).await;
    let link = link_in(&mails[0], RESET_PAGE).unwrap();
    assert!(
        link.starts_with("https://app.example.test/reset-password?token="),
        "{link}"
    );
    assert!(
        !mails[0].text().contains("evil.example"),
        "{}",
        mails[0].text()
    );
}

#[tokio::test]
async fn without_app_url_the_links_point_to_the_server_never_to_the_host_header() {
    let (smtp, app) = mail_app().await;
    let user = app.register("plain@example.com").await;
    request_reset_as(&app, &user.email, "evil.example").await;
    let mails = wait_for_mails(&smtp, &user.email, RESET_PAGE, 1).await;
    let link = link_in(&mails[0], RESET_PAGE).unwrap();
    // `http://HOST:PORT` of the configuration (port 0 in tests), or the bound address.
    let configured = format!("http://{}:{}", app.config.host, app.config.port);
    assert!(
        link.starts_with(&format!("{configured}{RESET_PAGE}"))
            || link.starts_with(&format!("{}{RESET_PAGE}", app.address)),
        "{link}"
    );
    assert!(
        !mails[0].text().contains("evil.example"),
        "{}",
        mails[0].text()
    );
}
