//! Single-use tokens of password resets and e-mail verification, stored only as hashes.

use super::m20261123_000001_create_users::Users;
use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AccountTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        use AccountTokens as T;
        CreateTable::new(T::Table, T::Id)
            .col(uuid(T::UserId))
            .col(string_len(T::Purpose, 32))
            .col(string_len(T::TokenHash, 64))
            .col(timestamp_with_time_zone(T::ExpiresAt))
            .col(timestamp_with_time_zone_null(T::UsedAt))
            .col(timestamp_with_time_zone(T::CreatedAt))
            .references("fk_account_tokens_user", T::UserId, Users::Table, Cascade)
            .unique("ux_account_tokens_hash", [T::TokenHash])
            // Spending a user's earlier tokens of one purpose when a new one is issued.
            .index("ix_account_tokens_user_purpose", [T::UserId, T::Purpose])
    }
}
