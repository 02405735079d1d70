//! `q` means the same on both databases: a case-insensitive substring of any searched
//! column, with `%`, `_` and `"` taken literally, short needles included. On SQLite a needle
//! of 3 characters or more is answered by the FTS5 trigram index (migration 21), which the
//! triggers keep through inserts, renames and deletes; shorter ones scan. On SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set.

mod common;

use domain::money::Money;
use domain::pagination::PageRequest;
use domain::product::{
    Category, Product, ProductFields, ProductFilter, ProductName, ProductRepository, Quantity,
};
use domain::user::{UserFilter, UserRepository};
use infra::repositories::{SeaOrmProductRepository, SeaOrmUserRepository};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

fn fields(name: &str) -> ProductFields {
    ProductFields {
        name: ProductName::new(name).unwrap(),
        description: None,
        category: Category::Other,
        price: Money::from_cents(100).unwrap(),
        is_active: true,
    }
}

async fn names(repo: &SeaOrmProductRepository, q: &str) -> Vec<String> {
    let filter = ProductFilter {
        q: Some(q.to_owned()),
        ..ProductFilter::default()
    };
    let page = repo
        .list(&filter, PageRequest::new(Some(50), None).unwrap())
        .await
        .unwrap();
    assert_eq!(page.total as usize, page.items.len(), "q={q:?}");
    let mut names: Vec<String> = page
        .items
        .into_iter()
        .map(|p| p.name.as_str().to_owned())
        .collect();
    names.sort();
    names
}

async fn check(url: &str) {
    let db = infra::db::connect(url, 2).await.expect("connect");
    Migrator::up(&db, None).await.expect("migrate");
    let backend = db.get_database_backend();
    let db = infra::db::Db::new(db);
    let products = SeaOrmProductRepository::new(db.clone());
    let users = SeaOrmUserRepository::new(db.clone());
    let owner = common::members(&users, "s", 1).await[0].id;
    let mut created = Vec::new();
    for name in [
        "Blue Widget",
        "blueberry jam",
        "Red widget",
        "100% cotton",
        "snake_case tool",
        "say \"hi\" mug",
        "Ab",
    ] {
        let product = Product::new(fields(name), Quantity::new(1).unwrap(), owner);
        products.create(&product, None).await.unwrap();
        created.push(product);
    }
    let cases: [(&str, &[&str]); 10] = [
        ("widget", &["Blue Widget", "Red widget"]),
        ("WIDGET", &["Blue Widget", "Red widget"]),
        ("blue", &["Blue Widget", "blueberry jam"]),
        ("e w", &["Blue Widget"]),
        ("0% c", &["100% cotton"]),
        ("%", &["100% cotton"]),
        ("e_c", &["snake_case tool"]),
        ("\"hi\"", &["say \"hi\" mug"]),
        // Shorter than a trigram: answered by a scan, with the same meaning.
        ("ab", &["Ab"]),
        ("nothing like it", &[]),
    ];
    for (q, expected) in cases {
        assert_eq!(
            names(&products, q).await,
            expected,
            "q={q:?} on {backend:?}"
        );
    }

    // The index follows renames and deletes.
    let mut renamed = created[0].clone();
    renamed.replace(fields("Green gadget"));
    products.update(&renamed, None).await.unwrap();
    assert_eq!(names(&products, "widget").await, ["Red widget"]);
    assert_eq!(names(&products, "gadget").await, ["Green gadget"]);
    products.delete(created[2].id, None).await.unwrap();
    assert!(names(&products, "widget").await.is_empty());

    // Users: any of email and name.
    let filter = UserFilter {
        q: Some("S0@EXAMPLE".into()),
    };
    let found = users
        .list(&filter, PageRequest::new(Some(10), None).unwrap())
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1, "an email, case-insensitively");

    if backend == DbBackend::Sqlite {
        // A long needle is answered by the index alone: emptied, it finds nothing (a short
        // one still scans); rebuilt from the table (as after a VACUUM), it finds it again.
        let run = |sql: &'static str| {
            let db = db.clone();
            async move {
                db.conn().execute_unprepared(sql).await.unwrap();
            }
        };
        run("INSERT INTO products_fts(products_fts) VALUES ('delete-all')").await;
        assert!(names(&products, "gadget").await.is_empty());
        assert_eq!(names(&products, "ab").await, ["Ab"]);
        run("INSERT INTO products_fts(products_fts) VALUES ('rebuild')").await;
        assert_eq!(names(&products, "gadget").await, ["Green gadget"]);

        // The plan of a long needle's search goes through the FTS table.
        let plan = db
            .conn()
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "EXPLAIN QUERY PLAN SELECT id FROM products WHERE products.rowid IN \
                 (SELECT rowid FROM products_fts WHERE products_fts MATCH '{name} : \"widget\"')",
            ))
            .await
            .unwrap();
        let detail: Vec<String> = plan
            .iter()
            .map(|r| r.try_get_by_index::<String>(3).unwrap())
            .collect();
        assert!(
            detail.iter().any(|d| d.contains("VIRTUAL TABLE INDEX")),
            "{detail:?}"
        );
    }
}

#[tokio::test]
async fn searches_mean_the_same_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check(&common::sqlite_url(&dir, "search")).await;
}

/// Runs when `TEST_DATABASE_URL` names a PostgreSQL server (CI sets it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn searches_mean_the_same_on_postgres() {
    common::on_postgres(|url| async move { check(&url).await }).await;
}
