use super::m20261123_000001_create_users::Users;
use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum Products {
    Table,
    Id,
    Name,
    Description,
    Category,
    PriceCents,
    Quantity,
    IsActive,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(Products::Table, Products::Id)
                    .col(string_len(Products::Name, 200))
                    .col(text_null(Products::Description))
                    .col(string_len(Products::Category, 32))
                    // Integer cents: exact on both databases (SQLite has no exact decimal).
                    .col(big_integer(Products::PriceCents))
                    .col(big_integer(Products::Quantity).default(0))
                    .col(boolean(Products::IsActive))
                    .col(uuid_null(Products::CreatedBy))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    // The last line of defence for the stock rule.
                    .check(Expr::col(Products::Quantity).gte(0))
                    .check(Expr::col(Products::PriceCents).gte(0))
                    .foreign_key(&mut foreign_key(
                        "fk_products_created_by",
                        (Products::Table, Products::CreatedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_products_name_lower ON products (lower(name))",
            )
            .await?;
        create_indexes(
            manager,
            Products::Table,
            [
                ("ix_products_created_by", vec![Products::CreatedBy]),
                ("ix_products_category", vec![Products::Category]),
                (
                    "ix_products_price",
                    vec![Products::PriceCents, Products::Id],
                ),
                (
                    "ix_products_created_at",
                    vec![Products::CreatedAt, Products::Id],
                ),
                ("ix_products_quantity", vec![Products::Quantity]),
                ("ix_products_is_active", vec![Products::IsActive]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Products::Table).await
    }
}
