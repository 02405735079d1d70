//! The notifications inbox: `comment.created` and `vote.created` kept for their recipient.

use super::m20261123_000001_create_users::Users;
use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Notifications {
    Table,
    Id,
    UserId,
    Type,
    Data,
    Read,
    CreatedAt,
}

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        use Notifications as N;
        CreateTable::new(N::Table, N::Id)
            .col(uuid(N::UserId))
            .col(string_len(N::Type, 64))
            // The socket event's `data`, as JSON text (the same type on both databases).
            .col(text(N::Data))
            .col(boolean(N::Read).default(false))
            .col(timestamp_with_time_zone(N::CreatedAt))
            .references("fk_notifications_user", N::UserId, Users::Table, Cascade)
            // The inbox, newest first by id, and `since` (also serves the cascade by user).
            .index("ix_notifications_user_id", [N::UserId, N::Id])
            // The unread filter, its count and read-all.
            .index("ix_notifications_user_read_id", [N::UserId, N::Read, N::Id])
            // Pruning by age.
            .index("ix_notifications_created_at", [N::CreatedAt])
    }
}
