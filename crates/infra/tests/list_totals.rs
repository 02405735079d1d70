//! Every list goes through the one list path (`repositories::list`), so every list counts
//! the same way: a page holding the list's end reads its total off its rows (one
//! statement), other pages count, and a page past the end counts. Shown here for the
//! lists `product_list_queries.rs` and `post_list_queries.rs` do not cover: users,
//! employees, stock movements, comments and notifications. On SQLite, and on PostgreSQL
//! when `TEST_DATABASE_URL` is set.

mod common;

use domain::blog::{Comment, CommentContent, CommentRepository};
use domain::employee::{Employee, EmployeeFields, EmployeeFilter, EmployeeRepository, FullName};
use domain::money::Money;
use domain::notification::{NotificationFilter, NotificationRepository, Notify};
use domain::pagination::{Page, PageRequest};
use domain::product::{
    Category, Product, ProductFields, ProductName, ProductRepository, Quantity, StockDelta,
};
use domain::user::{Email, UserFilter, UserRepository};
use infra::repositories::{
    SeaOrmCommentRepository, SeaOrmEmployeeRepository, SeaOrmNotificationRepository,
    SeaOrmPostRepository, SeaOrmProductRepository, SeaOrmUserRepository,
};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

const ROWS: u64 = 30;

/// Pages of 20 of a list of [`ROWS`] rows, read by `page`: (offset, rows on the page,
/// statements run) are (0, 20, 2), (20, 10, 1) and (40, 0, 2).
async fn counts_like_every_list<T, F, Fut>(what: &str, statements: &AtomicUsize, page: F)
where
    F: Fn(PageRequest) -> Fut,
    Fut: Future<Output = Page<T>>,
{
    for (offset, items, expected) in [(0, 20, 2), (20, 10, 1), (40, 0, 2)] {
        statements.store(0, Ordering::SeqCst);
        let got = page(PageRequest::new(Some(20), Some(offset)).unwrap()).await;
        assert_eq!(
            (
                got.items.len(),
                got.total,
                statements.load(Ordering::SeqCst)
            ),
            (items, ROWS, expected),
            "{what}, offset {offset}: (rows, total, statements)"
        );
    }
}

async fn check(url: &str) {
    let (db, statements) = common::counted_db(url).await;

    let users = SeaOrmUserRepository::new(db.clone());
    let people = common::members(&users, "l", ROWS as usize).await;
    counts_like_every_list("users", &statements, |page| async {
        users.list(&UserFilter::default(), page).await.unwrap()
    })
    .await;

    let employees = SeaOrmEmployeeRepository::new(db.clone());
    for i in 0..ROWS {
        let fields = EmployeeFields {
            full_name: FullName::new(&format!("Employee {i}")).unwrap(),
            email: Email::parse(&format!("e{i}@example.com")).unwrap(),
            is_active: true,
        };
        employees.create(&Employee::new(fields)).await.unwrap();
    }
    counts_like_every_list("employees", &statements, |page| async {
        employees
            .list(&EmployeeFilter::default(), page)
            .await
            .unwrap()
    })
    .await;

    let products = SeaOrmProductRepository::new(db.clone());
    let fields = ProductFields {
        name: ProductName::new("Stocked").unwrap(),
        description: None,
        category: Category::Other,
        price: Money::from_cents(100).unwrap(),
        is_active: true,
    };
    let product = Product::new(fields, Quantity::new(0).unwrap(), people[0].id);
    products.create(&product, None).await.unwrap();
    for _ in 0..ROWS {
        products
            .adjust_stock(product.id, StockDelta::new(1).unwrap(), None, people[0].id)
            .await
            .unwrap();
    }
    counts_like_every_list("stock movements", &statements, |page| async {
        products.list_movements(product.id, page).await.unwrap()
    })
    .await;

    let owner = &people[0];
    let posts = SeaOrmPostRepository::new(db.clone());
    let post = common::published_post(&posts, owner.id, "Talked about").await;
    let comments = SeaOrmCommentRepository::new(db.clone());
    for i in 1..=ROWS as usize {
        let said = Comment::new(
            post.id,
            people[i % people.len()].id,
            CommentContent::new(&format!("comment {i}")).unwrap(),
        );
        comments
            .create(&said, Some(Notify::new(owner.id)))
            .await
            .unwrap();
    }
    counts_like_every_list("comments", &statements, |page| async {
        comments.list(post.id, page).await.unwrap()
    })
    .await;

    let inbox = SeaOrmNotificationRepository::new(db.clone());
    counts_like_every_list("notifications", &statements, |page| async {
        inbox
            .list(owner.id, NotificationFilter::default(), page)
            .await
            .unwrap()
    })
    .await;
}

on_both_backends!(check: every_list_counts_alike_on_sqlite, every_list_counts_alike_on_postgres);
