//! SeaORM models of the tables the migrations create.

pub mod account_tokens;
pub mod comments;
pub mod employees;
pub mod idempotency_keys;
pub mod jobs;
pub mod leases;
pub mod notifications;
pub mod posts;
pub mod products;
pub mod refresh_tokens;
pub mod sessions;
pub mod stock_movements;
pub mod users;
pub mod votes;

// The models the lists and reads by id take by position (`crate::db::FromRow`): each
// field in its table's column order, which is the order `Entity::find()` selects.
crate::from_row!(products::Model {
    id,
    name,
    description,
    category,
    price_cents,
    quantity,
    is_active,
    created_by,
    created_at,
    updated_at,
});
crate::from_row!(users::Model {
    id,
    email,
    name,
    role,
    is_active,
    password_hash,
    created_at,
    updated_at,
    email_verified,
});
crate::from_row!(employees::Model {
    id,
    full_name,
    email,
    is_active,
    created_at,
    updated_at,
});
crate::from_row!(stock_movements::Model {
    id,
    product_id,
    delta,
    quantity_after,
    reason,
    user_id,
    created_at,
});

// By hand: its `type` column is the model's `kind` field.
impl crate::db::FromRow for notifications::Model {
    fn from_row(row: &mut crate::db::Columns<'_>) -> Result<Self, sea_orm::DbErr> {
        Ok(Self {
            id: row.next("id")?,
            user_id: row.next("user_id")?,
            kind: row.next("type")?,
            data: row.next("data")?,
            read: row.next("read")?,
            created_at: row.next("created_at")?,
        })
    }
}
