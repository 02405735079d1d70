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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(Employees::Table, Employees::Id)
                    .col(string_len(Employees::FullName, 200))
                    .col(string_len(Employees::Email, 254))
                    .col(boolean(Employees::IsActive))
                    .col(timestamp_with_time_zone(Employees::CreatedAt))
                    .col(timestamp_with_time_zone(Employees::UpdatedAt))
                    .take(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_employees_email_lower ON employees (lower(email))",
            )
            .await?;
        create_indexes(
            manager,
            Employees::Table,
            [
                (
                    "ix_employees_created_at",
                    vec![Employees::CreatedAt, Employees::Id],
                ),
                ("ix_employees_is_active", vec![Employees::IsActive]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Employees::Table).await
    }
}
