//! SPEC section 1: conventions every route follows.

use crate::answers::{assert_problem, etag_of, fields};
use crate::helpers::{spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn request_ids_are_echoed_when_acceptable_and_generated_otherwise() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "abc.DEF_123-x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc.DEF_123-x");

    for bad in ["has space", &"a".repeat(129)] {
        let res = app
            .client
            .get(app.url("/nope"))
            .header("x-request-id", bad)
            .send()
            .await
            .unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(id, bad);
        assert!(!id.is_empty());
        let body = assert_problem(res, 404).await;
        assert_eq!(body["request_id"], id.as_str());
    }
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_with_allow() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/nothing-here", None).await, 404).await;
    let res = app
        .request(Method::DELETE, "/health", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET, HEAD");
    assert_problem(res, 405).await;
    let res = app
        .request(Method::PUT, "/api/v1/auth/login", None)
        .send()
        .await
        .unwrap();
    assert_problem(res, 405).await;
}

#[tokio::test]
async fn malformed_json_is_400_wrong_content_type_415_and_invalid_fields_422() {
    let app = spawn_app().await;
    let post = |body: &'static str, ct: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/register"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    assert_problem(post("{\"email\": ", "application/json").await.unwrap(), 400).await;
    assert_problem(post("", "application/json").await.unwrap(), 400).await;
    assert_problem(post("email=a", "text/plain").await.unwrap(), 415).await;

    let missing = assert_problem(
        post("{\"email\": \"a@b.co\"}", "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(fields(&missing), vec!["password"]);
    let wrong_type = assert_problem(
        post(
            "{\"email\": 5, \"password\": \"password1\"}",
            "application/json",
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert_eq!(fields(&wrong_type), vec!["email"]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        1,
        "only the admin exists"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app_with(|c| c.max_body_bytes = 1024).await;
    let big = json!({"email": "a@b.co", "password": "x".repeat(2000)});
    assert_problem(
        app.post_json("/api/v1/auth/register", &big, None).await,
        413,
    )
    .await;
    // Also when the client streams without announcing a length.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(vec![b' '; 800]), Ok(vec![b' '; 800])];
    let res = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_problem(res, 413).await;
}

#[tokio::test]
async fn path_ids_that_are_not_uuids_are_422() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = assert_problem(app.get("/api/v1/users/not-a-uuid", Some(&admin)).await, 422).await;
    assert_eq!(fields(&body), vec!["id"]);
}

#[tokio::test]
async fn pagination_parameters_are_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
    ] {
        let body = assert_problem(
            app.get(&format!("/api/v1/users?{query}"), Some(&admin))
                .await,
            422,
        )
        .await;
        assert_eq!(fields(&body), vec![field], "{query}");
    }
    let page: Value = app
        .get_json("/api/v1/users?limit=1&offset=0", Some(&admin))
        .await;
    assert_eq!(
        (
            page["limit"].as_u64(),
            page["offset"].as_u64(),
            page["total"].as_u64()
        ),
        (Some(1), Some(0), Some(1))
    );
    let page: Value = app.get_json("/api/v1/users", Some(&admin)).await;
    assert_eq!(page["limit"], 20);
}

#[tokio::test]
async fn authentication_is_checked_before_the_body() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/users"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_problem(res, 401).await;
}

#[tokio::test]
async fn etags_and_if_match_guard_writes() {
    let app = spawn_app().await;
    let user = app.register("etag@example.com").await;
    let res = app.get("/api/v1/users/me", Some(&user.access)).await;
    let etag = etag_of(&res);

    let rename = |name: &str, if_match: Option<&str>| {
        let mut req = app
            .request(Method::PATCH, "/api/v1/users/me", Some(&user.access))
            .json(&json!({"name": name}));
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        req.send()
    };
    let res = rename("First", Some(&etag)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let new_etag = etag_of(&res);
    assert_ne!(new_etag, etag);

    assert_problem(rename("Stale", Some(&etag)).await.unwrap(), 412).await;
    assert_problem(rename("Garbage", Some("not-quoted")).await.unwrap(), 400).await;
    let me: Value = app.get_json("/api/v1/users/me", Some(&user.access)).await;
    assert_eq!(me["name"], "First", "a refused write changes nothing");

    assert_eq!(
        rename("Star", Some("*")).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        rename("NoHeader", None).await.unwrap().status(),
        StatusCode::OK
    );
}
