//! The Redis event adapter against a real Redis (`TEST_REDIS_URL`): an event published
//! by one instance reaches the subscribers of every instance, and a subscriber whose
//! connection is cut reconnects by itself.

use domain::event::{Audience, Event, EventPublisher, Notification};
use infra::events::{EventSource, RedisEvents};
use redis::aio::ConnectionManager;
use std::time::Duration;
use uuid::Uuid;

async fn subscribers(conn: &mut ConnectionManager, channel: &str) -> i64 {
    let (_, n): (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(channel)
        .query_async(conn)
        .await
        .unwrap();
    n
}

async fn wait_for_subscribers(conn: &mut ConnectionManager, channel: &str, n: i64) {
    for _ in 0..100 {
        if subscribers(conn, channel).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{channel} never had {n} subscribers");
}

#[tokio::test]
async fn events_cross_instances_and_survive_a_cut_subscription() {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("skipped: TEST_REDIS_URL is not set");
        return;
    };
    let channel = format!("test:{}:events", Uuid::now_v7().simple());
    let mut control = infra::redis::connect(&url).await.unwrap();
    let a = RedisEvents::start(&url, control.clone(), channel.clone()).unwrap();
    let b = RedisEvents::start(&url, control.clone(), channel.clone()).unwrap();
    let (mut on_a, mut on_b) = (a.subscribe(), b.subscribe());
    wait_for_subscribers(&mut control, &channel, 2).await;

    let sent = Notification::new(Audience::Session(Uuid::now_v7()), Event::SessionEnded);
    a.publish(sent.clone());
    for rx in [&mut on_a, &mut on_b] {
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("delivered in time")
            .unwrap();
        assert_eq!(*got, sent);
    }

    // Cut every subscribed connection; the subscribers come back by themselves.
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut control)
        .await
        .unwrap();
    wait_for_subscribers(&mut control, &channel, 2).await;
    let again = Notification::new(Audience::User(Uuid::now_v7()), Event::SessionEnded);
    b.publish(again.clone());
    for rx in [&mut on_a, &mut on_b] {
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("delivered after the reconnect")
            .unwrap();
        assert_eq!(*got, again);
    }
}
