use super::m20261123_000001_create_users::Users;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
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
                Table::create()
                    .table(Products::Table)
                    .col(ColumnDef::new(Products::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Products::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Products::Description).text().null())
                    .col(ColumnDef::new(Products::Category).string_len(32).not_null())
                    // Integer cents: exact on both databases (SQLite has no exact decimal).
                    .col(
                        ColumnDef::new(Products::PriceCents)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Products::Quantity)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Products::IsActive).boolean().not_null())
                    .col(ColumnDef::new(Products::CreatedBy).uuid().null())
                    .col(
                        ColumnDef::new(Products::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Products::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // The last line of defence for the stock rule.
                    .check(Expr::col(Products::Quantity).gte(0))
                    .check(Expr::col(Products::PriceCents).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_products_created_by")
                            .from(Products::Table, Products::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_products_name_lower ON products (lower(name))",
        )
        .await?;
        for (name, cols) in [
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
        ] {
            let mut index = Index::create();
            index.name(name).table(Products::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await
    }
}
