//! Staff records and their repository port.

use crate::concurrency::{ExpectedVersion, Versioned, versioned};
use crate::error::RepoError;
use crate::pagination::{Page, PageRequest};
use crate::time::{self, Timestamp};
use crate::user::Email;
use crate::validation::text_value;
use async_trait::async_trait;
use uuid::Uuid;

versioned!(Employee);

text_value!(
    /// 1 to 200 characters after trimming.
    FullName, bounded_name, 1, 200
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    pub id: Uuid,
    pub full_name: FullName,
    /// Unique case-insensitively (stored lower-cased).
    pub email: Email,
    pub is_active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The fields a client writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeFields {
    pub full_name: FullName,
    pub email: Email,
    pub is_active: bool,
}

impl Employee {
    pub fn new(fields: EmployeeFields) -> Self {
        let now = time::now();
        Self {
            id: Uuid::now_v7(),
            full_name: fields.full_name,
            email: fields.email,
            is_active: fields.is_active,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn replace(&mut self, fields: EmployeeFields) {
        self.full_name = fields.full_name;
        self.email = fields.email;
        self.is_active = fields.is_active;
        self.touch();
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmployeeFilter {
    /// Case-insensitive substring of the name or the email.
    pub q: Option<String>,
    pub is_active: Option<bool>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EmployeeRepository: Send + Sync {
    /// A taken email is `RepoError::Conflict`.
    async fn create(&self, employee: &Employee) -> Result<(), RepoError>;
    async fn find_by_id(&self, id: Uuid) -> Result<Option<Employee>, RepoError>;
    /// Newest first.
    async fn list(
        &self,
        filter: &EmployeeFilter,
        page: PageRequest,
    ) -> Result<Page<Employee>, RepoError>;
    async fn update(&self, employee: &Employee, expected: ExpectedVersion)
    -> Result<(), RepoError>;
    async fn delete(&self, id: Uuid, expected: ExpectedVersion) -> Result<(), RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_are_bounded() {
        assert_eq!(
            FullName::new(" Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
        assert!(FullName::new("").is_err());
        assert!(FullName::new(&"x".repeat(200)).is_ok());
        assert!(FullName::new(&"x".repeat(201)).is_err());
    }

    #[test]
    fn replacing_changes_the_version() {
        let fields = EmployeeFields {
            full_name: FullName::new("Ada").unwrap(),
            email: Email::parse("ada@example.com").unwrap(),
            is_active: true,
        };
        let mut e = Employee::new(fields.clone());
        let before = e.etag();
        e.replace(EmployeeFields {
            is_active: false,
            ..fields
        });
        assert_ne!(before, e.etag());
        assert!(!e.is_active);
    }
}
