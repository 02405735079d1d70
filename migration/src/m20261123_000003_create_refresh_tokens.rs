use super::m20261123_000002_create_sessions::Sessions;
use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        use RefreshTokens as T;
        CreateTable::new(T::Table, T::Id)
            .col(uuid(T::SessionId))
            .col(string_len(T::TokenHash, 64))
            .col(timestamp_with_time_zone(T::ExpiresAt))
            .col(timestamp_with_time_zone_null(T::UsedAt))
            .col(timestamp_with_time_zone(T::CreatedAt))
            .references(
                "fk_refresh_tokens_session",
                T::SessionId,
                Sessions::Table,
                Cascade,
            )
            .unique("ux_refresh_tokens_hash", [T::TokenHash])
            .index("ix_refresh_tokens_session_id", [T::SessionId])
    }
}
