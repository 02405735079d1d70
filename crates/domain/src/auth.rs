//! Authentication: sessions, token claims, and the ports for hashing, tokens and sessions.
//!
//! A login starts a session; its access tokens carry the session id (`sid`) and its
//! refresh tokens form one family. Logout or a reused refresh token revokes the session,
//! which makes every token of it invalid at once.

use crate::error::{BoxError, RepoError};
use crate::time::Timestamp;
use crate::user::{Password, PasswordHash, Role};
use async_trait::async_trait;
use uuid::Uuid;

/// Who is calling: resolved from a verified access token and a live session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub session_id: Uuid,
    /// The role as stored now, not as it was when the token was issued.
    pub role: Role,
    /// Whether the account's address is verified (the write gate of
    /// `REQUIRE_VERIFIED_EMAIL` reads it).
    pub email_verified: bool,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn require_admin(&self) -> Result<(), AdminRequired> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AdminRequired)
        }
    }
}

/// The action needs the admin role, which the caller lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this action needs the admin role")]
pub struct AdminRequired;

/// The verified claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub token_id: Uuid,
    pub role: Role,
    pub expires_at: i64,
}

/// A freshly signed access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    /// Lifetime in seconds.
    pub expires_in: i64,
}

/// What a client gets from login, register and refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

/// A login session (the refresh-token family).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A refresh token as stored: only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub id: Uuid,
    pub session_id: Uuid,
    pub token_hash: String,
    pub expires_at: Timestamp,
    /// Set once the token was exchanged; presenting it again is reuse.
    pub used_at: Option<Timestamp>,
}

/// Why an access token was refused. Clients see one answer (401) for all of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token invalid: {0}")]
    Invalid(String),
}

/// Password hashing. Implementations keep the CPU-heavy work off the async workers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, BoxError>;
    /// Checks `password` against `hash`. With `None` (unknown account) it still does the
    /// same work against a dummy hash and answers `false`, so timing reveals nothing.
    async fn verify(&self, password: &str, hash: Option<PasswordHash>) -> Result<bool, BoxError>;
}

/// Signing and verifying access tokens, and minting opaque tokens (refresh tokens, and the
/// account tokens of password resets and e-mail verification).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenService: Send + Sync {
    fn issue_access(&self, principal: &Principal) -> Result<AccessToken, BoxError>;
    /// Verifies signature (with the pinned algorithm), expiry, issuer and audience.
    fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError>;
    /// A new random token (32 bytes from the OS generator, URL-safe text):
    /// `(plain text for the client, hash to store)`.
    fn new_opaque_token(&self) -> (String, String);
    /// The stored form (SHA-256) of a presented token.
    fn hash_opaque_token(&self, token: &str) -> String;
    /// How long a session and its refresh tokens live.
    fn refresh_ttl(&self) -> chrono::TimeDelta;
}

/// Storage of sessions and refresh tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Starts a session with its first refresh token.
    async fn create(
        &self,
        session: &Session,
        first_token: &RefreshTokenRecord,
    ) -> Result<(), RepoError>;
    /// The caller behind a session, if the session is neither revoked nor expired and its
    /// user exists and is active.
    async fn find_principal(&self, session_id: Uuid) -> Result<Option<Principal>, RepoError>;
    async fn find_refresh_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshTokenRecord>, RepoError>;
    /// Atomically marks `used_id` as used and stores `next`; `false` (and nothing stored)
    /// when `used_id` had already been used (a concurrent reuse) or its session has been
    /// revoked meanwhile, on any instance.
    async fn rotate_refresh_token(
        &self,
        used_id: Uuid,
        next: &RefreshTokenRecord,
    ) -> Result<bool, RepoError>;
    /// Ends a session: its access and refresh tokens stop working everywhere.
    async fn revoke(&self, session_id: Uuid) -> Result<(), RepoError>;
    /// Ends every session of a user (deactivation), or every one but `except` (a password
    /// change ends the others, keeping the one that made it).
    async fn revoke_all_for_user(
        &self,
        user_id: Uuid,
        except: Option<Uuid>,
    ) -> Result<(), RepoError>;
}
