//! Stock: quantities, changes and the ledger they leave.

use super::Product;
use crate::time::Timestamp;
use crate::validation::{Invalid, optional_text};
use uuid::Uuid;

/// Units in stock: 0 to one billion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Quantity(i64);

impl Quantity {
    pub const MAX: i64 = 1_000_000_000;

    pub fn new(n: i64) -> Result<Self, Invalid> {
        if (0..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(Invalid::new(format!("must be between 0 and {}", Self::MAX)))
        }
    }

    pub fn value(self) -> i64 {
        self.0
    }
}

/// A change of stock: non-zero, at most one billion either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockDelta(i64);

impl StockDelta {
    pub fn new(n: i64) -> Result<Self, Invalid> {
        if n == 0 {
            return Err(Invalid::new("must not be 0"));
        }
        if n.unsigned_abs() > Quantity::MAX as u64 {
            return Err(Invalid::new(format!(
                "must be between -{0} and {0}",
                Quantity::MAX
            )));
        }
        Ok(Self(n))
    }

    pub fn value(self) -> i64 {
        self.0
    }
}

/// Why stock changed: at most 200 characters; blank means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockReason(String);

impl StockReason {
    pub fn new(raw: &str) -> Result<Option<Self>, Invalid> {
        Ok(optional_text(raw, 200)?.map(Self))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One line of the stock ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockMovement {
    pub id: Uuid,
    pub product_id: Uuid,
    pub delta: i64,
    pub quantity_after: i64,
    pub reason: Option<StockReason>,
    pub user_id: Option<Uuid>,
    pub created_at: Timestamp,
}

impl StockMovement {
    /// The movement that brings a new product's stock from 0 to its initial quantity.
    pub fn initial(product: &Product, user_id: Uuid) -> Option<Self> {
        (product.quantity.value() > 0).then(|| Self {
            id: Uuid::now_v7(),
            product_id: product.id,
            delta: product.quantity.value(),
            quantity_after: product.quantity.value(),
            reason: StockReason::new("initial stock").ok().flatten(),
            user_id: Some(user_id),
            created_at: product.created_at,
        })
    }
}

/// An applied stock change: the product after it and its ledger line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockChange {
    pub product: Product,
    pub movement: StockMovement,
}

/// The result of asking the store to apply a stock change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockOutcome {
    Applied(Box<StockChange>),
    NotFound,
    /// The change would take the quantity below zero (or above the maximum); nothing changed.
    OutOfRange {
        quantity: i64,
    },
}
