use super::m20261123_000001_create_users::Users;
use super::m20261123_000008_create_posts::Posts;
use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Comments {
    Table,
    Id,
    PostId,
    AuthorId,
    Content,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(Comments::Table, Comments::Id)
                    .col(uuid(Comments::PostId))
                    .col(uuid(Comments::AuthorId))
                    .col(text(Comments::Content))
                    .col(timestamp_with_time_zone(Comments::CreatedAt))
                    .col(timestamp_with_time_zone(Comments::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        "fk_comments_post",
                        (Comments::Table, Comments::PostId),
                        (Posts::Table, Posts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_comments_author",
                        (Comments::Table, Comments::AuthorId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            Comments::Table,
            [
                // Per-post listing (oldest first) and the comment count subquery.
                (
                    "ix_comments_post_created",
                    vec![Comments::PostId, Comments::CreatedAt, Comments::Id],
                ),
                ("ix_comments_author_id", vec![Comments::AuthorId]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Comments::Table).await
    }
}
