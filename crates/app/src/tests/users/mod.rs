use super::{empty_page, principal_of, unexpected, user};
use crate::AppError;
use crate::login_throttle::LoginThrottle;
use crate::users::{AdminBootstrap, AdminUpdate, NewUserInput, UpdateMe, UserError, UserService};
use domain::RepoError;
use domain::auth::{MockPasswordHasher, MockSessionRepository};
use domain::concurrency::{ETag, IfMatch, Versioned};
use domain::event::{Audience, Event, MockEventPublisher};
use domain::pagination::PageRequest;
use domain::rate_limit::{MockRateLimiter, RateDecision};
use domain::user::{MockUserRepository, PasswordHash, Role, UserFilter, UserView};
use mockall::predicate::eq;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

mod admin;

#[derive(Default)]
struct Mocks {
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
    events: MockEventPublisher,
    limiter: MockRateLimiter,
    /// Failed password checks allowed per account; 0 (off) unless a test sets it.
    login_budget: u32,
}

impl Mocks {
    fn service(self) -> UserService {
        UserService::new(
            Arc::new(self.users),
            Arc::new(self.sessions),
            Arc::new(self.hasher),
            Arc::new(self.events),
            Arc::new(LoginThrottle::new(
                Arc::new(self.limiter),
                self.login_budget,
            )),
        )
    }
}

#[tokio::test]
async fn me_returns_the_caller_or_not_found() {
    let ann = user("ann@example.com", Role::Member);
    let p = principal_of(&ann);
    let mut m = Mocks::default();
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .with(eq(ann.id))
        .returning(move |_| Ok(Some(found.clone())));
    assert_eq!(m.service().me(&p).await.unwrap(), ann);

    let mut m = Mocks::default();
    m.users.expect_find_by_id().returning(|_| Ok(None));
    assert!(matches!(
        m.service().me(&p).await,
        Err(UserError::App(AppError::NotFound(_)))
    ));
}

#[tokio::test]
async fn update_me_renames_and_bumps_the_version() {
    let ann = user("ann@example.com", Role::Member);
    let p = principal_of(&ann);
    let before = ann.clone();
    let mut m = Mocks::default();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(before.clone())));
    let old_version = ann.updated_at;
    m.users
        .expect_update()
        .withf(move |u, expected| {
            u.name.as_str() == "Annie"
                && u.updated_at > old_version
                && expected == &Some(old_version)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let input = UpdateMe {
        name: Some("Annie".into()),
        ..Default::default()
    };
    let updated = m
        .service()
        .update_me(&p, input, Some(&IfMatch::Any))
        .await
        .unwrap();
    assert_ne!(updated.etag(), ann.etag());
}

#[tokio::test]
async fn update_me_password_needs_the_right_current_password() {
    let ann = user("ann@example.com", Role::Member);
    let p = principal_of(&ann);
    let input = |current: Option<&str>| UpdateMe {
        name: None,
        password: Some("new-password".into()),
        current_password: current.map(str::to_owned),
    };

    let err = Mocks::default()
        .service()
        .update_me(&p, input(None), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, UserError::App(AppError::Invalid(v)) if v.0[0].field == "current_password"),
        "{err:?}"
    );

    let mut m = Mocks::default();
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    m.hasher
        .expect_verify()
        .withf(|pw, _| pw == "wrong")
        .returning(|_, _| Ok(false));
    let err = m
        .service()
        .update_me(&p, input(Some("wrong")), None)
        .await
        .unwrap_err();
    assert!(matches!(err, UserError::WrongPassword));

    let mut m = Mocks::default();
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    m.hasher.expect_verify().returning(|_, _| Ok(true));
    m.hasher
        .expect_hash()
        .withf(|pw| pw.expose() == "new-password")
        .returning(|_| Ok(PasswordHash::new("new-hash")));
    m.users
        .expect_update()
        .withf(move |u, expected| {
            u.password_hash.as_str() == "new-hash" && *expected == Some(ann.updated_at)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    m.sessions
        .expect_revoke_all_for_user()
        .with(eq(ann.id), eq(Some(p.session_id)))
        .times(1)
        .returning(|_, _| Ok(()));
    // The other sessions end on every instance: their caches forget them, sockets close.
    let others = Audience::UserExcept {
        user: ann.id,
        session: p.session_id,
    };
    m.events
        .expect_publish()
        .withf(move |n| n.audience == others && n.event == Event::SessionEnded)
        .times(1)
        .return_const(());
    m.service()
        .update_me(&p, input(Some("right")), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_wrong_current_password_counts_against_the_login_budget() {
    let ann = user("ann@example.com", Role::Member);
    let p = principal_of(&ann);
    let input = UpdateMe {
        name: None,
        password: Some("new-password".into()),
        current_password: Some("wrong".into()),
    };
    let mut m = Mocks {
        login_budget: 3,
        ..Mocks::default()
    };
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    m.hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(false));
    m.limiter
        .expect_peek()
        .times(1)
        .returning(|_, _, _| Ok(RateDecision::Allowed));
    m.limiter
        .expect_hit()
        .withf(|key, _, _| key == "login-failures:ann@example.com")
        .times(1)
        .returning(|_, _, _| Ok(RateDecision::Allowed));
    m.users.expect_update().times(0);
    let err = m.service().update_me(&p, input.clone(), None).await;
    assert!(matches!(err, Err(UserError::WrongPassword)), "{err:?}");

    // Once the budget is spent, the check is refused before the password is looked at.
    let mut m = Mocks {
        login_budget: 3,
        ..Mocks::default()
    };
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    m.limiter.expect_peek().times(1).returning(|_, _, _| {
        Ok(RateDecision::Limited {
            retry_after: Duration::from_secs(30),
        })
    });
    let err = m.service().update_me(&p, input, None).await;
    assert!(
        matches!(err, Err(UserError::TooManyAttempts { retry_after }) if retry_after == Duration::from_secs(30)),
        "{err:?}"
    );
}

#[tokio::test]
async fn update_me_refuses_a_stale_precondition_before_writing() {
    let ann = user("ann@example.com", Role::Member);
    let p = principal_of(&ann);
    let mut m = Mocks::default();
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    let stale = IfMatch::Tags(vec![ETag::for_version(
        ann.id,
        ann.created_at - chrono::TimeDelta::seconds(1),
    )]);
    let input = UpdateMe {
        name: Some("X".into()),
        ..Default::default()
    };
    assert!(matches!(
        m.service().update_me(&p, input, Some(&stale)).await,
        Err(UserError::App(AppError::PreconditionFailed))
    ));

    // A concurrent writer won between the read and the conditional write.
    let mut m = Mocks::default();
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    m.users
        .expect_update()
        .returning(|_, _| Err(RepoError::Stale));
    let input = UpdateMe {
        name: Some("X".into()),
        ..Default::default()
    };
    let current = IfMatch::Tags(vec![ann.etag()]);
    assert!(matches!(
        m.service().update_me(&p, input, Some(&current)).await,
        Err(UserError::App(AppError::PreconditionFailed))
    ));
}

#[tokio::test]
async fn admin_operations_are_forbidden_to_members() {
    let p = principal_of(&user("m@example.com", Role::Member));
    let svc = Mocks::default().service();
    let id = Uuid::now_v7();
    assert!(matches!(
        svc.list(&p, UserFilter::default(), PageRequest::default())
            .await,
        Err(UserError::App(AppError::Forbidden(_)))
    ));
    let input = NewUserInput {
        email: "x@example.com".into(),
        password: "password-1".into(),
        name: None,
        role: None,
    };
    assert!(matches!(
        svc.create(&p, input).await,
        Err(UserError::App(AppError::Forbidden(_)))
    ));
    assert!(matches!(
        svc.update(&p, id, AdminUpdate::default(), None).await,
        Err(UserError::App(AppError::Forbidden(_)))
    ));
    assert!(matches!(
        svc.delete(&p, id, None).await,
        Err(UserError::App(AppError::Forbidden(_)))
    ));
}

#[tokio::test]
async fn list_trims_the_search_and_drops_an_empty_one() {
    let admin = principal_of(&user("root@example.com", Role::Admin));
    let mut m = Mocks::default();
    m.users
        .expect_list()
        .withf(|f, _| f.q.as_deref() == Some("ann"))
        .times(1)
        .returning(|_, page| empty_page(page));
    m.users
        .expect_list()
        .withf(|f, _| f.q.is_none())
        .times(1)
        .returning(|_, page| empty_page(page));
    let svc = m.service();
    svc.list(
        &admin,
        UserFilter {
            q: Some("  ann ".into()),
        },
        PageRequest::default(),
    )
    .await
    .unwrap();
    svc.list(
        &admin,
        UserFilter {
            q: Some("   ".into()),
        },
        PageRequest::default(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn create_validates_and_maps_conflicts() {
    let admin = principal_of(&user("root@example.com", Role::Admin));
    let input = |role: &str| NewUserInput {
        email: "Grace@example.com".into(),
        password: "password-1".into(),
        name: Some("Grace".into()),
        role: Some(role.into()),
    };
    let err = Mocks::default()
        .service()
        .create(&admin, input("root"))
        .await
        .unwrap_err();
    assert!(matches!(&err, UserError::App(AppError::Invalid(v)) if v.0[0].field == "role"));

    let mut m = Mocks::default();
    m.hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash::new("h")));
    m.users
        .expect_create()
        .withf(|u, welcome| {
            // An admin vouches for the address: verified, and no welcome mail.
            u.role == Role::Admin
                && u.email.as_str() == "grace@example.com"
                && u.email_verified
                && welcome.is_none()
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let created = m.service().create(&admin, input("admin")).await.unwrap();
    assert_eq!(created.role, Role::Admin);

    let mut m = Mocks::default();
    m.hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash::new("h")));
    m.users
        .expect_create()
        .returning(|_, _| Err(RepoError::Conflict("email".into())));
    assert!(matches!(
        m.service().create(&admin, input("member")).await,
        Err(UserError::EmailTaken)
    ));
}

#[tokio::test]
async fn get_shows_everything_only_to_self_and_admins() {
    let ann = user("ann@example.com", Role::Member);
    let bob = principal_of(&user("bob@example.com", Role::Member));
    let admin = principal_of(&user("root@example.com", Role::Admin));
    let mut m = Mocks::default();
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    let svc = m.service();
    assert!(
        matches!(svc.get(&bob, ann.id).await.unwrap(), UserView::Public { id, .. } if id == ann.id)
    );
    assert!(matches!(
        svc.get(&admin, ann.id).await.unwrap(),
        UserView::Full(_)
    ));
    assert!(matches!(
        svc.get(&principal_of(&ann), ann.id).await.unwrap(),
        UserView::Full(_)
    ));

    let mut m = Mocks::default();
    m.users.expect_find_by_id().returning(|_| Err(unexpected()));
    assert!(matches!(
        m.service().get(&bob, ann.id).await,
        Err(UserError::App(AppError::Unexpected(_)))
    ));
}

/// Expects one `session.ended` for every socket of `user`.
fn expect_sockets_closed(m: &mut Mocks, user: Uuid) {
    m.events
        .expect_publish()
        .withf(move |n| n.audience == Audience::User(user) && n.event == Event::SessionEnded)
        .times(1)
        .return_const(());
}
