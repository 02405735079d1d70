use super::m20261123_000001_create_users::Users;
use super::m20261123_000008_create_posts::Posts;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
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
                    .col(ColumnDef::new(Votes::PostId).uuid().not_null())
                    .col(ColumnDef::new(Votes::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(Votes::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // One vote per user and post, whatever races the application loses.
                    .primary_key(Index::create().col(Votes::PostId).col(Votes::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_votes_post")
                            .from(Votes::Table, Votes::PostId)
                            .to(Posts::Table, Posts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_votes_user")
                            .from(Votes::Table, Votes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The primary key serves lookups by post (count, voted); this one serves cascades by user.
        manager
            .create_index(
                Index::create()
                    .name("ix_votes_user_id")
                    .table(Votes::Table)
                    .col(Votes::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Votes::Table).to_owned())
            .await
    }
}
