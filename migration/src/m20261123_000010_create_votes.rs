use super::m20261123_000001_create_users::Users;
use super::m20261123_000008_create_posts::Posts;
use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Votes {
    Table,
    PostId,
    UserId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Votes::Table)
                    .col(uuid(Votes::PostId))
                    .col(uuid(Votes::UserId))
                    .col(timestamp_with_time_zone(Votes::CreatedAt))
                    // One vote per user and post, whatever races the application loses.
                    .primary_key(Index::create().col(Votes::PostId).col(Votes::UserId))
                    .foreign_key(&mut foreign_key(
                        "fk_votes_post",
                        (Votes::Table, Votes::PostId),
                        (Posts::Table, Posts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_votes_user",
                        (Votes::Table, Votes::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        // The primary key serves lookups by post (count, voted); this one serves cascades by user.
        create_indexes(
            manager,
            Votes::Table,
            [("ix_votes_user_id", vec![Votes::UserId])],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Votes::Table).await
    }
}
