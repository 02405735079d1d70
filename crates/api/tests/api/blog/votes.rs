//! Blog: votes.

use super::*;
use crate::answers::assert_tally;

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
    assert_tally(attempts, &[(201, 1), (409, 19)]).await;
    let p: Value = app.get_json(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(p["votes"], 1);
}
