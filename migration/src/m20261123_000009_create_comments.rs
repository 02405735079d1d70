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

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        use Comments as C;
        CreateTable::new(C::Table, C::Id)
            .col(uuid(C::PostId))
            .col(uuid(C::AuthorId))
            .col(text(C::Content))
            .col(timestamp_with_time_zone(C::CreatedAt))
            .col(timestamp_with_time_zone(C::UpdatedAt))
            .references("fk_comments_post", C::PostId, Posts::Table, Cascade)
            .references("fk_comments_author", C::AuthorId, Users::Table, Cascade)
            // Per-post listing (oldest first) and the comment count subquery.
            .index("ix_comments_post_created", [C::PostId, C::CreatedAt, C::Id])
            .index("ix_comments_author_id", [C::AuthorId])
    }
}
