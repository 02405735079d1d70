//! The idempotency-key store against real databases: of 8 concurrent claims of one key
//! (through 8 adapters, as 8 instances) exactly one wins; a kept answer is replayed; another
//! request with the key is a mismatch; a claim whose lease ran out is taken over once; and
//! pruning removes only expired keys.

mod common;

use domain::idempotency::{Claim, IdempotencyKey, IdempotencyStore, KeptAnswer};
use domain::retention::Prunable;
use futures_util::future::join_all;
use infra::repositories::{SeaOrmIdempotencyStore, SeaOrmUserRepository};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(3600);

async fn store_covers(url: &str) {
    let db = common::migrated_db(url).await;
    let users = SeaOrmUserRepository::new(db.clone());
    let people = common::members(&users, "keys", 2).await;
    let (ann, bob) = (people[0].id, people[1].id);
    let mut instances = Vec::new();
    for _ in 0..8 {
        instances.push(SeaOrmIdempotencyStore::new(common::migrated_db(url).await));
    }
    let key = IdempotencyKey::parse("order-42").unwrap();

    let claims = join_all(
        instances
            .iter()
            .map(|store| store.claim(ann, &key, "fp-1", LONG, LONG)),
    )
    .await;
    let claims: Vec<Claim> = claims.into_iter().map(Result::unwrap).collect();
    let won = claims.iter().filter(|c| **c == Claim::Claimed).count();
    assert_eq!(won, 1, "{claims:?}");
    assert!(
        claims
            .iter()
            .all(|c| matches!(c, Claim::Claimed | Claim::InFlight)),
        "{claims:?}"
    );

    let store = &instances[0];
    let answer = KeptAnswer {
        status: 201,
        body: br#"{"id":"x"}"#.to_vec(),
        content_type: Some("application/json".into()),
        location: Some("/api/v1/posts/x".into()),
        etag: Some("\"x-1\"".into()),
    };
    store.keep(ann, &key, &answer).await.unwrap();
    assert_eq!(
        instances[5]
            .claim(ann, &key, "fp-1", LONG, LONG)
            .await
            .unwrap(),
        Claim::Replay(answer.clone())
    );
    assert_eq!(
        store.claim(ann, &key, "fp-2", LONG, LONG).await.unwrap(),
        Claim::Mismatch
    );
    // Another user's key of the same text is another key.
    assert_eq!(
        store.claim(bob, &key, "fp-2", LONG, LONG).await.unwrap(),
        Claim::Claimed
    );

    // A request that died in flight: once its lease runs out, one retry takes over.
    let dying = IdempotencyKey::parse("dies-in-flight").unwrap();
    let short = Duration::from_millis(100);
    assert_eq!(
        store.claim(ann, &dying, "fp", short, LONG).await.unwrap(),
        Claim::Claimed
    );
    assert_eq!(
        store.claim(ann, &dying, "fp", short, LONG).await.unwrap(),
        Claim::InFlight
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let retries = join_all(
        instances
            .iter()
            .map(|s| s.claim(ann, &dying, "fp", LONG, LONG)),
    )
    .await;
    let taken = retries
        .into_iter()
        .filter(|c| matches!(c, Ok(Claim::Claimed)))
        .count();
    assert_eq!(taken, 1, "one retry takes the key over");

    // A released key runs again.
    store.release(ann, &dying).await.unwrap();
    assert_eq!(
        store.claim(ann, &dying, "other", LONG, LONG).await.unwrap(),
        Claim::Claimed
    );

    // Pruning: only expired keys go, in batches of the size asked.
    let expiring = ["old-1", "old-2", "old-3"].map(|k| IdempotencyKey::parse(k).unwrap());
    for k in &expiring {
        store
            .claim(bob, k, "fp", LONG, Duration::from_millis(1))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let now = domain::time::now();
    assert_eq!(store.prune_older_than(now, 2).await.unwrap(), 2);
    assert_eq!(store.prune_older_than(now, 10).await.unwrap(), 1);
    assert_eq!(store.prune_older_than(now, 10).await.unwrap(), 0);
    assert!(matches!(
        store.claim(ann, &key, "fp-1", LONG, LONG).await.unwrap(),
        Claim::Replay(_)
    ));
}

on_both_backends!(store_covers: keys_on_sqlite, keys_on_postgres);
