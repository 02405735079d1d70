//! A WebSocket client for the tests (tokio-tungstenite), with helpers that wait for the
//! next event, for a close, or prove that nothing was sent (with a barrier event).

use crate::helpers::TestApp;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub const WAIT: Duration = Duration::from_secs(5);

impl TestApp {
    pub fn ws_url(&self) -> String {
        format!("{}/ws/notify", self.address.replacen("http", "ws", 1))
    }

    /// Opens a socket with the token in the `Authorization` header.
    pub async fn ws(&self, token: &str) -> Socket {
        self.try_ws(Some(token), None)
            .await
            .expect("WebSocket handshake")
    }

    /// The handshake, with the token in a header, in `?token=`, or neither.
    pub async fn try_ws(
        &self,
        header: Option<&str>,
        query: Option<&str>,
    ) -> Result<Socket, tungstenite::Error> {
        let url = match query {
            Some(token) => format!("{}?token={token}", self.ws_url()),
            None => self.ws_url(),
        };
        let mut request = url.into_client_request()?;
        if let Some(token) = header {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
            .await
            .map(|(socket, _)| socket)
    }
}

/// The next text frame as JSON (pings are answered by the client library).
pub async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("a valid frame");
        match msg {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON text"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// The next event of type `kind`, failing on any other text frame first.
pub async fn next_event(socket: &mut Socket, kind: &str) -> Value {
    let frame = next_json(socket).await;
    assert_eq!(frame["type"], kind, "unexpected frame {frame}");
    assert!(
        frame["at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .is_some(),
        "`at` is RFC 3339: {frame}"
    );
    frame["data"].clone()
}

/// Proves that nothing is on its way to any of `sockets`: a post published now by a new
/// user is an event for every one of them, and it travels the path every event travels
/// (publisher, event bus, hub, the connection's task), so it must be the very next frame
/// of each. A pong would not do: the connection's task answers it at once, and could send
/// it ahead of an event still on its way to the task.
pub async fn assert_nothing_pending(app: &TestApp, sockets: &mut [&mut Socket]) {
    let barrier = uuid::Uuid::now_v7().simple().to_string();
    let author = app
        .register(&format!("barrier-{barrier}@example.com"))
        .await;
    let res = app
        .post_json(
            "/api/v1/posts",
            &serde_json::json!({"title": format!("barrier {barrier}"), "content": "-", "published": true}),
            Some(&author.access),
        )
        .await;
    assert_eq!(
        res.status(),
        reqwest::StatusCode::CREATED,
        "the barrier post"
    );
    for socket in sockets.iter_mut() {
        let frame = next_json(socket).await;
        assert_eq!(frame["type"], "post.published", "unexpected frame {frame}");
        assert_eq!(
            frame["data"]["post"]["title"],
            format!("barrier {barrier}"),
            "unexpected frame {frame}"
        );
    }
}

/// Proves the socket is served: a ping sent now is answered.
pub async fn assert_served(socket: &mut Socket) {
    socket
        .send(Message::Text(r#"{"type":"ping"}"#.into()))
        .await
        .unwrap();
    assert_eq!(next_json(socket).await, serde_json::json!({"type": "pong"}));
}

/// Waits for the server's close frame.
pub async fn closed_with(socket: &mut Socket, within: Duration) -> Option<CloseFrame> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, socket.next()).await {
            Err(_) => panic!("the socket was not closed within {within:?}"),
            Ok(None) => return None,
            Ok(Some(Ok(Message::Close(frame)))) => return frame,
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => panic!("socket error before the close: {e}"),
        }
    }
}
