use super::{empty_page, principal_of, user};
use crate::AppError;
use crate::products::{ProductError, ProductInput, ProductPatch, ProductQuery, ProductService};
use domain::RepoError;
use domain::concurrency::IfMatch;
use domain::money::Money;
use domain::pagination::{Cursor, KeyValue, PageRequest};
use domain::product::{
    Category, MockProductRepository, Product, ProductFields, ProductName, ProductSort, Quantity,
    StockChange, StockMovement, StockOutcome,
};
use domain::user::Role;
use mockall::predicate::eq;
use std::sync::Arc;
use uuid::Uuid;

fn service(repo: MockProductRepository) -> ProductService {
    ProductService::new(Arc::new(repo))
}

fn product(created_by: Uuid, quantity: i64) -> Product {
    let fields = ProductFields {
        name: ProductName::new("Tea").unwrap(),
        description: None,
        category: Category::Grocery,
        price: Money::parse("2.50").unwrap(),
        is_active: true,
    };
    Product::new(fields, Quantity::new(quantity).unwrap(), created_by)
}

fn input(name: &str, price: &str) -> ProductInput {
    ProductInput {
        name: Some(name.into()),
        price: Some(price.into()),
        ..Default::default()
    }
}

fn found(repo: &mut MockProductRepository, p: &Product) {
    let p = p.clone();
    repo.expect_find_by_id()
        .returning(move |_| Ok(Some(p.clone())));
}

#[tokio::test]
async fn create_records_the_initial_stock_as_the_first_movement() {
    let caller = principal_of(&user("a@b.co", Role::Member));
    let mut repo = MockProductRepository::new();
    repo.expect_create()
        .withf(move |p, initial| {
            p.created_by == Some(caller.user_id)
                && p.price.cents() == 999
                && p.category == Category::Other
                && matches!(initial, Some(m) if m.delta == 7 && m.quantity_after == 7 && m.product_id == p.id)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let created = service(repo)
        .create(
            &caller,
            ProductInput {
                quantity: Some(7),
                ..input("Tea", "9.99")
            },
        )
        .await
        .unwrap();
    assert_eq!(created.quantity.value(), 7);

    // No stock, no movement: whether the quantity is left out or sent as 0, the product is
    // stored exactly once and no initial movement goes with it.
    for quantity in [None, Some(0)] {
        let mut repo = MockProductRepository::new();
        repo.expect_create()
            .withf(|_, initial| initial.is_none())
            .times(1)
            .returning(|_, _| Ok(()));
        repo.expect_create()
            .withf(|_, initial| initial.is_some())
            .times(0);
        let created = service(repo)
            .create(
                &caller,
                ProductInput {
                    quantity,
                    ..input("Tea", "1")
                },
            )
            .await
            .unwrap();
        assert_eq!(created.quantity.value(), 0, "{quantity:?}");
    }
}

#[tokio::test]
async fn create_validates_every_field_and_maps_a_taken_name() {
    let caller = principal_of(&user("a@b.co", Role::Member));
    let bad = ProductInput {
        name: Some("x".into()),
        price: Some("1.234".into()),
        category: Some("food".into()),
        quantity: Some(-1),
        ..Default::default()
    };
    let err = service(MockProductRepository::new())
        .create(&caller, bad)
        .await
        .unwrap_err();
    let ProductError::App(AppError::Invalid(v)) = err else {
        panic!("{err:?}")
    };
    let mut fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
    fields.sort();
    assert_eq!(fields, vec!["category", "name", "price", "quantity"]);

    let mut repo = MockProductRepository::new();
    repo.expect_create()
        .returning(|_, _| Err(RepoError::Conflict("ux_products_name_lower".into())));
    assert!(matches!(
        service(repo).create(&caller, input("Tea", "1")).await,
        Err(ProductError::NameTaken)
    ));
}

#[tokio::test]
async fn list_parses_filters_and_refuses_bad_ones() {
    let mut repo = MockProductRepository::new();
    repo.expect_list()
        .withf(|f, _| {
            f.q.as_deref() == Some("tea")
                && f.category == Some(Category::Pet)
                && f.min_price.map(Money::cents) == Some(100)
                && f.max_price.map(Money::cents) == Some(250)
                && f.sort == ProductSort::PriceDesc
                && f.in_stock == Some(true)
        })
        .returning(|_, page| empty_page(page));
    let query = ProductQuery {
        q: Some(" tea ".into()),
        category: Some("pet".into()),
        min_price: Some("1".into()),
        max_price: Some("2.50".into()),
        sort: Some("-price".into()),
        in_stock: Some(true),
        ..Default::default()
    };
    service(repo)
        .list(query, PageRequest::default())
        .await
        .unwrap();

    let bad = ProductQuery {
        min_price: Some("3".into()),
        max_price: Some("2".into()),
        sort: Some("best".into()),
        ..Default::default()
    };
    let err = service(MockProductRepository::new())
        .list(bad, PageRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProductError::App(AppError::Invalid(v)) if v.0.len() == 2),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_cursor_goes_to_the_repository_only_for_the_order_it_was_made_for() {
    let price_cursor = || Cursor {
        position: 20,
        key: vec![KeyValue::Int(450), KeyValue::Id(Uuid::nil())],
    };
    let page = || PageRequest::with_cursor(None, None, Some(price_cursor())).unwrap();
    let mut repo = MockProductRepository::new();
    repo.expect_list()
        .withf(move |f, page| f.sort == ProductSort::Price && page.after() == Some(&price_cursor()))
        .times(1)
        .returning(|_, page| empty_page(page));
    let by_price = ProductQuery {
        sort: Some("price".into()),
        ..Default::default()
    };
    let listed = service(repo).list(by_price, page()).await.unwrap();
    assert_eq!(listed.request.offset(), 20, "the cursor's position");

    for sort in [None, Some("name"), Some("-created_at")] {
        let query = ProductQuery {
            sort: sort.map(Into::into),
            ..Default::default()
        };
        let err = service(MockProductRepository::new())
            .list(query, page())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ProductError::App(AppError::Invalid(v)) if v.0[0].field == "cursor"),
            "{sort:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn only_the_creator_or_an_admin_may_write() {
    let owner = principal_of(&user("o@b.co", Role::Member));
    let stranger = principal_of(&user("s@b.co", Role::Member));
    let admin = principal_of(&user("r@b.co", Role::Admin));
    let p = product(owner.user_id, 1);

    let mut repo = MockProductRepository::new();
    found(&mut repo, &p);
    let svc = service(repo);
    let patch = ProductPatch {
        price: Some("3".into()),
        ..Default::default()
    };
    assert!(matches!(
        svc.patch(&stranger, p.id, patch.clone(), None).await,
        Err(ProductError::App(AppError::Forbidden(_)))
    ));
    assert!(matches!(
        svc.replace(&stranger, p.id, input("Xy", "1"), None).await,
        Err(ProductError::App(AppError::Forbidden(_)))
    ));
    assert!(matches!(
        svc.delete(&stranger, p.id, None).await,
        Err(ProductError::App(AppError::Forbidden(_)))
    ));

    let mut repo = MockProductRepository::new();
    found(&mut repo, &p);
    repo.expect_update().times(1).returning(|_, _| Ok(()));
    let updated = service(repo)
        .patch(&admin, p.id, patch, None)
        .await
        .unwrap();
    assert_eq!(updated.price.cents(), 300);
}

#[tokio::test]
async fn patch_changes_only_what_was_sent_and_never_quantity() {
    let owner = principal_of(&user("o@b.co", Role::Member));
    let p = product(owner.user_id, 5);
    let version = p.updated_at;
    let mut repo = MockProductRepository::new();
    found(&mut repo, &p);
    repo.expect_update()
        .withf(move |u, expected| {
            u.name.as_str() == "Tea"
                && u.category == Category::Grocery
                && u.price.cents() == 250
                && !u.is_active
                && u.quantity.value() == 5
                && *expected == Some(version)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let patch = ProductPatch {
        is_active: Some(false),
        ..Default::default()
    };
    service(repo)
        .patch(&owner, p.id, patch, Some(&IfMatch::Any))
        .await
        .unwrap();

    let sent_quantity = ProductPatch {
        quantity_sent: true,
        ..Default::default()
    };
    let err = service(MockProductRepository::new())
        .patch(&owner, p.id, sent_quantity, None)
        .await
        .unwrap_err();
    assert!(matches!(&err, ProductError::App(AppError::Invalid(v)) if v.0[0].field == "quantity"));
    let with_quantity = ProductInput {
        quantity: Some(1),
        ..input("Tea", "1")
    };
    let err = service(MockProductRepository::new())
        .replace(&owner, p.id, with_quantity, None)
        .await
        .unwrap_err();
    assert!(matches!(&err, ProductError::App(AppError::Invalid(v)) if v.0[0].field == "quantity"));
}

#[tokio::test]
async fn writes_check_the_precondition_and_existence() {
    let owner = principal_of(&user("o@b.co", Role::Member));
    let p = product(owner.user_id, 0);
    let mut repo = MockProductRepository::new();
    found(&mut repo, &p);
    let stale = IfMatch::Tags(vec![]);
    let svc = service(repo);
    let patch = ProductPatch {
        price: Some("1".into()),
        ..Default::default()
    };
    assert!(matches!(
        svc.patch(&owner, p.id, patch, Some(&stale)).await,
        Err(ProductError::App(AppError::PreconditionFailed))
    ));
    assert!(matches!(
        svc.delete(&owner, p.id, Some(&stale)).await,
        Err(ProductError::App(AppError::PreconditionFailed))
    ));

    let mut repo = MockProductRepository::new();
    repo.expect_find_by_id().returning(|_| Ok(None));
    let svc = service(repo);
    assert!(matches!(
        svc.get(p.id).await,
        Err(ProductError::App(AppError::NotFound(_)))
    ));
    assert!(matches!(
        svc.movements(p.id, PageRequest::default()).await,
        Err(ProductError::App(AppError::NotFound(_)))
    ));
    assert!(matches!(
        svc.delete(&owner, p.id, None).await,
        Err(ProductError::App(AppError::NotFound(_)))
    ));

    let mut repo = MockProductRepository::new();
    found(&mut repo, &p);
    repo.expect_delete()
        .with(eq(p.id), eq(None))
        .times(1)
        .returning(|_, _| Ok(()));
    service(repo).delete(&owner, p.id, None).await.unwrap();
}

#[tokio::test]
async fn stock_changes_map_every_outcome() {
    let caller = principal_of(&user("c@b.co", Role::Member));
    let p = product(Uuid::now_v7(), 8);
    let id = p.id;

    let mut repo = MockProductRepository::new();
    let after = p.clone();
    repo.expect_adjust_stock()
        .withf(move |pid, d, reason, uid| {
            *pid == id
                && d.value() == -3
                && reason.as_ref().map(|r| r.as_str()) == Some("sold")
                && *uid == caller.user_id
        })
        .times(1)
        .returning(move |_, d, _, _| {
            let movement = StockMovement {
                id: Uuid::now_v7(),
                product_id: id,
                delta: d.value(),
                quantity_after: 5,
                reason: None,
                user_id: None,
                created_at: after.created_at,
            };
            Ok(StockOutcome::Applied(Box::new(StockChange {
                product: after.clone(),
                movement,
            })))
        });
    let changed = service(repo)
        .adjust_stock(&caller, id, Some(-3), Some(" sold ".into()))
        .await
        .unwrap();
    assert_eq!(changed.id, id);

    let mut repo = MockProductRepository::new();
    repo.expect_adjust_stock()
        .returning(|_, _, _, _| Ok(StockOutcome::OutOfRange { quantity: 2 }));
    let err = service(repo)
        .adjust_stock(&caller, id, Some(-3), None)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ProductError::StockOutOfRange {
            quantity: 2,
            would_be: -1
        }
    ));

    let mut repo = MockProductRepository::new();
    repo.expect_adjust_stock()
        .returning(|_, _, _, _| Ok(StockOutcome::NotFound));
    assert!(matches!(
        service(repo).adjust_stock(&caller, id, Some(1), None).await,
        Err(ProductError::App(AppError::NotFound(_)))
    ));

    for delta in [None, Some(0), Some(2_000_000_000)] {
        let err = service(MockProductRepository::new())
            .adjust_stock(&caller, id, delta, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ProductError::App(AppError::Invalid(v)) if v.0[0].field == "delta"),
            "{delta:?}"
        );
    }

    let mut repo = MockProductRepository::new();
    repo.expect_adjust_stock()
        .returning(|_, _, _, _| Err(RepoError::Unavailable("down".into())));
    assert!(matches!(
        service(repo).adjust_stock(&caller, id, Some(1), None).await,
        Err(ProductError::App(AppError::Unavailable(_)))
    ));
}
