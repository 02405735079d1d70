//! The product list, like the post list, reads its total off a page that holds the list's
//! end (one statement, no COUNT), counts on the other pages, and counts past the end. On
//! SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

mod common;

use domain::money::Money;
use domain::pagination::PageRequest;
use domain::product::{
    Category, Product, ProductFields, ProductFilter, ProductName, ProductRepository, Quantity,
};
use infra::repositories::{SeaOrmProductRepository, SeaOrmUserRepository};
use std::sync::atomic::Ordering;

async fn check(url: &str) {
    let (db, statements) = common::counted_db(url).await;
    let products = SeaOrmProductRepository::new(db.clone());
    let users = SeaOrmUserRepository::new(db.clone());
    let owner = common::members(&users, "p", 1).await[0].id;
    for i in 0..30 {
        let fields = ProductFields {
            name: ProductName::new(&format!("Product {i:02}")).unwrap(),
            description: None,
            category: Category::Other,
            price: Money::from_cents(100 + i).unwrap(),
            is_active: true,
        };
        let product = Product::new(fields, Quantity::new(1).unwrap(), owner);
        products.create(&product, None).await.unwrap();
    }

    // (offset, rows on the page, statements): a COUNT and the page; the list's end read off
    // the page; past the end, where the rows cannot tell, a COUNT again.
    for (offset, items, expected) in [(0, 20, 2), (20, 10, 1), (40, 0, 2)] {
        statements.store(0, Ordering::SeqCst);
        let page = products
            .list(
                &ProductFilter::default(),
                PageRequest::new(Some(20), Some(offset)).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            (page.items.len(), page.total),
            (items, 30),
            "offset {offset}"
        );
        assert_eq!(
            statements.load(Ordering::SeqCst),
            expected,
            "offset {offset}"
        );
    }
    // A search whose first page holds all its matches: one statement.
    statements.store(0, Ordering::SeqCst);
    let filter = ProductFilter {
        q: Some("product 1".into()),
        ..ProductFilter::default()
    };
    let page = products
        .list(&filter, PageRequest::new(Some(20), None).unwrap())
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.total), (10, 10));
    assert_eq!(statements.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn product_list_reads_the_total_off_its_last_page_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check(&common::sqlite_url(&dir, "products")).await;
}

/// Runs when `TEST_DATABASE_URL` names a PostgreSQL server (CI sets it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn product_list_reads_the_total_off_its_last_page_on_postgres() {
    common::on_postgres(|url| async move { check(&url).await }).await;
}
