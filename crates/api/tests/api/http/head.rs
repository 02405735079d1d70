//! HEAD answers what GET answers, header for header, without the body.

use super::{product, request};
use crate::helpers::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};

/// The headers of `GET` and `HEAD` on `path` (each sent with `extra` headers), `Date` aside.
async fn assert_head_matches_get(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
) {
    let mut answers = Vec::new();
    for method in [Method::GET, Method::HEAD] {
        let mut req = request(app, method.clone(), path, token);
        for (name, value) in extra {
            req = req.header(*name, *value);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let mut headers: Vec<(String, String)> = res
            .headers()
            .iter()
            .filter(|(name, _)| *name != "date")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        headers.sort();
        let body = res.bytes().await.unwrap();
        if method == Method::HEAD {
            assert!(body.is_empty(), "HEAD {path} sent a body");
        } else {
            assert_eq!(status, StatusCode::OK, "GET {path}");
        }
        answers.push((status, headers));
    }
    assert_eq!(answers[0], answers[1], "GET and HEAD {path} {extra:?}");
}

#[tokio::test]
async fn head_answers_every_get_with_its_headers_and_no_body() {
    let app = spawn_app().await;
    let user = app.register("head@example.com").await;
    let (id, _) = product(&app, &user.access, "Headed", "pet").await;
    for n in 0..12 {
        product(&app, &user.access, &format!("Filler {n:02}"), "other").await;
    }
    assert_head_matches_get(&app, &format!("/api/v1/products/{id}"), None, &[]).await;
    // A page with a next page: its Link too.
    assert_head_matches_get(&app, "/api/v1/products?limit=2&sort=name", None, &[]).await;
    // Compressed: the same Content-Encoding (and no Content-Length, as the GET).
    assert_head_matches_get(
        &app,
        "/api/v1/products?limit=100",
        None,
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_head_matches_get(&app, "/api/v1/users/me", Some(&user.access), &[]).await;
    assert_head_matches_get(&app, "/health", None, &[]).await;

    let res = request(&app, Method::HEAD, "/health", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-length"], "11", "{{\"ok\":true}}");
}

#[tokio::test]
async fn head_is_refused_only_where_get_is() {
    let app = spawn_app().await;
    let res = request(&app, Method::HEAD, "/api/v1/auth/login", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["allow"], "POST");
    let res = request(&app, Method::HEAD, "/api/v1/nothing-here", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
