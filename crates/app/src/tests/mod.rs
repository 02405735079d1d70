//! Use cases against mockall mocks of the ports. A mock without an expectation panics
//! when called, so each test also proves which ports a path does not touch.

mod account;
mod auth;
mod blog;
mod employees;
mod jobs;
mod notifications;
mod products;
mod users;

use domain::RepoError;
use domain::auth::Principal;
use domain::pagination::{Page, PageRequest};
use domain::user::{Email, PasswordHash, Role, User, UserName};

pub fn user(email: &str, role: Role) -> User {
    User::new(
        Email::parse(email).unwrap(),
        Some(UserName::new("Test").unwrap()),
        role,
        PasswordHash::new("$2b$04$hash"),
    )
}

pub fn principal_of(user: &User) -> Principal {
    Principal {
        user_id: user.id,
        session_id: uuid::Uuid::now_v7(),
        role: user.role,
        email_verified: user.email_verified,
    }
}

pub fn unexpected() -> domain::RepoError {
    domain::RepoError::unexpected("boom")
}

/// What a mocked list answers: no items, for the page it was asked for.
pub fn empty_page<T>(request: PageRequest) -> Result<Page<T>, RepoError> {
    Ok(Page {
        items: Vec::new(),
        total: 0,
        request,
        next: None,
    })
}
