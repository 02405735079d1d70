use super::m20261123_000001_create_users::Users;
use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        CreateTable::new(Sessions::Table, Sessions::Id)
            .col(uuid(Sessions::UserId))
            .col(timestamp_with_time_zone(Sessions::CreatedAt))
            .col(timestamp_with_time_zone(Sessions::ExpiresAt))
            .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
            .references("fk_sessions_user", Sessions::UserId, Users::Table, Cascade)
            .index("ix_sessions_user_id", [Sessions::UserId])
    }
}
