//! `If-None-Match` on single resources: `304` with the `ETag`, after the handler decided
//! the caller may see the resource.

use super::{header, product, request};
use crate::helpers::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn read_if_none_match(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    condition: &str,
) -> reqwest::Response {
    request(app, method, path, token)
        .header("if-none-match", condition)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_known_tag_gives_304_and_a_change_gives_200() {
    let app = spawn_app().await;
    let user = app.register("cond@example.com").await;
    let (id, etag) = product(&app, &user.access, "Conditional", "pet").await;
    let path = format!("/api/v1/products/{id}");
    let opaque = etag.trim_matches('"');
    for condition in [
        etag.clone(),
        format!("W/{etag}"),
        "*".to_owned(),
        format!("\"other\", W/\"x\", {etag}"),
    ] {
        for method in [Method::GET, Method::HEAD] {
            let res = read_if_none_match(&app, method.clone(), &path, None, &condition).await;
            assert_eq!(
                res.status(),
                StatusCode::NOT_MODIFIED,
                "{method} {condition}"
            );
            assert_eq!(header(res.headers(), "etag"), etag);
            assert_eq!(header(res.headers(), "cache-control"), "no-cache");
            assert!(res.headers().get("content-type").is_none());
            assert!(res.bytes().await.unwrap().is_empty());
        }
    }
    // Quotes make the tag: the bare opaque text is no tag at all, so it is not evaluated.
    let res = read_if_none_match(&app, Method::GET, &path, None, opaque).await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = app
        .send_if_match(
            Method::PATCH,
            &path,
            Some(&user.access),
            &etag,
            Some(&json!({"price": "3.00"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = read_if_none_match(&app, Method::GET, &path, None, &etag).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_ne!(header(res.headers(), "etag"), etag);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["price"], "3.00");
}

#[tokio::test]
async fn a_draft_of_another_user_stays_hidden() {
    let app = spawn_app().await;
    let author = app.register("author@example.com").await;
    let other = app.register("other@example.com").await;
    let res = app
        .post_json(
            "/api/v1/posts",
            &json!({"title": "Secret", "content": "Not yet", "published": false}),
            Some(&author.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let etag = header(res.headers(), "etag");
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/posts/{id}");
    for condition in ["*", etag.as_str()] {
        for token in [Some(other.access.as_str()), None] {
            for method in [Method::GET, Method::HEAD] {
                let res = read_if_none_match(&app, method, &path, token, condition).await;
                assert_eq!(res.status(), StatusCode::NOT_FOUND, "{condition}");
            }
        }
    }
    let res = read_if_none_match(&app, Method::GET, &path, Some(&author.access), "*").await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(res.headers(), "cache-control"), "no-store");
}

#[tokio::test]
async fn public_pages_carry_a_weak_validator_that_revalidates() {
    let app = spawn_app().await;
    let user = app.register("pages@example.com").await;
    product(&app, &user.access, "Paged", "pet").await;
    let path = "/api/v1/products?limit=5&sort=name";
    let res = app.get(path, None).await;
    let etag = header(res.headers(), "etag");
    assert!(etag.starts_with("W/\""), "{etag}");
    let res = read_if_none_match(&app, Method::GET, path, None, &etag).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    product(&app, &user.access, "Another", "pet").await;
    let res = read_if_none_match(&app, Method::GET, path, None, &etag).await;
    assert_eq!(res.status(), StatusCode::OK);
    // With a token the answer is no-store, and needs no validator.
    let res = app.get(path, Some(&user.access)).await;
    assert!(res.headers().get("etag").is_none());
}
