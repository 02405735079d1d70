//! Socket frames of stored notifications carry their id, and `?since=` resumes a socket:
//! nothing missed while it was closed, nothing sent twice.

use super::{comment, create_post, inbox, vote};
use crate::helpers::{Backend, TestApp, backend, spawn_app, start};
use crate::ws_client::{Socket, assert_nothing_pending, next_json};
use futures_util::SinkExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// A socket for `token` resuming after `since` (sent as given).
async fn try_resume(app: &TestApp, token: &str, since: &str) -> Result<Socket, WsError> {
    let mut request = format!("{}?since={since}", app.ws_url())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

async fn resume(app: &TestApp, token: &str, since: &str) -> Socket {
    try_resume(app, token, since).await.expect("handshake")
}

/// The next frame, which must be a stored notification of type `kind`: its id and data.
async fn next_stored(socket: &mut Socket, kind: &str) -> (String, Value) {
    let frame = next_json(socket).await;
    assert_eq!(frame["type"], kind, "unexpected frame {frame}");
    let id = frame["id"].as_str().expect("a stored notification's id");
    (id.to_owned(), frame["data"].clone())
}

#[tokio::test]
async fn a_stored_notifications_frame_carries_its_id_and_the_inbox_data() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let mut socket = app.ws(&ann.access).await;
    let post = create_post(&app, &ann.access).await;
    // Her own post's broadcast goes to others only; she sees nothing of it.
    vote(&app, &bob.access, &post).await;
    let (id, data) = next_stored(&mut socket, "vote.created").await;
    let page = inbox(&app, &ann, "").await;
    assert_eq!(page["items"][0]["id"], id.as_str());
    assert_eq!(page["items"][0]["data"], data, "the same data both ways");

    // A live-only broadcast has no id.
    let mut bobs = app.ws(&bob.access).await;
    create_post(&app, &ann.access).await;
    let frame = next_json(&mut bobs).await;
    assert_eq!(frame["type"], "post.published");
    assert!(frame.get("id").is_none(), "{frame}");
    assert_nothing_pending(&app, &mut [&mut socket, &mut bobs]).await;
}

#[tokio::test]
async fn since_must_be_a_uuid_before_any_upgrade() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    match try_resume(&app, &ann.access, "not-a-uuid").await {
        Err(WsError::Http(res)) => assert_eq!(res.status().as_u16(), 422),
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("the handshake was accepted"),
    }
}

#[tokio::test]
async fn a_resumed_socket_gets_what_it_missed_once_then_live_events_once() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let post = create_post(&app, &ann.access).await;

    let mut socket = app.ws(&ann.access).await;
    comment(&app, &bob.access, &post, "first").await;
    let (seen, _) = next_stored(&mut socket, "comment.created").await;
    socket.close(None).await.unwrap();
    drop(socket);

    // While she is away.
    let missed = comment(&app, &bob.access, &post, "second").await;
    vote(&app, &bob.access, &post).await;

    let mut socket = resume(&app, &ann.access, &seen).await;
    let (a, data) = next_stored(&mut socket, "comment.created").await;
    assert_eq!(data["comment"], missed);
    let (b, data) = next_stored(&mut socket, "vote.created").await;
    assert_eq!(data["votes"], 1);
    assert_eq!(
        ids_after(&app, &ann, &seen).await,
        [a.clone(), b.clone()],
        "oldest first, every one after `since`"
    );
    assert_nothing_pending(&app, &mut [&mut socket]).await;

    // Then live, once each.
    comment(&app, &bob.access, &post, "third").await;
    let (c, _) = next_stored(&mut socket, "comment.created").await;
    assert!(![&seen, &a, &b].contains(&&c));
    assert_nothing_pending(&app, &mut [&mut socket]).await;

    // Resuming from the very first sends everything after it again, and nothing twice.
    let mut again = resume(&app, &ann.access, &seen).await;
    for (kind, id) in [
        ("comment.created", &a),
        ("vote.created", &b),
        ("comment.created", &c),
    ] {
        assert_eq!(&next_stored(&mut again, kind).await.0, id);
    }
    assert_nothing_pending(&app, &mut [&mut again]).await;
}

/// The ids of the inbox newer than `since`, oldest first.
async fn ids_after(app: &TestApp, user: &crate::helpers::TestUser, since: &str) -> Vec<String> {
    let page = inbox(app, user, "?limit=100").await;
    let mut ids: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .take_while(|id| id != since)
        .collect();
    ids.reverse();
    ids
}

#[tokio::test]
async fn resuming_while_events_keep_coming_sends_none_twice() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let post = create_post(&app, &ann.access).await;
    for i in 0..3 {
        comment(&app, &bob.access, &post, &format!("before {i}")).await;
    }
    // Comments keep coming while the socket resumes from the start of the inbox.
    let writer = {
        let (client, url, token, post) = (
            app.client.clone(),
            app.url(&format!("/api/v1/posts/{post}/comments")),
            bob.access.clone(),
            post.clone(),
        );
        tokio::spawn(async move {
            for i in 0..10 {
                let res = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"content": format!("during {i} on {post}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
            }
        })
    };
    let mut socket = resume(&app, &ann.access, &uuid::Uuid::nil().to_string()).await;
    writer.await.unwrap();
    let mut got = Vec::new();
    for _ in 0..13 {
        got.push(next_stored(&mut socket, "comment.created").await.0);
    }
    assert_nothing_pending(&app, &mut [&mut socket]).await;
    let mut unique = got.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 13, "none twice");
    let mut all = ids_after(&app, &ann, "").await;
    all.sort();
    assert_eq!(unique, all, "none missed");
}

#[tokio::test]
async fn without_redis_the_inbox_and_since_deliver_what_another_instance_caused() {
    if backend() != Backend::Postgres {
        eprintln!("skipped: two instances share a PostgreSQL database");
        return;
    }
    let a = spawn_app().await;
    assert!(a.config.redis_url.is_none());
    let b = TestApp::on(&a, start(&a.config).await);
    let ann = a.register("ann@example.com").await;
    let bob = a.register("bob@example.com").await;
    let post = create_post(&a, &ann.access).await;

    // Her socket is on B; Bob comments and votes through A, which B never hears of live.
    let mut on_b = b.ws(&ann.access).await;
    let said = comment(&a, &bob.access, &post, "from A").await;
    vote(&a, &bob.access, &post).await;
    assert_nothing_pending(&b, &mut [&mut on_b]).await;

    // B's inbox has both, and resuming on B sends both.
    let page = inbox(&b, &ann, "").await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][1]["data"]["comment"], said);
    on_b.send(Message::Close(None)).await.unwrap();
    let mut resumed = resume(&b, &ann.access, &uuid::Uuid::nil().to_string()).await;
    let (first, _) = next_stored(&mut resumed, "comment.created").await;
    let (second, _) = next_stored(&mut resumed, "vote.created").await;
    assert_eq!(page["items"][1]["id"], first.as_str());
    assert_eq!(page["items"][0]["id"], second.as_str());
    assert_nothing_pending(&b, &mut [&mut resumed]).await;
    b.shutdown.cancel();
}
