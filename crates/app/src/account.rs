//! Account recovery and e-mail verification (SPEC section 2): password reset by a mailed
//! single-use token, and verified addresses. Tokens are random, stored only hashed, short
//! lived, and spent atomically; a reset request looks the same whether or not the address
//! has an account.

use crate::error::AppError;
use crate::service_error;
use chrono::TimeDelta;
use domain::account::{AccountToken, AccountTokenRepository, TokenEffect, TokenPurpose};
use domain::auth::{PasswordHasher, Principal, TokenService};
use domain::event::{Audience, Event, EventPublisher, Notification};
use domain::job::{Job, JobKind};
use domain::user::{Email, Password, User, UserRepository};
use domain::validation::{ValidationError, Validator, required};
use std::sync::Arc;
use uuid::Uuid;

service_error! {
    pub enum AccountError for "user" {
        /// Unknown, expired or spent: deliberately one answer.
        #[error("the token is invalid, has expired or was already used")]
        InvalidToken,
        #[error("the e-mail address is already verified")]
        AlreadyVerified,
    }
}

/// How long the mailed tokens work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    pub password_reset: TimeDelta,
    pub email_verification: TimeDelta,
}

pub struct AccountService {
    users: Arc<dyn UserRepository>,
    account_tokens: Arc<dyn AccountTokenRepository>,
    tokens: Arc<dyn TokenService>,
    hasher: Arc<dyn PasswordHasher>,
    events: Arc<dyn EventPublisher>,
    lifetimes: TokenLifetimes,
}

impl AccountService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        account_tokens: Arc<dyn AccountTokenRepository>,
        tokens: Arc<dyn TokenService>,
        hasher: Arc<dyn PasswordHasher>,
        events: Arc<dyn EventPublisher>,
        lifetimes: TokenLifetimes,
    ) -> Self {
        Self {
            users,
            account_tokens,
            tokens,
            hasher,
            events,
            lifetimes,
        }
    }

    /// The address of a reset request, checked: a malformed one is the caller's mistake
    /// (`422`), not a secret. The rest of the request is [`Self::send_reset_link`], which
    /// the edge runs after it has answered, so the answer takes the same time whether or
    /// not an account has the address (OWASP: asynchronous processing).
    pub fn reset_request(&self, email: Option<&str>) -> Result<Email, AccountError> {
        let mut v = Validator::new();
        let email = v.require("email", email, Email::parse);
        v.finish()?;
        Ok(required(email, "email")?)
    }

    /// Mails a reset link to an active account with this address; anything else does
    /// nothing. It stores the token with its mail job in one transaction: the mail itself
    /// goes out from a worker, and carries everything it needs.
    pub async fn send_reset_link(&self, email: &Email) -> Result<(), AccountError> {
        let Some(user) = self.users.find_by_email(email).await? else {
            return Ok(());
        };
        if !user.is_active {
            return Ok(());
        }
        self.mail_link(&user, TokenPurpose::PasswordReset).await
    }

    /// Sets a new password with a reset token: the token is spent, the address counts as
    /// verified, every session of the account ends (on every instance) and a notice is
    /// mailed, all or nothing. A bad password leaves the token unspent.
    pub async fn confirm_password_reset(
        &self,
        token: Option<&str>,
        password: Option<&str>,
    ) -> Result<(), AccountError> {
        let mut v = Validator::new();
        let password = v.require("password", password, Password::new);
        if token.is_none_or(str::is_empty) {
            v.push("token", "is required");
        }
        v.finish()?;
        let password = required(password, "password")?;
        let (token, user) = self
            .live_token(token.unwrap_or_default(), TokenPurpose::PasswordReset)
            .await?;
        let password_hash = self
            .hasher
            .hash(&password)
            .await
            .map_err(AppError::Unexpected)?;
        let notice = Job::now(JobKind::PasswordChangedEmail {
            user_id: user.id,
            email: user.email.to_string(),
            name: user.name.as_str().to_owned(),
        });
        let effect = TokenEffect::ResetPassword {
            password_hash,
            notice,
        };
        if !self.account_tokens.spend(&token, &effect).await? {
            return Err(AccountError::InvalidToken);
        }
        self.events.publish(Notification::new(
            Audience::User(user.id),
            Event::SessionEnded,
        ));
        Ok(())
    }

    /// Marks the address of the token's account verified.
    pub async fn verify_email(&self, token: Option<&str>) -> Result<(), AccountError> {
        if token.is_none_or(str::is_empty) {
            return Err(ValidationError::single("token", "is required").into());
        }
        let (token, user) = self
            .live_token(token.unwrap_or_default(), TokenPurpose::EmailVerification)
            .await?;
        if !self
            .account_tokens
            .spend(&token, &TokenEffect::VerifyEmail)
            .await?
        {
            return Err(AccountError::InvalidToken);
        }
        // Remembered sessions of the account carry the old flag: read them again.
        self.events.publish(Notification::new(
            Audience::User(user.id),
            Event::AccountChanged,
        ));
        Ok(())
    }

    /// Mails the caller a new verification link; the earlier one stops working.
    pub async fn resend_verification(&self, caller: &Principal) -> Result<(), AccountError> {
        let user = self
            .users
            .find_by_id(caller.user_id)
            .await?
            .ok_or_else(AccountError::not_found)?;
        if user.email_verified {
            return Err(AccountError::AlreadyVerified);
        }
        self.mail_link(&user, TokenPurpose::EmailVerification).await
    }

    /// Stores a new token of `purpose` for `user` (spending the earlier one) with the job
    /// that mails its link, in one transaction.
    async fn mail_link(&self, user: &User, purpose: TokenPurpose) -> Result<(), AccountError> {
        let (token, stored) = self.mint(user.id, purpose);
        let (user_id, email, name) = (
            user.id,
            user.email.to_string(),
            user.name.as_str().to_owned(),
        );
        let kind = match purpose {
            TokenPurpose::PasswordReset => JobKind::PasswordResetEmail {
                user_id,
                email,
                name,
                token,
            },
            TokenPurpose::EmailVerification => JobKind::VerificationEmail {
                user_id,
                email,
                name,
                token,
            },
        };
        self.account_tokens.issue(&stored, &Job::now(kind)).await?;
        Ok(())
    }

    /// A new token for `user_id`: the plain text for the mail, the record to store.
    pub fn mint(&self, user_id: Uuid, purpose: TokenPurpose) -> (String, AccountToken) {
        let (plain, hash) = self.tokens.new_opaque_token();
        let lifetime = match purpose {
            TokenPurpose::PasswordReset => self.lifetimes.password_reset,
            TokenPurpose::EmailVerification => self.lifetimes.email_verification,
        };
        (plain, AccountToken::new(user_id, purpose, hash, lifetime))
    }

    /// The live token of `purpose` behind `plain`, with its account.
    async fn live_token(
        &self,
        plain: &str,
        purpose: TokenPurpose,
    ) -> Result<(AccountToken, User), AccountError> {
        let hash = self.tokens.hash_opaque_token(plain);
        let token = self
            .account_tokens
            .find_live(&hash, purpose)
            .await?
            .ok_or(AccountError::InvalidToken)?;
        let user = self
            .users
            .find_by_id(token.user_id)
            .await?
            .ok_or(AccountError::InvalidToken)?;
        Ok((token, user))
    }
}
