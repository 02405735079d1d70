//! The trigram indexes behind `q` on PostgreSQL: the migration makes them, and a product
//! search for a rare text, as the repository runs it, reads its index even after many
//! searches for a common text on the same connection. Needs `TEST_DATABASE_URL`.

mod common;

use domain::pagination::PageRequest;
use domain::product::{ProductFilter, ProductRepository};
use infra::db::Db;
use infra::repositories::SeaOrmProductRepository;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::time::Duration;

async fn text(db: &Db, sql: &str) -> String {
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .expect("a row");
    row.try_get_by_index::<String>(0).unwrap()
}

/// How often the product name index has been read, as the statistics show it so far (each
/// statement outside a transaction reads them afresh).
async fn name_index_scans(db: &Db) -> i64 {
    let sql = "SELECT idx_scan::text FROM pg_stat_user_indexes \
               WHERE indexrelname = 'ix_products_name_trgm'";
    text(db, sql).await.parse().unwrap()
}

async fn search(repo: &SeaOrmProductRepository, q: &str) -> (Vec<String>, u64) {
    let filter = ProductFilter {
        q: Some(q.to_owned()),
        ..ProductFilter::default()
    };
    let page = repo
        .list(&filter, PageRequest::new(Some(20), Some(0)).unwrap())
        .await
        .unwrap();
    let names = page.items.iter().map(|p| p.name.as_str().to_owned());
    (names.collect(), page.total)
}

#[tokio::test]
async fn a_rare_search_reads_the_trigram_index() {
    common::on_postgres(|url| async move {
        let db = common::migrated_db(&url).await;
        let indexes = text(
            &db,
            "SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes \
             WHERE indexname LIKE '%\\_trgm'",
        )
        .await;
        assert_eq!(
            indexes,
            "ix_employees_email_trgm ix_employees_full_name_trgm ix_posts_content_trgm \
             ix_posts_title_trgm ix_products_name_trgm ix_users_email_trgm ix_users_name_trgm"
        );
        let options = text(
            &db,
            "SELECT array_to_string(reloptions, ' ') FROM pg_class \
             WHERE relname = 'ix_posts_content_trgm'",
        )
        .await;
        assert_eq!(options, "gin_pending_list_limit=256");
        db.conn()
            .execute_unprepared(
                "INSERT INTO products (id, name, description, category, price_cents, quantity, \
                 is_active, created_by, created_at, updated_at) \
                 SELECT gen_random_uuid(), 'Product ' || lpad(g::text, 7, '0'), NULL, 'other', \
                 100, 1, true, NULL, now() - g * interval '1 second', now() \
                 FROM generate_series(1, 60000) g; ANALYZE products",
            )
            .await
            .unwrap();
        let repo = SeaOrmProductRepository::new(db.clone());
        // Common searches first, as in use: the rare one after them still gets its own plan.
        for _ in 0..8 {
            let (names, total) = search(&repo, "product").await;
            assert_eq!((names.len(), total), (20, 60_000));
        }
        let before = name_index_scans(&db).await;
        let (names, total) = search(&repo, "0012345").await;
        assert_eq!((names, total), (vec!["Product 0012345".to_owned()], 1));
        // Statistics reach other sessions within a second or so.
        let mut after = name_index_scans(&db).await;
        for _ in 0..50 {
            if after > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            after = name_index_scans(&db).await;
        }
        assert!(
            after > before,
            "the name index was not read: {before} -> {after}"
        );
    })
    .await;
}
