//! Account recovery and e-mail verification against mocks of the ports.

use super::{principal_of, user};
use crate::account::{AccountError, AccountService, TokenLifetimes};
use crate::error::AppError;
use chrono::TimeDelta;
use domain::account::{AccountToken, MockAccountTokenRepository, TokenEffect, TokenPurpose};
use domain::auth::{MockPasswordHasher, MockTokenService};
use domain::event::{Audience, Event, MockEventPublisher};
use domain::job::JobKind;
use domain::time;
use domain::user::{Email, MockUserRepository, PasswordHash, Role, User};
use std::sync::Arc;

#[derive(Default)]
struct Mocks {
    users: MockUserRepository,
    account_tokens: MockAccountTokenRepository,
    tokens: MockTokenService,
    hasher: MockPasswordHasher,
    events: MockEventPublisher,
}

impl Mocks {
    fn service(self) -> AccountService {
        AccountService::new(
            Arc::new(self.users),
            Arc::new(self.account_tokens),
            Arc::new(self.tokens),
            Arc::new(self.hasher),
            Arc::new(self.events),
            TokenLifetimes {
                password_reset: TimeDelta::minutes(30),
                email_verification: TimeDelta::hours(48),
            },
        )
    }

    fn minting(mut self) -> Self {
        self.tokens
            .expect_new_opaque_token()
            .returning(|| ("plain".into(), "hashed".into()));
        self.tokens
            .expect_hash_opaque_token()
            .returning(|plain| format!("hash-of-{plain}"));
        self
    }

    fn finding(mut self, found: &User) -> Self {
        let found = found.clone();
        self.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(found.clone())));
        self
    }
}

fn live(user: &User, purpose: TokenPurpose) -> AccountToken {
    AccountToken::new(user.id, purpose, "hash-of-t".into(), TimeDelta::minutes(5))
}

#[tokio::test]
async fn a_reset_request_stores_a_short_lived_token_with_the_mail_that_carries_it() {
    let ann = user("ann@example.com", Role::Member);
    let mut m = Mocks::default().minting().finding(&ann);
    let id = ann.id;
    m.account_tokens
        .expect_issue()
        .withf(move |token, mail| {
            let mail_ok = matches!(&mail.kind, JobKind::PasswordResetEmail { user_id, email, token, .. }
                if *user_id == id && email == "ann@example.com" && token == "plain");
            token.user_id == id
                && token.purpose == TokenPurpose::PasswordReset
                && token.token_hash == "hashed"
                && token.expires_at <= time::now() + TimeDelta::minutes(30)
                && token.expires_at > time::now() + TimeDelta::minutes(29)
                && mail_ok
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let service = m.service();
    let email = service.reset_request(Some("Ann@Example.com")).unwrap();
    service.send_reset_link(&email).await.unwrap();
}

#[tokio::test]
async fn nothing_is_enqueued_for_an_unknown_or_inactive_address() {
    let who = Email::parse("who@example.com").unwrap();
    let mut m = Mocks::default();
    m.users.expect_find_by_email().returning(|_| Ok(None));
    m.account_tokens.expect_issue().times(0);
    m.service().send_reset_link(&who).await.unwrap();

    let mut gone = user("ann@example.com", Role::Member);
    gone.is_active = false;
    let mut m = Mocks::default().finding(&gone);
    m.account_tokens.expect_issue().times(0);
    m.service().send_reset_link(&gone.email).await.unwrap();

    // A malformed address is the caller's mistake, not a secret: 422, no lookup.
    let err = Mocks::default()
        .service()
        .reset_request(Some("not an address"))
        .unwrap_err();
    assert!(matches!(&err, AccountError::App(AppError::Invalid(v)) if v.0[0].field == "email"));
}

#[tokio::test]
async fn a_reset_spends_the_token_sets_the_password_and_ends_every_session() {
    let ann = user("ann@example.com", Role::Member);
    let token = live(&ann, TokenPurpose::PasswordReset);
    let mut m = Mocks::default().minting();
    let stored = token.clone();
    m.account_tokens
        .expect_find_live()
        .withf(|hash, purpose| hash == "hash-of-t" && *purpose == TokenPurpose::PasswordReset)
        .times(1)
        .returning(move |_, _| Ok(Some(stored.clone())));
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    m.hasher
        .expect_hash()
        .withf(|p| p.expose() == "a new password")
        .returning(|_| Ok(PasswordHash::new("new-hash")));
    let (id, token_id) = (ann.id, token.id);
    m.account_tokens
        .expect_spend()
        .withf(move |t, effect| {
            t.id == token_id
                && matches!(effect, TokenEffect::ResetPassword { password_hash, notice }
                    if password_hash.as_str() == "new-hash"
                    && matches!(&notice.kind, JobKind::PasswordChangedEmail { user_id, .. } if *user_id == id))
        })
        .times(1)
        .returning(|_, _| Ok(true));
    // Every session ends on every instance: caches forget, sockets close.
    m.events
        .expect_publish()
        .withf(move |n| n.audience == Audience::User(id) && n.event == Event::SessionEnded)
        .times(1)
        .return_const(());
    m.service()
        .confirm_password_reset(Some("t"), Some("a new password"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_bad_password_leaves_the_token_unspent_and_a_dead_token_changes_nothing() {
    // No port is touched: the mocks have no expectations.
    let err = Mocks::default()
        .service()
        .confirm_password_reset(Some("t"), Some("short"))
        .await
        .unwrap_err();
    assert!(matches!(&err, AccountError::App(AppError::Invalid(v)) if v.0[0].field == "password"));

    let mut m = Mocks::default().minting();
    m.account_tokens
        .expect_find_live()
        .returning(|_, _| Ok(None));
    m.account_tokens.expect_spend().times(0);
    let err = m
        .service()
        .confirm_password_reset(Some("t"), Some("a new password"))
        .await
        .unwrap_err();
    assert!(matches!(err, AccountError::InvalidToken));
}

#[tokio::test]
async fn losing_the_race_for_a_token_is_an_invalid_token() {
    let ann = user("ann@example.com", Role::Member);
    let token = live(&ann, TokenPurpose::PasswordReset);
    let mut m = Mocks::default().minting();
    m.account_tokens
        .expect_find_live()
        .returning(move |_, _| Ok(Some(token.clone())));
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    m.hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash::new("h")));
    m.account_tokens
        .expect_spend()
        .times(1)
        .returning(|_, _| Ok(false));
    // Nothing changed, so nothing is published.
    m.events.expect_publish().times(0);
    let err = m
        .service()
        .confirm_password_reset(Some("t"), Some("a new password"))
        .await
        .unwrap_err();
    assert!(matches!(err, AccountError::InvalidToken));
}

#[tokio::test]
async fn verifying_spends_the_token_and_every_instance_rereads_the_account() {
    let ann = user("ann@example.com", Role::Member);
    let token = live(&ann, TokenPurpose::EmailVerification);
    let mut m = Mocks::default().minting();
    m.account_tokens
        .expect_find_live()
        .withf(|_, purpose| *purpose == TokenPurpose::EmailVerification)
        .returning(move |_, _| Ok(Some(token.clone())));
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    m.account_tokens
        .expect_spend()
        .withf(|_, effect| *effect == TokenEffect::VerifyEmail)
        .times(1)
        .returning(|_, _| Ok(true));
    let id = ann.id;
    m.events
        .expect_publish()
        .withf(move |n| n.audience == Audience::User(id) && n.event == Event::AccountChanged)
        .times(1)
        .return_const(());
    m.service().verify_email(Some("t")).await.unwrap();

    let err = Mocks::default()
        .service()
        .verify_email(None)
        .await
        .unwrap_err();
    assert!(matches!(&err, AccountError::App(AppError::Invalid(v)) if v.0[0].field == "token"));
}

#[tokio::test]
async fn resending_when_verified_is_a_conflict_and_otherwise_issues_a_new_link() {
    let mut verified = user("ann@example.com", Role::Member);
    verified.email_verified = true;
    let p = principal_of(&verified);
    let mut m = Mocks::default();
    let found = verified.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    m.account_tokens.expect_issue().times(0);
    assert!(matches!(
        m.service().resend_verification(&p).await,
        Err(AccountError::AlreadyVerified)
    ));

    let pending = user("bob@example.com", Role::Member);
    let p = principal_of(&pending);
    let mut m = Mocks::default().minting();
    let found = pending.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    let id = pending.id;
    m.account_tokens
        .expect_issue()
        .withf(move |token, mail| {
            token.purpose == TokenPurpose::EmailVerification
                && token.user_id == id
                && matches!(&mail.kind, JobKind::VerificationEmail { token, .. } if token == "plain")
        })
        .times(1)
        .returning(|_, _| Ok(()));
    m.service().resend_verification(&p).await.unwrap();
}
