use super::{empty_page, principal_of, user};
use crate::AppError;
use crate::employees::{EmployeeError, EmployeeInput, EmployeeService};
use domain::RepoError;
use domain::concurrency::IfMatch;
use domain::employee::{
    Employee, EmployeeFields, EmployeeFilter, FullName, MockEmployeeRepository,
};
use domain::pagination::PageRequest;
use domain::user::{Email, Role};
use mockall::predicate::eq;
use std::sync::Arc;
use uuid::Uuid;

fn service(repo: MockEmployeeRepository) -> EmployeeService {
    EmployeeService::new(Arc::new(repo))
}

fn employee() -> Employee {
    Employee::new(EmployeeFields {
        full_name: FullName::new("Grace").unwrap(),
        email: Email::parse("grace@example.com").unwrap(),
        is_active: true,
    })
}

fn input(name: &str, email: &str) -> EmployeeInput {
    EmployeeInput {
        full_name: Some(name.into()),
        email: Some(email.into()),
        is_active: None,
    }
}

#[tokio::test]
async fn members_may_not_write() {
    let member = principal_of(&user("m@b.co", Role::Member));
    let svc = service(MockEmployeeRepository::new());
    let id = Uuid::now_v7();
    assert!(matches!(
        svc.create(&member, input("A", "a@b.co")).await,
        Err(EmployeeError::App(AppError::Forbidden(_)))
    ));
    assert!(matches!(
        svc.replace(&member, id, input("A", "a@b.co"), None).await,
        Err(EmployeeError::App(AppError::Forbidden(_)))
    ));
    assert!(matches!(
        svc.patch(&member, id, EmployeeInput::default(), None).await,
        Err(EmployeeError::App(AppError::Forbidden(_)))
    ));
    assert!(matches!(
        svc.delete(&member, id, None).await,
        Err(EmployeeError::App(AppError::Forbidden(_)))
    ));
}

#[tokio::test]
async fn admins_create_with_lower_cased_email_and_conflicts_are_mapped() {
    let admin = principal_of(&user("r@b.co", Role::Admin));
    let mut repo = MockEmployeeRepository::new();
    repo.expect_create()
        .withf(|e| e.email.as_str() == "grace@example.com" && e.is_active)
        .times(1)
        .returning(|_| Ok(()));
    service(repo)
        .create(&admin, input("Grace", "Grace@Example.com"))
        .await
        .unwrap();

    let mut repo = MockEmployeeRepository::new();
    repo.expect_create()
        .returning(|_| Err(RepoError::Conflict("email".into())));
    assert!(matches!(
        service(repo).create(&admin, input("G", "g@b.co")).await,
        Err(EmployeeError::EmailTaken)
    ));

    let err = service(MockEmployeeRepository::new())
        .create(&admin, EmployeeInput::default())
        .await
        .unwrap_err();
    assert!(matches!(&err, EmployeeError::App(AppError::Invalid(v)) if v.0.len() == 2));
}

#[tokio::test]
async fn replace_resets_defaults_and_patch_keeps_the_rest() {
    let admin = principal_of(&user("r@b.co", Role::Admin));
    let mut inactive = employee();
    inactive.is_active = false;
    let mut repo = MockEmployeeRepository::new();
    let found = inactive.clone();
    repo.expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    repo.expect_update()
        .withf(|e, _| e.is_active && e.full_name.as_str() == "Grace H.")
        .times(1)
        .returning(|_, _| Ok(()));
    service(repo)
        .replace(&admin, inactive.id, input("Grace H.", "gh@b.co"), None)
        .await
        .unwrap();

    let mut repo = MockEmployeeRepository::new();
    let found = inactive.clone();
    repo.expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    repo.expect_update()
        .withf(|e, _| {
            !e.is_active && e.email.as_str() == "new@b.co" && e.full_name.as_str() == "Grace"
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let patch = EmployeeInput {
        email: Some("NEW@b.co".into()),
        ..Default::default()
    };
    service(repo)
        .patch(&admin, inactive.id, patch, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn missing_and_stale_records() {
    let admin = principal_of(&user("r@b.co", Role::Admin));
    let e = employee();
    let mut repo = MockEmployeeRepository::new();
    repo.expect_find_by_id().returning(|_| Ok(None));
    let svc = service(repo);
    assert!(matches!(
        svc.get(e.id).await,
        Err(EmployeeError::App(AppError::NotFound(_)))
    ));
    assert!(matches!(
        svc.patch(&admin, e.id, EmployeeInput::default(), None)
            .await,
        Err(EmployeeError::App(AppError::NotFound(_)))
    ));

    let mut repo = MockEmployeeRepository::new();
    let found = e.clone();
    repo.expect_find_by_id()
        .returning(move |_| Ok(Some(found.clone())));
    let stale = IfMatch::Tags(vec![]);
    let svc = service(repo);
    assert!(matches!(
        svc.delete(&admin, e.id, Some(&stale)).await,
        Err(EmployeeError::App(AppError::PreconditionFailed))
    ));
    let patch = EmployeeInput {
        full_name: Some("X".into()),
        ..Default::default()
    };
    assert!(matches!(
        svc.patch(&admin, e.id, patch, Some(&stale)).await,
        Err(EmployeeError::App(AppError::PreconditionFailed))
    ));

    let mut repo = MockEmployeeRepository::new();
    repo.expect_delete()
        .with(eq(e.id), eq(None))
        .returning(|_, _| Err(RepoError::NotFound));
    assert!(matches!(
        service(repo).delete(&admin, e.id, None).await,
        Err(EmployeeError::App(AppError::NotFound(_)))
    ));
}

#[tokio::test]
async fn list_trims_the_search() {
    let mut repo = MockEmployeeRepository::new();
    repo.expect_list()
        .withf(|f, _| f.q.is_none() && f.is_active == Some(false))
        .times(1)
        .returning(|_, page| empty_page(page));
    let filter = EmployeeFilter {
        q: Some("  ".into()),
        is_active: Some(false),
    };
    service(repo)
        .list(filter, PageRequest::default())
        .await
        .unwrap();
}
