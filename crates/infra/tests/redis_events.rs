//! The Redis event adapter against a real Redis server that the test runs itself (so it
//! can stop it without disturbing anyone else's): an event published by one instance
//! reaches the subscribers of every instance; while Redis is down events are dropped (and
//! counted in `events_dropped_total{reason="redis"}`), and once it is back the subscribers
//! reconnect by themselves and events flow again.

use domain::event::{Audience, Event, EventPublisher, Notification};
use infra::events::{EventSource, RedisEvents};
use metrics::{Counter, CounterFn, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
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

/// A recorder that keeps counters only, by name and labels: this test binary's own, so the
/// counts are what this test did.
#[derive(Default)]
struct Counters(Mutex<HashMap<String, Arc<AtomicU64>>>);

struct Count(Arc<AtomicU64>);

impl CounterFn for Count {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::SeqCst);
    }

    fn absolute(&self, value: u64) {
        self.0.fetch_max(value, Ordering::SeqCst);
    }
}

impl metrics::Recorder for Counters {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let count = self
            .0
            .lock()
            .unwrap()
            .entry(series(key))
            .or_default()
            .clone();
        Counter::from_arc(Arc::new(Count(count)))
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

/// `name{label="value",...}`.
fn series(key: &Key) -> String {
    let labels: Vec<String> = key
        .labels()
        .map(|l| format!("{}=\"{}\"", l.key(), l.value()))
        .collect();
    format!("{}{{{}}}", key.name(), labels.join(","))
}

/// The process's recorder, installed on first use.
fn counters() -> &'static Counters {
    static COUNTERS: OnceLock<&'static Counters> = OnceLock::new();
    COUNTERS.get_or_init(|| {
        let counters: &'static Counters = Box::leak(Box::default());
        metrics::set_global_recorder(counters).expect("no other recorder in this test binary");
        counters
    })
}

fn count(series: &str) -> u64 {
    counters()
        .0
        .lock()
        .unwrap()
        .get(series)
        .map_or(0, |n| n.load(Ordering::SeqCst))
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
    counters();
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

    // Redis goes away: what is published meanwhile is dropped and counted (README: "an
    // instance cut off from Redis, counted in `events_dropped_total`"), and nothing hangs.
    // Redis comes back only once the drop is counted, so the event cannot go out late.
    let dropped = r#"events_dropped_total{reason="redis"}"#;
    assert_eq!(count(dropped), 0);
    server.kill();
    let lost = Notification::new(Audience::User(Uuid::now_v7()), Event::SessionEnded);
    b.publish(lost.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while count(dropped) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the event published while Redis was away was never counted as dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(count(dropped), 1);

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
        // The dropped one never arrives: the next event is the one published after.
        let got = received(rx).await;
        assert_ne!(got, lost, "an event counted as dropped was delivered");
        assert_eq!(got, again);
    }
    assert_eq!(count(dropped), 1, "only the one event was dropped");
    assert_eq!(count("events_published_total{}"), 2);
}
