//! One cache policy: `no-store` for what is tied to a caller and for live readings,
//! `no-cache` for public reads, and a handler's own choice kept.

use super::{header, product, request};
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, spawn_app};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn every_answer_carries_the_cache_control_of_its_class() {
    let app = spawn_app().await;
    let user = app.register("cache@example.com").await;
    let (id, _) = product(&app, &user.access, "Cached", "pet").await;
    let token = Some(user.access.as_str());
    let cases: [(Method, String, Option<&str>, &str); 12] = [
        (
            Method::GET,
            format!("/api/v1/products/{id}"),
            None,
            "no-cache",
        ),
        (Method::GET, "/api/v1/products".into(), None, "no-cache"),
        (Method::GET, "/api/v1/posts".into(), None, "no-cache"),
        (Method::GET, "/openapi.json".into(), None, "no-cache"),
        (
            Method::GET,
            format!("/api/v1/products/{id}"),
            token,
            "no-store",
        ),
        (Method::GET, "/api/v1/products".into(), token, "no-store"),
        (Method::GET, "/api/v1/users/me".into(), token, "no-store"),
        (Method::GET, "/health".into(), None, "no-store"),
        (Method::GET, "/health/ready".into(), None, "no-store"),
        (Method::GET, "/metrics".into(), None, "no-store"),
        (Method::GET, "/reset-password".into(), None, "no-store"),
        (
            Method::GET,
            "/account.js".into(),
            None,
            "public, max-age=300",
        ),
    ];
    for (method, path, token, expected) in cases {
        for method in [method.clone(), Method::HEAD] {
            let res = request(&app, method.clone(), &path, token)
                .send()
                .await
                .unwrap();
            assert!(
                res.status().is_success(),
                "{method} {path}: {}",
                res.status()
            );
            assert_eq!(
                header(res.headers(), "cache-control"),
                expected,
                "{method} {path} token={}",
                token.is_some()
            );
        }
    }

    // Token answers keep their own `no-store`; writes and refusals are not kept either.
    let res = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(res.headers(), "cache-control"), "no-store");
    let res = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(res.headers(), "cache-control"), "no-cache");
    let res = app
        .post_json("/api/v1/products", &serde_json::json!({}), None)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(res.headers(), "cache-control"), "no-store");
}
