//! The Redis event adapter against a real Redis server that the test runs itself (so it
//! can stop it without disturbing anyone else's): an event published by one instance
//! reaches the subscribers of every instance; while Redis is down events are dropped, and
//! once it is back the subscribers reconnect by themselves and events flow again.

use domain::event::{Audience, Event, EventPublisher, Notification};
use infra::events::{EventSource, RedisEvents};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::broadcast::Receiver;
use uuid::Uuid;

struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// `None` when there is no `redis-server` to run.
    fn start(port: u16) -> Option<Self> {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        Some(Self { child, port })
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `n` connections subscribe to `channel` (the server may still be starting).
async fn wait_for_subscribers(url: &str, channel: &str, n: i64) {
    for _ in 0..200 {
        if let Ok(client) = redis::Client::open(url)
            && let Ok(mut conn) = client.get_multiplexed_async_connection().await
        {
            let reply: redis::RedisResult<(String, i64)> = redis::cmd("PUBSUB")
                .arg("NUMSUB")
                .arg(channel)
                .query_async(&mut conn)
                .await;
            if matches!(reply, Ok((_, count)) if count >= n) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{channel} never had {n} subscribers");
}

async fn received(rx: &mut Receiver<std::sync::Arc<Notification>>) -> Notification {
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("delivered in time")
        .unwrap();
    (*got).clone()
}

#[tokio::test]
async fn events_cross_instances_and_flow_again_after_an_outage() {
    let port = free_port();
    let Some(mut server) = RedisServer::start(port) else {
        eprintln!("skipped: no redis-server on PATH");
        return;
    };
    let url = server.url();
    let channel = format!("test:{}:events", Uuid::now_v7().simple());
    wait_for_subscribers(&url, &channel, 0).await;
    let publisher = infra::redis::connect(&url).await.unwrap();
    // Counts each instance's returns from an outage (the principal cache forgets then).
    let restored = [Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0))];
    let counter = |i: usize| {
        let n = restored[i].clone();
        move || {
            n.fetch_add(1, Ordering::SeqCst);
        }
    };
    let a = RedisEvents::start(&url, publisher.clone(), channel.clone(), counter(0)).unwrap();
    let b = RedisEvents::start(&url, publisher, channel.clone(), counter(1)).unwrap();
    let (mut on_a, mut on_b) = (a.subscribe(), b.subscribe());
    wait_for_subscribers(&url, &channel, 2).await;

    let sent = Notification::new(Audience::Session(Uuid::now_v7()), Event::SessionEnded);
    a.publish(sent.clone());
    assert_eq!(received(&mut on_a).await, sent);
    assert_eq!(received(&mut on_b).await, sent);
    let restores = || restored.each_ref().map(|n| n.load(Ordering::SeqCst));
    assert_eq!(restores(), [0, 0], "a first subscription is no restore");

    // Redis goes away: what is published meanwhile is lost, and nothing hangs.
    server.kill();
    let lost = Notification::new(Audience::User(Uuid::now_v7()), Event::SessionEnded);
    b.publish(lost.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Back on the same port: both subscribers return by themselves.
    let _server = RedisServer::start(port).expect("restart");
    wait_for_subscribers(&url, &channel, 2).await;
    // Each subscriber says it is back exactly once (it may count a moment after Redis
    // lists it as subscribed).
    for _ in 0..100 {
        if restores() == [1, 1] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(restores(), [1, 1]);
    let again = Notification::new(Audience::AllExcept(Uuid::now_v7()), Event::SessionEnded);
    b.publish(again.clone());
    for rx in [&mut on_a, &mut on_b] {
        // The one published during the outage may still have gone out after the restart
        // (the publisher retries its connection); nothing else may arrive first.
        let mut got = received(rx).await;
        if got == lost {
            got = received(rx).await;
        }
        assert_eq!(got, again);
    }
}
