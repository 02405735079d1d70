use super::m20261123_000001_create_users::Users;
use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum Posts {
    Table,
    Id,
    OwnerId,
    Title,
    Content,
    Published,
    CreatedAt,
    UpdatedAt,
}

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        CreateTable::new(Posts::Table, Posts::Id)
            .col(uuid(Posts::OwnerId))
            .col(string_len(Posts::Title, 200))
            .col(text(Posts::Content))
            .col(boolean(Posts::Published))
            .col(timestamp_with_time_zone(Posts::CreatedAt))
            .col(timestamp_with_time_zone(Posts::UpdatedAt))
            .references("fk_posts_owner", Posts::OwnerId, Users::Table, Cascade)
            // The list reads published posts (or one owner's) newest or oldest first.
            .index(
                "ix_posts_owner_created",
                [Posts::OwnerId, Posts::CreatedAt, Posts::Id],
            )
            .index(
                "ix_posts_published_created",
                [Posts::Published, Posts::CreatedAt, Posts::Id],
            )
            .index("ix_posts_created_at", [Posts::CreatedAt, Posts::Id])
    }
}
