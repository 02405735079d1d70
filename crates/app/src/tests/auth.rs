use super::{principal_of, unexpected, user};
use crate::auth::{AuthError, AuthService};
use chrono::TimeDelta;
use domain::RepoError;
use domain::auth::{
    AccessClaims, AccessToken, MockPasswordHasher, MockSessionRepository, MockTokenService,
    Principal, RefreshTokenRecord, TokenError,
};
use domain::event::{Audience, Event, MockEventPublisher};
use domain::job::JobKind;
use domain::time;
use domain::user::{MockUserRepository, PasswordHash, Role};
use mockall::predicate::eq;
use std::sync::Arc;
use uuid::Uuid;

struct Mocks {
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
    tokens: MockTokenService,
    events: MockEventPublisher,
}

impl Mocks {
    fn new() -> Self {
        Self {
            users: MockUserRepository::new(),
            sessions: MockSessionRepository::new(),
            hasher: MockPasswordHasher::new(),
            tokens: MockTokenService::new(),
            events: MockEventPublisher::new(),
        }
    }

    /// Tokens that can be minted and signed any number of times.
    fn with_tokens(mut self) -> Self {
        self.tokens
            .expect_refresh_ttl()
            .returning(|| TimeDelta::days(30));
        self.tokens
            .expect_new_refresh_token()
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
        .withf(|u, job| {
            u.email.as_str() == "ann@example.com"
                && u.role == Role::Member
                && matches!(job, Some(j) if matches!(&j.kind, JobKind::WelcomeEmail { user_id, email, .. } if *user_id == u.id && email == "ann@example.com"))
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
        .register(" Ann@Example.com", "password-1", None)
        .await
        .unwrap();
    assert_eq!(registered.user.name.as_str(), "ann");
    assert_eq!(registered.tokens.refresh_token, "plain-refresh");
    assert_eq!(registered.tokens.access_token, "access");
}

#[tokio::test]
async fn register_reports_every_invalid_field_without_touching_ports() {
    let err = Mocks::new()
        .service()
        .register("nope", "short", Some(""))
        .await
        .unwrap_err();
    let AuthError::Invalid(v) = err else {
        panic!("{err:?}")
    };
    let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, vec!["email", "password", "name"]);
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
        let mut m = Mocks::new();
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
            .register("a@b.co", "password-1", None)
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
        .expect_hash_refresh_token()
        .returning(|_| "hashed".into());
    m.sessions
        .expect_find_refresh_token()
        .with(eq("hashed"))
        .returning(move |_| Ok(rec.clone()));
    m
}

#[tokio::test]
async fn refresh_rotates_a_fresh_token() {
    let sid = Uuid::now_v7();
    let rec = record(sid, false, TimeDelta::days(1));
    let used_id = rec.id;
    let mut m = refresh_mocks(Some(rec)).with_tokens();
    let p = Principal {
        user_id: Uuid::now_v7(),
        session_id: sid,
        role: Role::Member,
    };
    m.sessions
        .expect_find_principal()
        .with(eq(sid))
        .returning(move |_| Ok(Some(p)));
    m.sessions
        .expect_rotate_refresh_token()
        .withf(move |used, next| {
            *used == used_id && next.session_id == sid && next.token_hash == "hashed-refresh"
        })
        .times(1)
        .returning(|_, _| Ok(true));
    let pair = m.service().refresh("plain").await.unwrap();
    assert_eq!(pair.refresh_token, "plain-refresh");
}

/// Expects exactly one `session.ended` for `sid`: its sockets close on every instance.
fn expect_session_ended(m: &mut Mocks, sid: Uuid) {
    m.events
        .expect_publish()
        .withf(move |n| n.audience == Audience::Session(sid) && n.event == Event::SessionEnded)
        .times(1)
        .return_const(());
}

#[tokio::test]
async fn refresh_reuse_revokes_the_session() {
    let sid = Uuid::now_v7();
    let mut m = refresh_mocks(Some(record(sid, true, TimeDelta::days(1))));
    m.sessions
        .expect_revoke()
        .with(eq(sid))
        .times(1)
        .returning(|_| Ok(()));
    expect_session_ended(&mut m, sid);
    assert!(matches!(
        m.service().refresh("plain").await,
        Err(AuthError::InvalidToken)
    ));
}

#[tokio::test]
async fn refresh_losing_a_race_is_reuse_too() {
    let sid = Uuid::now_v7();
    let mut m = refresh_mocks(Some(record(sid, false, TimeDelta::days(1)))).with_tokens();
    let p = Principal {
        user_id: Uuid::now_v7(),
        session_id: sid,
        role: Role::Member,
    };
    m.sessions
        .expect_find_principal()
        .returning(move |_| Ok(Some(p)));
    m.sessions
        .expect_rotate_refresh_token()
        .returning(|_, _| Ok(false));
    m.sessions
        .expect_revoke()
        .with(eq(sid))
        .times(1)
        .returning(|_| Ok(()));
    expect_session_ended(&mut m, sid);
    assert!(matches!(
        m.service().refresh("plain").await,
        Err(AuthError::InvalidToken)
    ));
}

#[tokio::test]
async fn refresh_refuses_unknown_expired_and_dead_sessions() {
    let m = refresh_mocks(None);
    assert!(matches!(
        m.service().refresh("x").await,
        Err(AuthError::InvalidToken)
    ));

    let m = refresh_mocks(Some(record(Uuid::now_v7(), false, TimeDelta::seconds(-1))));
    assert!(matches!(
        m.service().refresh("x").await,
        Err(AuthError::InvalidToken)
    ));

    let mut m =
        refresh_mocks(Some(record(Uuid::now_v7(), false, TimeDelta::days(1)))).with_tokens();
    m.sessions.expect_find_principal().returning(|_| Ok(None));
    assert!(matches!(
        m.service().refresh("x").await,
        Err(AuthError::InvalidToken)
    ));
}

#[tokio::test]
async fn logout_revokes_the_callers_session() {
    let p = principal_of(&user("a@b.co", Role::Member));
    let mut m = Mocks::new();
    m.sessions
        .expect_revoke()
        .with(eq(p.session_id))
        .times(1)
        .returning(|_| Ok(()));
    expect_session_ended(&mut m, p.session_id);
    m.service().logout(&p).await.unwrap();

    // Nothing revoked, nothing announced.
    let mut m = Mocks::new();
    m.sessions
        .expect_revoke()
        .returning(|_| Err(RepoError::Unavailable("down".into())));
    assert!(matches!(
        m.service().logout(&p).await,
        Err(AuthError::Unavailable(_))
    ));
}

fn claims(user_id: Uuid, session_id: Uuid) -> AccessClaims {
    AccessClaims {
        user_id,
        session_id,
        token_id: Uuid::now_v7(),
        role: Role::Member,
        expires_at: 0,
    }
}

#[tokio::test]
async fn authenticate_needs_a_valid_token_and_a_live_session_of_the_same_user() {
    let p = principal_of(&user("a@b.co", Role::Admin));
    let mut m = Mocks::new();
    m.tokens
        .expect_verify_access()
        .returning(move |_| Ok(claims(p.user_id, p.session_id)));
    m.sessions
        .expect_find_principal()
        .with(eq(p.session_id))
        .returning(move |_| Ok(Some(p)));
    assert_eq!(m.service().authenticate("t").await.unwrap(), p);

    let mut m = Mocks::new();
    m.tokens
        .expect_verify_access()
        .returning(|_| Err(TokenError::Expired));
    assert!(matches!(
        m.service().authenticate("t").await,
        Err(AuthError::InvalidToken)
    ));

    let mut m = Mocks::new();
    m.tokens
        .expect_verify_access()
        .returning(move |_| Ok(claims(p.user_id, p.session_id)));
    m.sessions.expect_find_principal().returning(|_| Ok(None));
    assert!(matches!(
        m.service().authenticate("t").await,
        Err(AuthError::InvalidToken)
    ));

    // A session that belongs to someone else than the token's subject.
    let mut m = Mocks::new();
    m.tokens
        .expect_verify_access()
        .returning(move |_| Ok(claims(Uuid::now_v7(), p.session_id)));
    m.sessions
        .expect_find_principal()
        .returning(move |_| Ok(Some(p)));
    assert!(matches!(
        m.service().authenticate("t").await,
        Err(AuthError::InvalidToken)
    ));
}
