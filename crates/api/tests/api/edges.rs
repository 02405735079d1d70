//! The edges a hostile or careless client meets: security headers, CORS as configured,
//! slow clients timed out, deep JSON refused, rate limits keyed through trusted proxies
//! only, and a rate limiter that fails closed.

use crate::answers::assert_problem;
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, spawn_app, spawn_app_with, start};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn every_response_carries_the_security_headers_and_the_docs_their_own_csp() {
    let app = spawn_app().await;
    for path in [
        "/health",
        "/api/v1/products",
        "/api/v1/nowhere",
        "/openapi.json",
    ] {
        let res = app.get(path, None).await;
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            h["content-security-policy"], "default-src 'none'; frame-ancestors 'none'",
            "{path}"
        );
    }
    let docs = app.get("/docs/", None).await;
    assert_eq!(docs.status(), StatusCode::OK);
    let csp = docs.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
}

#[tokio::test]
async fn cors_answers_preflights_for_configured_origins_only() {
    let app = spawn_app_with(|c| c.cors_origins = "https://app.example.com".into()).await;
    let preflight = |origin: &'static str| {
        app.request(Method::OPTIONS, "/api/v1/products", None)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, if-match",
            )
            .send()
    };
    let ok = preflight("https://app.example.com").await.unwrap();
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let methods = ok.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("POST"), "{methods}");
    let allowed = ok.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allowed.contains("if-match") && allowed.contains("authorization"),
        "{allowed}"
    );

    let other = preflight("https://evil.example.com").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let res = app
        .request(Method::GET, "/api/v1/products", None)
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let exposed = res.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("x-request-id"),
        "{exposed}"
    );

    // Without CORS_ORIGINS no browser origin is allowed.
    let closed = spawn_app().await;
    let res = closed
        .request(Method::GET, "/api/v1/products", None)
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

/// Reads until the server closes the connection; what it said, and when it hung up.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(
            limit.saturating_sub(started.elapsed()),
            stream.read(&mut buf),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the connection is still open after {limit:?}"),
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    let app = spawn_app_with(|c| {
        c.request_timeout_secs = 1;
        c.keep_alive_secs = 1;
    })
    .await;
    let addr = app.address.trim_start_matches("http://").to_owned();

    // A head that never ends.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let (_, after) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(after < Duration::from_secs(4), "closed after {after:?}");

    // A body that never arrives.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":",
    )
    .await
    .unwrap();
    let (answer, after) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(after < Duration::from_secs(4), "closed after {after:?}");

    // An idle keep-alive connection is closed too.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, after) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(after < Duration::from_secs(4), "closed after {after:?}");
}

#[tokio::test]
async fn deeply_nested_json_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.register("nest@example.com").await;
    let deep = format!(
        "{{\"name\": \"Deep\", \"price\": \"1\", \"x\": {}{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let res = app
        .request(Method::POST, "/api/v1/products", Some(&user.access))
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 400).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("nested"),
        "{problem}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM products").await, 0);
}

async fn login_from(app: &crate::helpers::TestApp, forwarded_for: &str) -> StatusCode {
    app.request(Method::POST, "/api/v1/auth/login", None)
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": ADMIN_EMAIL, "password": "wrong-password"}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn rate_limits_key_on_forwarded_addresses_only_behind_a_trusted_proxy() {
    // The test client connects from 127.0.0.1: trusted here, so the header names the client.
    let behind = spawn_app_with(|c| {
        c.auth_rate_limit_per_minute = 2;
        c.trusted_proxies = "127.0.0.1, 10.0.0.0/8".into();
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            login_from(&behind, "198.51.100.1").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&behind, "198.51.100.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&behind, "198.51.100.2").await,
        StatusCode::UNAUTHORIZED,
        "another client has its own budget"
    );
    // A forged entry to the left of the proxy's own changes nothing.
    assert_eq!(
        login_from(&behind, "203.0.113.66, 198.51.100.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Not trusted: the header is ignored and everyone shares the peer's budget.
    let direct = spawn_app_with(|c| c.auth_rate_limit_per_minute = 2).await;
    assert_eq!(
        login_from(&direct, "198.51.100.1").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_from(&direct, "198.51.100.2").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_from(&direct, "198.51.100.3").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// A `redis-server` of the test's own, so it can be stopped and started again.
struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    fn start(port: u16) -> Option<Self> {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .ok()?;
        Some(Self {
            port,
            child: Some(child),
        })
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn answering(&self) {
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not come up");
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn the_rate_limiter_fails_closed_while_redis_is_away_and_recovers() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Some(mut redis) = OwnRedis::start(port) else {
        eprintln!("skipped: no redis-server on PATH");
        return;
    };
    redis.answering().await;
    let app = spawn_app_with(|c| {
        c.auth_rate_limit_per_minute = 50;
        c.redis_url = Some(format!("redis://127.0.0.1:{port}"));
        c.redis_prefix = format!("edges-{port}:");
    })
    .await;
    assert_eq!(
        app.login(ADMIN_EMAIL, "wrong-password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Another instance whose only use of Redis at login is the per-account budget.
    let mut per_account = app.config.clone();
    per_account.auth_rate_limit_per_minute = 0;
    per_account.login_failures_per_account = 10;
    let accounts_only = TestApp::on(&app, start(&per_account).await);

    redis.stop();
    let started = Instant::now();
    let res = app.login(ADMIN_EMAIL, "wrong-password").await;
    assert_problem(res, 503).await;
    let res = accounts_only.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_problem(res, 503).await;
    // Registration is under the per-IP budget too: 503, and no account was made.
    let newcomer = json!({"email": "newcomer@example.com", "password": "password-123"});
    let res = app
        .post_json("/api/v1/auth/register", &newcomer, None)
        .await;
    assert_problem(res, 503).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'newcomer@example.com'")
            .await,
        0
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        app.get("/health/ready", None).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        app.get("/api/v1/products", None).await.status(),
        StatusCode::OK,
        "what does not need Redis goes on"
    );

    let redis = OwnRedis::start(port).unwrap();
    redis.answering().await;
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..100 {
        status = app.login(ADMIN_EMAIL, "wrong-password").await.status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "recovered without a restart"
    );
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..100 {
        status = accounts_only
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status();
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::OK, "the account budget is back too");
    let res = app
        .post_json("/api/v1/auth/register", &newcomer, None)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "registration is back too"
    );
    assert_eq!(
        app.get("/health/ready", None).await.status(),
        StatusCode::OK
    );
}
