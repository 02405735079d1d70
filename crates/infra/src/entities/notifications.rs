use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_name = "type")]
    pub kind: String,
    /// The event's `data` as JSON text.
    pub data: String,
    pub read: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

// By hand: its `type` column is the model's `kind` field.
impl crate::db::FromRow for Model {
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
