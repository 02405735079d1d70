//! SPEC section 6, real time: `/ws/notify` end to end with a real WebSocket client.

use crate::answers::assert_problem;
use crate::helpers::{
    JWT_SECRET, TestApp, redis_prefix, redis_url, spawn_app, spawn_app_with, start,
};
use crate::jwt_attacks::{claims_of, sign};
use crate::metered::OwnProcess;
use crate::notifications::{comment, vote};
use crate::ws_client::{WAIT, assert_nothing_pending, closed_with, next_event, next_json};
use futures_util::SinkExt;
use jsonwebtoken::Algorithm;
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

async fn create_post(app: &TestApp, token: &str, published: bool) -> Value {
    let res = app
        .post_json(
            "/api/v1/posts",
            &json!({"title": "News", "content": "Body", "published": published}),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

/// The status of a refused handshake.
fn refused_status(result: Result<crate::ws_client::Socket, WsError>) -> u16 {
    match result {
        Err(WsError::Http(res)) => res.status().as_u16(),
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("the handshake was accepted"),
    }
}

#[tokio::test]
async fn the_handshake_needs_a_valid_live_token() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;

    assert_eq!(refused_status(app.try_ws(None, None).await), 401);
    assert_eq!(
        refused_status(app.try_ws(Some("not-a-jwt"), None).await),
        401
    );
    assert_eq!(
        refused_status(app.try_ws(None, Some("not-a-jwt")).await),
        401
    );
    let mut expired = claims_of(&ann.access);
    let now = chrono::Utc::now().timestamp();
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    let expired = sign(&expired, Algorithm::HS256, JWT_SECRET);
    assert_eq!(refused_status(app.try_ws(Some(&expired), None).await), 401);

    // The refusal is a problem+json 401 with the bearer challenge, before any upgrade.
    let res = app
        .request(Method::GET, "/ws/notify", None)
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_problem(res, 401).await;

    // A valid token without a WebSocket handshake.
    assert_problem(app.get("/ws/notify", Some(&ann.access)).await, 426).await;

    // Both ways of presenting a token work; after logout neither does.
    app.try_ws(None, Some(&ann.access)).await.expect("?token=");
    app.try_ws(Some(&ann.access), None).await.expect("header");
    app.logout(&ann.access).await;
    assert_eq!(
        refused_status(app.try_ws(Some(&ann.access), None).await),
        401
    );
    assert_eq!(
        refused_status(app.try_ws(None, Some(&ann.access)).await),
        401
    );
}

#[tokio::test]
async fn an_unparsable_query_is_422_and_the_document_says_where_the_token_goes() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let res = app
        .get(&format!("/ws/notify?token={0}&token={0}", ann.access), None)
        .await;
    assert_problem(res, 422).await;

    let doc: Value = app.get_json("/openapi.json", None).await;
    let op = &doc["paths"]["/ws/notify"]["get"];
    let params = op["parameters"].as_array().expect("parameters");
    // `token`, and `since` to resume (SPEC section 6, notifications inbox).
    assert_eq!(params.len(), 2, "{params:?}");
    assert_eq!(params[0]["name"], "token");
    assert_eq!(
        params[0]["in"], "query",
        "a query parameter, not a path one"
    );
    assert_eq!(params[0]["required"], false);
    assert_eq!(params[1]["name"], "since");
    assert_eq!(params[1]["in"], "query");
    assert_eq!(params[1]["required"], false);
    assert_eq!(params[1]["schema"]["format"], "uuid");
    for status in ["101", "401", "422", "426", "503"] {
        assert!(
            op["responses"][status]["description"].is_string(),
            "{status} documented"
        );
    }
}

#[tokio::test]
async fn ping_gets_pong_and_other_text_is_echoed() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let mut socket = app.ws(&ann.access).await;
    socket
        .send(Message::Text(r#"{"type": "ping"}"#.into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await, json!({"type": "pong"}));
    for text in ["hello", r#"{"type": "other"}"#, "{broken"] {
        socket.send(Message::Text(text.into())).await.unwrap();
        assert_eq!(
            next_json(&mut socket).await,
            json!({"type": "echo", "data": text})
        );
    }
    // A protocol-level ping is answered too.
    socket
        .send(Message::Ping(b"hi".to_vec().into()))
        .await
        .unwrap();
    loop {
        let msg = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut socket))
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Pong(payload) = msg {
            assert_eq!(&payload[..], b"hi");
            break;
        }
    }
}

#[tokio::test]
async fn events_reach_the_right_people_and_never_the_actor() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com").await;
    let bob = app.register("bob@example.com").await;
    let carol = app.register("carol@example.com").await;
    // The owner has two tabs open: both hear every event for the owner.
    let mut tabs = [app.ws(&owner.access).await, app.ws(&owner.access).await];
    let mut bob_ws = app.ws(&bob.access).await;
    let mut carol_ws = app.ws(&carol.access).await;

    // A post created published goes to everyone else.
    let post = create_post(&app, &owner.access, true).await;
    let post_id = post["id"].as_str().unwrap().to_owned();
    for socket in [&mut bob_ws, &mut carol_ws] {
        let data = next_event(socket, "post.published").await;
        assert_eq!(data["post"]["id"], post["id"]);
        assert_eq!(data["post"]["title"], "News");
        assert_eq!(data["post"]["owner"]["id"], owner.id.as_str());
        assert_eq!(data["post"]["voted"], false);
    }

    // Bob comments: the owner's tabs get the comment, nobody else.
    let posted = comment(&app, &bob.access, &post_id, "Great read").await;
    for tab in &mut tabs {
        let data = next_event(tab, "comment.created").await;
        assert_eq!(data["post_id"], post_id.as_str());
        assert_eq!(data["comment"], posted);
    }

    // Bob votes: the owner hears the new count and who voted.
    vote(&app, &bob.access, &post_id).await;
    for tab in &mut tabs {
        let data = next_event(tab, "vote.created").await;
        assert_eq!(
            data,
            json!({"post_id": post_id, "voter": {"id": bob.id, "name": "bob"}, "votes": 1})
        );
    }

    // The owner's own comment and vote notify nobody.
    comment(&app, &owner.access, &post_id, "Thanks").await;
    vote(&app, &owner.access, &post_id).await;

    // A draft is announced only when it is published.
    let draft = create_post(&app, &carol.access, false).await;
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/posts/{}", draft["id"].as_str().unwrap()),
            &json!({"published": true}),
            Some(&carol.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let [tab0, tab1] = &mut tabs;
    for socket in [tab0, tab1, &mut bob_ws] {
        let data = next_event(socket, "post.published").await;
        assert_eq!(data["post"]["id"], draft["id"]);
        assert_eq!(data["post"]["published"], true);
    }

    // Nothing else was sent to anyone: not the actor's own events, not others'.
    let [tab0, tab1] = &mut tabs;
    assert_nothing_pending(&app, &mut [tab0, tab1, &mut bob_ws, &mut carol_ws]).await;
}

#[tokio::test]
async fn logout_and_deactivation_close_the_socket_at_once() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let mut ann_ws = app.ws(&ann.access).await;
    let mut bob_ws = app.ws(&bob.access).await;
    // A second session of Ann's stays open when the first logs out.
    let res = app.login(&ann.email, &ann.password).await;
    let other: Value = res.json().await.unwrap();
    let mut ann_other = app.ws(other["access_token"].as_str().unwrap()).await;

    app.logout(&ann.access).await;
    let frame = closed_with(&mut ann_ws, WAIT).await.expect("a close frame");
    assert_eq!(frame.code, CloseCode::Policy);
    assert_nothing_pending(&app, &mut [&mut ann_other]).await;

    // Deactivating Bob closes his sockets.
    let admin = app.admin_token().await;
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{}", bob.id),
            &json!({"is_active": false}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let frame = closed_with(&mut bob_ws, WAIT).await.expect("a close frame");
    assert_eq!(frame.code, CloseCode::Policy);
}

#[tokio::test]
async fn a_socket_closes_when_its_token_expires() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let mut claims = claims_of(&ann.access);
    claims["exp"] = json!(chrono::Utc::now().timestamp() + 2);
    let short = sign(&claims, Algorithm::HS256, JWT_SECRET);
    let mut socket = app.ws(&short).await;
    let frame = closed_with(&mut socket, Duration::from_secs(6))
        .await
        .expect("a close frame");
    assert_eq!(frame.code, CloseCode::Policy);
    assert_eq!(frame.reason, "token expired");
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let mut socket = app.ws(&ann.access).await;
    app.shutdown.cancel();
    let frame = closed_with(&mut socket, WAIT).await.expect("a close frame");
    assert_eq!(frame.code, CloseCode::Away);
}

/// In a process of its own: the recorder is process-wide, so only there are the counts
/// this test's alone, and exact.
#[tokio::test]
async fn open_sockets_and_delivered_events_are_in_the_metrics() {
    let own = OwnProcess::start(&[]).await;
    let ann = own.register("ann@example.com").await;
    let bob = own.register("bob@example.com").await;
    // Both welcome e-mails (to the log) are done, and the queue is empty.
    own.wait_for_sample(r#"jobs_done_total{kind="welcome_email"}"#, 2.0)
        .await;
    own.wait_for_sample("job_queue_depth", 0.0).await;
    assert_eq!(own.sample("websocket_connections").await, 0.0);

    let mut request = format!("ws://127.0.0.1:{}/ws/notify", own.port)
        .into_client_request()
        .unwrap();
    let bearer = format!("Bearer {}", ann["access_token"].as_str().unwrap());
    request
        .headers_mut()
        .insert("authorization", bearer.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    own.wait_for_sample("websocket_connections", 1.0).await;
    assert_eq!(own.sample("events_published_total").await, 0.0);
    assert_eq!(own.sample("events_delivered_total").await, 0.0);

    // Bob publishes a post: one event, delivered to Ann's one socket.
    let res = reqwest::Client::new()
        .post(own.url("/api/v1/posts"))
        .bearer_auth(bob["access_token"].as_str().unwrap())
        .json(&json!({"title": "News", "content": "Body", "published": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    next_event(&mut socket, "post.published").await;
    own.wait_for_sample("events_delivered_total", 1.0).await;
    assert_eq!(own.sample("events_published_total").await, 1.0);
    assert_eq!(
        own.sample(r#"events_dropped_total{reason="slow_client"}"#)
            .await,
        0.0
    );

    socket.close(None).await.unwrap();
    own.wait_for_sample("websocket_connections", 0.0).await;
}

/// README, `REDIS_PREFIX`: "separate deployments on one Redis do not [share it]", events
/// included. Ann has a socket on each of two instances with different prefixes: Bob's post
/// on A reaches her socket on A, and B's barrier is the next frame on hers on B (B's one
/// subscriber connection would have heard A's event first, had it been on B's channel).
#[tokio::test]
async fn instances_with_different_redis_prefixes_do_not_share_events() {
    let Some(url) = redis_url() else { return };
    let a = spawn_app_with(|c| {
        c.redis_url = Some(url.clone());
        c.redis_prefix = redis_prefix();
    })
    .await;
    let mut config = a.config.clone();
    config.redis_prefix = redis_prefix();
    let b = TestApp::on(&a, start(&config).await);
    let ann = a.register("ann@example.com").await;
    let bob = a.register("bob@example.com").await;
    let mut on_a = a.ws(&ann.access).await;
    let mut on_b = b.ws(&ann.access).await;
    for prefix in [&a.config.redis_prefix, &b.config.redis_prefix] {
        wait_for_subscribers(&url, &format!("{prefix}events"), 1).await;
    }

    let post = create_post(&a, &bob.access, true).await;
    let data = next_event(&mut on_a, "post.published").await;
    assert_eq!(data["post"]["id"], post["id"]);
    assert_nothing_pending(&b, &mut [&mut on_b]).await;
}

/// Two instances on one database and one Redis: an event caused on A reaches a socket
/// on B.
#[tokio::test]
async fn with_redis_events_cross_instances() {
    let Some(url) = redis_url() else { return };
    let prefix = redis_prefix();
    let a = spawn_app_with(|c| {
        c.redis_url = Some(url.clone());
        c.redis_prefix = prefix.clone();
        // Long enough that only the event, not the clock, can make A forget.
        c.session_cache_secs = 60;
    })
    .await;
    let b = TestApp::on(&a, start(&a.config).await);
    let ann = a.register("ann@example.com").await;
    let bob = a.register("bob@example.com").await;
    let mut on_b = b.ws(&ann.access).await;
    let mut on_a = a.ws(&ann.access).await;
    wait_for_subscribers(&url, &format!("{prefix}events"), 2).await;

    let post = create_post(&a, &bob.access, true).await;
    for socket in [&mut on_b, &mut on_a] {
        let data = next_event(socket, "post.published").await;
        assert_eq!(data["post"]["id"], post["id"]);
    }
    // Delivered once per socket, though both instances heard it.
    assert_nothing_pending(&a, &mut [&mut on_b, &mut on_a]).await;

    // A logout on B closes Ann's socket on A, and A, which has just seen her session,
    // refuses her token.
    assert_eq!(
        a.get("/api/v1/users/me", Some(&ann.access)).await.status(),
        200
    );
    b.logout(&ann.access).await;
    let frame = closed_with(&mut on_a, WAIT).await.expect("a close frame");
    assert_eq!(frame.code, CloseCode::Policy);
    let mut status = 0;
    for _ in 0..40 {
        status = a
            .get("/api/v1/users/me", Some(&ann.access))
            .await
            .status()
            .as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 401, "A still accepts a session B ended");
}

/// Waits until `n` instances listen on the event channel.
pub async fn wait_for_subscribers(url: &str, channel: &str, n: i64) {
    let mut conn = infra::redis::connect(url).await.unwrap();
    for _ in 0..100 {
        let (_, count): (String, i64) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(&mut conn)
            .await
            .unwrap();
        if count >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{channel} never had {n} subscribers");
}

/// A WebSocket client that answers nothing by itself (tungstenite answers pings as it
/// reads): the frames the server sends, read off the TCP stream.
struct SilentSocket {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

impl SilentSocket {
    async fn open(app: &TestApp, token: &str) -> Self {
        Self::open_at(app.address.trim_start_matches("http://"), token, None).await
    }

    /// Connects to `host` (`127.0.0.1:port`); with `receive_buffer`, the client's kernel
    /// takes that little before the server's writes block.
    async fn open_at(host: &str, token: &str, receive_buffer: Option<u32>) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        if let Some(size) = receive_buffer {
            socket.set_recv_buffer_size(size).unwrap();
        }
        let mut stream = socket.connect(host.parse().unwrap()).await.unwrap();
        let handshake = format!(
            "GET /ws/notify HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        stream.write_all(handshake.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        loop {
            let mut chunk = [0u8; 1024];
            let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
                .await
                .expect("a handshake answer in time")
                .unwrap();
            assert!(n > 0, "closed during the handshake");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                assert!(head.starts_with("HTTP/1.1 101"), "{head}");
                buf.drain(..end + 4);
                return Self { stream, buf };
            }
        }
    }

    /// The next frame's opcode and payload, within `within`.
    async fn next_frame(&mut self, within: Duration) -> (u8, Vec<u8>) {
        use tokio::io::AsyncReadExt;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some((opcode, payload, used)) = frame(&self.buf) {
                self.buf.drain(..used);
                return (opcode, payload);
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .unwrap_or_else(|_| panic!("no frame within {within:?}"))
                .unwrap();
            assert!(n > 0, "the connection ended without a close frame");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

impl SilentSocket {
    /// Reads to the end of the connection: how many text frames came, and the close
    /// frame's code and reason if one came before the connection ended.
    async fn read_to_end(&mut self, within: Duration) -> (usize, Option<(u16, String)>) {
        use tokio::io::AsyncReadExt;
        let deadline = tokio::time::Instant::now() + within;
        let mut texts = 0;
        loop {
            while let Some((opcode, payload, used)) = frame(&self.buf) {
                self.buf.drain(..used);
                match opcode {
                    TEXT => texts += 1,
                    CLOSE => {
                        let code = u16::from_be_bytes([payload[0], payload[1]]);
                        let reason = String::from_utf8_lossy(&payload[2..]).into_owned();
                        return (texts, Some((code, reason)));
                    }
                    _ => {}
                }
            }
            let mut chunk = vec![0u8; 64 * 1024];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .unwrap_or_else(|_| panic!("the connection did not end within {within:?}"))
                .unwrap_or(0);
            if n == 0 {
                return (texts, None);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// A whole frame at the start of `buf`: its opcode, payload and length on the wire.
fn frame(buf: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    let (&first, &second) = (buf.first()?, buf.get(1)?);
    let (len, mut at) = match second & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?])),
            4,
        ),
        127 => (
            usize::try_from(u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?)).ok()?,
            10,
        ),
        n => (usize::from(n), 2),
    };
    if second & 0x80 != 0 {
        at += 4;
    }
    let payload = buf.get(at..at + len)?.to_vec();
    Some((first & 0x0f, payload, at + len))
}

const TEXT: u8 = 0x1;
const PING: u8 = 0x9;
const CLOSE: u8 = 0x8;

/// README, real time: "The server pings every 30 s (`WS_PING_SECS`) and drops a peer that
/// missed two pongs." With a 1 s clock (the 30 s default is the config's test); a peer that
/// answers stays.
#[tokio::test]
async fn the_server_pings_every_interval_and_drops_a_peer_that_missed_two_pongs() {
    let app = spawn_app_with(|c| c.ws_ping_secs = 1).await;
    let every = Duration::from_secs(1);
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let opened = tokio::time::Instant::now();
    let mut silent = SilentSocket::open(&app, &ann.access).await;
    // Bob's client answers every ping as it reads; it counts them until an event comes.
    let mut answering = app.ws(&bob.access).await;
    let bobs = tokio::spawn(async move {
        let mut pings = 0;
        loop {
            let msg = futures_util::StreamExt::next(&mut answering)
                .await
                .expect("Bob's socket stays open")
                .expect("a valid frame");
            match msg {
                Message::Ping(_) => pings += 1,
                Message::Text(text) => {
                    return (pings, serde_json::from_str::<Value>(&text).unwrap());
                }
                other => panic!("unexpected frame on Bob's socket: {other:?}"),
            }
        }
    });

    let step = WAIT;
    let (opcode, _) = silent.next_frame(step).await;
    let first = opened.elapsed();
    assert_eq!(opcode, PING, "the first frame is a ping");
    assert!(first >= every, "pinged after {first:?}");
    let (opcode, _) = silent.next_frame(step).await;
    let second = opened.elapsed();
    assert_eq!(opcode, PING, "the second frame is a ping");
    // The interval's ticks are a clock's: a late first tick makes the next one come sooner.
    assert!(second >= 2 * every, "pinged again after {second:?}");
    // The third tick finds two pings unanswered: the peer is dropped.
    let (opcode, payload) = silent.next_frame(step).await;
    let dropped = opened.elapsed();
    assert_eq!(opcode, CLOSE, "the third frame closes");
    assert!(dropped >= 3 * every, "dropped after {dropped:?}");
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1001);
    assert_eq!(&payload[2..], b"missed two pongs");

    // Bob answered his pings and is still served: an event reaches him.
    let carol = app.register("carol@example.com").await;
    let post = create_post(&app, &carol.access, true).await;
    let (pings, frame) = bobs.await.unwrap();
    assert!(pings >= 2, "Bob was pinged {pings} times");
    assert_eq!(frame["type"], "post.published");
    assert_eq!(frame["data"]["post"]["id"], post["id"]);
}

/// README, real time: a socket re-checks its session every 30 s (`WS_SESSION_RECHECK_SECS`),
/// a backstop for a missed `session.ended`. Here the session ends in the database only, so
/// no event tells the socket; with a 2 s clock.
#[tokio::test]
async fn a_session_ended_unannounced_closes_its_socket_at_the_re_check() {
    let every = Duration::from_secs(2);
    let app = spawn_app_with(|c| c.ws_session_recheck_secs = 2).await;
    let ann = app.register("ann@example.com").await;
    let opened = tokio::time::Instant::now();
    let mut socket = app.ws(&ann.access).await;
    app.db
        .execute_unprepared("UPDATE sessions SET revoked_at = created_at")
        .await
        .unwrap();
    let frame = closed_with(&mut socket, WAIT + every)
        .await
        .expect("a close frame");
    let after = opened.elapsed();
    assert_eq!(frame.code, CloseCode::Policy);
    assert_eq!(frame.reason, "session ended");
    assert!(
        after >= every,
        "closed after {after:?}: not by the periodic re-check"
    );
}

/// The slow-client tests: a process on Redis with `env`, Ann's socket that never reads (with
/// a small receive buffer), and Carol's that reads everything. Bob's post with `size`
/// characters goes out `copies` times more through Redis, and this returns once Carol has
/// read all of them (so the hub has sent them all): Ann's socket, the process, how many
/// events went out, and Carol's socket (open, so that it still counts).
async fn flood_a_silent_socket(
    url: &str,
    env: &[(&str, &str)],
    size: usize,
    copies: usize,
) -> (SilentSocket, OwnProcess, usize, crate::ws_client::Socket) {
    let prefix = redis_prefix();
    let channel = format!("{prefix}events");
    let mut all = vec![("REDIS_URL", url), ("REDIS_PREFIX", prefix.as_str())];
    all.extend_from_slice(env);
    let own = OwnProcess::start(&all).await;
    let token = |user: &Value| user["access_token"].as_str().unwrap().to_owned();
    let (ann, bob, carol) = (
        own.register("ann@example.com").await,
        own.register("bob@example.com").await,
        own.register("carol@example.com").await,
    );
    let host = format!("127.0.0.1:{}", own.port);
    let ann_socket = SilentSocket::open_at(&host, &token(&ann), Some(4096)).await;
    let mut request = format!("ws://{host}/ws/notify")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", token(&carol)).parse().unwrap(),
    );
    let (mut carols, _) = tokio_tungstenite::connect_async(request).await.unwrap();

    // The message the server publishes for Bob's post, caught on the channel.
    let client = redis::Client::open(url).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.subscribe(&channel).await.unwrap();
    wait_for_subscribers(url, &channel, 2).await;
    let res = reqwest::Client::new()
        .post(own.url("/api/v1/posts"))
        .bearer_auth(token(&bob))
        .json(&json!({"title": "Big", "content": "x".repeat(size), "published": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let message: String = {
        let mut messages = pubsub.on_message();
        loop {
            let msg = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut messages))
                .await
                .expect("the post's event on the channel")
                .unwrap();
            let payload: String = msg.get_payload().unwrap();
            if payload.contains("post_published") {
                break payload;
            }
        }
    };
    // Nobody reads this subscription any more: Redis would queue the flood for it.
    drop(pubsub);
    let sent = copies + 1;
    // Carol reads as the events come, so that she keeps up.
    let carol_read = tokio::spawn(async move {
        let mut got = 0;
        while got < sent {
            let msg = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut carols))
                .await
                .unwrap_or_else(|_| panic!("Carol got only {got} of {sent} events"))
                .expect("Carol's socket stays open")
                .unwrap();
            if msg.is_text() {
                got += 1;
            }
        }
        carols
    });
    let mut conn = infra::redis::connect(url).await.unwrap();
    let mut pipe = redis::pipe();
    for _ in 0..copies {
        pipe.cmd("PUBLISH").arg(&channel).arg(&message).ignore();
    }
    let () = pipe.query_async(&mut conn).await.unwrap();
    let carols = carol_read.await.unwrap();
    (ann_socket, own, sent, carols)
}

/// README, real time: "a client that falls 1024 events behind ... is disconnected with
/// close `1013`". Ann reads nothing while 5000 events of 4 kB go out (more than her kernel
/// buffers and the broadcast hold), then reads: what was queued for her, then the close. A
/// send timeout of 60 s keeps the other rule out of it.
#[tokio::test]
async fn a_client_that_falls_behind_is_closed_with_1013() {
    let Some(url) = redis_url() else { return };
    let (mut ann, own, sent, _carol) =
        flood_a_silent_socket(&url, &[("WS_SEND_TIMEOUT_SECS", "60")], 4000, 5000).await;
    let (texts, close) = ann.read_to_end(WAIT).await;
    assert_eq!(
        close,
        Some((1013, "too slow: events were dropped".to_owned())),
        "after {texts} events"
    );
    assert!(texts < sent, "Ann got all {sent} events");
    let dropped = own
        .sample(r#"events_dropped_total{reason="slow_client"}"#)
        .await;
    assert!(dropped >= 1.0, "dropped {dropped}");
    // Carol's socket is the one left.
    own.wait_for_sample("websocket_connections", 1.0).await;
}

/// README, real time: a client that "does not take a frame for 10 s (`WS_SEND_TIMEOUT_SECS`)
/// is disconnected". 600 events of 20 kB fill Ann's kernel buffers, yet stay fewer than
/// the broadcast's 1024 ahead of her: her task waits on a full socket, and after the 1 s
/// set here it ends (the open-sockets gauge drops to Carol's one) while Ann still reads
/// nothing. When she reads, she gets part of what was sent, then the end of the connection,
/// with a `1013` if the close frame found room.
#[tokio::test]
async fn a_client_that_takes_no_frame_is_disconnected() {
    let Some(url) = redis_url() else { return };
    let (mut ann, own, sent, _carol) =
        flood_a_silent_socket(&url, &[("WS_SEND_TIMEOUT_SECS", "1")], 20_000, 600).await;
    own.wait_for_sample("websocket_connections", 1.0).await;
    assert_eq!(
        own.sample(r#"events_dropped_total{reason="slow_client"}"#)
            .await,
        0.0,
        "the broadcast never lapped her: the send timeout ended her task"
    );
    let (texts, close) = ann.read_to_end(WAIT).await;
    assert!(texts < sent, "Ann got all {sent} events");
    if let Some((code, reason)) = close {
        assert_eq!(
            (code, reason.as_str()),
            (1013, "too slow: a frame was not taken in time")
        );
    }
}
