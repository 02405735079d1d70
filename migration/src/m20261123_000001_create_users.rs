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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(Users::Table, Users::Id)
                    .col(string_len(Users::Email, 254))
                    .col(string_len(Users::Name, 100))
                    .col(string_len(Users::Role, 16))
                    .col(boolean(Users::IsActive))
                    .col(string_len(Users::PasswordHash, 128))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .take(),
            )
            .await?;
        // Case-insensitive uniqueness enforced by the database itself, whatever the
        // application stores; an expression index reads the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX ux_users_email_lower ON users (lower(email))")
            .await?;
        create_indexes(
            manager,
            Users::Table,
            [("ix_users_created_at", vec![Users::CreatedAt, Users::Id])],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Users::Table).await
    }
}
