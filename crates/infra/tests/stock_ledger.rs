//! The stock ledger's invariant, for any sequence of changes, against the real adapter: the
//! quantity is the sum of the accepted changes and never negative, and the ledger holds
//! exactly the accepted changes, each `quantity_after` following from the one before.
//! Applied one by one (compared with a model) and all at once (no change lost). On SQLite,
//! and on PostgreSQL when `TEST_DATABASE_URL` is set.

mod common;

use domain::money::Money;
use domain::pagination::PageRequest;
use domain::product::{
    Category, Product, ProductFields, ProductName, ProductRepository, Quantity, StockDelta,
    StockMovement, StockOutcome,
};
use futures_util::future::join_all;
use infra::repositories::{SeaOrmProductRepository, SeaOrmUserRepository};
use migration::{Migrator, MigratorTrait};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::sync::Arc;
use uuid::Uuid;

struct Store {
    products: Arc<SeaOrmProductRepository>,
    user: Uuid,
}

async fn store(url: &str) -> Store {
    let conn = infra::db::connect(url, 4).await.expect("connect");
    Migrator::up(&conn, None).await.expect("migrate");
    let db = infra::db::Db::new(conn);
    let users = SeaOrmUserRepository::new(db.clone());
    let user = common::members(&users, "ledger", 1).await.remove(0).id;
    Store {
        products: Arc::new(SeaOrmProductRepository::new(db)),
        user,
    }
}

impl Store {
    async fn product(&self, initial: i64) -> Uuid {
        let fields = ProductFields {
            name: ProductName::new(&format!("Ledger {}", Uuid::now_v7())).unwrap(),
            description: None,
            category: Category::Other,
            price: Money::from_cents(100).unwrap(),
            is_active: true,
        };
        let product = Product::new(fields, Quantity::new(initial).unwrap(), self.user);
        let first = StockMovement::initial(&product, self.user);
        self.products.create(&product, first).await.unwrap();
        product.id
    }

    /// The ledger, oldest first.
    async fn ledger(&self, id: Uuid) -> Vec<StockMovement> {
        let mut all = Vec::new();
        let mut page = PageRequest::new(Some(100), None).unwrap();
        loop {
            let got = self.products.list_movements(id, page).await.unwrap();
            all.extend(got.items);
            let Some(next) = got.next else { break };
            page = PageRequest::with_cursor(Some(100), None, Some(next)).unwrap();
        }
        all.reverse();
        all
    }

    async fn quantity(&self, id: Uuid) -> i64 {
        let product = self.products.find_by_id(id).await.unwrap().unwrap();
        product.quantity.value()
    }
}

/// Checks the ledger of `id` against its quantity: a chain from `initial` through exactly
/// `accepted` (in some order when `ordered` is false), never below zero.
async fn check_ledger(
    store: &Store,
    id: Uuid,
    initial: i64,
    accepted: &[i64],
    ordered: bool,
) -> Result<(), TestCaseError> {
    let ledger = store.ledger(id).await;
    let quantity = store.quantity(id).await;
    let mut running = 0;
    for m in &ledger {
        running += m.delta;
        prop_assert_eq!(m.quantity_after, running, "each row follows the one before");
        prop_assert!(m.quantity_after >= 0);
    }
    prop_assert_eq!(quantity, running, "the quantity is the ledger's sum");
    prop_assert_eq!(quantity, initial + accepted.iter().sum::<i64>());
    let mut logged: Vec<i64> = ledger
        .iter()
        .skip(usize::from(initial != 0))
        .map(|m| m.delta)
        .collect();
    let mut expected = accepted.to_vec();
    if !ordered {
        logged.sort_unstable();
        expected.sort_unstable();
    }
    prop_assert_eq!(
        logged,
        expected,
        "the ledger holds exactly the accepted changes"
    );
    Ok(())
}

fn deltas() -> impl Strategy<Value = (i64, Vec<i64>)> {
    let delta = prop_oneof![-40i64..=-1, 1i64..=40];
    (0i64..30, proptest::collection::vec(delta, 1..25))
}

fn run_properties(url: String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = rt.block_on(store(&url));
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });

    // One at a time: exactly the changes a model accepts are applied and logged, in order.
    runner
        .run(&deltas(), |(initial, changes)| {
            rt.block_on(async {
                let id = store.product(initial).await;
                let mut model = initial;
                let mut accepted = Vec::new();
                for d in changes {
                    let outcome = store
                        .products
                        .adjust_stock(id, StockDelta::new(d).unwrap(), None, store.user)
                        .await
                        .unwrap();
                    match outcome {
                        StockOutcome::Applied(change) => {
                            prop_assert!(model + d >= 0, "accepted {d} at {model}");
                            model += d;
                            prop_assert_eq!(change.movement.quantity_after, model);
                            accepted.push(d);
                        }
                        StockOutcome::OutOfRange { quantity } => {
                            prop_assert!(model + d < 0, "refused {d} at {model}");
                            prop_assert_eq!(quantity, model);
                        }
                        StockOutcome::NotFound => prop_assert!(false, "the product vanished"),
                    }
                }
                check_ledger(&store, id, initial, &accepted, true).await
            })
        })
        .unwrap();

    // All at once: whatever order they land in, none is lost and the chain holds.
    runner
        .run(&deltas(), |(initial, changes)| {
            rt.block_on(async {
                let id = store.product(initial).await;
                let results = join_all(changes.iter().map(|d| {
                    let (products, user, d) = (store.products.clone(), store.user, *d);
                    tokio::spawn(async move {
                        let outcome = products
                            .adjust_stock(id, StockDelta::new(d).unwrap(), None, user)
                            .await
                            .unwrap();
                        (d, matches!(outcome, StockOutcome::Applied(_)))
                    })
                }))
                .await;
                let accepted: Vec<i64> = results
                    .into_iter()
                    .map(Result::unwrap)
                    .filter_map(|(d, applied)| applied.then_some(d))
                    .collect();
                check_ledger(&store, id, initial, &accepted, false).await
            })
        })
        .unwrap();
}

#[test]
fn the_ledger_holds_exactly_the_accepted_changes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    run_properties(common::sqlite_url(&dir, "ledger"));
}

#[test]
fn the_ledger_holds_exactly_the_accepted_changes_on_postgres() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, name) = rt.block_on(common::create_postgres(&admin_url));
    let outcome = std::panic::catch_unwind(|| run_properties(url));
    rt.block_on(common::drop_postgres(&admin_url, &name));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
