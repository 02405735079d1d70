use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Employees {
    Table,
    Id,
    FullName,
    Email,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        use Employees as E;
        CreateTable::new(E::Table, E::Id)
            .col(string_len(E::FullName, 200))
            .col(string_len(E::Email, 254))
            .col(boolean(E::IsActive))
            .col(timestamp_with_time_zone(E::CreatedAt))
            .col(timestamp_with_time_zone(E::UpdatedAt))
            .index("ix_employees_created_at", [E::CreatedAt, E::Id])
            .index("ix_employees_is_active", [E::IsActive])
            .sql("CREATE UNIQUE INDEX ux_employees_email_lower ON employees (lower(email))")
    }
}
