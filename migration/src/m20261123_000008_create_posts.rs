use super::m20261123_000001_create_users::Users;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Posts {
    Table,
    Id,
    OwnerId,
    Title,
    Content,
    Published,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Posts::Table)
                    .col(ColumnDef::new(Posts::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Posts::OwnerId).uuid().not_null())
                    .col(ColumnDef::new(Posts::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Posts::Content).text().not_null())
                    .col(ColumnDef::new(Posts::Published).boolean().not_null())
                    .col(
                        ColumnDef::new(Posts::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Posts::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_posts_owner")
                            .from(Posts::Table, Posts::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The list reads published posts (or one owner's) newest or oldest first.
        for (name, cols) in [
            (
                "ix_posts_owner_created",
                vec![Posts::OwnerId, Posts::CreatedAt, Posts::Id],
            ),
            (
                "ix_posts_published_created",
                vec![Posts::Published, Posts::CreatedAt, Posts::Id],
            ),
            ("ix_posts_created_at", vec![Posts::CreatedAt, Posts::Id]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Posts::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Posts::Table).to_owned())
            .await
    }
}
