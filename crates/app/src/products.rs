//! Inventory: the product catalogue and its stock ledger.

use crate::error::AppError;
use crate::rewrite::rewrite;
use crate::service_error;
use domain::auth::Principal;
use domain::concurrency::{IfMatch, Versioned};
use domain::money::Money;
use domain::pagination::{BY_TIME_THEN_ID, Page, PageRequest};
use domain::product::{
    Category, Description, Product, ProductFields, ProductFilter, ProductName, ProductRepository,
    ProductSort, Quantity, StockDelta, StockMovement, StockOutcome, StockReason,
};
use domain::validation::{ValidationError, Validator, required, search_text};
use std::sync::Arc;
use uuid::Uuid;

service_error! {
    pub enum ProductError for "product" {
        #[error("a product with this name already exists")]
        NameTaken,
        #[error("the change would take the stock to {would_be} (it is {quantity})")]
        StockOutOfRange { quantity: i64, would_be: i64 },
    }
    conflict(_) => ProductError::NameTaken,
}

/// Who may change a product.
const CREATOR_OR_ADMIN: &str = "only the product's creator or an admin may change it";

/// A product as a client writes it (create and full replacement). Absent optional fields
/// take their defaults.
#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    /// The decimal as sent (`"9.99"`; a JSON number is passed in its shortest decimal form).
    pub price: Option<String>,
    pub quantity: Option<i64>,
    pub is_active: Option<bool>,
}

/// A partial update: only what was sent changes. `description: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub category: Option<String>,
    pub price: Option<String>,
    pub is_active: Option<bool>,
    /// Whether the body carried `quantity`, which only the stock endpoint may change.
    pub quantity_sent: bool,
}

/// List filters as sent in the query string.
#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    pub q: Option<String>,
    pub category: Option<String>,
    pub is_active: Option<bool>,
    pub in_stock: Option<bool>,
    pub min_price: Option<String>,
    pub max_price: Option<String>,
    pub sort: Option<String>,
}

// The use case names no route: the API's documentation says where stock movements go.
const QUANTITY_IS_READ_ONLY: &str = "changes only through a stock movement";

pub struct ProductService {
    products: Arc<dyn ProductRepository>,
}

impl ProductService {
    pub fn new(products: Arc<dyn ProductRepository>) -> Self {
        Self { products }
    }

    pub async fn list(
        &self,
        query: ProductQuery,
        page: PageRequest,
    ) -> Result<Page<Product>, ProductError> {
        let mut v = Validator::new();
        let category = v.check_opt(
            "category",
            query.category.as_deref(),
            str::parse::<Category>,
        );
        let min_price = v.check_opt("min_price", query.min_price.as_deref(), Money::parse);
        let max_price = v.check_opt("max_price", query.max_price.as_deref(), Money::parse);
        let sort = v.check_opt("sort", query.sort.as_deref(), str::parse::<ProductSort>);
        if let (Some(Some(min)), Some(Some(max))) = (min_price, max_price)
            && min > max
        {
            v.push("min_price", "must not exceed max_price");
        }
        if let Some(sort) = sort
            && let Err(e) = page.check_key(sort.unwrap_or_default().key())
        {
            v.push(&e.field, e.message);
        }
        v.finish()?;
        let filter = ProductFilter {
            q: search_text(query.q),
            category: required(category, "category")?,
            is_active: query.is_active,
            in_stock: query.in_stock,
            min_price: required(min_price, "min_price")?,
            max_price: required(max_price, "max_price")?,
            sort: required(sort, "sort")?.unwrap_or_default(),
        };
        Ok(self.products.list(&filter, page).await?)
    }

    pub async fn get(&self, id: Uuid) -> Result<Product, ProductError> {
        self.products
            .find_by_id(id)
            .await?
            .ok_or_else(ProductError::not_found)
    }

    /// Any user adds a product; a non-zero initial quantity is its first stock movement.
    pub async fn create(
        &self,
        caller: &Principal,
        input: ProductInput,
    ) -> Result<Product, ProductError> {
        let mut v = Validator::new();
        let quantity = v.check("quantity", Quantity::new(input.quantity.unwrap_or(0)));
        let fields = fields_from(&mut v, input);
        v.finish()?;
        let (fields, quantity) = (
            required(fields, "product")?,
            required(quantity, "quantity")?,
        );
        let product = Product::new(fields, quantity, caller.user_id);
        let initial = StockMovement::initial(&product, caller.user_id);
        self.products.create(&product, initial).await?;
        Ok(product)
    }

    /// `PUT`: every writable field replaced; omitted optional ones return to defaults.
    pub async fn replace(
        &self,
        caller: &Principal,
        id: Uuid,
        input: ProductInput,
        if_match: Option<&IfMatch>,
    ) -> Result<Product, ProductError> {
        let mut v = Validator::new();
        if input.quantity.is_some() {
            v.push("quantity", QUANTITY_IS_READ_ONLY);
        }
        let fields = fields_from(&mut v, input);
        v.finish()?;
        let fields = required(fields, "product")?;
        self.write(caller, id, if_match, |p| p.replace(fields.clone()))
            .await
    }

    /// `PATCH`: only the fields sent change.
    pub async fn patch(
        &self,
        caller: &Principal,
        id: Uuid,
        patch: ProductPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Product, ProductError> {
        let mut v = Validator::new();
        if patch.quantity_sent {
            v.push("quantity", QUANTITY_IS_READ_ONLY);
        }
        let name = v.check_opt("name", patch.name.as_deref(), ProductName::new);
        let description = match patch.description {
            None => Some(None),
            Some(None) => Some(Some(None)),
            Some(Some(text)) => v.check("description", Description::new(&text)).map(Some),
        };
        let category = v.check_opt(
            "category",
            patch.category.as_deref(),
            str::parse::<Category>,
        );
        let price = v.check_opt("price", patch.price.as_deref(), Money::parse);
        v.finish()?;
        let name = required(name, "name")?;
        let description = required(description, "description")?;
        let category = required(category, "category")?;
        let price = required(price, "price")?;
        self.write(caller, id, if_match, |p| {
            let fields = ProductFields {
                name: name.clone().unwrap_or_else(|| p.name.clone()),
                description: description.clone().unwrap_or_else(|| p.description.clone()),
                category: category.unwrap_or(p.category),
                price: price.unwrap_or(p.price),
                is_active: patch.is_active.unwrap_or(p.is_active),
            };
            p.replace(fields);
        })
        .await
    }

    /// Deletes the product with its ledger.
    pub async fn delete(
        &self,
        caller: &Principal,
        id: Uuid,
        if_match: Option<&IfMatch>,
    ) -> Result<(), ProductError> {
        let product = self.changeable(caller, id).await?;
        let expected = product.delete_condition(if_match)?;
        self.products.delete(id, expected).await?;
        Ok(())
    }

    /// Any user moves stock; the change and its ledger line are one atomic write.
    pub async fn adjust_stock(
        &self,
        caller: &Principal,
        id: Uuid,
        delta: Option<i64>,
        reason: Option<String>,
    ) -> Result<Product, ProductError> {
        let mut v = Validator::new();
        let delta = v.require("delta", delta, StockDelta::new);
        let reason = v.check_opt("reason", reason.as_deref(), StockReason::new);
        v.finish()?;
        let (delta, reason) = (
            required(delta, "delta")?,
            required(reason, "reason")?.flatten(),
        );
        match self
            .products
            .adjust_stock(id, delta, reason, caller.user_id)
            .await?
        {
            StockOutcome::Applied(change) => Ok(change.product),
            StockOutcome::NotFound => Err(ProductError::not_found()),
            StockOutcome::OutOfRange { quantity } => Err(ProductError::StockOutOfRange {
                quantity,
                would_be: quantity.saturating_add(delta.value()),
            }),
        }
    }

    /// The product's ledger, newest first.
    pub async fn movements(
        &self,
        id: Uuid,
        page: PageRequest,
    ) -> Result<Page<StockMovement>, ProductError> {
        page.check_key(BY_TIME_THEN_ID)
            .map_err(ValidationError::from)?;
        self.get(id).await?;
        Ok(self.products.list_movements(id, page).await?)
    }

    /// Loads, checks permission and precondition, changes, and saves on condition that
    /// the version read is still current; a lost race without `If-Match` starts over.
    async fn write(
        &self,
        caller: &Principal,
        id: Uuid,
        if_match: Option<&IfMatch>,
        change: impl Fn(&mut Product),
    ) -> Result<Product, ProductError> {
        rewrite(if_match, || async {
            let mut product = self.changeable(caller, id).await?;
            let expected = product.expected_version(if_match)?;
            change(&mut product);
            self.products.update(&product, expected).await?;
            Ok(product)
        })
        .await
    }

    /// The product, if `caller` may change it.
    async fn changeable(&self, caller: &Principal, id: Uuid) -> Result<Product, ProductError> {
        let product = self.get(id).await?;
        if !product.may_be_changed_by(caller.user_id, caller.is_admin()) {
            return Err(AppError::Forbidden(CREATOR_OR_ADMIN).into());
        }
        Ok(product)
    }
}

/// The writable fields of a create or replace, with their defaults.
fn fields_from(v: &mut Validator, input: ProductInput) -> Option<ProductFields> {
    let name = v.require("name", input.name.as_deref(), ProductName::new);
    let description = v.check_opt(
        "description",
        input.description.as_deref(),
        Description::new,
    );
    let category = v.check_opt(
        "category",
        input.category.as_deref(),
        str::parse::<Category>,
    );
    let price = v.require("price", input.price.as_deref(), Money::parse);
    Some(ProductFields {
        name: name?,
        description: description?.flatten(),
        category: category?.unwrap_or_default(),
        price: price?,
        is_active: input.is_active.unwrap_or(true),
    })
}
