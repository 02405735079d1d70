//! Retry-safe writes (SPEC section 1, row "retries"): a `POST` may carry an
//! `Idempotency-Key`; the first request with a key runs, and its answer is kept so a retry
//! gets the same answer instead of doing the work twice. The port claims keys atomically
//! across instances and keeps the answers; expired keys are pruned through
//! [`crate::retention::Prunable`].

use crate::error::RepoError;
use crate::validation::Invalid;
use async_trait::async_trait;
use std::time::Duration;
use uuid::Uuid;

/// A client's key: 1 to 255 visible ASCII characters (`0x21`-`0x7E`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(Invalid::new(format!(
                "must be 1 to {} characters",
                Self::MAX_LEN
            )));
        }
        if !raw.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(Invalid::new(
                "must be visible ASCII characters only (no spaces)",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A kept answer, replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub etag: Option<String>,
}

impl KeptAnswer {
    /// Whether an answer with this status is kept (SPEC: `2xx`, `403`, `404`, `409`, `412`).
    /// The others (`400`, `401`, `413`, `415`, `422`, `429`, `5xx`) release the key: the
    /// request did nothing, and the client may fix it and use the key again.
    pub fn is_kept(status: u16) -> bool {
        matches!(status, 200..=299 | 403 | 404 | 409 | 412)
    }
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is this request's now: run it, then keep or release its answer.
    Claimed,
    /// The same request already ran: here is its answer.
    Replay(KeptAnswer),
    /// The key was used with another method, path or body.
    Mismatch,
    /// The first request with this key is still running (its lease has not run out).
    InFlight,
}

/// Where keys and kept answers live, shared by every instance.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` of `user_id` for a request with `fingerprint` (its method, path and
    /// body), atomically: of any number of concurrent claims of one key exactly one is
    /// `Claimed`. The claim holds for `lease` (a request that dies in flight frees the key
    /// then) and the kept answer for `ttl`; an expired key is claimed anew.
    async fn claim(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        fingerprint: &str,
        lease: Duration,
        ttl: Duration,
    ) -> Result<Claim, RepoError>;
    /// Keeps the answer of a claimed key.
    async fn keep(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        answer: &KeptAnswer,
    ) -> Result<(), RepoError>;
    /// Frees a claimed key whose answer is not kept.
    async fn release(&self, user_id: Uuid, key: &IdempotencyKey) -> Result<(), RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse("550e8400-e29b-41d4-a716-446655440000").is_ok());
        assert!(IdempotencyKey::parse(&"~".repeat(255)).is_ok());
        for bad in ["", " ", "a b", "tab\there", "é", "\u{7f}"] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(IdempotencyKey::parse(&"a".repeat(256)).is_err());
    }

    #[test]
    fn only_answers_of_work_done_or_refused_for_good_are_kept() {
        for kept in [200, 201, 204, 403, 404, 409, 412] {
            assert!(KeptAnswer::is_kept(kept), "{kept}");
        }
        for released in [400, 401, 413, 415, 422, 429, 500, 503] {
            assert!(!KeptAnswer::is_kept(released), "{released}");
        }
    }
}
