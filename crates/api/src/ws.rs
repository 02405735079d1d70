//! WebSocket notifications: the hub that turns events into frames, and one task per
//! connection.
//!
//! The hub renders each event once and broadcasts the frame; every connection task reads
//! the broadcast, keeps what is for its user and is the only writer to its socket. A
//! connection that falls more than the broadcast's capacity behind is closed (a slow
//! client costs neither memory nor the other clients' latency).

use crate::dto::blog::PostResponse;
use crate::dto::notifications::NotificationData;
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use app::{AuthError, AuthService, NotificationService};
use domain::auth::Principal;
use domain::event::{Audience, Event, Notification};
use domain::time::Timestamp;
use futures_util::StreamExt;
use infra::events::{BROADCAST_CAPACITY, EventSource};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The largest frame a client may send.
const MAX_FRAME: usize = 64 * 1024;

/// A connection's clocks (`WS_PING_SECS`, `WS_SESSION_RECHECK_SECS`, `WS_SEND_TIMEOUT_SECS`).
#[derive(Debug, Clone, Copy)]
pub struct Timers {
    /// How often the server pings; a peer that misses two pongs in a row is dropped.
    pub ping: Duration,
    /// How often a connection re-checks its session (a backstop for a missed
    /// `session.ended` event; logout and deactivation close sockets at once).
    pub recheck: Duration,
    /// A client that does not take a frame within this long is disconnected, so a stalled
    /// reader cannot pin its task (or shutdown) on a full send buffer.
    pub send: Duration,
}

impl Timers {
    pub fn of(config: &infra::Config) -> Self {
        Self {
            ping: Duration::from_secs(config.ws_ping_secs),
            recheck: Duration::from_secs(config.ws_session_recheck_secs),
            send: Duration::from_secs(config.ws_send_timeout_secs),
        }
    }
}

/// Writes to the socket; on failure, the close it calls for: none to a socket that is
/// gone, `1013` to a client that took nothing within `within`.
async fn send<F: std::future::Future<Output = Result<(), actix_ws::Closed>>>(
    within: Duration,
    write: F,
) -> Result<(), Option<CloseReason>> {
    match tokio::time::timeout(within, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(None),
        Err(_) => Err(reason(
            CloseCode::Again,
            "too slow: a frame was not taken in time",
        )),
    }
}

/// A rendered event and who it is for.
#[derive(Debug)]
pub struct Frame {
    audience: Audience,
    /// The stored notification's id, by which a resumed socket skips what it already sent.
    id: Option<Uuid>,
    body: FrameBody,
}

#[derive(Debug)]
enum FrameBody {
    Text(String),
    /// The recipient's session ended: close the socket.
    Close,
}

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    /// Only on frames of stored notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<Uuid>,
    data: T,
    at: Timestamp,
}

#[derive(Serialize)]
struct PostPublished {
    post: PostResponse,
}

/// The JSON text clients receive for an event (`None` for those they never see).
pub fn render(n: &Notification) -> Option<String> {
    let kind = n.event.name();
    let text = match n.event.clone() {
        Event::PostPublished { post } => serde_json::to_string(&Envelope {
            kind,
            id: n.id,
            data: PostPublished { post: post.into() },
            at: n.at,
        }),
        Event::SessionEnded | Event::AccountChanged => return None,
        // The inbox's kinds: their data is the same as the REST inbox shows.
        event => serde_json::to_string(&Envelope {
            kind,
            id: n.id,
            data: NotificationData::of(event)?,
            at: n.at,
        }),
    };
    text.map_err(|e| tracing::error!("event not renderable: {e}"))
        .ok()
}

/// Fans rendered events out to this instance's connections.
pub struct Hub {
    frames: broadcast::Sender<Arc<Frame>>,
    shutdown: CancellationToken,
    timers: Timers,
}

impl Hub {
    /// Starts the task that renders what `source` delivers; it ends with `shutdown`.
    pub fn start(
        source: &dyn EventSource,
        timers: Timers,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let frames = broadcast::channel(BROADCAST_CAPACITY).0;
        let hub = Arc::new(Self {
            frames: frames.clone(),
            shutdown: shutdown.clone(),
            timers,
        });
        let mut events = source.subscribe();
        tokio::spawn(async move {
            loop {
                let n = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    n = events.recv() => n,
                };
                match n {
                    // No socket open on this instance: nobody to render the event for.
                    Ok(_) if frames.receiver_count() == 0 => {}
                    Ok(n) => {
                        let body = match &n.event {
                            Event::SessionEnded => Some(FrameBody::Close),
                            _ => render(&n).map(FrameBody::Text),
                        };
                        if let Some(body) = body {
                            let _ = frames.send(Arc::new(Frame {
                                audience: n.audience,
                                id: n.id,
                                body,
                            }));
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        metrics::counter!("events_dropped_total", "reason" => "hub_lagged")
                            .increment(missed);
                        tracing::warn!("notification hub fell behind; {missed} events dropped");
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        });
        hub
    }
}

/// Keeps the open-sockets gauge right however a connection ends.
struct OpenSocket;

impl OpenSocket {
    fn new() -> Self {
        metrics::gauge!("websocket_connections").increment(1.0);
        Self
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        metrics::gauge!("websocket_connections").decrement(1.0);
    }
}

/// The heartbeat rule: ping on every tick; a peer that let two pings go unanswered is gone.
#[derive(Debug, Default)]
pub struct Heartbeat {
    unanswered: u32,
}

impl Heartbeat {
    /// On a tick: `true` to ping again, `false` to drop the peer.
    pub fn tick(&mut self) -> bool {
        if self.unanswered >= 2 {
            return false;
        }
        self.unanswered += 1;
        true
    }

    pub fn pong(&mut self) {
        self.unanswered = 0;
    }
}

/// What a client frame gets back.
pub fn reply_to(text: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(rename = "type", borrow)]
        kind: &'a str,
    }
    match serde_json::from_str::<Typed>(text) {
        Ok(t) if t.kind == "ping" => r#"{"type":"pong"}"#.to_owned(),
        _ => serde_json::json!({"type": "echo", "data": text}).to_string(),
    }
}

/// Everything one connection needs.
pub struct Connection {
    pub session: Session,
    pub messages: actix_ws::MessageStream,
    pub principal: Principal,
    pub token: String,
    pub expires_at: Timestamp,
    pub auth: Arc<AuthService>,
    /// Resume: first send the stored notifications newer than this one.
    pub since: Option<Uuid>,
    pub notifications: Arc<NotificationService>,
}

fn reason(code: CloseCode, text: &str) -> Option<CloseReason> {
    Some(CloseReason {
        code,
        description: Some(text.to_owned()),
    })
}

impl Hub {
    /// Serves one connection until either side ends it. It is subscribed to the events when
    /// this is called, not when the returned future first runs: the handler calls it before
    /// answering the handshake, so a client that sees the socket open misses no event sent
    /// after that (the task serving it may start later, under load).
    pub fn serve(self: Arc<Self>, conn: Connection) -> impl Future<Output = ()> + 'static {
        let frames = self.frames.subscribe();
        self.run(conn, frames)
    }

    async fn run(self: Arc<Self>, conn: Connection, mut frames: broadcast::Receiver<Arc<Frame>>) {
        let _open = OpenSocket::new();
        let Connection {
            mut session,
            messages,
            principal,
            token,
            expires_at,
            auth,
            since,
            notifications,
        } = conn;
        let mut messages = messages
            .max_frame_size(MAX_FRAME)
            .aggregate_continuations()
            .max_continuation_size(MAX_FRAME);
        let timers = self.timers;
        let mut heartbeat = Heartbeat::default();
        let mut ping = tokio::time::interval(timers.ping);
        ping.tick().await;
        let mut recheck = tokio::time::interval(timers.recheck);
        recheck.tick().await;
        let left = (expires_at - domain::time::now())
            .to_std()
            .unwrap_or_default();
        let expiry = tokio::time::sleep(left);
        tokio::pin!(expiry);

        // Live events were subscribed to before this read, so none falls between the two;
        // what both deliver goes out once, from the store.
        let sent_before = match since {
            Some(after) => {
                match send_stored(
                    &mut session,
                    &notifications,
                    principal.user_id,
                    after,
                    timers.send,
                )
                .await
                {
                    Ok(ids) => ids,
                    Err(close) => {
                        close_within(session, close, timers.send).await;
                        return;
                    }
                }
            }
            None => HashSet::new(),
        };

        let close = loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => break reason(CloseCode::Away, "server shutting down"),
                _ = &mut expiry => break reason(CloseCode::Policy, "token expired"),
                frame = frames.recv() => match frame {
                    Ok(frame) if frame.id.is_some_and(|id| sent_before.contains(&id)) => {}
                    Ok(frame) if frame.audience.includes(principal.user_id, principal.session_id) => {
                        match &frame.body {
                            FrameBody::Text(text) => {
                                if let Err(close) = send(timers.send, session.text(text.clone())).await {
                                    break close;
                                }
                                metrics::counter!("events_delivered_total").increment(1);
                            }
                            FrameBody::Close => break reason(CloseCode::Policy, "session ended"),
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => {
                        metrics::counter!("events_dropped_total", "reason" => "slow_client").increment(missed);
                        break reason(CloseCode::Again, "too slow: events were dropped");
                    }
                    Err(RecvError::Closed) => break reason(CloseCode::Away, "server shutting down"),
                },
                msg = messages.next() => match msg {
                    Some(Ok(AggregatedMessage::Text(text))) => {
                        if let Err(close) = send(timers.send, session.text(reply_to(&text))).await {
                            break close;
                        }
                    }
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        if let Err(close) = send(timers.send, session.pong(&bytes)).await {
                            break close;
                        }
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => heartbeat.pong(),
                    Some(Ok(AggregatedMessage::Binary(_))) => {
                        break reason(CloseCode::Unsupported, "only text frames are understood");
                    }
                    Some(Ok(AggregatedMessage::Close(_))) | None => break None,
                    Some(Err(e)) => {
                        tracing::debug!("websocket protocol error: {e}");
                        break reason(CloseCode::Protocol, "protocol error");
                    }
                },
                _ = ping.tick() => {
                    if !heartbeat.tick() {
                        break reason(CloseCode::Away, "missed two pongs");
                    }
                    if let Err(close) = send(timers.send, session.ping(b"")).await {
                        break close;
                    }
                }
                _ = recheck.tick() => match auth.authenticate(&token).await {
                    Ok(_) => {}
                    Err(AuthError::InvalidToken) => break reason(CloseCode::Policy, "session ended"),
                    // The database being away says nothing about the session: keep serving.
                    Err(e) => tracing::debug!("websocket session re-check skipped: {e}"),
                },
            }
        };
        close_within(session, close, timers.send).await;
    }
}

/// Sends the close frame, waiting at most `within` for room: a stalled client's queue may
/// be full, and the task must end anyway (the connection then ends once what was queued
/// has gone out).
async fn close_within(session: Session, close: Option<CloseReason>, within: Duration) {
    let _ = tokio::time::timeout(within, session.close(close)).await;
}

/// Sends `user_id`'s stored notifications newer than `after`, oldest first; the ids sent,
/// or the reason to close when the store or the socket failed.
async fn send_stored(
    session: &mut Session,
    notifications: &NotificationService,
    user_id: Uuid,
    mut after: Uuid,
    within: Duration,
) -> Result<HashSet<Uuid>, Option<CloseReason>> {
    let mut sent_ids = HashSet::new();
    loop {
        let batch = notifications.since(user_id, after).await.map_err(|e| {
            tracing::warn!("stored notifications not read for a resuming socket: {e}");
            reason(CloseCode::Again, "stored notifications unavailable; retry")
        })?;
        let full = batch.len() as u64 == app::notifications::SINCE_BATCH;
        for n in batch {
            after = n.id;
            if let Some(text) = render(&n.live()) {
                send(within, session.text(text)).await?;
                metrics::counter!("events_delivered_total").increment(1);
            }
            sent_ids.insert(n.id);
        }
        if !full {
            return Ok(sent_ids);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_that_misses_two_pongs_is_dropped() {
        let mut hb = Heartbeat::default();
        assert!(hb.tick());
        assert!(hb.tick());
        assert!(!hb.tick());
        let mut hb = Heartbeat::default();
        for _ in 0..10 {
            assert!(hb.tick());
            hb.pong();
        }
    }

    #[test]
    fn ping_gets_pong_and_anything_else_is_echoed() {
        assert_eq!(reply_to(r#"{"type": "ping"}"#), r#"{"type":"pong"}"#);
        let echo: serde_json::Value = serde_json::from_str(&reply_to("hello")).unwrap();
        assert_eq!(echo, serde_json::json!({"type": "echo", "data": "hello"}));
        let echo: serde_json::Value =
            serde_json::from_str(&reply_to(r#"{"type": "other"}"#)).unwrap();
        assert_eq!(echo["type"], "echo");
        assert_eq!(echo["data"], r#"{"type": "other"}"#);
    }
}
