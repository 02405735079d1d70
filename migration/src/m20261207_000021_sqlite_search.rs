//! Trigram full-text indexes for the `q` searches on SQLite, where migration 14 gave
//! PostgreSQL `pg_trgm`: one FTS5 table per searched table, with the `trigram` tokenizer
//! (SQLite 3.34+; the bundled library is newer), over the very columns `q` searches, kept by
//! triggers. A search of 3 characters or more finds its rows through the index
//! (case-insensitive substring, like `lower(column) LIKE '%q%'`); a shorter one has no
//! trigram to look up and scans with `LIKE` as before.
//!
//! The FTS tables hold no copy of the text (`content=`): they point at their table's rows by
//! `rowid`. SQLite keeps a row's `rowid` for its life, but a `VACUUM` may renumber the rows
//! of tables without an `INTEGER PRIMARY KEY` (ours have UUIDs): after one, run
//! `INSERT INTO products_fts(products_fts) VALUES ('rebuild')` for each (the service itself
//! never vacuums).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each searched table and its searched columns, as `any_contains` is given them.
pub const SEARCHED: [(&str, &[&str]); 4] = [
    ("products", &["name"]),
    ("posts", &["title", "content"]),
    ("users", &["email", "name"]),
    ("employees", &["full_name", "email"]),
];

fn create(table: &str, cols: &[&str]) -> String {
    let fts = format!("{table}_fts");
    let list = cols.join(", ");
    let new: Vec<String> = cols.iter().map(|c| format!("new.{c}")).collect();
    let old: Vec<String> = cols.iter().map(|c| format!("old.{c}")).collect();
    let (new, old) = (new.join(", "), old.join(", "));
    format!(
        "CREATE VIRTUAL TABLE {fts} USING fts5({list}, content='{table}', content_rowid='rowid', tokenize='trigram');
INSERT INTO {fts}(rowid, {list}) SELECT rowid, {list} FROM {table};
CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN
    INSERT INTO {fts}(rowid, {list}) VALUES (new.rowid, {new});
END;
CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN
    INSERT INTO {fts}({fts}, rowid, {list}) VALUES ('delete', old.rowid, {old});
END;
CREATE TRIGGER {fts}_update AFTER UPDATE OF {list} ON {table} BEGIN
    INSERT INTO {fts}({fts}, rowid, {list}) VALUES ('delete', old.rowid, {old});
    INSERT INTO {fts}(rowid, {list}) VALUES (new.rowid, {new});
END;
"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let sql: String = SEARCHED.iter().map(|(t, cols)| create(t, cols)).collect();
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let sql: String = SEARCHED
            .iter()
            .map(|(table, _)| {
                let fts = format!("{table}_fts");
                format!(
                    "DROP TRIGGER IF EXISTS {fts}_insert;
DROP TRIGGER IF EXISTS {fts}_delete;
DROP TRIGGER IF EXISTS {fts}_update;
DROP TABLE IF EXISTS {fts};
"
                )
            })
            .collect();
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }
}
