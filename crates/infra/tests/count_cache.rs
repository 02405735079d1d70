//! List totals, seen through a list's first page: exact while small; a large one is kept
//! for up to a second, outdated at once by any write through this instance, and by other
//! writers within the second.

mod common;

use domain::employee::{EmployeeFilter, EmployeeRepository};
use domain::pagination::PageRequest;
use infra::db::{CountCache, Db};
use infra::entities::{employees, jobs};
use infra::repositories::SeaOrmEmployeeRepository;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::time::Duration;
use uuid::Uuid;

/// Inserts `n` employees behind the service's back (as another instance would).
async fn insert_elsewhere(db: &Db, from: u64, n: u64) {
    let now = "2026-12-01T00:00:00Z";
    let values: Vec<String> = (from..from + n)
        .map(|i| {
            let id = uuid::Uuid::now_v7();
            let id = match db.conn().get_database_backend() {
                sea_orm::DbBackend::Postgres => format!("'{id}'"),
                _ => format!("X'{}'", id.simple()),
            };
            format!("({id}, 'E {i}', 'e{i}@example.com', true, '{now}', '{now}')")
        })
        .collect();
    db.conn()
        .execute_unprepared(&format!(
            "INSERT INTO employees (id, full_name, email, is_active, created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .await
        .unwrap();
}

async fn check(url: &str) {
    let db = common::migrated_db(url).await;
    let repo = SeaOrmEmployeeRepository::new(db.clone());
    let count = || async {
        let first = PageRequest::new(Some(20), None).unwrap();
        let page = repo.list(&EmployeeFilter::default(), first).await;
        page.map(|page| page.total)
    };

    // Small totals are always exact.
    insert_elsewhere(&db, 0, 10).await;
    assert_eq!(count().await.unwrap(), 10);
    insert_elsewhere(&db, 10, 1).await;
    assert_eq!(count().await.unwrap(), 11);

    // A large one is kept: a write elsewhere shows only once the TTL has passed.
    insert_elsewhere(&db, 11, CountCache::EXACT_BELOW).await;
    let large = 11 + CountCache::EXACT_BELOW;
    assert_eq!(count().await.unwrap(), large);
    insert_elsewhere(&db, large, 1).await;
    assert_eq!(count().await.unwrap(), large, "kept within the TTL");
    tokio::time::sleep(CountCache::TTL + Duration::from_millis(50)).await;
    // Aged: the old total answers at once while it is counted again in the background.
    assert_eq!(count().await.unwrap(), large, "answered while recounting");
    let mut total = large;
    for _ in 0..100 {
        total = count().await.unwrap();
        if total == large + 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(total, large + 1, "recounted after the TTL");

    // A write through this instance outdates it at once.
    insert_elsewhere(&db, large + 1, 1).await;
    // (A write here that matches no row: it is the turn the write held that counts.)
    let nothing = employees::Entity::delete_many().filter(employees::Column::Id.eq(Uuid::nil()));
    db.write(&nothing).await.unwrap();
    assert_eq!(count().await.unwrap(), large + 2);
    // A write to a table no list counts leaves it alone.
    insert_elsewhere(&db, large + 2, 1).await;
    let nothing = jobs::Entity::delete_many().filter(jobs::Column::Id.eq(Uuid::nil()));
    db.write_unlisted(&nothing).await.unwrap();
    assert_eq!(count().await.unwrap(), large + 2);
}

on_both_backends!(check: list_totals_on_sqlite, list_totals_on_postgres);
