use super::m20261123_000001_create_users::Users;
use super::m20261123_000005_create_products::Products;
use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
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
                table(StockMovements::Table, StockMovements::Id)
                    .col(uuid(StockMovements::ProductId))
                    .col(big_integer(StockMovements::Delta))
                    .col(big_integer(StockMovements::QuantityAfter))
                    .col(string_len_null(StockMovements::Reason, 200))
                    .col(uuid_null(StockMovements::UserId))
                    .col(timestamp_with_time_zone(StockMovements::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        "fk_stock_movements_product",
                        (StockMovements::Table, StockMovements::ProductId),
                        (Products::Table, Products::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_stock_movements_user",
                        (StockMovements::Table, StockMovements::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            StockMovements::Table,
            [
                // The ledger is read per product, newest first.
                (
                    "ix_stock_movements_product_created",
                    vec![
                        StockMovements::ProductId,
                        StockMovements::CreatedAt,
                        StockMovements::Id,
                    ],
                ),
                ("ix_stock_movements_user_id", vec![StockMovements::UserId]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, StockMovements::Table).await
    }
}
