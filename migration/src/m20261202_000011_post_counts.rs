//! `posts.votes_count` and `posts.comments_count`, kept by triggers.
//!
//! A post list used to count each row's votes and comments with correlated subqueries, and
//! sorting by votes counted them for every visible post before it could pick a page. Stored
//! counts make a page twenty index entries, whatever the sort. Triggers (rather than the
//! repositories) keep them, so every way a vote or comment goes is covered, the cascades from
//! a deleted user included, and concurrent votes serialise on the post's row: none is lost.

use super::m20261123_000008_create_posts::Posts;
use crate::kit::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Counts {
    VotesCount,
    CommentsCount,
}

/// (counted table, counter column) pairs.
const COUNTED: [(&str, &str); 2] = [("votes", "votes_count"), ("comments", "comments_count")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [Counts::VotesCount, Counts::CommentsCount] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Posts::Table)
                        .add_column(big_integer(column).default(0))
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        for (table, column) in COUNTED {
            db.execute_unprepared(&format!(
                "UPDATE posts SET {column} = \
                 (SELECT COUNT(*) FROM {table} WHERE {table}.post_id = posts.id)"
            ))
            .await?;
            let (up, down) = (
                format!("UPDATE posts SET {column} = {column} + 1 WHERE id = NEW.post_id"),
                format!("UPDATE posts SET {column} = {column} - 1 WHERE id = OLD.post_id"),
            );
            match manager.get_database_backend() {
                DbBackend::Postgres => {
                    // OR REPLACE: `migrate fresh` drops the tables, not the functions.
                    db.execute_unprepared(&format!(
                        "CREATE OR REPLACE FUNCTION {table}_keep_{column}() RETURNS trigger \
                         LANGUAGE plpgsql AS $$ BEGIN \
                         IF TG_OP = 'INSERT' THEN {up}; ELSE {down}; END IF; \
                         RETURN NULL; END $$"
                    ))
                    .await?;
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_keep_{column} AFTER INSERT OR DELETE ON {table} \
                         FOR EACH ROW EXECUTE FUNCTION {table}_keep_{column}()"
                    ))
                    .await?;
                }
                _ => {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_insert_keeps_{column} AFTER INSERT ON {table} \
                         BEGIN {up}; END"
                    ))
                    .await?;
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_delete_keeps_{column} AFTER DELETE ON {table} \
                         BEGIN {down}; END"
                    ))
                    .await?;
                }
            }
        }
        // "Most voted" pages: published posts (anonymous readers), and all posts.
        for (name, published) in [
            ("ix_posts_published_votes", true),
            ("ix_posts_votes", false),
        ] {
            let mut index = Index::create();
            index.name(name).table(Posts::Table);
            if published {
                index.col(Posts::Published);
            }
            index
                .col(Counts::VotesCount)
                .col(Posts::CreatedAt)
                .col(Posts::Id);
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column) in COUNTED {
            match manager.get_database_backend() {
                DbBackend::Postgres => {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER {table}_keep_{column} ON {table}"
                    ))
                    .await?;
                    db.execute_unprepared(&format!("DROP FUNCTION {table}_keep_{column}()"))
                        .await?;
                }
                _ => {
                    for op in ["insert", "delete"] {
                        db.execute_unprepared(&format!("DROP TRIGGER {table}_{op}_keeps_{column}"))
                            .await?;
                    }
                }
            }
        }
        for name in ["ix_posts_published_votes", "ix_posts_votes"] {
            manager
                .drop_index(Index::drop().name(name).table(Posts::Table).to_owned())
                .await?;
        }
        for column in [Counts::VotesCount, Counts::CommentsCount] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Posts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
