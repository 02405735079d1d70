//! SPEC section 2: registration, login, refresh, logout, rate limiting.

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, assert_problem, fields, spawn_app, spawn_app_with, start,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
    let location = res.headers()["location"].to_str().unwrap().to_owned();
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
        .get("/api/v1/users/me", body["access_token"].as_str())
        .await
        .json()
        .await
        .unwrap();
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
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
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
    assert_eq!(fields(&assert_problem(res, 422).await), vec!["password"]);
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
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh}),
            None,
        )
        .await;
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
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh}),
            None,
        )
        .await;
    assert_problem(res, 401).await;
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": refresh2}),
            None,
        )
        .await;
    assert_problem(res, 401).await;
    assert_problem(app.get("/api/v1/users/me", Some(access2)).await, 401).await;
    assert_problem(app.get("/api/v1/users/me", Some(&user.access)).await, 401).await;

    // Other sessions of the same user are untouched.
    let res = app.login(&user.email, &user.password).await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": "made-up"}),
            None,
        )
        .await;
    assert_problem(res, 401).await;
    let res = app
        .post_json("/api/v1/auth/refresh", &json!({}), None)
        .await;
    assert_eq!(
        fields(&assert_problem(res, 422).await),
        vec!["refresh_token"]
    );
}

#[tokio::test]
async fn logout_revokes_everywhere_and_survives_a_restart() {
    let app = spawn_app().await;
    let user = app.register("logout@example.com").await;
    let res = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            Some(&user.access),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert_problem(app.get("/api/v1/users/me", Some(&user.access)).await, 401).await;
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh}),
            None,
        )
        .await;
    assert_problem(res, 401).await;
    let res = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            Some(&user.access),
        )
        .send()
        .await
        .unwrap();
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

#[tokio::test]
async fn login_and_register_are_rate_limited_per_ip_with_separate_budgets() {
    let app = spawn_app_with(|c| c.auth_rate_limit_per_minute = 3).await;
    for _ in 0..3 {
        assert_eq!(
            app.login(ADMIN_EMAIL, "wrong-password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_problem(res, 429).await;

    // Registration has its own budget.
    app.register("rl1@example.com").await;
    app.register("rl2@example.com").await;
    app.register("rl3@example.com").await;
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "rl4@example.com", "password": "password-123"}),
            None,
        )
        .await;
    assert_problem(res, 429).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'rl4@example.com'")
            .await,
        0
    );
}

#[tokio::test]
async fn malformed_bodies_spend_the_rate_limit_budget_too() {
    let app = spawn_app_with(|c| c.auth_rate_limit_per_minute = 2).await;
    for path in ["/api/v1/auth/register", "/api/v1/auth/login"] {
        for _ in 0..2 {
            let res = app
                .request(Method::POST, path, None)
                .header("content-type", "application/json")
                .body("{not json")
                .send()
                .await
                .unwrap();
            assert_problem(res, 400).await;
        }
        // The budget is spent: even a well-formed attempt is now refused.
        let body = json!({"email": "late@example.com", "password": "password-123"});
        assert_problem(app.post_json(path, &body, None).await, 429).await;
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'late@example.com'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_bootstrap_admin_is_never_overwritten() {
    let app = spawn_app().await;
    let mut config = app.config.clone();
    config.admin_password = Some("another-password".into());
    start(&config).await;
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login(ADMIN_EMAIL, "another-password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'admin'")
            .await,
        1
    );
}

#[test]
fn create_admin_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db?mode=rwc", dir.path().display());
    let run = |password: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_api"))
            .current_dir(dir.path())
            .env("DATABASE_URL", &url)
            .env("BCRYPT_COST", "4")
            .args([
                "create-admin",
                "--email",
                "Root@Example.com",
                "--password",
                password,
            ])
            .output()
            .unwrap()
    };
    let first = run("root-password");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("created admin"));
    let second = run("other-password");
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("already exists"));
}

/// With `REDIS_URL`, every instance counts against one budget, and readiness checks Redis.
/// Needs `TEST_REDIS_URL` (CI sets it).
#[tokio::test]
async fn with_redis_the_rate_limit_budget_is_shared_by_all_instances() {
    let Ok(redis_url) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("skipped: TEST_REDIS_URL is not set");
        return;
    };
    let app = spawn_app_with(|c| {
        c.auth_rate_limit_per_minute = 3;
        c.redis_url = Some(redis_url);
    })
    .await;
    let (other, _, _) = start(&app.config).await;
    // A client address of this run's own, so counters left in Redis by earlier runs don't apply.
    let [_, a, b, c, ..] = *uuid::Uuid::new_v4().as_bytes();
    let ip = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, a, b, c.max(2)));
    let client = reqwest::Client::builder()
        .local_address(ip)
        .build()
        .unwrap();
    let login = |base: String| {
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": "wrong-password"}))
            .send()
    };
    let mut statuses = Vec::new();
    for base in [&app.address, &app.address, &other, &other] {
        statuses.push(login(base.clone()).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, vec![401, 401, 401, 429]);

    let ready: Value = app.get("/health/ready", None).await.json().await.unwrap();
    assert_eq!(ready["checks"]["redis"]["ok"], true);
}
