//! `Idempotency-Key` on signed-in `POST`s (SPEC section 1, "retries"), end to end: a retry
//! never repeats the work, a replay is byte for byte on any instance, and the key's misuses
//! answer what SPEC says.

use crate::answers::assert_problem;
use crate::helpers::{TestApp, TestUser, spawn_app, start};
use futures_util::future::join_all;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

async fn post_keyed(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn product(app: &TestApp, user: &TestUser, quantity: i64) -> String {
    let res = app
        .post_json(
            "/api/v1/products",
            &json!({"name": format!("Tea {}", uuid::Uuid::now_v7()), "price": "1.00", "quantity": quantity}),
            Some(&user.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn twenty_concurrent_retries_of_a_stock_change_move_the_stock_once() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let id = product(&app, &ann, 50).await;
    let path = format!("/api/v1/products/{id}/stock");
    let body = json!({"delta": -3, "reason": "sold"});
    let answers =
        join_all((0..20).map(|_| post_keyed(&app, &path, &ann.access, "sale-1", &body))).await;
    let mut ran = 0;
    for res in answers {
        match res.status() {
            StatusCode::OK if res.headers().get("idempotent-replayed").is_none() => ran += 1,
            StatusCode::OK => {}
            // The first was still running: nothing changed, retry later.
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ran, 1, "exactly one of the retries did the work");
    let stock = app.get_json(&format!("/api/v1/products/{id}"), None).await;
    assert_eq!(stock["quantity"], 47);
    let ledger = app
        .get_json(&format!("{path}-movements"), Some(&ann.access))
        .await;
    assert_eq!(
        ledger["total"], 2,
        "the initial stock and one sale: {ledger}"
    );
}

#[tokio::test]
async fn a_replay_is_the_first_answer_byte_for_byte_on_any_instance() {
    let app = spawn_app().await;
    let other = TestApp::on(&app, start(&app.config).await);
    let ann = app.register("ann@example.com").await;
    let body = json!({"title": "Hello", "content": "Once only"});
    let first = post_keyed(&app, "/api/v1/posts", &ann.access, "post-1", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let header = |res: &Response, name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (location, etag, kind) = (
        header(&first, "location"),
        header(&first, "etag"),
        header(&first, "content-type"),
    );
    let original = first.bytes().await.unwrap();
    for instance in [&app, &other] {
        let again = post_keyed(instance, "/api/v1/posts", &ann.access, "post-1", &body).await;
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(
            header(&again, "idempotent-replayed").as_deref(),
            Some("true")
        );
        assert_eq!(header(&again, "location"), location);
        assert_eq!(header(&again, "etag"), etag);
        assert_eq!(header(&again, "content-type"), kind);
        assert_eq!(again.bytes().await.unwrap(), original);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM posts").await,
        1,
        "published once"
    );
}

#[tokio::test]
async fn a_key_misused_answers_400_422_or_runs_anew_when_not_kept() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let body = json!({"title": "One", "content": "Body"});
    let first = post_keyed(&app, "/api/v1/posts", &ann.access, "k", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);

    // The same key with another body.
    let other = json!({"title": "Two", "content": "Body"});
    let res = post_keyed(&app, "/api/v1/posts", &ann.access, "k", &other).await;
    assert_problem(res, 422).await;
    // Not visible ASCII, or too long.
    for bad in ["with space", &"x".repeat(256)] {
        let res = post_keyed(&app, "/api/v1/posts", &ann.access, bad, &body).await;
        assert_problem(res, 400).await;
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 1);

    // A 422 is not kept: the key works again, with a corrected body.
    let invalid = json!({"title": "", "content": "Body"});
    let res = post_keyed(&app, "/api/v1/posts", &ann.access, "fix-me", &invalid).await;
    assert_problem(res, 422).await;
    let fixed = json!({"title": "Fixed", "content": "Body"});
    let res = post_keyed(&app, "/api/v1/posts", &ann.access, "fix-me", &fixed).await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // Keys of different users never meet.
    let bob = app.register("bob@example.com").await;
    let res = post_keyed(&app, "/api/v1/posts", &bob.access, "k", &other).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().get("idempotent-replayed").is_none());
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 3);
}

#[tokio::test]
async fn routes_that_need_no_sign_in_ignore_the_header() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let login = json!({"email": ann.email, "password": ann.password});
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let res = post_keyed(&app, "/api/v1/auth/login", &ann.access, "same", &login).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("idempotent-replayed").is_none());
        let body: Value = res.json().await.unwrap();
        tokens.push(body["refresh_token"].as_str().unwrap().to_owned());
    }
    assert_ne!(tokens[0], tokens[1], "two logins, two sessions");
}

#[tokio::test]
async fn the_document_offers_the_header_on_signed_in_posts_only() {
    let app = spawn_app().await;
    let doc = app.get_json("/openapi.json", None).await;
    let has_key = |path: &str| {
        doc["paths"][path]["post"]["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "Idempotency-Key"))
    };
    assert!(has_key("/api/v1/products/{id}/stock"));
    assert!(has_key("/api/v1/posts"));
    assert!(!has_key("/api/v1/auth/login"));
    assert!(!has_key("/api/v1/auth/register"));
    let stock = &doc["paths"]["/api/v1/products/{id}/stock"]["post"]["responses"];
    for status in ["400", "409", "422"] {
        assert!(stock.get(status).is_some(), "{status} missing");
    }
}
