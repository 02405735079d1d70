//! `(category, price_cents, id)`: a category's products in price order, straight from the
//! index, whatever the statistics say.
//!
//! With only `category` and `price_cents` indexed apart, SQLite (which keeps no statistics
//! unless told to) sorted a whole category for every page: 450 req/s, p99 104 ms for the
//! first page of `category=grocery&sort=price` against 2232 req/s, p99 24 ms with this index
//! (10k products, wrk -c32). The `category` index is a prefix of this one and goes.

use super::m20261123_000005_create_products::Products;
use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_products_category_price";
const REPLACED: &str = "ix_products_category";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                NAME,
                Products::Table,
                [Products::Category, Products::PriceCents, Products::Id],
            ))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(REPLACED)
                    .table(Products::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(REPLACED, Products::Table, [Products::Category]))
            .await?;
        manager
            .drop_index(Index::drop().name(NAME).table(Products::Table).to_owned())
            .await
    }
}
