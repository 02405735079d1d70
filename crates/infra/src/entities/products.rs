use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub category: String,
    pub price_cents: i64,
    pub quantity: i64,
    pub is_active: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

// Read by position (`crate::db::FromRow`): each field in the table's column order, which
// is the order `Entity::find()` selects.
crate::from_row!(Model {
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
