//! Events through a Redis channel, so every instance's sockets hear every event.
//!
//! Publishing goes through a bounded outbox drained by one task, so a request never
//! waits on Redis. The subscriber holds its own connection (a subscribed connection can
//! run no other command), pings it to notice a dead peer, and reconnects with backoff.
//! Redis pub/sub keeps nothing: events published while an instance is disconnected are
//! lost for its sockets, and the gap is logged.

use super::{BROADCAST_CAPACITY, EventSource, count_dropped, wire};
use domain::BoxError;
use domain::event::{EventPublisher, Notification};
use futures_util::StreamExt;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};

/// Events waiting to be published before new ones are dropped.
const OUTBOX_CAPACITY: usize = 4096;
const PING_EVERY: Duration = Duration::from_secs(10);
const PING_TIMEOUT: Duration = Duration::from_secs(3);
// Short: once Redis is back, every second of waiting is a second of lost events.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

pub struct RedisEvents {
    outbox: mpsc::Sender<Notification>,
    local: broadcast::Sender<Arc<Notification>>,
}

impl RedisEvents {
    /// Starts the publisher (on `publisher`) and the subscriber (on a connection of its
    /// own to `url`) on `channel`. Must run inside a Tokio runtime; both tasks end with it.
    /// `on_restored` runs each time the subscription comes back after a loss: whatever was
    /// published meanwhile never arrives, so what was kept on the strength of the events
    /// (the principal cache) must be read again.
    pub fn start(
        url: &str,
        publisher: ConnectionManager,
        channel: String,
        on_restored: impl Fn() + Send + Sync + 'static,
    ) -> Result<Self, BoxError> {
        let client = redis::Client::open(url)?;
        let (outbox, pending) = mpsc::channel(OUTBOX_CAPACITY);
        let local = broadcast::channel(BROADCAST_CAPACITY).0;
        tokio::spawn(publish_loop(publisher, channel.clone(), pending));
        tokio::spawn(subscribe_loop(
            client,
            channel,
            local.clone(),
            Box::new(on_restored),
        ));
        Ok(Self { outbox, local })
    }
}

impl EventPublisher for RedisEvents {
    fn publish(&self, notification: Notification) {
        if self.outbox.try_send(notification).is_err() {
            count_dropped("outbox_full");
            tracing::warn!("event outbox full; event dropped");
        }
    }
}

impl EventSource for RedisEvents {
    fn subscribe(&self) -> broadcast::Receiver<Arc<Notification>> {
        self.local.subscribe()
    }
}

async fn publish_loop(
    mut conn: ConnectionManager,
    channel: String,
    mut pending: mpsc::Receiver<Notification>,
) {
    while let Some(notification) = pending.recv().await {
        let text = match wire::encode(&notification) {
            Ok(text) => text,
            Err(e) => {
                count_dropped("encode");
                tracing::error!("event not encodable: {e}");
                continue;
            }
        };
        // The connection manager reconnects by itself; while Redis is away each publish
        // fails after its response timeout and the event is dropped, counted and logged.
        match conn.publish::<_, _, usize>(&channel, text).await {
            Ok(_) => metrics::counter!("events_published_total").increment(1),
            Err(e) => {
                count_dropped("redis");
                tracing::warn!("event not published, Redis unavailable: {e}");
            }
        }
    }
}

/// Runs when a lost subscription is back.
type OnRestored = Box<dyn Fn() + Send + Sync>;

async fn subscribe_loop(
    client: redis::Client,
    channel: String,
    local: broadcast::Sender<Arc<Notification>>,
    on_restored: OnRestored,
) {
    let mut backoff = Duration::from_millis(100);
    let mut lost_at: Option<Instant> = None;
    loop {
        match listen(&client, &channel, &local, &mut lost_at, &on_restored).await {
            Ok(()) => backoff = Duration::from_millis(100),
            Err(e) => {
                if lost_at.is_none() {
                    lost_at = Some(Instant::now());
                }
                tracing::warn!(
                    "event subscription to Redis lost ({e}); retrying in {backoff:?}; \
                     events published meanwhile do not reach this instance"
                );
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One subscribed connection, until it fails. `Ok` when the stream ended by itself.
async fn listen(
    client: &redis::Client,
    channel: &str,
    local: &broadcast::Sender<Arc<Notification>>,
    lost_at: &mut Option<Instant>,
    on_restored: &OnRestored,
) -> redis::RedisResult<()> {
    let mut pubsub = tokio::time::timeout(PING_TIMEOUT, client.get_async_pubsub())
        .await
        .map_err(|_| timeout_error("connect"))??;
    pubsub.subscribe(channel).await?;
    if let Some(since) = lost_at.take() {
        on_restored();
        tracing::info!(
            "event subscription to Redis restored after {:.1}s",
            since.elapsed().as_secs_f64()
        );
    } else {
        tracing::debug!("subscribed to Redis channel {channel}");
    }
    let (mut sink, mut stream) = pubsub.split();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(msg) = msg else {
                    *lost_at = Some(Instant::now());
                    return Err(closed_error());
                };
                match msg.get_payload::<String>().map_err(|e| e.to_string()).and_then(|t| wire::decode(&t)) {
                    Ok(notification) => {
                        let _ = local.send(Arc::new(notification));
                    }
                    Err(e) => {
                        count_dropped("decode");
                        tracing::warn!("undecodable event on {channel}: {e}");
                    }
                }
            }
            _ = ping.tick() => {
                // A subscribed connection answers PING too; a dead peer does not.
                let answered = tokio::time::timeout(PING_TIMEOUT, sink.ping::<()>()).await;
                if !matches!(answered, Ok(Ok(()))) {
                    *lost_at = Some(Instant::now());
                    return Err(timeout_error("ping"));
                }
            }
        }
    }
}

fn timeout_error(what: &'static str) -> redis::RedisError {
    redis::RedisError::from((redis::ErrorKind::Io, "timed out", what.to_owned()))
}

fn closed_error() -> redis::RedisError {
    redis::RedisError::from((redis::ErrorKind::Io, "connection closed", String::new()))
}
