//! User use cases: deactivation, admin updates and deletes, the first admin, conflicts.

use super::*;

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
        .times(1)
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
    m.users.expect_update().times(1).returning(|_, _| Ok(()));
    m.sessions.expect_revoke_all_for_user().times(0);
    // The new role reaches every instance's cached sessions at once.
    let ann_id = ann.id;
    m.events
        .expect_publish()
        .withf(move |n| n.audience == Audience::User(ann_id) && n.event == Event::AccountChanged)
        .times(1)
        .return_const(());
    let on = AdminUpdate {
        is_active: Some(true),
        role: Some("admin".into()),
        ..Default::default()
    };
    let updated = m.service().update(&admin, ann.id, on, None).await.unwrap();
    assert!(updated.is_active && updated.is_admin());
}

#[tokio::test]
async fn a_write_that_lost_a_race_is_applied_again_to_the_fresh_row() {
    let admin = principal_of(&user("root@example.com", Role::Admin));
    let ann = user("ann@example.com", Role::Member);
    // Between the first read and its write, Ann renamed herself.
    let mut renamed = ann.clone();
    renamed.name = domain::user::UserName::new("Ann L.").unwrap();
    renamed.touch();
    let mut m = Mocks::default();
    let mut reads = vec![renamed.clone(), ann.clone()];
    m.users
        .expect_find_by_id()
        .times(2)
        .returning(move |_| Ok(reads.pop()));
    let (first, fresh) = (ann.updated_at, renamed.updated_at);
    m.users
        .expect_update()
        .withf(move |_, expected| *expected == Some(first))
        .times(1)
        .returning(|_, _| Err(RepoError::Stale));
    m.users
        .expect_update()
        .withf(move |u, expected| {
            *expected == Some(fresh) && !u.is_active && u.name.as_str() == "Ann L."
        })
        .times(1)
        .returning(|_, _| Ok(()));
    m.sessions
        .expect_revoke_all_for_user()
        .times(1)
        .returning(|_, _| Ok(()));
    expect_sockets_closed(&mut m, ann.id);
    let off = AdminUpdate {
        is_active: Some(false),
        ..Default::default()
    };
    let updated = m.service().update(&admin, ann.id, off, None).await.unwrap();
    assert!(!updated.is_active && updated.name.as_str() == "Ann L.");

    // With If-Match the client named the version: losing is its 412, tried once.
    let mut m = Mocks::default();
    let found = ann.clone();
    m.users
        .expect_find_by_id()
        .times(1)
        .returning(move |_| Ok(Some(found.clone())));
    m.users
        .expect_update()
        .times(1)
        .returning(|_, _| Err(RepoError::Stale));
    let off = AdminUpdate {
        is_active: Some(false),
        ..Default::default()
    };
    let tag = IfMatch::Tags(vec![ann.etag()]);
    assert!(matches!(
        m.service().update(&admin, ann.id, off, Some(&tag)).await,
        Err(UserError::App(AppError::PreconditionFailed))
    ));
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
