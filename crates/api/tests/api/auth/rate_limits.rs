//! Auth: rate limits, and the bootstrap admin.

use super::*;

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

    // The password from standard input, out of the process list.
    let from_stdin = |email: &str, input: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_api"))
            .current_dir(dir.path())
            .env("DATABASE_URL", &url)
            .env("BCRYPT_COST", "4")
            .args(["create-admin", "--email", email, "--password-stdin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    };
    let piped = from_stdin("ops@example.com", "a-piped-password\n");
    assert!(
        piped.status.success(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    assert!(String::from_utf8_lossy(&piped.stdout).contains("created admin ops@example.com"));
    // An empty line is no password: refused like a short one.
    let empty = from_stdin("ops2@example.com", "\n");
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("password"));
}

/// With `REDIS_URL`, every instance counts against one budget, and readiness checks Redis.
/// Needs `TEST_REDIS_URL` (CI sets it).
#[tokio::test]
async fn with_redis_the_rate_limit_budget_is_shared_by_all_instances() {
    let Ok(redis_url) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("skipped: TEST_REDIS_URL is not set");
        return;
    };
    // Keys of this test's own: the admin's per-account login budget, also kept in Redis,
    // would otherwise carry failures over from earlier runs.
    let prefix = crate::helpers::redis_prefix();
    let app = spawn_app_with(|c| {
        c.auth_rate_limit_per_minute = 3;
        c.redis_url = Some(redis_url);
        c.redis_prefix = prefix;
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

    let ready: Value = app.get_json("/health/ready", None).await;
    assert_eq!(ready["checks"]["redis"]["ok"], true);
}
