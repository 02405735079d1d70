//! SPEC section 6, the notifications inbox: every row of its table, end to end.

mod socket;

use crate::answers::assert_problem;
use crate::helpers::{TestApp, TestUser, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub async fn create_post(app: &TestApp, token: &str) -> String {
    let res = app
        .post_json(
            "/api/v1/posts",
            &json!({"title": "News", "content": "Body"}),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let post: Value = res.json().await.unwrap();
    post["id"].as_str().unwrap().to_owned()
}

pub async fn comment(app: &TestApp, token: &str, post_id: &str, content: &str) -> Value {
    let res = app
        .post_json(
            &format!("/api/v1/posts/{post_id}/comments"),
            &json!({"content": content}),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

pub async fn vote(app: &TestApp, token: &str, post_id: &str) {
    let res = app
        .post_json(
            "/api/v1/votes",
            &json!({"post_id": post_id, "dir": 1}),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

pub async fn inbox(app: &TestApp, user: &TestUser, query: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/notifications{query}"), Some(&user.access))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "inbox{query}");
    res.json().await.unwrap()
}

async fn unread(app: &TestApp, user: &TestUser) -> Value {
    let res = app
        .get("/api/v1/notifications/unread-count", Some(&user.access))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn post_empty(app: &TestApp, path: &str, user: &TestUser) -> StatusCode {
    app.request(Method::POST, path, Some(&user.access))
        .send()
        .await
        .unwrap()
        .status()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn comments_and_votes_of_others_land_in_the_owners_inbox_newest_first() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let post = create_post(&app, &ann.access).await;

    let said = comment(&app, &bob.access, &post, "Nice").await;
    vote(&app, &bob.access, &post).await;
    // Her own comment and vote notify nobody.
    comment(&app, &ann.access, &post, "Thanks").await;
    vote(&app, &ann.access, &post).await;

    let page = inbox(&app, &ann, "").await;
    assert_eq!(page["total"], 2);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items[0]["type"], "vote.created");
    assert_eq!(items[0]["read"], false);
    assert_eq!(
        items[0]["data"],
        json!({"post_id": post, "voter": {"id": bob.id, "name": "bob"}, "votes": 1})
    );
    assert_eq!(items[1]["type"], "comment.created");
    assert_eq!(items[1]["data"], json!({"post_id": post, "comment": said}));
    assert!(
        chrono::DateTime::parse_from_rfc3339(items[1]["at"].as_str().unwrap()).is_ok(),
        "`at` is RFC 3339"
    );
    assert_eq!(
        inbox(&app, &bob, "").await["total"],
        0,
        "nothing for the actor"
    );
    assert_eq!(unread(&app, &ann).await, json!({"unread": 2}));

    // Without a token: 401.
    let res = app.get("/api/v1/notifications", None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn pages_by_cursor_and_the_unread_filter() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let post = create_post(&app, &ann.access).await;
    for i in 0..5 {
        comment(&app, &bob.access, &post, &format!("c{i}")).await;
    }
    let all = ids(&inbox(&app, &ann, "?limit=5").await);
    assert_eq!(all.len(), 5);

    let first = inbox(&app, &ann, "?limit=2").await;
    assert_eq!(ids(&first), all[..2]);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    // A notification arriving between pages does not shift the next one.
    comment(&app, &bob.access, &post, "late").await;
    let second = inbox(&app, &ann, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(ids(&second), all[2..4]);
    assert_eq!(second["offset"], 2);
    let by_offset = inbox(&app, &ann, "?limit=2&offset=3").await;
    assert_eq!(ids(&by_offset), all[2..4], "the late one is first now");

    // Out-of-range and foreign cursors: 422.
    let res = app
        .get("/api/v1/notifications?limit=0", Some(&ann.access))
        .await;
    assert_problem(res, 422).await;
    let res = app
        .get("/api/v1/notifications?unread=maybe", Some(&ann.access))
        .await;
    assert_problem(res, 422).await;
    create_post(&app, &bob.access).await;
    let posts = app.get_json("/api/v1/posts?limit=1", None).await;
    let foreign = posts["next_cursor"].as_str().unwrap();
    let res = app
        .get(
            &format!("/api/v1/notifications?cursor={foreign}"),
            Some(&ann.access),
        )
        .await;
    assert_problem(res, 422).await;

    // Read two, then the filter and the count leave them out.
    for id in &all[..2] {
        let path = format!("/api/v1/notifications/{id}/read");
        assert_eq!(post_empty(&app, &path, &ann).await, StatusCode::NO_CONTENT);
    }
    let unread_page = inbox(&app, &ann, "?unread=true&limit=100").await;
    assert_eq!(unread_page["total"], 4);
    assert!(ids(&unread_page).iter().all(|id| !all[..2].contains(id)));
    assert_eq!(unread(&app, &ann).await, json!({"unread": 4}));
    let page = inbox(&app, &ann, "?unread=false&limit=100").await;
    assert_eq!(page["total"], 6, "unread=false is every notification");
}

#[tokio::test]
async fn reading_is_for_the_owner_only() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let post = create_post(&app, &ann.access).await;
    vote(&app, &bob.access, &post).await;
    let id = ids(&inbox(&app, &ann, "").await).remove(0);
    let path = format!("/api/v1/notifications/{id}/read");

    // Someone else's, or unknown: 404, and nothing changes.
    let res = app
        .request(Method::POST, &path, Some(&bob.access))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404).await;
    let unknown = format!("/api/v1/notifications/{}/read", uuid::Uuid::now_v7());
    let res = app
        .request(Method::POST, &unknown, Some(&ann.access))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404).await;
    let res = app
        .request(
            Method::POST,
            "/api/v1/notifications/not-a-uuid/read",
            Some(&ann.access),
        )
        .send()
        .await
        .unwrap();
    assert_problem(res, 422).await;
    assert_eq!(unread(&app, &ann).await, json!({"unread": 1}));

    assert_eq!(post_empty(&app, &path, &ann).await, StatusCode::NO_CONTENT);
    assert_eq!(post_empty(&app, &path, &ann).await, StatusCode::NO_CONTENT);
    assert_eq!(inbox(&app, &ann, "").await["items"][0]["read"], true);
    assert_eq!(unread(&app, &ann).await, json!({"unread": 0}));
}

#[tokio::test]
async fn read_all_reads_every_own_notification_and_no_one_elses() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let anns = create_post(&app, &ann.access).await;
    let bobs = create_post(&app, &bob.access).await;
    comment(&app, &bob.access, &anns, "one").await;
    vote(&app, &bob.access, &anns).await;
    vote(&app, &ann.access, &bobs).await;

    let path = "/api/v1/notifications/read-all";
    assert_eq!(post_empty(&app, path, &ann).await, StatusCode::NO_CONTENT);
    assert_eq!(unread(&app, &ann).await, json!({"unread": 0}));
    assert_eq!(inbox(&app, &ann, "?unread=true").await["total"], 0);
    assert_eq!(inbox(&app, &ann, "").await["total"], 2);
    assert_eq!(unread(&app, &bob).await, json!({"unread": 1}));
    // Nothing to read is fine too.
    assert_eq!(post_empty(&app, path, &ann).await, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_deleted_users_notifications_go_with_them() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let post = create_post(&app, &ann.access).await;
    vote(&app, &bob.access, &post).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM notifications").await, 1);
    let admin = app.admin_token().await;
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
    assert_eq!(app.count("SELECT COUNT(*) FROM notifications").await, 0);
}
