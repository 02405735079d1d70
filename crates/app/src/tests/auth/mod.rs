use super::{principal_of, unexpected, user};
use crate::auth::{AuthError, AuthService};
use crate::login_throttle::LoginThrottle;
use chrono::TimeDelta;
use domain::RepoError;
use domain::account::TokenPurpose;
use domain::auth::{
    AccessClaims, AccessToken, MockPasswordHasher, MockSessionRepository, MockTokenService,
    Principal, RefreshTokenRecord, TokenError,
};
use domain::event::{Audience, Event, MockEventPublisher};
use domain::job::JobKind;
use domain::rate_limit::{MockRateLimiter, RateDecision};
use domain::time;
use domain::user::{MockUserRepository, PasswordHash, Role};
use mockall::predicate::eq;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

mod sessions;

struct Mocks {
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
    tokens: MockTokenService,
    events: MockEventPublisher,
    limiter: MockRateLimiter,
    /// Failed logins allowed per account; 0 (off) unless a test sets it.
    login_budget: u32,
}

impl Mocks {
    fn new() -> Self {
        Self {
            users: MockUserRepository::new(),
            sessions: MockSessionRepository::new(),
            hasher: MockPasswordHasher::new(),
            tokens: MockTokenService::new(),
            events: MockEventPublisher::new(),
            limiter: MockRateLimiter::new(),
            login_budget: 0,
        }
    }

    /// Tokens that can be minted and signed any number of times.
    fn with_tokens(mut self) -> Self {
        self.tokens
            .expect_refresh_ttl()
            .returning(|| TimeDelta::days(30));
        self.tokens
            .expect_new_opaque_token()
            .returning(|| ("plain-refresh".into(), "hashed-refresh".into()));
        self.tokens.expect_issue_access().returning(|_| {
            Ok(AccessToken {
                token: "access".into(),
                expires_in: 900,
            })
        });
        self
    }

    fn service(self) -> AuthService {
        AuthService::new(
            Arc::new(self.users),
            Arc::new(self.sessions),
            Arc::new(self.hasher),
            Arc::new(self.tokens),
            Arc::new(self.events),
            Arc::new(LoginThrottle::new(
                Arc::new(self.limiter),
                self.login_budget,
            )),
            TimeDelta::hours(48),
        )
    }
}

#[tokio::test]
async fn register_creates_user_with_welcome_job_and_session() {
    let mut m = Mocks::new().with_tokens();
    m.hasher
        .expect_hash()
        .times(1)
        .returning(|_| Ok(PasswordHash::new("h")));
    m.users
        .expect_create()
        .withf(|u, welcome| {
            let Some(w) = welcome else { return false };
            // One mail, carrying the link of the one verification token stored with it.
            let mail_ok = matches!(&w.mail.kind, JobKind::WelcomeEmail { user_id, email, verify_token: Some(t), .. }
                if *user_id == u.id && email == "ann@example.com" && t == "plain-refresh");
            u.email.as_str() == "ann@example.com"
                && u.role == Role::Member
                && !u.email_verified
                && mail_ok
                && w.token.user_id == u.id
                && w.token.purpose == TokenPurpose::EmailVerification
                && w.token.token_hash == "hashed-refresh"
                && w.token.expires_at > time::now() + TimeDelta::hours(47)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    m.sessions
        .expect_create()
        .withf(|s, t| {
            t.session_id == s.id && t.token_hash == "hashed-refresh" && t.used_at.is_none()
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let registered = m
        .service()
        .register(Some(" Ann@Example.com"), Some("password-1"), None)
        .await
        .unwrap();
    assert_eq!(registered.user.name.as_str(), "ann");
    assert_eq!(registered.tokens.refresh_token, "plain-refresh");
    assert_eq!(registered.tokens.access_token, "access");
}

#[tokio::test]
async fn register_reports_every_invalid_field_without_touching_ports() {
    // Invalid ones, and absent ones beside them.
    for (email, password) in [(Some("nope"), Some("short")), (None, None)] {
        let err = Mocks::new()
            .service()
            .register(email, password, Some(""))
            .await
            .unwrap_err();
        let AuthError::Invalid(v) = err else {
            panic!("{err:?}")
        };
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["email", "password", "name"], "{email:?}");
    }
}

#[tokio::test]
async fn register_maps_a_taken_email_and_storage_failures() {
    for (repo_err, check) in [
        (
            RepoError::Conflict("ux_users_email_lower".into()),
            (|e: &AuthError| matches!(e, AuthError::EmailTaken)) as fn(&AuthError) -> bool,
        ),
        (RepoError::Unavailable("down".into()), |e| {
            matches!(e, AuthError::Unavailable(_))
        }),
        (unexpected(), |e| matches!(e, AuthError::Unexpected(_))),
    ] {
        let mut m = Mocks::new().with_tokens();
        m.hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("h")));
        let mut repo_err = Some(repo_err);
        m.users
            .expect_create()
            .times(1)
            .returning(move |_, _| Err(repo_err.take().unwrap()));
        let err = m
            .service()
            .register(Some("a@b.co"), Some("password-1"), None)
            .await
            .unwrap_err();
        assert!(check(&err), "{err:?}");
    }
}

#[tokio::test]
async fn login_starts_a_session_for_matching_active_accounts() {
    let account = user("ann@example.com", Role::Member);
    let mut m = Mocks::new().with_tokens();
    let found = account.clone();
    m.users
        .expect_find_by_email()
        .withf(|e| e.as_str() == "ann@example.com")
        .returning(move |_| Ok(Some(found.clone())));
    m.hasher
        .expect_verify()
        .withf(|pw, hash| pw == "password-1" && hash.is_some())
        .returning(|_, _| Ok(true));
    m.sessions
        .expect_create()
        .withf(move |s, _| s.user_id == account.id)
        .times(1)
        .returning(|_, _| Ok(()));
    let pair = m
        .service()
        .login("ANN@example.com", "password-1")
        .await
        .unwrap();
    assert_eq!(pair.expires_in, 900);
}

#[tokio::test]
async fn login_failures_all_cost_one_verification_and_look_alike() {
    // Wrong password.
    let mut m = Mocks::new();
    let found = user("ann@example.com", Role::Member);
    m.users
        .expect_find_by_email()
        .returning(move |_| Ok(Some(found.clone())));
    m.hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(false));
    assert!(matches!(
        m.service().login("ann@example.com", "x").await,
        Err(AuthError::InvalidCredentials)
    ));

    // Unknown email: verified against the dummy (None).
    let mut m = Mocks::new();
    m.users.expect_find_by_email().returning(|_| Ok(None));
    m.hasher
        .expect_verify()
        .withf(|_, h| h.is_none())
        .times(1)
        .returning(|_, _| Ok(false));
    assert!(matches!(
        m.service().login("who@example.com", "x").await,
        Err(AuthError::InvalidCredentials)
    ));

    // Malformed email: no lookup, still one verification.
    let mut m = Mocks::new();
    m.hasher
        .expect_verify()
        .withf(|_, h| h.is_none())
        .times(1)
        .returning(|_, _| Ok(false));
    assert!(matches!(
        m.service().login("not an email", "x").await,
        Err(AuthError::InvalidCredentials)
    ));

    // Inactive account with the right password.
    let mut m = Mocks::new();
    let mut inactive = user("ann@example.com", Role::Member);
    inactive.is_active = false;
    m.users
        .expect_find_by_email()
        .returning(move |_| Ok(Some(inactive.clone())));
    m.hasher.expect_verify().times(1).returning(|_, _| Ok(true));
    assert!(matches!(
        m.service().login("ann@example.com", "right").await,
        Err(AuthError::InvalidCredentials)
    ));
}

fn record(session_id: Uuid, used: bool, expires_in: TimeDelta) -> RefreshTokenRecord {
    RefreshTokenRecord {
        id: Uuid::now_v7(),
        session_id,
        token_hash: "hashed".into(),
        expires_at: time::now() + expires_in,
        used_at: used.then(time::now),
    }
}

fn refresh_mocks(rec: Option<RefreshTokenRecord>) -> Mocks {
    let mut m = Mocks::new();
    m.tokens
        .expect_hash_opaque_token()
        .returning(|_| "hashed".into());
    m.sessions
        .expect_find_refresh_token()
        .with(eq("hashed"))
        .returning(move |_| Ok(rec.clone()));
    m
}

#[tokio::test]
async fn a_wrong_password_counts_against_the_account_typed() {
    for known in [true, false] {
        let mut m = Mocks::new();
        m.login_budget = 3;
        let found = known.then(|| user("ann@example.com", Role::Member));
        m.users
            .expect_find_by_email()
            .returning(move |_| Ok(found.clone()));
        m.hasher.expect_verify().returning(|_, _| Ok(false));
        m.limiter
            .expect_peek()
            .times(1)
            .returning(|_, _, _| Ok(RateDecision::Allowed));
        m.limiter
            .expect_hit()
            .withf(|key, limit, _| key == "login-failures:ann@example.com" && *limit == 3)
            .times(1)
            .returning(|_, _, _| Ok(RateDecision::Allowed));
        assert!(matches!(
            m.service().login("Ann@example.com", "wrong").await,
            Err(AuthError::InvalidCredentials)
        ));
    }
}

#[tokio::test]
async fn a_spent_budget_refuses_even_the_right_password_without_checking_it() {
    let mut m = Mocks::new();
    m.login_budget = 3;
    m.limiter.expect_peek().times(1).returning(|_, _, _| {
        Ok(RateDecision::Limited {
            retry_after: Duration::from_secs(60),
        })
    });
    // No lookup, no verification, no session: the mocks have no such expectations.
    let refused = m.service().login("ann@example.com", "right").await;
    assert!(
        matches!(refused, Err(AuthError::TooManyAttempts(d)) if d == Duration::from_secs(60)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_right_password_counts_nothing() {
    let account = user("ann@example.com", Role::Member);
    let mut m = Mocks::new().with_tokens();
    m.login_budget = 3;
    m.users
        .expect_find_by_email()
        .returning(move |_| Ok(Some(account.clone())));
    m.hasher.expect_verify().returning(|_, _| Ok(true));
    m.sessions.expect_create().returning(|_, _| Ok(()));
    m.limiter
        .expect_peek()
        .returning(|_, _, _| Ok(RateDecision::Allowed));
    m.limiter.expect_hit().times(0);
    m.service().login("ann@example.com", "right").await.unwrap();
}
