//! Accounts and sessions: register, login, refresh, logout, and resolving a bearer token.

use crate::login_throttle::{LoginThrottle, Throttled};
use chrono::TimeDelta;
use domain::BoxError;
use domain::account::{AccountToken, TokenPurpose};
use domain::auth::{
    PasswordHasher, Principal, RefreshTokenRecord, Session, SessionRepository, TokenPair,
    TokenService,
};
use domain::error::RepoError;
use domain::event::{Audience, Event, EventPublisher, Notification};
use domain::job::{Job, JobKind};
use domain::time;
use domain::user::{Email, Password, Role, User, UserName, UserRepository, Welcome};
use domain::validation::{ValidationError, Validator, required};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("an account with this email already exists")]
    EmailTaken,
    /// Wrong email, wrong password or inactive account: deliberately indistinguishable.
    #[error("incorrect email or password")]
    InvalidCredentials,
    /// Missing, malformed, expired, revoked or tampered token.
    #[error("invalid or expired token")]
    InvalidToken,
    /// The account's budget of failed logins is spent; try again after this long.
    #[error("too many failed sign-ins for this account; retry later")]
    TooManyAttempts(Duration),
    /// A required dependency (the database) is down.
    #[error("a required dependency is unavailable")]
    Unavailable(#[source] BoxError),
    #[error("unexpected failure")]
    Unexpected(#[source] BoxError),
}

impl From<RepoError> for AuthError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Unavailable(source) => Self::Unavailable(source),
            other => Self::Unexpected(other.into()),
        }
    }
}

impl From<Throttled> for AuthError {
    fn from(e: Throttled) -> Self {
        match e {
            Throttled::Wait(retry_after) => Self::TooManyAttempts(retry_after),
            Throttled::Unavailable(source) => Self::Unavailable(source),
        }
    }
}

/// A new account with its first session.
#[derive(Debug, Clone)]
pub struct Registered {
    pub user: User,
    pub tokens: TokenPair,
}

pub struct AuthService {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenService>,
    events: Arc<dyn EventPublisher>,
    throttle: Arc<LoginThrottle>,
    /// How long the verification link of the welcome e-mail works.
    verification_ttl: TimeDelta,
}

impl AuthService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenService>,
        events: Arc<dyn EventPublisher>,
        throttle: Arc<LoginThrottle>,
        verification_ttl: TimeDelta,
    ) -> Self {
        Self {
            users,
            sessions,
            hasher,
            tokens,
            events,
            throttle,
            verification_ttl,
        }
    }

    /// Creates a member account, stores its e-mail verification token and enqueues its
    /// welcome e-mail (which carries the link) in the same transaction, and starts a session.
    pub async fn register(
        &self,
        email: Option<&str>,
        password: Option<&str>,
        name: Option<&str>,
    ) -> Result<Registered, AuthError> {
        // A missing email or password is reported beside every other invalid field.
        let mut v = Validator::new();
        let email = v.require("email", email, Email::parse);
        let password = v.require("password", password, Password::new);
        let name = v.check_opt("name", name, UserName::new);
        v.finish()?;
        let (email, password, name) = (
            required(email, "email")?,
            required(password, "password")?,
            required(name, "name")?,
        );

        let hash = self
            .hasher
            .hash(&password)
            .await
            .map_err(AuthError::Unexpected)?;
        let user = User::new(email, name, Role::Member, hash);
        // The one mail of a registration carries the verification link.
        let (plain, token_hash) = self.tokens.new_opaque_token();
        let token = AccountToken::new(
            user.id,
            TokenPurpose::EmailVerification,
            token_hash,
            self.verification_ttl,
        );
        let mail = Job::now(JobKind::WelcomeEmail {
            user_id: user.id,
            email: user.email.to_string(),
            name: user.name.as_str().to_owned(),
            verify_token: Some(plain),
        });
        match self
            .users
            .create(&user, Some(Welcome { token, mail }))
            .await
        {
            Ok(()) => {}
            Err(RepoError::Conflict(_)) => return Err(AuthError::EmailTaken),
            Err(e) => return Err(e.into()),
        }
        let tokens = self.start_session(&user).await?;
        Ok(Registered { user, tokens })
    }

    /// Exchanges credentials for a token pair. Every failure costs one bcrypt verification
    /// and counts against the account's budget (the address as typed, whether or not an
    /// account has it); a spent budget refuses even the right password until it refills.
    pub async fn login(&self, email: &str, password: &str) -> Result<TokenPair, AuthError> {
        self.throttle.check(email).await?;
        // A malformed email cannot belong to an account; still pay for a verification.
        let user = match Email::parse(email) {
            Ok(email) => self.users.find_by_email(&email).await?,
            Err(_) => None,
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let matches = self
            .hasher
            .verify(password, hash)
            .await
            .map_err(AuthError::Unexpected)?;
        match user {
            Some(user) if matches && user.is_active => self.start_session(&user).await,
            _ => {
                if !matches {
                    self.throttle.failed(email).await?;
                }
                Err(AuthError::InvalidCredentials)
            }
        }
    }

    /// Rotates a refresh token. A token presented twice revokes its whole session.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, AuthError> {
        let hash = self.tokens.hash_opaque_token(refresh_token);
        let Some(record) = self.sessions.find_refresh_token(&hash).await? else {
            return Err(AuthError::InvalidToken);
        };
        if record.used_at.is_some() {
            self.end_session(record.session_id).await?;
            return Err(AuthError::InvalidToken);
        }
        if record.expires_at <= time::now() {
            return Err(AuthError::InvalidToken);
        }
        let Some(principal) = self.sessions.find_principal(record.session_id).await? else {
            return Err(AuthError::InvalidToken);
        };
        let (plain, next) = self.mint_refresh(record.session_id, record.expires_at);
        if !self.sessions.rotate_refresh_token(record.id, &next).await? {
            // Lost a race against another exchange of the same token: that is reuse too.
            self.end_session(record.session_id).await?;
            return Err(AuthError::InvalidToken);
        }
        self.pair(&principal, plain)
    }

    /// Ends the caller's session: every token of it is refused from now on.
    pub async fn logout(&self, principal: &Principal) -> Result<(), AuthError> {
        self.end_session(principal.session_id).await
    }

    /// Revokes a session and tells its open sockets, wherever they are, to close.
    async fn end_session(&self, session_id: Uuid) -> Result<(), AuthError> {
        self.sessions.revoke(session_id).await?;
        self.events.publish(Notification::new(
            Audience::Session(session_id),
            Event::SessionEnded,
        ));
        Ok(())
    }

    /// Resolves a bearer token to the caller, checking the live session and account.
    pub async fn authenticate(&self, access_token: &str) -> Result<Principal, AuthError> {
        self.authenticate_until(access_token).await.map(|(p, _)| p)
    }

    /// As [`Self::authenticate`], with the moment the token expires (for connections that
    /// outlive a request).
    pub async fn authenticate_until(
        &self,
        access_token: &str,
    ) -> Result<(Principal, time::Timestamp), AuthError> {
        let claims = self
            .tokens
            .verify_access(access_token)
            .map_err(|_| AuthError::InvalidToken)?;
        let expires_at = chrono::DateTime::from_timestamp(claims.expires_at, 0)
            .ok_or(AuthError::InvalidToken)?;
        match self.sessions.find_principal(claims.session_id).await? {
            Some(p) if p.user_id == claims.user_id => Ok((p, expires_at)),
            _ => Err(AuthError::InvalidToken),
        }
    }

    async fn start_session(&self, user: &User) -> Result<TokenPair, AuthError> {
        let now = time::now();
        let session = Session {
            id: Uuid::now_v7(),
            user_id: user.id,
            created_at: now,
            expires_at: now + self.tokens.refresh_ttl(),
        };
        let (plain, first) = self.mint_refresh(session.id, session.expires_at);
        self.sessions.create(&session, &first).await?;
        let principal = Principal {
            user_id: user.id,
            session_id: session.id,
            role: user.role,
            email_verified: user.email_verified,
        };
        self.pair(&principal, plain)
    }

    /// A refresh token lives as long as the session, never longer.
    fn mint_refresh(
        &self,
        session_id: Uuid,
        session_expires_at: time::Timestamp,
    ) -> (String, RefreshTokenRecord) {
        let (plain, token_hash) = self.tokens.new_opaque_token();
        let expires_at =
            session_expires_at.min(time::now() + self.tokens.refresh_ttl().max(TimeDelta::zero()));
        let record = RefreshTokenRecord {
            id: Uuid::now_v7(),
            session_id,
            token_hash,
            expires_at,
            used_at: None,
        };
        (plain, record)
    }

    fn pair(&self, principal: &Principal, refresh_token: String) -> Result<TokenPair, AuthError> {
        let access = self
            .tokens
            .issue_access(principal)
            .map_err(AuthError::Unexpected)?;
        Ok(TokenPair {
            access_token: access.token,
            refresh_token,
            expires_in: access.expires_in,
        })
    }
}
