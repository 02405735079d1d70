//! `jobs.trace_parent`: the W3C `traceparent` of the request that queued the job, so that
//! the job's run joins that request's trace. Empty for jobs queued without tracing.

use super::m20261123_000004_create_jobs::Jobs;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Column {
    TraceParent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(text_null(Column::TraceParent))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .drop_column(Column::TraceParent)
                    .to_owned(),
            )
            .await
    }
}
