use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    Email,
    Name,
    Role,
    IsActive,
    PasswordHash,
    CreatedAt,
    UpdatedAt,
}

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        CreateTable::new(Users::Table, Users::Id)
            .col(string_len(Users::Email, 254))
            .col(string_len(Users::Name, 100))
            .col(string_len(Users::Role, 16))
            .col(boolean(Users::IsActive))
            .col(string_len(Users::PasswordHash, 128))
            .col(timestamp_with_time_zone(Users::CreatedAt))
            .col(timestamp_with_time_zone(Users::UpdatedAt))
            .index("ix_users_created_at", [Users::CreatedAt, Users::Id])
            // Case-insensitive uniqueness enforced by the database itself, whatever the
            // application stores; an expression index reads the same on SQLite and PostgreSQL.
            .sql("CREATE UNIQUE INDEX ux_users_email_lower ON users (lower(email))")
    }
}
