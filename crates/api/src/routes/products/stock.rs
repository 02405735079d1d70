//! Stock changes and the stock ledger: `/api/v1/products/{id}/stock`, `.../stock-movements`.

use super::ProductResponse;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, AuthUser};
use crate::pagination::{PageParams, PageResponse};
use crate::routes::PROBLEM;
use crate::routes::Tagged;
use crate::state::AppState;
use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use domain::product::StockMovement;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A page of [`StockMovementResponse`]s (its schema is named `StockMovementPage`).
pub type StockMovementPage = PageResponse<StockMovementResponse>;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"delta": -3, "reason": "sold"}))]
pub struct StockRequest {
    /// A non-zero integer: positive adds stock, negative removes it.
    #[schema(value_type = i64)]
    pub delta: Option<i64>,
    /// At most 200 characters.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StockMovementResponse {
    pub id: Uuid,
    pub delta: i64,
    pub quantity_after: i64,
    pub reason: Option<String>,
    pub user_id: Option<Uuid>,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub created_at: DateTime<Utc>,
}

impl From<StockMovement> for StockMovementResponse {
    fn from(m: StockMovement) -> Self {
        Self {
            id: m.id,
            delta: m.delta,
            quantity_after: m.quantity_after,
            reason: m.reason.map(|r| r.as_str().to_owned()),
            user_id: m.user_id,
            created_at: m.created_at,
        }
    }
}

/// Change the stock by `delta`, atomically, recording one stock movement.
#[utoipa::path(
    tag = "products",
    request_body = StockRequest,
    responses(
        (status = 200, description = "The product after the change", body = ProductResponse),
        (status = 409, description = "The stock would go below zero; nothing changed", body = Problem, content_type = PROBLEM),
        (status = 422, description = "`delta` missing, zero or not an integer", body = Problem, content_type = PROBLEM),
    )
)]
#[post("/products/{id}/stock")]
pub async fn adjust_stock(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<StockRequest>,
) -> Result<Tagged<ProductResponse>, ApiError> {
    let b = body.0;
    let product = state
        .products
        .adjust_stock(&user.0, id.into_inner(), b.delta, b.reason)
        .await?;
    Ok(Tagged::of(product))
}

/// The stock ledger, newest first.
#[utoipa::path(
    tag = "products",
    params(PageParams),
    responses(
        (status = 200, description = "A page of movements", body = StockMovementPage),
    )
)]
#[get("/products/{id}/stock-movements")]
pub async fn list_stock_movements(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<Uuid>,
    page: ApiQuery<PageParams>,
) -> Result<StockMovementPage, ApiError> {
    let movements = state
        .products
        .movements(id.into_inner(), page.0.page()?)
        .await?;
    Ok(movements.into())
}
