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

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        CreateTable::keyed_by_its_columns(Votes::Table)
            .col(uuid(Votes::PostId))
            .col(uuid(Votes::UserId))
            .col(timestamp_with_time_zone(Votes::CreatedAt))
            // One vote per user and post, whatever races the application loses.
            .primary_key([Votes::PostId, Votes::UserId])
            .references("fk_votes_post", Votes::PostId, Posts::Table, Cascade)
            .references("fk_votes_user", Votes::UserId, Users::Table, Cascade)
            // The primary key serves lookups by post (count, voted); this one serves
            // cascades by user.
            .index("ix_votes_user_id", [Votes::UserId])
    }
}
