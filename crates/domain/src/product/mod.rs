//! Products, their stock ledger, and the repository port.

mod stock;

pub use stock::{Quantity, StockChange, StockDelta, StockMovement, StockOutcome, StockReason};

use crate::concurrency::{ExpectedVersion, Versioned, versioned};
use crate::error::RepoError;
use crate::money::Money;
use crate::pagination::{BY_TIME_THEN_ID, KeyKind, Page, PageRequest};
use crate::time::{self, Timestamp};
use crate::validation::{Invalid, named_enum, optional_text, text_value};
use async_trait::async_trait;
use uuid::Uuid;

versioned!(Product);

text_value!(
    /// 2 to 200 characters after trimming; unique case-insensitively.
    ProductName, bounded_name, 2, 200
);

/// At most 2000 characters; blank means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 2000;

    pub fn new(raw: &str) -> Result<Option<Self>, Invalid> {
        Ok(optional_text(raw, Self::MAX_CHARS)?.map(Self))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

named_enum! {
    #[derive(Default)]
    pub enum Category {
        Grocery = "grocery",
        Household = "household",
        Electronics = "electronics",
        Stationery = "stationery",
        PersonalCare = "personal_care",
        Apparel = "apparel",
        HomeImprovement = "home_improvement",
        Pet = "pet",
        #[default]
        Other = "other",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: Uuid,
    pub name: ProductName,
    pub description: Option<Description>,
    pub category: Category,
    pub price: Money,
    /// Changed only through stock movements.
    pub quantity: Quantity,
    pub is_active: bool,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The fields a client writes (create, full replacement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFields {
    pub name: ProductName,
    pub description: Option<Description>,
    pub category: Category,
    pub price: Money,
    pub is_active: bool,
}

impl Product {
    pub fn new(fields: ProductFields, quantity: Quantity, created_by: Uuid) -> Self {
        let now = time::now();
        Self {
            id: Uuid::now_v7(),
            name: fields.name,
            description: fields.description,
            category: fields.category,
            price: fields.price,
            quantity,
            is_active: fields.is_active,
            created_by: Some(created_by),
            created_at: now,
            updated_at: now,
        }
    }

    pub fn in_stock(&self) -> bool {
        self.quantity.value() > 0
    }

    /// The creator and admins may change a product.
    pub fn may_be_changed_by(&self, user_id: Uuid, is_admin: bool) -> bool {
        is_admin || self.created_by == Some(user_id)
    }

    pub fn replace(&mut self, fields: ProductFields) {
        self.name = fields.name;
        self.description = fields.description;
        self.category = fields.category;
        self.price = fields.price;
        self.is_active = fields.is_active;
        self.touch();
    }
}

named_enum! {
    /// A list's order: the `sort` value that asks for it (`-` for descending).
    #[derive(Default)]
    pub enum ProductSort {
        Name = "name",
        NameDesc = "-name",
        Price = "price",
        PriceDesc = "-price",
        CreatedAt = "created_at",
        #[default]
        CreatedAtDesc = "-created_at",
    }
}

impl ProductSort {
    /// The order's key, which a cursor into it carries: the sorted value, then the id.
    pub fn key(self) -> &'static [KeyKind] {
        match self {
            Self::Name | Self::NameDesc => &[KeyKind::Text, KeyKind::Id],
            Self::Price | Self::PriceDesc => &[KeyKind::Int, KeyKind::Id],
            Self::CreatedAt | Self::CreatedAtDesc => BY_TIME_THEN_ID,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
    pub category: Option<Category>,
    pub is_active: Option<bool>,
    pub in_stock: Option<bool>,
    /// Inclusive bounds.
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    pub sort: ProductSort,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProductRepository: Send + Sync {
    /// Inserts the product and its first stock movement (if any) atomically; a taken name is
    /// `RepoError::Conflict`.
    async fn create(
        &self,
        product: &Product,
        initial: Option<StockMovement>,
    ) -> Result<(), RepoError>;
    async fn find_by_id(&self, id: Uuid) -> Result<Option<Product>, RepoError>;
    async fn list(
        &self,
        filter: &ProductFilter,
        page: PageRequest,
    ) -> Result<Page<Product>, RepoError>;
    /// Saves the writable fields (never the quantity), conditionally on `expected`.
    async fn update(&self, product: &Product, expected: ExpectedVersion) -> Result<(), RepoError>;
    /// Deletes the product with its stock movements.
    async fn delete(&self, id: Uuid, expected: ExpectedVersion) -> Result<(), RepoError>;
    /// Applies `delta` and appends one movement in one transaction, only if the result stays
    /// within `0..=Quantity::MAX`. Concurrent calls never lose an update.
    async fn adjust_stock(
        &self,
        product_id: Uuid,
        delta: StockDelta,
        reason: Option<StockReason>,
        user_id: Uuid,
    ) -> Result<StockOutcome, RepoError>;
    /// The ledger, newest first.
    async fn list_movements(
        &self,
        product_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<StockMovement>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ProductName::new("  Tea ").unwrap().as_str(), "Tea");
        assert!(ProductName::new(" a ").is_err());
        assert!(ProductName::new(&"x".repeat(200)).is_ok());
        assert!(ProductName::new(&"x".repeat(201)).is_err());
        assert!(ProductName::new("ab\ncd").is_err());
    }

    #[test]
    fn descriptions_may_be_blank_but_not_too_long() {
        assert_eq!(Description::new("   ").unwrap(), None);
        assert!(Description::new(&"é".repeat(2000)).unwrap().is_some());
        assert!(Description::new(&"é".repeat(2001)).is_err());
    }

    #[test]
    fn categories_round_trip_and_default_to_other() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), c);
        }
        assert_eq!(Category::default(), Category::Other);
        assert!("Grocery".parse::<Category>().is_err());
        assert!(
            "food"
                .parse::<Category>()
                .unwrap_err()
                .0
                .contains("personal_care")
        );
    }

    #[test]
    fn quantities_and_deltas_are_bounded() {
        assert!(Quantity::new(-1).is_err());
        assert!(Quantity::new(0).is_ok());
        assert!(Quantity::new(Quantity::MAX + 1).is_err());
        assert!(StockDelta::new(0).is_err());
        assert!(StockDelta::new(-5).is_ok());
        assert!(StockDelta::new(Quantity::MAX + 1).is_err());
        assert!(StockDelta::new(i64::MIN).is_err());
    }

    #[test]
    fn sorts_parse() {
        assert_eq!(
            "-price".parse::<ProductSort>().unwrap(),
            ProductSort::PriceDesc
        );
        assert_eq!(ProductSort::default(), ProductSort::CreatedAtDesc);
        assert!("price desc".parse::<ProductSort>().is_err());
    }

    fn product(quantity: i64) -> Product {
        let fields = ProductFields {
            name: ProductName::new("Tea").unwrap(),
            description: None,
            category: Category::Grocery,
            price: Money::parse("1.50").unwrap(),
            is_active: true,
        };
        Product::new(fields, Quantity::new(quantity).unwrap(), Uuid::now_v7())
    }

    #[test]
    fn initial_stock_is_the_first_movement() {
        let p = product(5);
        let m = StockMovement::initial(&p, Uuid::nil()).unwrap();
        assert_eq!((m.delta, m.quantity_after), (5, 5));
        assert!(p.in_stock());
        assert!(StockMovement::initial(&product(0), Uuid::nil()).is_none());
    }

    #[test]
    fn only_the_creator_and_admins_may_change() {
        let p = product(0);
        let creator = p.created_by.unwrap();
        assert!(p.may_be_changed_by(creator, false));
        assert!(!p.may_be_changed_by(Uuid::now_v7(), false));
        assert!(p.may_be_changed_by(Uuid::now_v7(), true));
        let mut orphan = p.clone();
        orphan.created_by = None;
        assert!(!orphan.may_be_changed_by(creator, false));
    }

    #[test]
    fn replace_bumps_the_version() {
        let mut p = product(3);
        let before = p.etag();
        let fields = ProductFields {
            name: ProductName::new("Green tea").unwrap(),
            description: None,
            category: Category::Other,
            price: Money::from_cents(0).unwrap(),
            is_active: false,
        };
        p.replace(fields);
        assert_ne!(p.etag(), before);
        assert_eq!(p.quantity.value(), 3, "replacement never touches stock");
    }
}
