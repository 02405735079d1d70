//! SPEC section 5: posts, comments and votes.

use crate::helpers::{TestApp, TestUser, assert_problem, fields, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
    let location = res.headers()["location"].to_str().unwrap().to_owned();
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
        .get(
            &format!("/api/v1/posts/{draft}/comments"),
            Some(&ann.access),
        )
        .await
        .json()
        .await
        .unwrap();
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
async fn only_the_owner_or_an_admin_changes_a_post() {
    let app = spawn_app().await;
    let Cast { ann, bob, admin } = cast(&app).await;
    let id = post(&app, &ann.access, "Mine", true).await;
    let path = format!("/api/v1/posts/{id}");
    // A stranger's 403 on PUT, PATCH and DELETE: `resources::every_resource_...`.
    let b = Some(bob.access.as_str());
    assert_problem(
        app.send_json(Method::PATCH, &path, &json!({"title": "Bob's"}), b)
            .await,
        403,
    )
    .await;

    let res = app
        .send_json(
            Method::PATCH,
            &path,
            &json!({"title": "Moderated"}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let unknown = format!("/api/v1/posts/{}", uuid::Uuid::now_v7());
    assert_problem(
        app.send_json(
            Method::PATCH,
            &unknown,
            &json!({"title": "x"}),
            Some(&admin),
        )
        .await,
        404,
    )
    .await;
    assert_problem(app.get("/api/v1/posts/nope", None).await, 422).await;
}

#[tokio::test]
async fn put_replaces_and_patch_changes_only_what_was_sent() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let id = post(&app, &ann.access, "Draft", false).await;
    let path = format!("/api/v1/posts/{id}");
    let t = Some(ann.access.as_str());
    let patched: Value = app
        .send_json(Method::PATCH, &path, &json!({"title": "Renamed"}), t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (patched["title"].as_str(), patched["content"].as_str()),
        (Some("Renamed"), Some("About Draft"))
    );
    assert_eq!(patched["published"], false);
    let replaced: Value = app
        .send_json(
            Method::PUT,
            &path,
            &json!({"title": "New", "content": "Body"}),
            t,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        replaced["published"], true,
        "published returns to its default"
    );
    let problem = assert_problem(
        app.send_json(Method::PUT, &path, &json!({"title": "Only"}), t)
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&problem), vec!["content"]);
    let problem = assert_problem(
        app.send_json(Method::PATCH, &path, &json!({"content": ""}), t)
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&problem), vec!["content"]);

    let etag = app.get(&path, t).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    app.send_json(Method::PATCH, &path, &json!({"title": "Newer"}), t)
        .await;
    let stale = app
        .request(Method::PATCH, &path, t)
        .header("if-match", &etag)
        .json(&json!({"title": "Older"}))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412).await;
    assert_eq!(
        app.get(&path, t).await.json::<Value>().await.unwrap()["title"],
        "Newer"
    );
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
    let page: Value = app
        .get("/api/v1/posts?limit=1&offset=1", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (page["total"].as_u64(), page["items"][0]["title"].as_str()),
        (Some(3), Some("Cooking"))
    );

    let listed: Value = app
        .get("/api/v1/posts?sort=-votes", Some(&bob.access))
        .await
        .json()
        .await
        .unwrap();
    let top = &listed["items"][0];
    assert_eq!(
        (top["votes"].as_u64(), top["voted"].as_bool()),
        (Some(2), Some(true))
    );
    assert_eq!(listed["items"][1]["voted"], false);
    let anonymous: Value = app
        .get(&format!("/api/v1/posts/{first}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (anonymous["votes"].as_u64(), anonymous["voted"].as_bool()),
        (Some(2), Some(false))
    );
    assert_eq!(
        app.get(&format!("/api/v1/posts/{third}"), None)
            .await
            .json::<Value>()
            .await
            .unwrap()["votes"],
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

#[tokio::test]
async fn votes_follow_their_status_codes() {
    let app = spawn_app().await;
    let Cast { ann, bob, .. } = cast(&app).await;
    let id = post(&app, &ann.access, "Vote me", true).await;

    let res = vote(&app, &bob.access, &id, 1).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(!res.headers().contains_key("location"), "a vote has no URL");
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"post_id": id, "votes": 1})
    );
    assert_problem(vote(&app, &bob.access, &id, 1).await, 409).await;
    let own = vote(&app, &ann.access, &id, 1).await;
    assert_eq!(
        own.json::<Value>().await.unwrap()["votes"],
        2,
        "voting on one's own post is allowed"
    );

    assert_eq!(
        vote(&app, &bob.access, &id, 0).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(vote(&app, &bob.access, &id, 0).await, 404).await;
    assert_problem(
        vote(&app, &bob.access, &uuid::Uuid::now_v7().to_string(), 1).await,
        404,
    )
    .await;
    for body in [
        json!({"post_id": id, "dir": 2}),
        json!({"post_id": id, "dir": -1}),
        json!({"post_id": id}),
        json!({"post_id": "nope", "dir": 1}),
        json!({"dir": 1}),
    ] {
        assert_problem(
            app.post_json("/api/v1/votes", &body, Some(&bob.access))
                .await,
            422,
        )
        .await;
    }
    assert_problem(
        app.post_json("/api/v1/votes", &json!({"post_id": id, "dir": 1}), None)
            .await,
        401,
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM votes").await, 1);
}

#[tokio::test]
async fn twenty_concurrent_identical_votes_leave_one() {
    let app = spawn_app().await;
    let Cast { ann, bob, .. } = cast(&app).await;
    let id = post(&app, &ann.access, "Popular", true).await;
    let attempts = (0..20).map(|_| vote(&app, &bob.access, &id, 1));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    let p: Value = app
        .get(&format!("/api/v1/posts/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["votes"], 1);
}

#[tokio::test]
async fn comments_are_listed_oldest_first_and_edited_or_deleted_by_the_right_people() {
    let app = spawn_app().await;
    let Cast { ann, bob, admin } = cast(&app).await;
    let carol = app.register("carol@example.com").await;
    let id = post(&app, &ann.access, "Discuss", true).await;
    let mut ids = Vec::new();
    for (token, text) in [
        (&bob.access, "first"),
        (&carol.access, "second"),
        (&bob.access, "third"),
        (&bob.access, "fourth"),
    ] {
        let res = comment(&app, token, &id, text).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let c: Value = res.json().await.unwrap();
        assert_eq!(
            location,
            format!("/api/v1/comments/{}", c["id"].as_str().unwrap())
        );
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    let page: Value = app
        .get(&format!("/api/v1/posts/{id}/comments?limit=3"), None)
        .await
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["first", "second", "third"]);
    assert_eq!(page["total"], 4);
    assert_eq!(
        page["items"][0]["author"],
        json!({"id": bob.id, "name": "bob"})
    );
    assert_eq!(page["items"][0]["post_id"], id.as_str());
    let p: Value = app
        .get(&format!("/api/v1/posts/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["comments_count"], 4);

    let first = format!("/api/v1/comments/{}", ids[0]);
    let res = app.get(&first, None).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(res.json::<Value>().await.unwrap()["content"], "first");

    // Only the author edits.
    for token in [&ann.access, &carol.access, &admin] {
        assert_problem(
            app.send_json(
                Method::PATCH,
                &first,
                &json!({"content": "hijacked"}),
                Some(token),
            )
            .await,
            403,
        )
        .await;
    }
    let res = app
        .send_json(
            Method::PATCH,
            &first,
            &json!({"content": "first, edited"}),
            Some(&bob.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["content"],
        "first, edited"
    );
    let stale = app
        .request(Method::PATCH, &first, Some(&bob.access))
        .header("if-match", &etag)
        .json(&json!({"content": "again"}))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412).await;
    let problem = assert_problem(
        app.send_json(
            Method::PATCH,
            &first,
            &json!({"content": " "}),
            Some(&bob.access),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&problem), vec!["content"]);
    let problem = assert_problem(
        comment(&app, &bob.access, &id, &"x".repeat(5001)).await,
        422,
    )
    .await;
    assert_eq!(fields(&problem), vec!["content"]);

    // The author, the post's owner or an admin deletes; nobody else.
    assert_problem(
        app.request(Method::DELETE, &first, Some(&carol.access))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    for (token, target) in [
        (&bob.access, &ids[0]),
        (&ann.access, &ids[1]),
        (&admin, &ids[2]),
    ] {
        let res = app
            .request(
                Method::DELETE,
                &format!("/api/v1/comments/{target}"),
                Some(token),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    assert_problem(app.get(&first, None).await, 404).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM comments").await, 1);
    assert_problem(
        app.get(&format!("/api/v1/comments/{}", uuid::Uuid::now_v7()), None)
            .await,
        404,
    )
    .await;
    assert_problem(
        comment(&app, &bob.access, &uuid::Uuid::now_v7().to_string(), "x").await,
        404,
    )
    .await;
}

#[tokio::test]
async fn deleting_a_post_or_a_user_takes_what_belongs_to_it() {
    let app = spawn_app().await;
    let Cast { ann, bob, admin } = cast(&app).await;
    let anns = post(&app, &ann.access, "Ann's", true).await;
    let bobs = post(&app, &bob.access, "Bob's", true).await;
    comment(&app, &bob.access, &anns, "from bob").await;
    comment(&app, &ann.access, &bobs, "from ann").await;
    vote(&app, &bob.access, &anns, 1).await;
    vote(&app, &ann.access, &bobs, 1).await;

    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/posts/{anns}"),
            Some(&ann.access),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get(&format!("/api/v1/posts/{anns}"), None).await, 404).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM comments").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM votes").await, 1);

    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/users/{}", ann.id),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let p: Value = app
        .get(&format!("/api/v1/posts/{bobs}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (p["votes"].as_u64(), p["comments_count"].as_u64()),
        (Some(0), Some(0)),
        "ann's vote and comment went with her"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 1);
}
