use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
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
                Table::create()
                    .table(Employees::Table)
                    .col(
                        ColumnDef::new(Employees::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Employees::FullName)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Employees::Email).string_len(254).not_null())
                    .col(ColumnDef::new(Employees::IsActive).boolean().not_null())
                    .col(
                        ColumnDef::new(Employees::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Employees::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_employees_email_lower ON employees (lower(email))",
            )
            .await?;
        for (name, cols) in [
            (
                "ix_employees_created_at",
                vec![Employees::CreatedAt, Employees::Id],
            ),
            ("ix_employees_is_active", vec![Employees::IsActive]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Employees::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Employees::Table).to_owned())
            .await
    }
}
