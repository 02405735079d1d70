//! Rows are read by position (`FromRow`, as a list page's are; here through `db::all`): every field of every row
//! comes back as written, a select whose columns come in another order is refused, and a
//! column of the wrong type is refused on the first row.

mod common;

use infra::db::all;
use infra::entities::employees;
use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder, QuerySelect};
use uuid::Uuid;

struct NameThenEmail {
    full_name: String,
    email: String,
}
infra::from_row!(NameThenEmail { full_name, email });

/// Never built: reading it must fail.
#[allow(dead_code)]
struct NameAsNumber {
    full_name: i64,
}
infra::from_row!(NameAsNumber { full_name });

async fn check(url: &str) {
    let db = common::migrated_db(url).await;
    let started = domain::time::now();
    let mut written = Vec::new();
    for (i, name) in ["Ada", "Grace", "Edsger", "Barbara"]
        .into_iter()
        .enumerate()
    {
        let at = started + chrono::Duration::milliseconds(i as i64);
        let row = employees::Model {
            id: Uuid::now_v7(),
            full_name: name.to_owned(),
            email: format!("{}@example.com", name.to_lowercase()),
            is_active: i % 2 == 0,
            created_at: at,
            updated_at: at + chrono::Duration::seconds(1),
        };
        let insert = employees::Entity::insert(employees::ActiveModel {
            id: Set(row.id),
            full_name: Set(row.full_name.clone()),
            email: Set(row.email.clone()),
            is_active: Set(row.is_active),
            created_at: Set(row.created_at),
            updated_at: Set(row.updated_at),
        });
        db.write(&insert).await.unwrap();
        written.push(row);
    }

    let by_id = employees::Entity::find().order_by_asc(employees::Column::Id);
    let read: Vec<employees::Model> = all(db.conn(), &by_id).await.unwrap();
    assert_eq!(read, written, "every field of every row, as written");

    let email_first = employees::Entity::find()
        .select_only()
        .column(employees::Column::Email)
        .column(employees::Column::FullName);
    let swapped = all::<NameThenEmail>(db.conn(), &email_first).await;
    let message = swapped.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("`full_name` was expected"),
        "columns out of order: {message}"
    );

    let in_order: Vec<NameThenEmail> = all(
        db.conn(),
        &employees::Entity::find()
            .select_only()
            .column(employees::Column::FullName)
            .column(employees::Column::Email)
            .order_by_asc(employees::Column::Id),
    )
    .await
    .unwrap();
    let pairs: Vec<_> = in_order
        .iter()
        .map(|r| (r.full_name.as_str(), r.email.as_str()))
        .collect();
    let expected: Vec<_> = written
        .iter()
        .map(|r| (r.full_name.as_str(), r.email.as_str()))
        .collect();
    assert_eq!(pairs, expected);

    let as_number = all::<NameAsNumber>(
        db.conn(),
        &employees::Entity::find()
            .select_only()
            .column(employees::Column::FullName),
    )
    .await;
    assert!(as_number.is_err(), "a text column read as a number");
}

on_both_backends!(check: reads_rows_by_position_on_sqlite, reads_rows_by_position_on_postgres);
