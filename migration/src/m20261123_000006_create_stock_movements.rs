use super::m20261123_000001_create_users::Users;
use super::m20261123_000005_create_products::Products;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    ProductId,
    Delta,
    QuantityAfter,
    Reason,
    UserId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StockMovements::Table)
                    .col(
                        ColumnDef::new(StockMovements::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(StockMovements::ProductId).uuid().not_null())
                    .col(
                        ColumnDef::new(StockMovements::Delta)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StockMovements::QuantityAfter)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StockMovements::Reason)
                            .string_len(200)
                            .null(),
                    )
                    .col(ColumnDef::new(StockMovements::UserId).uuid().null())
                    .col(
                        ColumnDef::new(StockMovements::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_movements_product")
                            .from(StockMovements::Table, StockMovements::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_movements_user")
                            .from(StockMovements::Table, StockMovements::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The ledger is read per product, newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_stock_movements_product_created")
                    .table(StockMovements::Table)
                    .col(StockMovements::ProductId)
                    .col(StockMovements::CreatedAt)
                    .col(StockMovements::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_stock_movements_user_id")
                    .table(StockMovements::Table)
                    .col(StockMovements::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StockMovements::Table).to_owned())
            .await
    }
}
