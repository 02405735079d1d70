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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(Posts::Table, Posts::Id)
                    .col(uuid(Posts::OwnerId))
                    .col(string_len(Posts::Title, 200))
                    .col(text(Posts::Content))
                    .col(boolean(Posts::Published))
                    .col(timestamp_with_time_zone(Posts::CreatedAt))
                    .col(timestamp_with_time_zone(Posts::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        "fk_posts_owner",
                        (Posts::Table, Posts::OwnerId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        // The list reads published posts (or one owner's) newest or oldest first.
        create_indexes(
            manager,
            Posts::Table,
            [
                (
                    "ix_posts_owner_created",
                    vec![Posts::OwnerId, Posts::CreatedAt, Posts::Id],
                ),
                (
                    "ix_posts_published_created",
                    vec![Posts::Published, Posts::CreatedAt, Posts::Id],
                ),
                ("ix_posts_created_at", vec![Posts::CreatedAt, Posts::Id]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Posts::Table).await
    }
}
