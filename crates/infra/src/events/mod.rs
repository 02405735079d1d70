//! Event adapters. Both hand every notification to a local broadcast that this
//! instance's sockets read from:
//! - [`LocalEvents`]: straight into the broadcast (one instance, no `REDIS_URL`);
//! - [`RedisEvents`]: through a Redis channel, so that an event caused on any instance
//!   reaches the sockets of every instance (each instance, this one included, receives it
//!   from its subscription).
//!
//! A slow reader of the broadcast falls behind and is told so (`Lagged`); it never makes
//! the channel grow or holds up the others.

mod redis;
pub(crate) mod wire;

pub use self::redis::RedisEvents;

use domain::event::{EventPublisher, Notification};
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many notifications a reader may fall behind before it is dropped.
pub const BROADCAST_CAPACITY: usize = 1024;

/// The receiving end every adapter offers.
pub trait EventSource: Send + Sync {
    fn subscribe(&self) -> broadcast::Receiver<Arc<Notification>>;
}

/// Counts an event that could not be delivered, by reason.
pub(crate) fn count_dropped(reason: &'static str) {
    metrics::counter!("events_dropped_total", "reason" => reason).increment(1);
}

/// In-process fan-out for a single instance.
pub struct LocalEvents {
    tx: broadcast::Sender<Arc<Notification>>,
}

impl LocalEvents {
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(BROADCAST_CAPACITY).0,
        }
    }
}

impl Default for LocalEvents {
    fn default() -> Self {
        Self::new()
    }
}

impl EventPublisher for LocalEvents {
    fn publish(&self, notification: Notification) {
        metrics::counter!("events_published_total").increment(1);
        // No receiver means nobody is connected: nothing to deliver, nothing lost.
        let _ = self.tx.send(Arc::new(notification));
    }
}

impl EventSource for LocalEvents {
    fn subscribe(&self) -> broadcast::Receiver<Arc<Notification>> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::event::{Audience, Event};
    use uuid::Uuid;

    #[tokio::test]
    async fn local_events_reach_every_subscriber() {
        let events = LocalEvents::new();
        let (mut a, mut b) = (events.subscribe(), events.subscribe());
        let n = Notification::new(Audience::User(Uuid::now_v7()), Event::SessionEnded);
        events.publish(n.clone());
        assert_eq!(*a.recv().await.unwrap(), n);
        assert_eq!(*b.recv().await.unwrap(), n);
    }
}
