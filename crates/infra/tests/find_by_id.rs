//! Reads by primary key, and kept statements (`Db::one_kept`), reuse their statement's
//! text: each call still binds its own values.

mod common;

use infra::entities::employees;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryTrait, Value};
use uuid::Uuid;

async fn check(url: &str) {
    let db = common::migrated_db(url).await;
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    for name in ["Ada", "Grace", "Edsger"] {
        let id = Uuid::now_v7();
        let row = employees::ActiveModel {
            id: Set(id),
            full_name: Set(name.to_owned()),
            email: Set(format!("{}@example.com", name.to_lowercase())),
            is_active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        };
        db.write(&employees::Entity::insert(row)).await.unwrap();
        ids.push((id, name));
    }
    // Twice round, so every read after the first runs on the kept text.
    for _ in 0..2 {
        for (id, name) in &ids {
            let found = db.find_by_id::<employees::Entity>(*id).await.unwrap();
            assert_eq!(found.map(|e| e.full_name).as_deref(), Some(*name));
        }
        let missing = db.find_by_id::<employees::Entity>(Uuid::now_v7()).await;
        assert!(missing.unwrap().is_none());
    }
    // A kept statement with two values: the active employee by id.
    let active_by_id = |id: Uuid, active: bool| {
        let values = vec![Value::from(active), id.into()];
        let build = move |backend| {
            employees::Entity::find()
                .filter(employees::Column::IsActive.eq(active))
                .filter(employees::Column::Id.eq(id))
                .build(backend)
        };
        (values, build)
    };
    let (values, build) = active_by_id(ids[0].0, true);
    let wrong_order = values.into_iter().rev().collect();
    let refused = db.one_kept::<employees::Model>("active by id", wrong_order, build);
    assert!(
        refused.await.is_err(),
        "values out of the statement's order"
    );
    for _ in 0..2 {
        for (id, name) in &ids {
            let (values, build) = active_by_id(*id, true);
            let found = db.one_kept::<employees::Model>("active by id", values, build);
            assert_eq!(
                found.await.unwrap().map(|e| e.full_name).as_deref(),
                Some(*name)
            );
            let (values, build) = active_by_id(*id, false);
            let inactive = db.one_kept::<employees::Model>("active by id", values, build);
            assert!(inactive.await.unwrap().is_none());
        }
    }
}

on_both_backends!(check: reads_by_id_on_sqlite, reads_by_id_on_postgres);
