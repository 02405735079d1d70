use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    Status,
    Attempts,
    RunAt,
    LockedUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
}

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        CreateTable::new(Jobs::Table, Jobs::Id)
            .col(string_len(Jobs::Kind, 64))
            .col(text(Jobs::Payload))
            .col(string_len(Jobs::Status, 16))
            .col(integer(Jobs::Attempts).default(0))
            .col(timestamp_with_time_zone(Jobs::RunAt))
            .col(timestamp_with_time_zone_null(Jobs::LockedUntil))
            .col(text_null(Jobs::LastError))
            .col(timestamp_with_time_zone(Jobs::CreatedAt))
            .col(timestamp_with_time_zone(Jobs::UpdatedAt))
            // Workers look for due jobs by status and time.
            .index("ix_jobs_status_run_at", [Jobs::Status, Jobs::RunAt])
    }
}
