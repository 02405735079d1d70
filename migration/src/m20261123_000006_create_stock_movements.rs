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

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        use StockMovements as S;
        CreateTable::new(S::Table, S::Id)
            .col(uuid(S::ProductId))
            .col(big_integer(S::Delta))
            .col(big_integer(S::QuantityAfter))
            .col(string_len_null(S::Reason, 200))
            .col(uuid_null(S::UserId))
            .col(timestamp_with_time_zone(S::CreatedAt))
            .references(
                "fk_stock_movements_product",
                S::ProductId,
                Products::Table,
                Cascade,
            )
            .references("fk_stock_movements_user", S::UserId, Users::Table, SetNull)
            // The ledger is read per product, newest first.
            .index(
                "ix_stock_movements_product_created",
                [S::ProductId, S::CreatedAt, S::Id],
            )
            .index("ix_stock_movements_user_id", [S::UserId])
    }
}
