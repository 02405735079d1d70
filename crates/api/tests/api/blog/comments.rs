//! Blog: comments, and what goes with a deleted post or user.

use super::*;
use crate::answers::{assert_invalid, etag_of, location_of};

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
        let location = location_of(&res);
        let c: Value = res.json().await.unwrap();
        assert_eq!(
            location,
            format!("/api/v1/comments/{}", c["id"].as_str().unwrap())
        );
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    let page: Value = app
        .get_json(&format!("/api/v1/posts/{id}/comments?limit=3"), None)
        .await;
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
    let p: Value = app.get_json(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(p["comments_count"], 4);

    let first = format!("/api/v1/comments/{}", ids[0]);
    let res = app.get(&first, None).await;
    let etag = etag_of(&res);
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
        .send_if_match(
            Method::PATCH,
            &first,
            Some(&bob.access),
            &etag,
            Some(&json!({"content": "again"})),
        )
        .await;
    assert_problem(stale, 412).await;
    assert_invalid(
        app.send_json(
            Method::PATCH,
            &first,
            &json!({"content": " "}),
            Some(&bob.access),
        )
        .await,
        &["content"],
    )
    .await;
    assert_invalid(
        comment(&app, &bob.access, &id, &"x".repeat(5001)).await,
        &["content"],
    )
    .await;

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
    let p: Value = app.get_json(&format!("/api/v1/posts/{bobs}"), None).await;
    assert_eq!(
        (p["votes"].as_u64(), p["comments_count"].as_u64()),
        (Some(0), Some(0)),
        "ann's vote and comment went with her"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 1);
}
