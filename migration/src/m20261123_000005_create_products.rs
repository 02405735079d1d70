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

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        use Products as P;
        CreateTable::new(P::Table, P::Id)
            .col(string_len(P::Name, 200))
            .col(text_null(P::Description))
            .col(string_len(P::Category, 32))
            // Integer cents: exact on both databases (SQLite has no exact decimal).
            .col(big_integer(P::PriceCents))
            .col(big_integer(P::Quantity).default(0))
            .col(boolean(P::IsActive))
            .col(uuid_null(P::CreatedBy))
            .col(timestamp_with_time_zone(P::CreatedAt))
            .col(timestamp_with_time_zone(P::UpdatedAt))
            // The last line of defence for the stock rule.
            .check(Expr::col(P::Quantity).gte(0))
            .check(Expr::col(P::PriceCents).gte(0))
            .references(
                "fk_products_created_by",
                P::CreatedBy,
                Users::Table,
                SetNull,
            )
            .index("ix_products_created_by", [P::CreatedBy])
            .index("ix_products_category", [P::Category])
            .index("ix_products_price", [P::PriceCents, P::Id])
            .index("ix_products_created_at", [P::CreatedAt, P::Id])
            .index("ix_products_quantity", [P::Quantity])
            .index("ix_products_is_active", [P::IsActive])
            .sql("CREATE UNIQUE INDEX ux_products_name_lower ON products (lower(name))")
    }
}
