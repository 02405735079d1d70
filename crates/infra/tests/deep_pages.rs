//! A page at an offset past `Keyset::STRIDE` starts from a kept anchor: it holds exactly
//! the rows a plain `OFFSET` would, a write through this instance shows at once, and
//! another instance's write within a second or so.

mod common;

use domain::employee::{EmployeeFilter, EmployeeRepository};
use domain::pagination::PageRequest;
use infra::db::{CountCache, Db};
use infra::entities::employees;
use infra::repositories::SeaOrmEmployeeRepository;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryTrait, Statement};
use std::time::Duration;
use uuid::Uuid;

const OFFSETS: [u64; 12] = [0, 1, 99, 100, 101, 150, 199, 200, 230, 249, 250, 400];

fn row(i: i64, start: chrono::DateTime<chrono::Utc>) -> employees::ActiveModel {
    // Some share a creation time, so the id decides their order.
    let at = start + chrono::Duration::milliseconds(i / 3);
    employees::ActiveModel {
        id: Set(Uuid::now_v7()),
        full_name: Set(format!("Employee {i}")),
        email: Set(format!("e{i}@example.com")),
        is_active: Set(i % 2 == 0),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// The ids of the page at `offset`, newest first, as a plain `OFFSET` gives them.
async fn expected(db: &Db, offset: u64, active_only: bool) -> Vec<Uuid> {
    let filter = if active_only { "WHERE is_active" } else { "" };
    let sql = format!(
        "SELECT id FROM employees {filter} ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET {offset}"
    );
    let backend = db.conn().get_database_backend();
    let rows = db
        .conn()
        .query_all_raw(Statement::from_string(backend, sql));
    let rows = rows.await.unwrap();
    rows.iter()
        .map(|r| r.try_get_by_index::<Uuid>(0).unwrap())
        .collect()
}

async fn page(repo: &SeaOrmEmployeeRepository, offset: u64, active_only: bool) -> Vec<Uuid> {
    let filter = EmployeeFilter {
        is_active: active_only.then_some(true),
        ..EmployeeFilter::default()
    };
    let request = PageRequest::new(Some(20), Some(offset as i64)).unwrap();
    let page = repo.list(&filter, request).await.unwrap();
    page.items.into_iter().map(|e| e.id).collect()
}

async fn check(url: &str) {
    let db = common::migrated_db(url).await;
    let repo = SeaOrmEmployeeRepository::new(db.clone());
    let start = domain::time::now();
    let rows: Vec<_> = (0..260).map(|i| row(i, start)).collect();
    db.write(&employees::Entity::insert_many(rows))
        .await
        .unwrap();

    for _ in 0..2 {
        for offset in OFFSETS {
            for active_only in [false, true] {
                assert_eq!(
                    page(&repo, offset, active_only).await,
                    expected(&db, offset, active_only).await,
                    "offset {offset}, active only: {active_only}"
                );
            }
        }
    }

    // A new newest row through this instance shifts every deep page by one at once.
    let newest = row(1000, start + chrono::Duration::seconds(1));
    db.write(&employees::Entity::insert(newest)).await.unwrap();
    assert_eq!(
        page(&repo, 150, false).await,
        expected(&db, 150, false).await
    );

    // Another instance's row shows once the kept anchors have aged and been worked out again.
    let before = page(&repo, 150, false).await;
    let elsewhere = row(1001, start + chrono::Duration::seconds(2));
    let elsewhere = employees::Entity::insert(elsewhere).build(db.conn().get_database_backend());
    db.conn().execute_raw(elsewhere).await.unwrap();
    let fresh = expected(&db, 150, false).await;
    assert_ne!(before, fresh, "the new row moves the page");
    tokio::time::sleep(CountCache::TTL + Duration::from_millis(50)).await;
    let mut seen = page(&repo, 150, false).await;
    for _ in 0..50 {
        if seen == fresh {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = page(&repo, 150, false).await;
    }
    assert_eq!(seen, fresh, "another instance's write shows after the TTL");
}

on_both_backends!(check: deep_pages_start_from_anchors_on_sqlite, deep_pages_start_from_anchors_on_postgres);
