//! Account recovery and e-mail verification: single-use tokens sent by e-mail, and the port
//! that stores them (only their hashes) and spends them atomically.

use crate::error::RepoError;
use crate::job::Job;
use crate::time::{self, Timestamp};
use crate::user::PasswordHash;
use crate::validation::named_enum;
use async_trait::async_trait;
use chrono::TimeDelta;
use uuid::Uuid;

named_enum! {
    /// What a token proves when it comes back.
    pub enum TokenPurpose {
        /// The holder reads the account's mail: it may set a new password.
        PasswordReset = "password_reset",
        /// The holder reads the account's mail: the address is theirs.
        EmailVerification = "email_verification",
    }
}

/// A token as stored: its hash, never the token itself (that only travels in the mail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub purpose: TokenPurpose,
    pub token_hash: String,
    pub expires_at: Timestamp,
}

impl AccountToken {
    /// A token for `user_id`, valid for `lifetime` from now.
    pub fn new(
        user_id: Uuid,
        purpose: TokenPurpose,
        token_hash: String,
        lifetime: TimeDelta,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            user_id,
            purpose,
            token_hash,
            expires_at: time::now() + lifetime,
        }
    }
}

/// What spending a token does, in the same transaction as the spending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenEffect {
    /// The account's `email_verified` becomes true.
    VerifyEmail,
    /// The account gets `password_hash`, its e-mail counts as verified (the mail reached
    /// its owner), every session of it ends, and `notice` (the "password changed" mail) is
    /// enqueued.
    ResetPassword {
        password_hash: PasswordHash,
        notice: Job,
    },
}

/// Storage of account tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AccountTokenRepository: Send + Sync {
    /// Stores `token`, spends the user's earlier unspent tokens of the same purpose (one
    /// live token per account and purpose), and enqueues `mail` (which carries the token),
    /// all in one transaction.
    async fn issue(&self, token: &AccountToken, mail: &Job) -> Result<(), RepoError>;
    /// The unspent, unexpired token of `purpose` with this hash.
    async fn find_live(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
    ) -> Result<Option<AccountToken>, RepoError>;
    /// Spends `token` and applies `effect`, atomically: `false` (and nothing changed) when
    /// the token was spent meanwhile, by this instance or another, or has expired.
    async fn spend(&self, token: &AccountToken, effect: &TokenEffect) -> Result<bool, RepoError>;
}
