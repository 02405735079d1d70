//! Staff records: readable by every user, written by admins.

use crate::rewrite::rewrite;
use crate::service_error;
use domain::auth::Principal;
use domain::concurrency::{IfMatch, Versioned, version_to_delete};
use domain::employee::{Employee, EmployeeFields, EmployeeFilter, EmployeeRepository, FullName};
use domain::pagination::{BY_TIME_THEN_ID, Page, PageRequest};
use domain::user::Email;
use domain::validation::{ValidationError, Validator, required, search_text};
use std::sync::Arc;
use uuid::Uuid;

service_error! {
    pub enum EmployeeError for "employee" {
        #[error("an employee with this email already exists")]
        EmailTaken,
    }
    conflict(_) => EmployeeError::EmailTaken,
}

/// An employee's fields as sent. Create and replace need the name and the email
/// (`is_active` defaults to true); a patch changes only the fields given.
#[derive(Debug, Clone, Default)]
pub struct EmployeeInput {
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub is_active: Option<bool>,
}

pub struct EmployeeService {
    employees: Arc<dyn EmployeeRepository>,
}

impl EmployeeService {
    pub fn new(employees: Arc<dyn EmployeeRepository>) -> Self {
        Self { employees }
    }

    pub async fn list(
        &self,
        filter: EmployeeFilter,
        page: PageRequest,
    ) -> Result<Page<Employee>, EmployeeError> {
        page.check_key(BY_TIME_THEN_ID)
            .map_err(ValidationError::from)?;
        let filter = EmployeeFilter {
            q: search_text(filter.q),
            ..filter
        };
        Ok(self.employees.list(&filter, page).await?)
    }

    pub async fn get(&self, id: Uuid) -> Result<Employee, EmployeeError> {
        self.employees
            .find_by_id(id)
            .await?
            .ok_or_else(EmployeeError::not_found)
    }

    pub async fn create(
        &self,
        caller: &Principal,
        input: EmployeeInput,
    ) -> Result<Employee, EmployeeError> {
        caller.require_admin()?;
        let fields = full_fields(input)?;
        let employee = Employee::new(fields);
        self.employees.create(&employee).await?;
        Ok(employee)
    }

    pub async fn replace(
        &self,
        caller: &Principal,
        id: Uuid,
        input: EmployeeInput,
        if_match: Option<&IfMatch>,
    ) -> Result<Employee, EmployeeError> {
        caller.require_admin()?;
        let fields = full_fields(input)?;
        self.write(id, if_match, |e| e.replace(fields.clone()))
            .await
    }

    pub async fn patch(
        &self,
        caller: &Principal,
        id: Uuid,
        patch: EmployeeInput,
        if_match: Option<&IfMatch>,
    ) -> Result<Employee, EmployeeError> {
        caller.require_admin()?;
        let mut v = Validator::new();
        let full_name = v.check_opt("full_name", patch.full_name.as_deref(), FullName::new);
        let email = v.check_opt("email", patch.email.as_deref(), Email::parse);
        v.finish()?;
        let (full_name, email) = (required(full_name, "full_name")?, required(email, "email")?);
        self.write(id, if_match, |e| {
            let fields = EmployeeFields {
                full_name: full_name.clone().unwrap_or_else(|| e.full_name.clone()),
                email: email.clone().unwrap_or_else(|| e.email.clone()),
                is_active: patch.is_active.unwrap_or(e.is_active),
            };
            e.replace(fields);
        })
        .await
    }

    pub async fn delete(
        &self,
        caller: &Principal,
        id: Uuid,
        if_match: Option<&IfMatch>,
    ) -> Result<(), EmployeeError> {
        caller.require_admin()?;
        let expected = version_to_delete(if_match, self.get(id)).await?;
        self.employees.delete(id, expected).await?;
        Ok(())
    }

    /// Loads, changes, and saves on condition that the version read is still current; a
    /// lost race without `If-Match` starts over.
    async fn write(
        &self,
        id: Uuid,
        if_match: Option<&IfMatch>,
        change: impl Fn(&mut Employee),
    ) -> Result<Employee, EmployeeError> {
        rewrite(if_match, || async {
            let mut employee = self.get(id).await?;
            let expected = employee.expected_version(if_match)?;
            change(&mut employee);
            self.employees.update(&employee, expected).await?;
            Ok(employee)
        })
        .await
    }
}

fn full_fields(input: EmployeeInput) -> Result<EmployeeFields, ValidationError> {
    let mut v = Validator::new();
    let full_name = v.require("full_name", input.full_name.as_deref(), FullName::new);
    let email = v.require("email", input.email.as_deref(), Email::parse);
    v.finish()?;
    Ok(EmployeeFields {
        full_name: required(full_name, "full_name")?,
        email: required(email, "email")?,
        is_active: input.is_active.unwrap_or(true),
    })
}
