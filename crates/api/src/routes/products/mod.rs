//! `/api/v1/products`: the catalogue, stock changes and the stock ledger.

use crate::dto::{Price, nullable, present};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, AuthUser, IfMatchHeader};
use crate::pagination::{PageParams, PageResponse};
use crate::problems::{NameTaken, OwnerOnly};
use crate::routes::{PROBLEM, Tagged};
use crate::schemas::{CategoryName, ProductSortKey};
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use app::ProductError;
use app::products::{ProductInput, ProductPatch, ProductQuery};
use chrono::{DateTime, Utc};
use domain::product::Product;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

mod stock;

pub use stock::{StockMovementPage, StockMovementResponse};

/// A page of [`ProductResponse`]s (its schema is named `ProductPage`).
pub type ProductPage = PageResponse<ProductResponse>;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_products)
        .service(create_product)
        .service(get_product)
        .service(replace_product)
        .service(patch_product)
        .service(delete_product)
        .service(stock::adjust_stock)
        .service(stock::list_stock_movements);
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f7a4-3b7e-7cc0-9a35-0f1e2d3c4b5a",
    "name": "Green tea",
    "description": "Loose leaf, 100 g",
    "category": "grocery",
    "price": "4.50",
    "quantity": 12,
    "in_stock": true,
    "is_active": true,
    "created_by": "0192f7a4-0000-7000-8000-000000000001",
    "created_at": "2026-11-23T10:00:00Z",
    "updated_at": "2026-11-23T10:00:00Z"
}))]
pub struct ProductResponse {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    #[schema(value_type = CategoryName)]
    pub category: String,
    /// Always a string with two decimals.
    pub price: String,
    pub quantity: i64,
    pub in_stock: bool,
    pub is_active: bool,
    pub created_by: Option<Uuid>,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<Product> for ProductResponse {
    fn from(p: Product) -> Self {
        Self {
            in_stock: p.in_stock(),
            id: p.id,
            name: p.name.as_str().to_owned(),
            description: p.description.map(|d| d.as_str().to_owned()),
            category: p.category.as_str().to_owned(),
            price: p.price.to_string(),
            quantity: p.quantity.value(),
            is_active: p.is_active,
            created_by: p.created_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Create (`POST`) or replace (`PUT`) a product. `quantity` is accepted only on create.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Green tea", "description": "Loose leaf, 100 g", "category": "grocery", "price": "4.50", "quantity": 12}))]
pub struct ProductRequest {
    /// 2 to 200 characters, unique case-insensitively.
    #[schema(value_type = String)]
    pub name: Option<String>,
    /// At most 2000 characters.
    pub description: Option<String>,
    /// Default `other`.
    #[schema(value_type = Option<CategoryName>)]
    pub category: Option<String>,
    /// 0 to 99999999.99, at most 2 decimals; a string or a number.
    #[schema(value_type = String, example = "4.50")]
    pub price: Option<Price>,
    /// Initial stock on create (default 0); refused on replace: stock changes through
    /// `POST /api/v1/products/{id}/stock`.
    pub quantity: Option<i64>,
    /// Default true.
    pub is_active: Option<bool>,
}

impl From<ProductRequest> for ProductInput {
    fn from(b: ProductRequest) -> Self {
        Self {
            name: b.name,
            description: b.description,
            category: b.category,
            price: b.price.map(|p| p.0),
            quantity: b.quantity,
            is_active: b.is_active,
        }
    }
}

/// Partial update; `description: null` clears it. `quantity` is refused (stock changes
/// through `POST /api/v1/products/{id}/stock`).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"price": 3.99, "is_active": false}))]
pub struct ProductPatchRequest {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[schema(value_type = Option<CategoryName>)]
    pub category: Option<String>,
    #[schema(value_type = Option<String>, example = "3.99")]
    pub price: Option<Price>,
    pub is_active: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, read_only)]
    pub quantity: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    /// Case-insensitive text in the name.
    pub q: Option<String>,
    #[param(value_type = Option<CategoryName>)]
    pub category: Option<String>,
    pub is_active: Option<bool>,
    pub in_stock: Option<bool>,
    /// Inclusive lower bound, e.g. `1.50`.
    pub min_price: Option<String>,
    /// Inclusive upper bound.
    pub max_price: Option<String>,
    /// `name`, `-name`, `price`, `-price`, `created_at`, `-created_at` (default).
    #[param(value_type = Option<ProductSortKey>)]
    pub sort: Option<String>,
}

/// Products, active and inactive alike unless filtered.
#[utoipa::path(
    tag = "products",
    security(()),
    params(PageParams, ProductListQuery),
    responses(
        (status = 200, description = "A page of products", body = ProductPage),
    )
)]
#[get("/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    page: ApiQuery<PageParams>,
    query: ApiQuery<ProductListQuery>,
) -> Result<ProductPage, ApiError> {
    let q = query.0;
    let query = ProductQuery {
        q: q.q,
        category: q.category,
        is_active: q.is_active,
        in_stock: q.in_stock,
        min_price: q.min_price,
        max_price: q.max_price,
        sort: q.sort,
    };
    let products = state.products.list(query, page.0.page()?).await?;
    Ok(products.into())
}

/// Add a product; a non-zero `quantity` is its first stock movement.
#[utoipa::path(
    tag = "products",
    request_body = ProductRequest,
    responses(
        (status = 201, description = "Created; `Location` names it", body = ProductResponse),
        (status = 409, response = NameTaken),
    )
)]
#[post("/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<ProductRequest>,
) -> Result<Tagged<ProductResponse>, ApiError> {
    let product = state.products.create(&user.0, body.0.into()).await?;
    Ok(Tagged::created("/api/v1/products", product))
}

/// One product, with its ETag.
#[utoipa::path(
    tag = "products",
    security(()),
    responses(
        (status = 200, description = "The product", body = ProductResponse),
    )
)]
#[get("/products/{id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<Tagged<ProductResponse>, ApiError> {
    Ok(Tagged::of(state.products.get(id.into_inner()).await?))
}

/// Replace every writable field; omitted optional fields return to their defaults.
#[utoipa::path(
    tag = "products",
    request_body = ProductRequest,
    params(IfMatchHeader),
    responses(
        (status = 200, description = "Replaced", body = ProductResponse),
        (status = 403, response = OwnerOnly),
        (status = 409, response = NameTaken),
        (status = 422, description = "Invalid fields, or `quantity` sent", body = Problem, content_type = PROBLEM),
    )
)]
#[put("/products/{id}")]
pub async fn replace_product(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
    body: ApiJson<ProductRequest>,
) -> Result<Tagged<ProductResponse>, ApiError> {
    let product = state
        .products
        .replace(&user.0, id.into_inner(), body.0.into(), if_match.as_ref())
        .await?;
    Ok(Tagged::of(product))
}

/// Change only the fields sent.
#[utoipa::path(
    tag = "products",
    request_body = ProductPatchRequest,
    params(IfMatchHeader),
    responses(
        (status = 200, description = "Updated", body = ProductResponse),
        (status = 403, response = OwnerOnly),
        (status = 409, response = NameTaken),
        (status = 422, description = "Invalid fields, or `quantity` sent", body = Problem, content_type = PROBLEM),
    )
)]
#[patch("/products/{id}")]
pub async fn patch_product(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
    body: ApiJson<ProductPatchRequest>,
) -> Result<Tagged<ProductResponse>, ApiError> {
    let b = body.0;
    let patch = ProductPatch {
        name: b.name,
        description: b.description,
        category: b.category,
        price: b.price.map(|p| p.0),
        is_active: b.is_active,
        quantity_sent: b.quantity,
    };
    let product = state
        .products
        .patch(&user.0, id.into_inner(), patch, if_match.as_ref())
        .await?;
    Ok(Tagged::of(product))
}

/// Delete a product with its stock movements.
#[utoipa::path(
    tag = "products",
    params(IfMatchHeader),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = OwnerOnly),
    )
)]
#[delete("/products/{id}")]
pub async fn delete_product(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
) -> Result<HttpResponse, ApiError> {
    state
        .products
        .delete(&user.0, id.into_inner(), if_match.as_ref())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

impl From<ProductError> for ApiError {
    fn from(e: ProductError) -> Self {
        match e {
            ProductError::App(e) => e.into(),
            ProductError::NameTaken | ProductError::StockOutOfRange { .. } => {
                Self::conflict(e.to_string())
            }
        }
    }
}
