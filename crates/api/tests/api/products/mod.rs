//! SPEC section 3: products, stock and the ledger.

use crate::answers::{assert_problem, etag_of, fields, location_of};
use crate::helpers::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod changes;
mod stock;

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let res = app.post_json("/api/v1/products", &body, Some(token)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "create {body}");
    res.json().await.unwrap()
}

async fn stock(app: &TestApp, token: &str, id: &str, delta: i64) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/products/{id}/stock"),
        &json!({"delta": delta}),
        Some(token),
    )
    .await
}

async fn product(app: &TestApp, id: &str) -> Value {
    app.get_json(&format!("/api/v1/products/{id}"), None).await
}

async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let res = app.get(&format!("/api/v1/products?{query}"), None).await;
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    let page: Value = res.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn create_returns_the_product_with_defaults_and_exact_prices() {
    let app = spawn_app().await;
    let user = app.register("maker@example.com").await;
    let res = app
        .post_json(
            "/api/v1/products",
            &json!({"name": "  Green tea ", "price": 4.5}),
            Some(&user.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = location_of(&res);
    let p: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/products/{}", p["id"].as_str().unwrap())
    );
    assert_eq!(p["name"], "Green tea");
    assert_eq!(p["price"], "4.50");
    assert_eq!(
        (p["category"].as_str(), p["quantity"].as_i64()),
        (Some("other"), Some(0))
    );
    assert_eq!(
        (p["in_stock"].as_bool(), p["is_active"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(p["description"], Value::Null);
    assert_eq!(p["created_by"], user.id.as_str());

    for (price, shown) in [
        (json!("99999999.99"), "99999999.99"),
        (json!(0), "0.00"),
        (json!("0.1"), "0.10"),
        (json!(19.99), "19.99"),
    ] {
        let name = format!("Item {shown}");
        let p = create(&app, &user.access, json!({"name": name, "price": price})).await;
        assert_eq!(p["price"], shown);
        assert_eq!(
            product(&app, p["id"].as_str().unwrap()).await["price"],
            shown,
            "stored exactly"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stock_movements").await,
        0,
        "no stock, no movement"
    );

    let p = create(
        &app,
        &user.access,
        json!({"name": "Stocked", "price": "1", "quantity": 5, "category": "pet"}),
    )
    .await;
    assert_eq!(
        (p["quantity"].as_i64(), p["in_stock"].as_bool()),
        (Some(5), Some(true))
    );
    let ledger: Value = app
        .get_json(
            &format!(
                "/api/v1/products/{}/stock-movements",
                p["id"].as_str().unwrap()
            ),
            Some(&user.access),
        )
        .await;
    assert_eq!(ledger["total"], 1);
    assert_eq!(
        (
            ledger["items"][0]["delta"].as_i64(),
            ledger["items"][0]["quantity_after"].as_i64()
        ),
        (Some(5), Some(5))
    );
}

#[tokio::test]
async fn invalid_products_are_422_per_field_and_change_nothing() {
    let app = spawn_app().await;
    let user = app.register("maker@example.com").await;
    let t = Some(user.access.as_str());
    for (body, expected) in [
        (json!({"name": "A", "price": "1.00"}), vec!["name"]),
        (json!({"name": "Tea"}), vec!["price"]),
        (json!({"name": "Tea", "price": "1.999"}), vec!["price"]),
        (json!({"name": "Tea", "price": -1}), vec!["price"]),
        (json!({"name": "Tea", "price": "100000000"}), vec!["price"]),
        (
            json!({"name": "Tea", "price": 0.30000000000000004}),
            vec!["price"],
        ),
        (json!({"name": "Tea", "price": true}), vec!["price"]),
        (
            json!({"name": "Tea", "price": "1", "category": "food"}),
            vec!["category"],
        ),
        (
            json!({"name": "Tea", "price": "1", "quantity": -1}),
            vec!["quantity"],
        ),
        (
            json!({"name": "Tea", "price": "1", "quantity": 1.5}),
            vec!["quantity"],
        ),
        (
            json!({"name": "Tea", "price": "1", "description": "d".repeat(2001)}),
            vec!["description"],
        ),
        (
            json!({"price": "x", "category": "?"}),
            vec!["name", "category", "price"],
        ),
    ] {
        let problem = assert_problem(app.post_json("/api/v1/products", &body, t).await, 422).await;
        assert_eq!(fields(&problem), expected, "{body}");
    }
    assert_problem(
        app.post_json(
            "/api/v1/products",
            &json!({"name": "Tea", "price": "1"}),
            None,
        )
        .await,
        401,
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM products").await, 0);
}

#[tokio::test]
async fn names_are_unique_case_insensitively() {
    let app = spawn_app().await;
    let user = app.register("maker@example.com").await;
    create(
        &app,
        &user.access,
        json!({"name": "Green Tea", "price": "1"}),
    )
    .await;
    let res = app
        .post_json(
            "/api/v1/products",
            &json!({"name": "green TEA", "price": "2"}),
            Some(&user.access),
        )
        .await;
    assert_problem(res, 409).await;
    let other = create(
        &app,
        &user.access,
        json!({"name": "Black tea", "price": "1"}),
    )
    .await;
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/products/{}", other["id"].as_str().unwrap()),
            &json!({"name": "GREEN tea"}),
            Some(&user.access),
        )
        .await;
    assert_problem(res, 409).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM products").await, 2);
}

#[tokio::test]
async fn single_products_have_etags_and_unknown_ids_are_404() {
    let app = spawn_app().await;
    let user = app.register("maker@example.com").await;
    let p = create(&app, &user.access, json!({"name": "Tea", "price": "1"})).await;
    let res = app
        .get(
            &format!("/api/v1/products/{}", p["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(etag_of(&res).starts_with('"'));
    assert_problem(
        app.get(&format!("/api/v1/products/{}", uuid::Uuid::now_v7()), None)
            .await,
        404,
    )
    .await;
    assert_problem(app.get("/api/v1/products/42", None).await, 422).await;
}

#[tokio::test]
async fn list_filters_and_sorts() {
    let app = spawn_app().await;
    let user = app.register("maker@example.com").await;
    for (name, price, category, quantity, active) in [
        ("Banana", "0.50", "grocery", 10, true),
        ("apple", "1.00", "grocery", 0, true),
        ("Cable", "9.99", "electronics", 3, false),
        ("Dog food", "25.00", "pet", 0, true),
        ("Eraser", "1.00", "stationery", 7, true),
    ] {
        create(&app, &user.access, json!({"name": name, "price": price, "category": category, "quantity": quantity, "is_active": active})).await;
    }
    assert_eq!(
        names(&app, "").await,
        ["Eraser", "Dog food", "Cable", "apple", "Banana"],
        "newest first by default"
    );
    assert_eq!(
        names(&app, "sort=created_at").await,
        ["Banana", "apple", "Cable", "Dog food", "Eraser"]
    );
    assert_eq!(
        names(&app, "sort=name").await,
        ["apple", "Banana", "Cable", "Dog food", "Eraser"],
        "case-insensitive"
    );
    assert_eq!(
        names(&app, "sort=-name").await,
        ["Eraser", "Dog food", "Cable", "Banana", "apple"]
    );
    assert_eq!(
        names(&app, "sort=price").await,
        ["Banana", "apple", "Eraser", "Cable", "Dog food"],
        "ties by id"
    );
    assert_eq!(
        names(&app, "sort=-price").await,
        ["Dog food", "Cable", "Eraser", "apple", "Banana"]
    );
    assert_eq!(names(&app, "q=AN&sort=name").await, ["Banana"]);
    assert_eq!(
        names(&app, "q=e&sort=name").await,
        ["apple", "Cable", "Eraser"]
    );
    assert_eq!(
        names(&app, "category=grocery&sort=name").await,
        ["apple", "Banana"]
    );
    assert_eq!(names(&app, "is_active=false").await, ["Cable"]);
    assert_eq!(
        names(&app, "in_stock=true&sort=name").await,
        ["Banana", "Cable", "Eraser"]
    );
    assert_eq!(
        names(&app, "in_stock=false&sort=name").await,
        ["apple", "Dog food"]
    );
    assert_eq!(
        names(&app, "min_price=1&max_price=9.99&sort=price").await,
        ["apple", "Eraser", "Cable"],
        "inclusive"
    );
    assert_eq!(
        names(&app, "min_price=1.00&max_price=1.00&sort=name").await,
        ["apple", "Eraser"]
    );
    assert_eq!(names(&app, "q=%25").await, Vec::<String>::new());

    let page: Value = app
        .get_json("/api/v1/products?sort=name&limit=2&offset=1", None)
        .await;
    assert_eq!(page["total"], 5);
    let items: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(items, ["Banana", "Cable"]);

    for (query, field) in [
        ("sort=cheapest", "sort"),
        ("category=food", "category"),
        ("min_price=abc", "min_price"),
        ("max_price=1.001", "max_price"),
        ("min_price=5&max_price=1", "min_price"),
        ("in_stock=maybe", "in_stock"),
        ("is_active=2", "is_active"),
        ("limit=0", "limit"),
    ] {
        let problem = assert_problem(
            app.get(&format!("/api/v1/products?{query}"), None).await,
            422,
        )
        .await;
        assert_eq!(fields(&problem), vec![field], "{query}");
    }
}
