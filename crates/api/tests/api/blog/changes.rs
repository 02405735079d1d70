//! Blog: changing a post, and who may.

use super::*;
use crate::answers::{assert_invalid, etag_of};

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
    assert_invalid(
        app.send_json(Method::PUT, &path, &json!({"title": "Only"}), t)
            .await,
        &["content"],
    )
    .await;
    assert_invalid(
        app.send_json(Method::PATCH, &path, &json!({"content": ""}), t)
            .await,
        &["content"],
    )
    .await;

    let etag = etag_of(&app.get(&path, t).await);
    app.send_json(Method::PATCH, &path, &json!({"title": "Newer"}), t)
        .await;
    let stale = app
        .send_if_match(
            Method::PATCH,
            &path,
            t,
            &etag,
            Some(&json!({"title": "Older"})),
        )
        .await;
    assert_problem(stale, 412).await;
    assert_eq!(app.get_json(&path, t).await["title"], "Newer");
}
