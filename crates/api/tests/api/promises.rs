//! README promises that no other test held the service to: concurrent votes of different
//! users, cursors across deletions, `CORS_ORIGINS=*`, and `REDIS_PREFIX` separation.

use crate::answers::assert_tally;
use crate::helpers::{ADMIN_EMAIL, TestApp, redis_prefix, redis_url, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;

async fn votes_of(app: &TestApp, post_id: &str) -> Value {
    let res = app.get(&format!("/api/v1/posts/{post_id}"), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["votes"].clone()
}

async fn vote(app: &TestApp, token: &str, post_id: &str, dir: i64) -> reqwest::Response {
    app.post_json(
        "/api/v1/votes",
        &json!({"post_id": post_id, "dir": dir}),
        Some(token),
    )
    .await
}

/// "Concurrent votes serialise on the post's row": ten users voting at once count ten,
/// five of them unvoting at once leave five.
#[tokio::test]
async fn concurrent_votes_from_different_users_keep_the_count() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com").await;
    let res = app
        .post_json(
            "/api/v1/posts",
            &json!({"title": "Popular", "content": "Vote for me"}),
            Some(&owner.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let post_id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut voters = Vec::new();
    for i in 0..10 {
        voters.push(app.register(&format!("voter{i}@example.com")).await);
    }

    assert_tally(
        voters.iter().map(|v| vote(&app, &v.access, &post_id, 1)),
        &[(201, 10)],
    )
    .await;
    assert_eq!(votes_of(&app, &post_id).await, 10);
    assert_eq!(app.count("SELECT COUNT(*) FROM votes").await, 10);

    assert_tally(
        voters[..5]
            .iter()
            .map(|v| vote(&app, &v.access, &post_id, 0)),
        &[(204, 5)],
    )
    .await;
    assert_eq!(votes_of(&app, &post_id).await, 5);
    assert_eq!(app.count("SELECT COUNT(*) FROM votes").await, 5);
}

async fn page(app: &TestApp, path: &str) -> Value {
    let res = app.get(path, None).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Walking products by cursor while one product of a page already served and one of a page
/// not reached yet are deleted: nothing repeats, and nothing that still exists is skipped.
#[tokio::test]
async fn a_cursor_neither_repeats_nor_skips_when_rows_are_deleted_between_pages() {
    let app = spawn_app().await;
    let maker = app.register("maker@example.com").await;
    for i in 0..9 {
        let res = app
            .post_json(
                "/api/v1/products",
                &json!({"name": format!("item {i}"), "price": "1"}),
                Some(&maker.access),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let before = ids(&page(&app, "/api/v1/products?limit=100").await);
    assert_eq!(before.len(), 9);

    let first = page(&app, "/api/v1/products?limit=3").await;
    let mut served = ids(&first);
    assert_eq!(served, before[..3]);
    // One already served (page 1) and one not yet reached (page 3).
    let (passed, ahead) = (before[1].clone(), before[7].clone());
    for id in [&passed, &ahead] {
        let res = app
            .request(
                Method::DELETE,
                &format!("/api/v1/products/{id}"),
                Some(&maker.access),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    let mut pages = 1;
    while let Some(c) = cursor {
        pages += 1;
        assert!(pages <= 5, "the walk does not end: {served:?}");
        let next = page(&app, &format!("/api/v1/products?limit=3&cursor={c}")).await;
        served.extend(ids(&next));
        cursor = next["next_cursor"].as_str().map(str::to_owned);
    }

    let unique: HashSet<&String> = served.iter().collect();
    assert_eq!(unique.len(), served.len(), "repeated: {served:?}");
    assert!(!served.contains(&ahead), "a deleted product was served");
    let still_there: Vec<&String> = before.iter().filter(|id| **id != ahead).collect();
    // The product deleted after it was served stays served; every other one comes in order.
    assert_eq!(served.iter().collect::<Vec<_>>(), still_there);
}

/// `CORS_ORIGINS=*`: a preflight from any origin is allowed.
#[tokio::test]
async fn cors_origins_star_allows_any_origin() {
    let app = spawn_app_with(|c| c.cors_origins = "*".into()).await;
    for origin in ["https://app.example.com", "http://localhost:5173"] {
        let res = app
            .request(Method::OPTIONS, "/api/v1/products", None)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{origin}: {}", res.status());
        let allowed = res.headers()["access-control-allow-origin"]
            .to_str()
            .unwrap();
        assert!(allowed == "*" || allowed == origin, "{origin}: {allowed}");
        let methods = res.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap();
        assert!(methods.contains("POST"), "{methods}");
    }
    // The actual request answers with the header too.
    let res = app
        .request(Method::GET, "/api/v1/products", None)
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("access-control-allow-origin"));
}

/// "Separate deployments on one Redis do not [share REDIS_PREFIX]": two instances with
/// different prefixes each have their own rate-limit budget. Needs `TEST_REDIS_URL`.
#[tokio::test]
async fn instances_with_different_redis_prefixes_do_not_share_a_rate_limit_budget() {
    let Some(redis) = redis_url() else {
        return;
    };
    let a = spawn_app_with(|c| {
        c.auth_rate_limit_per_minute = 3;
        c.redis_url = Some(redis);
        c.redis_prefix = redis_prefix();
    })
    .await;
    let mut config = a.config.clone();
    config.redis_prefix = redis_prefix();
    let b = TestApp::on(&a, crate::helpers::start(&config).await);

    let mut statuses = Vec::new();
    for app in [&a, &a, &a, &b, &b, &b, &a, &b] {
        statuses.push(
            app.login(ADMIN_EMAIL, "wrong-password")
                .await
                .status()
                .as_u16(),
        );
    }
    // Three each before either is refused: a shared budget would refuse b's first.
    assert_eq!(statuses, vec![401, 401, 401, 401, 401, 401, 429, 429]);
    let ready: Value = b.get_json("/health/ready", None).await;
    assert_eq!(ready["checks"]["redis"]["ok"], true);
}
