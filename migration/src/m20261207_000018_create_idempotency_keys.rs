//! Idempotency keys: one row per (user, key), claimed by the first request, holding its
//! answer for replays until it expires.

use super::m20261123_000001_create_users::Users;
use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum IdempotencyKeys {
    Table,
    UserId,
    Key,
    Fingerprint,
    Status,
    LockedUntil,
    ResponseStatus,
    ResponseBody,
    ContentType,
    Location,
    Etag,
    CreatedAt,
    ExpiresAt,
}

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        use IdempotencyKeys as T;
        CreateTable::keyed_by_its_columns(T::Table)
            .col(uuid(T::UserId))
            .col(string_len(T::Key, 255))
            .col(string_len(T::Fingerprint, 64))
            .col(string_len(T::Status, 16))
            .col(timestamp_with_time_zone_null(T::LockedUntil))
            .col(integer_null(T::ResponseStatus))
            .col(text_null(T::ResponseBody))
            .col(text_null(T::ContentType))
            .col(text_null(T::Location))
            .col(text_null(T::Etag))
            .col(timestamp_with_time_zone(T::CreatedAt))
            .col(timestamp_with_time_zone(T::ExpiresAt))
            .primary_key([T::UserId, T::Key])
            .references("fk_idempotency_keys_user", T::UserId, Users::Table, Cascade)
            // The workers prune by age.
            .index("ix_idempotency_keys_expires_at", [T::ExpiresAt])
    }
}
