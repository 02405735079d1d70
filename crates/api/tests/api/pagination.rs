//! Pages by cursor on every list: walking `next_cursor` gives exactly the list, in order,
//! and keeps doing so while rows are added between pages.

use crate::answers::{assert_problem, fields};
use crate::helpers::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn page(app: &TestApp, path: &str, token: Option<&str>) -> Value {
    let res = app.get(path, token).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn with(path: &str, extra: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{extra}")
}

/// Follows `next_cursor` from the first page of `path` in pages of `limit`, checking each
/// page's `offset`; the ids in the order served.
async fn walk(app: &TestApp, path: &str, token: Option<&str>, limit: u64) -> Vec<String> {
    let mut served = Vec::new();
    let mut current = page(app, &with(path, &format!("limit={limit}")), token).await;
    loop {
        assert_eq!(
            current["offset"].as_u64(),
            Some(served.len() as u64),
            "{path}"
        );
        served.extend(ids(&current));
        let Some(cursor) = current["next_cursor"].as_str() else {
            assert!(current["next_cursor"].is_null(), "{path}: {current}");
            return served;
        };
        assert_eq!(current["items"].as_array().unwrap().len() as u64, limit);
        current = page(
            app,
            &with(path, &format!("limit={limit}&cursor={cursor}")),
            token,
        )
        .await;
    }
}

/// Walking by cursor in pages of 1, 2 and 3 serves the same ids as one large page.
async fn assert_walks(app: &TestApp, path: &str, token: Option<&str>) {
    let all = page(app, &with(path, "limit=100"), token).await;
    let expected = ids(&all);
    assert!(expected.len() >= 4, "{path}: too few rows to page through");
    assert!(
        all["next_cursor"].is_null(),
        "{path}: one page holds them all"
    );
    for limit in [1, 2, 3] {
        assert_eq!(
            walk(app, path, token, limit).await,
            expected,
            "{path} by {limit}"
        );
    }
}

#[tokio::test]
async fn every_product_order_pages_by_cursor_through_ties() {
    let app = spawn_app().await;
    let user = app.register("maker@example.com").await;
    // Equal prices (ties broken by id), mixed case and a name outside ASCII.
    for (name, price, category) in [
        ("Banana", "1.00", "grocery"),
        ("apple", "1.00", "grocery"),
        ("APRICOT", "2.50", "electronics"),
        ("Éclair", "2.50", "grocery"),
        ("cable", "1.00", "grocery"),
        ("Avocado", "0.10", "grocery"),
    ] {
        let res = app
            .post_json(
                "/api/v1/products",
                &json!({"name": name, "price": price, "category": category}),
                Some(&user.access),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    for sort in [
        "name",
        "-name",
        "price",
        "-price",
        "created_at",
        "-created_at",
    ] {
        assert_walks(&app, &format!("/api/v1/products?sort={sort}"), None).await;
    }
    assert_walks(&app, "/api/v1/products?category=grocery&sort=price", None).await;
    assert_walks(&app, "/api/v1/products?q=a&sort=-name", None).await;
}

#[tokio::test]
async fn a_cursor_neither_repeats_nor_skips_when_rows_arrive_between_pages() {
    let app = spawn_app().await;
    let user = app.register("maker@example.com").await;
    let add = |name: String| {
        let (app, token) = (&app, user.access.clone());
        async move {
            let res = app
                .post_json(
                    "/api/v1/products",
                    &json!({"name": name, "price": "1"}),
                    Some(&token),
                )
                .await;
            assert_eq!(res.status(), StatusCode::CREATED);
        }
    };
    for i in 0..6 {
        add(format!("old {i}")).await;
    }
    let before = ids(&page(&app, "/api/v1/products?limit=100", None).await);
    let first = page(&app, "/api/v1/products?limit=3", None).await;
    // Newest first: products added now go before the cursor and must not shift the rest.
    add("new 1".into()).await;
    add("new 2".into()).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = page(
        &app,
        &format!("/api/v1/products?limit=3&cursor={cursor}"),
        None,
    )
    .await;
    let mut served = ids(&first);
    served.extend(ids(&second));
    assert_eq!(served, before);
    assert!(second["next_cursor"].is_null());
    assert_eq!(second["total"], 8, "the total counts what exists now");
}

#[tokio::test]
async fn posts_comments_votes_movements_users_and_employees_page_by_cursor() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let cid = app.register("cid@example.com").await;
    let mut posts = Vec::new();
    for i in 0..5 {
        let res = app
            .post_json(
                "/api/v1/posts",
                &json!({"title": format!("post {i}"), "content": "text", "published": true}),
                Some(&ann.access),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        posts.push(
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Votes 2, 1, 1, 0, 0: ties on the count are broken by time, then id.
    for (post, voters) in [
        (&posts[1], vec![&bob, &cid]),
        (&posts[2], vec![&bob]),
        (&posts[4], vec![&cid]),
    ] {
        for voter in voters {
            let res = app
                .post_json(
                    "/api/v1/votes",
                    &json!({"post_id": post, "dir": 1}),
                    Some(&voter.access),
                )
                .await;
            assert_eq!(res.status(), StatusCode::CREATED);
        }
    }
    for sort in ["-votes", "-created_at", "created_at"] {
        assert_walks(&app, &format!("/api/v1/posts?sort={sort}"), None).await;
        assert_walks(
            &app,
            &format!("/api/v1/posts?sort={sort}"),
            Some(&bob.access),
        )
        .await;
    }
    for i in 0..5 {
        let res = app
            .post_json(
                &format!("/api/v1/posts/{}/comments", posts[0]),
                &json!({"content": format!("comment {i}")}),
                Some(&bob.access),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    assert_walks(&app, &format!("/api/v1/posts/{}/comments", posts[0]), None).await;

    let product = app
        .post_json(
            "/api/v1/products",
            &json!({"name": "Tea", "price": "1"}),
            Some(&ann.access),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for delta in [5, -1, 3, -2, 4] {
        let res = app
            .post_json(
                &format!("/api/v1/products/{product}/stock"),
                &json!({"delta": delta}),
                Some(&ann.access),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_walks(
        &app,
        &format!("/api/v1/products/{product}/stock-movements"),
        Some(&ann.access),
    )
    .await;

    assert_walks(&app, "/api/v1/users", Some(&admin)).await;
    for i in 0..5 {
        let res = app
            .post_json(
                "/api/v1/employees",
                &json!({"full_name": format!("Worker {i}"), "email": format!("w{i}@example.com")}),
                Some(&admin),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    assert_walks(&app, "/api/v1/employees", Some(&ann.access)).await;
}

#[tokio::test]
async fn bad_cursors_are_422_and_name_the_cursor() {
    let app = spawn_app().await;
    let user = app.register("maker@example.com").await;
    for name in ["Tea", "Rice", "Salt"] {
        let res = app
            .post_json(
                "/api/v1/products",
                &json!({"name": name, "price": "1"}),
                Some(&user.access),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let by_price = page(&app, "/api/v1/products?sort=price&limit=1", None).await;
    let cursor = by_price["next_cursor"].as_str().unwrap().to_owned();
    let newest = page(&app, "/api/v1/products?limit=1", None).await;
    let time_cursor = newest["next_cursor"].as_str().unwrap().to_owned();
    for query in [
        format!("sort=price&cursor={cursor}&offset=0"),
        format!("sort=name&cursor={cursor}"),
        format!("cursor={cursor}"),
        "cursor=bm90IGEgY3Vyc29y".to_owned(),
        "cursor=%%%".to_owned(),
        format!("cursor={}", "A".repeat(2000)),
    ] {
        let problem = assert_problem(
            app.get(&format!("/api/v1/products?{query}"), None).await,
            422,
        )
        .await;
        assert_eq!(fields(&problem), vec!["cursor"], "{query}");
    }
    // A newest-first cursor does not fit the most-voted order of another list either.
    let posts = assert_problem(
        app.get(
            &format!("/api/v1/posts?sort=-votes&cursor={time_cursor}"),
            None,
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&posts), vec!["cursor"]);
    let res = app
        .get(
            &format!("/api/v1/products?sort=price&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}
