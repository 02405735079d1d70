//! `/api/v1/employees`: staff records, read by users and written by admins.

use super::Tagged;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser, IfMatchHeader};
use crate::pagination::{PageParams, PageResponse};
use crate::problems::{AdminOnly, EmailTaken};
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use app::EmployeeError;
use app::employees::EmployeeInput;
use chrono::{DateTime, Utc};
use domain::employee::{Employee, EmployeeFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A page of [`EmployeeResponse`]s (its schema is named `EmployeePage`).
pub type EmployeePage = PageResponse<EmployeeResponse>;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_employees)
        .service(create_employee)
        .service(get_employee)
        .service(replace_employee)
        .service(patch_employee)
        .service(delete_employee);
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f7a4-3b7e-7cc0-9a35-0f1e2d3c4b5a",
    "full_name": "Grace Hopper",
    "email": "grace@example.com",
    "is_active": true,
    "created_at": "2026-11-23T10:00:00Z",
    "updated_at": "2026-11-23T10:00:00Z"
}))]
pub struct EmployeeResponse {
    pub id: Uuid,
    pub full_name: String,
    pub email: String,
    pub is_active: bool,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<Employee> for EmployeeResponse {
    fn from(e: Employee) -> Self {
        Self {
            id: e.id,
            full_name: e.full_name.as_str().to_owned(),
            email: e.email.to_string(),
            is_active: e.is_active,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A new employee (`POST`) or all of one (`PUT`). Absent fields are read as missing, so
/// each is reported in the `422` by name.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"full_name": "Grace Hopper", "email": "grace@example.com", "is_active": true}))]
pub struct EmployeeRequest {
    /// 1 to 200 characters.
    #[schema(value_type = String)]
    pub full_name: Option<String>,
    /// Unique case-insensitively.
    #[schema(value_type = String)]
    pub email: Option<String>,
    /// Default true.
    pub is_active: Option<bool>,
}

/// Any subset of an employee's fields (`PATCH`).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"is_active": false}))]
pub struct EmployeePatchRequest {
    /// 1 to 200 characters.
    pub full_name: Option<String>,
    /// Unique case-insensitively.
    pub email: Option<String>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmployeeListQuery {
    /// Case-insensitive text in the name or the email.
    pub q: Option<String>,
    pub is_active: Option<bool>,
}

impl From<EmployeeRequest> for EmployeeInput {
    fn from(b: EmployeeRequest) -> Self {
        Self {
            full_name: b.full_name,
            email: b.email,
            is_active: b.is_active,
        }
    }
}

impl From<EmployeePatchRequest> for EmployeeInput {
    fn from(b: EmployeePatchRequest) -> Self {
        Self {
            full_name: b.full_name,
            email: b.email,
            is_active: b.is_active,
        }
    }
}

/// Staff records, newest first.
#[utoipa::path(
    tag = "employees",
    params(PageParams, EmployeeListQuery),
    responses(
        (status = 200, description = "A page of employees", body = EmployeePage),
    )
)]
#[get("/employees")]
pub async fn list_employees(
    state: web::Data<AppState>,
    _user: AuthUser,
    page: ApiQuery<PageParams>,
    query: ApiQuery<EmployeeListQuery>,
) -> Result<EmployeePage, ApiError> {
    let filter = EmployeeFilter {
        q: query.0.q,
        is_active: query.0.is_active,
    };
    let employees = state.employees.list(filter, page.0.page()?).await?;
    Ok(employees.into())
}

/// Add a staff record (admin).
#[utoipa::path(
    tag = "employees",
    request_body = EmployeeRequest,
    responses(
        (status = 201, description = "Created; `Location` names it", body = EmployeeResponse),
        (status = 403, response = AdminOnly),
        (status = 409, response = EmailTaken),
    )
)]
#[post("/employees")]
pub async fn create_employee(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<EmployeeRequest>,
) -> Result<Tagged<EmployeeResponse>, ApiError> {
    let employee = state.employees.create(&user.0, body.0.into()).await?;
    Ok(Tagged::created("/api/v1/employees", employee))
}

/// One staff record, with its ETag.
#[utoipa::path(
    tag = "employees",
    responses(
        (status = 200, description = "The employee", body = EmployeeResponse),
    )
)]
#[get("/employees/{id}")]
pub async fn get_employee(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<Tagged<EmployeeResponse>, ApiError> {
    Ok(Tagged::of(state.employees.get(id.into_inner()).await?))
}

/// Replace a staff record (admin); `is_active` defaults to true.
#[utoipa::path(
    tag = "employees",
    request_body = EmployeeRequest,
    params(IfMatchHeader),
    responses(
        (status = 200, description = "Replaced", body = EmployeeResponse),
        (status = 403, response = AdminOnly),
        (status = 409, response = EmailTaken),
    )
)]
#[put("/employees/{id}")]
pub async fn replace_employee(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
    body: ApiJson<EmployeeRequest>,
) -> Result<Tagged<EmployeeResponse>, ApiError> {
    let employee = state
        .employees
        .replace(&user.0, id.into_inner(), body.0.into(), if_match.as_ref())
        .await?;
    Ok(Tagged::of(employee))
}

/// Change only the fields sent (admin).
#[utoipa::path(
    tag = "employees",
    request_body = EmployeePatchRequest,
    params(IfMatchHeader),
    responses(
        (status = 200, description = "Updated", body = EmployeeResponse),
        (status = 403, response = AdminOnly),
        (status = 409, response = EmailTaken),
    )
)]
#[patch("/employees/{id}")]
pub async fn patch_employee(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
    body: ApiJson<EmployeePatchRequest>,
) -> Result<Tagged<EmployeeResponse>, ApiError> {
    let employee = state
        .employees
        .patch(&user.0, id.into_inner(), body.0.into(), if_match.as_ref())
        .await?;
    Ok(Tagged::of(employee))
}

/// Delete a staff record (admin).
#[utoipa::path(
    tag = "employees",
    params(IfMatchHeader),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = AdminOnly),
    )
)]
#[delete("/employees/{id}")]
pub async fn delete_employee(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
) -> Result<HttpResponse, ApiError> {
    state
        .employees
        .delete(&user.0, id.into_inner(), if_match.as_ref())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

impl From<EmployeeError> for ApiError {
    fn from(e: EmployeeError) -> Self {
        match e {
            EmployeeError::App(e) => e.into(),
            EmployeeError::EmailTaken => Self::conflict(e.to_string()),
        }
    }
}
