//! Retry-safe writes: the policy over the key store. How long a claim and a kept answer
//! last, and which answers are kept (the edge, a middleware, does the HTTP part).

use crate::error::AppError;
use domain::idempotency::{Claim, IdempotencyKey, IdempotencyStore, KeptAnswer};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How long a claimed key waits for its request before another may take it over: longer
/// than any request may run (its body's time budget plus the database's), short enough that
/// a key held by an instance that died frees itself soon.
pub const LEASE: Duration = Duration::from_secs(60);

pub struct IdempotencyService {
    store: Arc<dyn IdempotencyStore>,
    ttl: Duration,
}

impl IdempotencyService {
    /// `ttl`: how long a kept answer is replayed (`IDEMPOTENCY_TTL_HOURS`).
    pub fn new(store: Arc<dyn IdempotencyStore>, ttl: Duration) -> Self {
        Self { store, ttl }
    }

    /// Claims `key` of `user_id` for the request whose method, path and body hash to
    /// `fingerprint`.
    pub async fn claim(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Claim, AppError> {
        self.store
            .claim(user_id, key, fingerprint, LEASE, self.ttl)
            .await
            .map_err(|e| AppError::from_repo(e, "idempotency key"))
    }

    /// Settles a claimed key with its request's answer: kept for replays when the request
    /// did its work or was refused for good, released (usable again) otherwise.
    pub async fn finish(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        answer: &KeptAnswer,
    ) -> Result<(), AppError> {
        let settled = if KeptAnswer::is_kept(answer.status) {
            self.store.keep(user_id, key, answer).await
        } else {
            self.store.release(user_id, key).await
        };
        settled.map_err(|e| AppError::from_repo(e, "idempotency key"))
    }

    /// Frees a claimed key whose request failed before it had an answer.
    pub async fn abandon(&self, user_id: Uuid, key: &IdempotencyKey) -> Result<(), AppError> {
        self.store
            .release(user_id, key)
            .await
            .map_err(|e| AppError::from_repo(e, "idempotency key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::idempotency::MockIdempotencyStore;
    use mockall::predicate::eq;

    fn answer(status: u16) -> KeptAnswer {
        KeptAnswer {
            status,
            body: b"{}".to_vec(),
            content_type: Some("application/json".into()),
            location: None,
            etag: None,
        }
    }

    #[tokio::test]
    async fn a_claim_holds_for_the_lease_and_an_answer_for_the_ttl() {
        let mut store = MockIdempotencyStore::new();
        let ttl = Duration::from_secs(24 * 3600);
        store
            .expect_claim()
            .withf(move |_, key, fp, lease, kept| {
                key.as_str() == "k1" && fp == "fp" && *lease == LEASE && *kept == ttl
            })
            .times(1)
            .returning(|_, _, _, _, _| Ok(Claim::Claimed));
        let service = IdempotencyService::new(Arc::new(store), ttl);
        let key = IdempotencyKey::parse("k1").unwrap();
        assert_eq!(
            service.claim(Uuid::nil(), &key, "fp").await.unwrap(),
            Claim::Claimed
        );
    }

    #[tokio::test]
    async fn work_done_is_kept_and_a_refused_request_frees_its_key() {
        let key = IdempotencyKey::parse("k1").unwrap();
        for status in [201, 200, 409, 404] {
            let mut store = MockIdempotencyStore::new();
            store
                .expect_keep()
                .withf(move |_, _, a| a.status == status)
                .times(1)
                .returning(|_, _, _| Ok(()));
            store.expect_release().times(0);
            let service = IdempotencyService::new(Arc::new(store), Duration::from_secs(60));
            service
                .finish(Uuid::nil(), &key, &answer(status))
                .await
                .unwrap();
        }
        for status in [422, 400, 401, 429, 503] {
            let mut store = MockIdempotencyStore::new();
            store
                .expect_release()
                .with(eq(Uuid::nil()), eq(key.clone()))
                .times(1)
                .returning(|_, _| Ok(()));
            store.expect_keep().times(0);
            let service = IdempotencyService::new(Arc::new(store), Duration::from_secs(60));
            service
                .finish(Uuid::nil(), &key, &answer(status))
                .await
                .unwrap();
        }
    }
}
