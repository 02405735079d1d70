use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    pub delta: i64,
    pub quantity_after: i64,
    pub reason: Option<String>,
    pub user_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

// Read by position (`crate::db::FromRow`): each field in the table's column order, which
// is the order `Entity::find()` selects.
crate::from_row!(Model {
    id,
    product_id,
    delta,
    quantity_after,
    reason,
    user_id,
    created_at,
});
