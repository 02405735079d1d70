use super::{empty_page, principal_of, unexpected, user};
use crate::AppError;
use crate::users::{AdminBootstrap, AdminUpdate, NewUserInput, UpdateMe, UserError, UserService};
use domain::RepoError;
use domain::auth::{MockPasswordHasher, MockSessionRepository};
use domain::concurrency::{ETag, IfMatch, Versioned};
use domain::event::{Audience, Event, MockEventPublisher};
use domain::pagination::PageRequest;
use domain::user::{MockUserRepository, PasswordHash, Role, UserFilter, UserView};
use mockall::predicate::eq;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
struct Mocks {
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
    events: MockEventPublisher,
}

impl Mocks {
    fn service(self) -> UserService {
        UserService::new(
            Arc::new(self.users),
            Arc::new(self.sessions),
            Arc::new(self.hasher),
            Arc::new(self.events),
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
        .withf(|u, expected| u.password_hash.as_str() == "new-hash" && expected.is_none())
        .times(1)
        .returning(|_, _| Ok(()));
    m.sessions
        .expect_revoke_all_for_user()
        .with(eq(ann.id), eq(Some(p.session_id)))
        .times(1)
        .returning(|_, _| Ok(()));
    m.service()
        .update_me(&p, input(Some("right")), None)
        .await
        .unwrap();
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
        .withf(|u, job| {
            u.role == Role::Admin && u.email.as_str() == "grace@example.com" && job.is_none()
        })
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

#[tokio::test]
async fn deactivation_ends_every_session_and_reactivation_does_not() {
    let admin = principal_of(&user("root@example.com", Role::Admin));
    let ann = user("ann@example.com", Role::Member);
    let mut m = Mocks::default();
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    m.users
        .expect_update()
        .withf(|u, _| !u.is_active)
        .returning(|_, _| Ok(()));
    m.sessions
        .expect_revoke_all_for_user()
        .with(eq(ann.id), eq(None))
        .times(1)
        .returning(|_, _| Ok(()));
    expect_sockets_closed(&mut m, ann.id);
    let off = AdminUpdate {
        is_active: Some(false),
        ..Default::default()
    };
    assert!(
        !m.service()
            .update(&admin, ann.id, off, None)
            .await
            .unwrap()
            .is_active
    );

    let mut inactive = ann.clone();
    inactive.is_active = false;
    let mut m = Mocks::default();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(inactive.clone())));
    m.users.expect_update().returning(|_, _| Ok(()));
    let on = AdminUpdate {
        is_active: Some(true),
        role: Some("admin".into()),
        ..Default::default()
    };
    let updated = m.service().update(&admin, ann.id, on, None).await.unwrap();
    assert!(updated.is_active && updated.is_admin());
}

#[tokio::test]
async fn update_and_delete_report_missing_users_and_stale_versions() {
    let admin = principal_of(&user("root@example.com", Role::Admin));
    let id = Uuid::now_v7();
    let mut m = Mocks::default();
    m.users.expect_find_by_id().returning(|_| Ok(None));
    let svc = m.service();
    assert!(matches!(
        svc.update(&admin, id, AdminUpdate::default(), None).await,
        Err(UserError::App(AppError::NotFound(_)))
    ));
    assert!(matches!(
        svc.delete(&admin, id, Some(&IfMatch::Any)).await,
        Err(UserError::App(AppError::NotFound(_)))
    ));

    let mut m = Mocks::default();
    m.users
        .expect_delete()
        .with(eq(id), eq(None))
        .returning(|_, _| Err(RepoError::NotFound));
    assert!(matches!(
        m.service().delete(&admin, id, None).await,
        Err(UserError::App(AppError::NotFound(_)))
    ));

    let ann = user("ann@example.com", Role::Member);
    let mut m = Mocks::default();
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    let stale = IfMatch::Tags(vec![]);
    assert!(matches!(
        m.service().delete(&admin, ann.id, Some(&stale)).await,
        Err(UserError::App(AppError::PreconditionFailed))
    ));

    let mut m = Mocks::default();
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    let version = ann.updated_at;
    m.users
        .expect_delete()
        .with(eq(ann.id), eq(Some(version)))
        .times(1)
        .returning(|_, _| Ok(()));
    expect_sockets_closed(&mut m, ann.id);
    m.service()
        .delete(&admin, ann.id, Some(&IfMatch::Tags(vec![ann.etag()])))
        .await
        .unwrap();
}

#[tokio::test]
async fn bootstrap_admin_creates_once_and_never_overwrites() {
    let existing = user("root@example.com", Role::Member);
    let mut m = Mocks::default();
    let found = existing.clone();
    m.users
        .expect_find_by_email()
        .returning(move |_| Ok(Some(found.clone())));
    let outcome = m
        .service()
        .bootstrap_admin("ROOT@example.com", "password-1")
        .await
        .unwrap();
    assert_eq!(outcome, AdminBootstrap::AlreadyExists(existing.id));

    let mut m = Mocks::default();
    m.users.expect_find_by_email().returning(|_| Ok(None));
    m.hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash::new("h")));
    m.users
        .expect_create()
        .withf(|u, _| u.is_admin())
        .times(1)
        .returning(|_, _| Ok(()));
    assert!(matches!(
        m.service()
            .bootstrap_admin("root@example.com", "password-1")
            .await,
        Ok(AdminBootstrap::Created(_))
    ));

    // Another instance created it between the lookup and the insert.
    let mut m = Mocks::default();
    let winner = existing.clone();
    let mut calls = 0;
    m.users.expect_find_by_email().returning(move |_| {
        calls += 1;
        Ok((calls > 1).then(|| winner.clone()))
    });
    m.hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash::new("h")));
    m.users
        .expect_create()
        .returning(|_, _| Err(RepoError::Conflict("email".into())));
    let outcome = m
        .service()
        .bootstrap_admin("root@example.com", "password-1")
        .await
        .unwrap();
    assert_eq!(outcome, AdminBootstrap::AlreadyExists(existing.id));

    let err = Mocks::default()
        .service()
        .bootstrap_admin("root@example.com", "short")
        .await
        .unwrap_err();
    assert!(matches!(err, UserError::App(AppError::Invalid(_))));
}

#[test]
fn conflicts_are_told_apart_by_the_constraint_they_name() {
    use domain::user::LAST_ADMIN;
    assert!(matches!(
        UserError::from(RepoError::Conflict(LAST_ADMIN.into())),
        UserError::LastAdmin
    ));
    assert!(matches!(
        UserError::from(RepoError::Conflict("ux_users_email".into())),
        UserError::EmailTaken
    ));
}
