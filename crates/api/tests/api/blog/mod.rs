//! SPEC section 5: posts, comments and votes.

use crate::answers::{assert_problem, fields, location_of};
use crate::helpers::{TestApp, TestUser, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod changes;
mod comments;
mod votes;

async fn post(app: &TestApp, token: &str, title: &str, published: bool) -> String {
    let res = app
        .post_json(
            "/api/v1/posts",
            &json!({"title": title, "content": format!("About {title}"), "published": published}),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "post {title}");
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn comment(app: &TestApp, token: &str, post_id: &str, content: &str) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/posts/{post_id}/comments"),
        &json!({"content": content}),
        Some(token),
    )
    .await
}

async fn vote(app: &TestApp, token: &str, post_id: &str, dir: i64) -> reqwest::Response {
    app.post_json(
        "/api/v1/votes",
        &json!({"post_id": post_id, "dir": dir}),
        Some(token),
    )
    .await
}

async fn titles(app: &TestApp, query: &str, token: Option<&str>) -> Vec<String> {
    let res = app.get(&format!("/api/v1/posts?{query}"), token).await;
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    let page: Value = res.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_owned())
        .collect()
}

struct Cast {
    ann: TestUser,
    bob: TestUser,
    admin: String,
}

async fn cast(app: &TestApp) -> Cast {
    Cast {
        ann: app.register("ann@example.com").await,
        bob: app.register("bob@example.com").await,
        admin: app.admin_token().await,
    }
}

#[tokio::test]
async fn creating_a_post_returns_it_with_owner_and_counts() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let res = app
        .post_json(
            "/api/v1/posts",
            &json!({"title": " Hello ", "content": "World"}),
            Some(&ann.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = location_of(&res);
    assert!(res.headers().contains_key("etag"));
    let p: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/posts/{}", p["id"].as_str().unwrap())
    );
    assert_eq!(p["title"], "Hello");
    assert_eq!(p["published"], true);
    assert_eq!(p["owner"], json!({"id": ann.id, "name": "ann"}));
    assert_eq!(
        (
            p["votes"].as_u64(),
            p["comments_count"].as_u64(),
            p["voted"].as_bool()
        ),
        (Some(0), Some(0), Some(false))
    );

    for (body, expected) in [
        (json!({"content": "x"}), vec!["title"]),
        (json!({"title": "  ", "content": "x"}), vec!["title"]),
        (
            json!({"title": "t".repeat(201), "content": "x"}),
            vec!["title"],
        ),
        (
            json!({"title": "t", "content": "c".repeat(20_001)}),
            vec!["content"],
        ),
        (json!({}), vec!["title", "content"]),
        (
            json!({"title": "t", "content": "c", "published": "yes"}),
            vec!["published"],
        ),
    ] {
        let problem = assert_problem(
            app.post_json("/api/v1/posts", &body, Some(&ann.access))
                .await,
            422,
        )
        .await;
        assert_eq!(fields(&problem), expected, "{body}");
    }
    assert_problem(
        app.post_json(
            "/api/v1/posts",
            &json!({"title": "t", "content": "c"}),
            None,
        )
        .await,
        401,
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 1);
}

#[tokio::test]
async fn drafts_are_hidden_with_their_comments_and_votes() {
    let app = spawn_app().await;
    let Cast { ann, bob, admin } = cast(&app).await;
    post(&app, &ann.access, "Public", true).await;
    let draft = post(&app, &ann.access, "Draft", false).await;
    assert_eq!(
        comment(&app, &ann.access, &draft, "note to self")
            .await
            .status(),
        StatusCode::CREATED
    );
    let own_comment: Value = app
        .get_json(
            &format!("/api/v1/posts/{draft}/comments"),
            Some(&ann.access),
        )
        .await;
    let own_comment = own_comment["items"][0]["id"].as_str().unwrap().to_owned();

    assert_eq!(titles(&app, "", None).await, ["Public"]);
    assert_eq!(titles(&app, "", Some(&bob.access)).await, ["Public"]);
    assert_eq!(
        titles(&app, "", Some(&admin)).await,
        ["Public"],
        "admins see others' drafts by id only"
    );
    assert_eq!(
        titles(&app, "", Some(&ann.access)).await,
        ["Draft", "Public"]
    );

    let path = format!("/api/v1/posts/{draft}");
    assert_problem(app.get(&path, None).await, 404).await;
    assert_problem(app.get(&path, Some(&bob.access)).await, 404).await;
    assert_eq!(
        app.get(&path, Some(&ann.access)).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.get(&path, Some(&admin)).await.status(), StatusCode::OK);

    assert_problem(
        app.get(&format!("{path}/comments"), Some(&bob.access))
            .await,
        404,
    )
    .await;
    assert_problem(comment(&app, &bob.access, &draft, "sneaky").await, 404).await;
    assert_problem(vote(&app, &bob.access, &draft, 1).await, 404).await;
    assert_problem(
        app.get(
            &format!("/api/v1/comments/{own_comment}"),
            Some(&bob.access),
        )
        .await,
        404,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/comments/{own_comment}"), None)
            .await,
        404,
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/comments/{own_comment}"), Some(&admin))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM comments").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM votes").await, 0);

    // Publishing reveals it.
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            &json!({"published": true}),
            Some(&ann.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.get(&path, None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn lists_search_filter_and_sort() {
    let app = spawn_app().await;
    let Cast { ann, bob, admin } = cast(&app).await;
    let first = post(&app, &ann.access, "Rust tips", true).await;
    let second = post(&app, &bob.access, "Cooking", true).await;
    let third = post(&app, &ann.access, "Gardening", true).await;
    for (token, id) in [
        (&bob.access, &first),
        (&admin, &first),
        (&ann.access, &second),
    ] {
        assert_eq!(vote(&app, token, id, 1).await.status(), StatusCode::CREATED);
    }
    assert_eq!(
        titles(&app, "", None).await,
        ["Gardening", "Cooking", "Rust tips"]
    );
    assert_eq!(
        titles(&app, "sort=created_at", None).await,
        ["Rust tips", "Cooking", "Gardening"]
    );
    assert_eq!(
        titles(&app, "sort=-votes", None).await,
        ["Rust tips", "Cooking", "Gardening"]
    );
    assert_eq!(titles(&app, "q=RUST", None).await, ["Rust tips"]);
    assert_eq!(
        titles(&app, "q=about%20cook", None).await,
        ["Cooking"],
        "content is searched too"
    );
    assert_eq!(
        titles(&app, &format!("owner_id={}", ann.id), None).await,
        ["Gardening", "Rust tips"]
    );
    let page: Value = app.get_json("/api/v1/posts?limit=1&offset=1", None).await;
    assert_eq!(
        (page["total"].as_u64(), page["items"][0]["title"].as_str()),
        (Some(3), Some("Cooking"))
    );

    let listed: Value = app
        .get_json("/api/v1/posts?sort=-votes", Some(&bob.access))
        .await;
    let top = &listed["items"][0];
    assert_eq!(
        (top["votes"].as_u64(), top["voted"].as_bool()),
        (Some(2), Some(true))
    );
    assert_eq!(listed["items"][1]["voted"], false);
    let anonymous: Value = app.get_json(&format!("/api/v1/posts/{first}"), None).await;
    assert_eq!(
        (anonymous["votes"].as_u64(), anonymous["voted"].as_bool()),
        (Some(2), Some(false))
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/posts/{third}"), None).await["votes"],
        0
    );

    for (query, field) in [
        ("sort=votes", "sort"),
        ("owner_id=ann", "owner_id"),
        ("limit=500", "limit"),
    ] {
        let problem =
            assert_problem(app.get(&format!("/api/v1/posts?{query}"), None).await, 422).await;
        assert_eq!(fields(&problem), vec![field], "{query}");
    }
}
