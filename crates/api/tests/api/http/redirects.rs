//! Trailing slashes under `/api/v1` lead to the path without them; `Allow` names only what
//! the path answers.

use super::{header, request};
use crate::helpers::spawn_app;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn a_trailing_slash_is_redirected_with_its_query() {
    let app = spawn_app().await;
    for (method, path, location) in [
        (
            Method::GET,
            "/api/v1/products/?limit=5&sort=name",
            "/api/v1/products?limit=5&sort=name",
        ),
        (Method::HEAD, "/api/v1/products/", "/api/v1/products"),
        (Method::POST, "/api/v1/products/", "/api/v1/products"),
        (Method::GET, "/api/v1/users/me/", "/api/v1/users/me"),
        (Method::DELETE, "/api/v1/nowhere//", "/api/v1/nowhere"),
    ] {
        let res = request(&app, method.clone(), path, None)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::PERMANENT_REDIRECT,
            "{method} {path}"
        );
        assert_eq!(header(res.headers(), "location"), location);
    }
    // Following it arrives.
    let res = app.get("/api/v1/products?limit=5&sort=name", None).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn allow_lists_only_what_the_path_answers() {
    let app = spawn_app().await;
    for (method, path, allowed) in [
        (Method::DELETE, "/api/v1/products", "GET, POST, HEAD"),
        (Method::PUT, "/health", "GET, HEAD"),
        (Method::GET, "/api/v1/auth/login", "POST"),
    ] {
        let res = request(&app, method.clone(), path, None)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        let allow = header(res.headers(), "allow");
        let mut got: Vec<&str> = allow.split(',').map(str::trim).collect();
        let mut want: Vec<&str> = allowed.split(", ").collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{method} {path}");
        // Each method it names is answered (no 405).
        for m in want {
            let res = request(&app, m.parse().unwrap(), path, None)
                .send()
                .await
                .unwrap();
            assert_ne!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{m} {path}");
        }
    }
}
