//! Trigram indexes for the `q` searches on PostgreSQL, so a search finds its rows through
//! an index instead of reading every row.
//!
//! `q` is `lower(column) LIKE '%text%'`, which no B-tree can serve. Without these, a search
//! for a rare text walked the whole list in its order looking for 21 matches: 240-500 ms for
//! one request at 1M products. A `pg_trgm` GIN index on the same expression answers it in
//! under a millisecond; a common text still reads the list in its order, which the planner
//! prefers when matches come early.
//!
//! `pg_trgm` ships with PostgreSQL (the contrib modules) and is a trusted extension: the
//! database's owner may create it. Where it cannot be created (not installed, or no right
//! to), the migration logs a warning and leaves searches unindexed rather than refusing to
//! start; once the extension can be created, `migration down -n 1` and `migration up` add
//! them (while this is the newest migration). SQLite has no trigram index: searches there
//! scan, which suits the single-file deployments it serves.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// New entries wait in a GIN index's pending list, which every search reads through until it
/// is merged. Stock changes and votes rewrite their row (their columns are indexed), so they
/// fill it: with the default 4 MB, a post search right after a burst of votes ran at a
/// seventh of its speed (1.5k against 11.3k per s with 256 kB, `pgbench -c8`, 1k posts), and
/// the 256 kB list cost the votes 5 % (22.8k against 21.7k per s). Merging on each write
/// (`fastupdate = off`) halved the votes instead.
const PENDING_LIST_KB: u32 = 256;

/// Each index, its table and the searched column (as `any_contains` lower-cases it).
const INDEXES: [(&str, &str, &str); 7] = [
    ("ix_products_name_trgm", "products", "name"),
    ("ix_posts_title_trgm", "posts", "title"),
    ("ix_posts_content_trgm", "posts", "content"),
    ("ix_users_email_trgm", "users", "email"),
    ("ix_users_name_trgm", "users", "name"),
    ("ix_employees_full_name_trgm", "employees", "full_name"),
    ("ix_employees_email_trgm", "employees", "email"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let creates: String = INDEXES
            .iter()
            .map(|(name, table, col)| {
                format!(
                    "CREATE INDEX IF NOT EXISTS {name} ON {table} \
                     USING gin (lower({col}) gin_trgm_ops) \
                     WITH (gin_pending_list_limit = {PENDING_LIST_KB});\n"
                )
            })
            .collect();
        // One block, so a refusal (no extension, no right) rolls back only this block
        // (PL/pgSQL runs it as a subtransaction) and the migration still completes.
        let sql = format!(
            "DO $search$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    {creates}
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'searches stay unindexed: pg_trgm could not be used (%)', SQLERRM;
END
$search$;"
        );
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        // The extension stays: something else in the database may use it.
        for (name, _, _) in INDEXES {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                .await?;
        }
        Ok(())
    }
}
