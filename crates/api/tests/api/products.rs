//! SPEC section 3: products, stock and the ledger.

use crate::helpers::{TestApp, assert_problem, fields, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
    app.get(&format!("/api/v1/products/{id}"), None)
        .await
        .json()
        .await
        .unwrap()
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
    let location = res.headers()["location"].to_str().unwrap().to_owned();
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
        .get(
            &format!(
                "/api/v1/products/{}/stock-movements",
                p["id"].as_str().unwrap()
            ),
            Some(&user.access),
        )
        .await
        .json()
        .await
        .unwrap();
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
    assert!(res.headers()["etag"].to_str().unwrap().starts_with('"'));
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
        .get("/api/v1/products?sort=name&limit=2&offset=1", None)
        .await
        .json()
        .await
        .unwrap();
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

#[tokio::test]
async fn put_replaces_while_patch_changes_only_what_was_sent() {
    let app = spawn_app().await;
    let user = app.register("maker@example.com").await;
    let p = create(
        &app,
        &user.access,
        json!({"name": "Tea", "price": "2.00", "description": "Loose", "category": "grocery", "quantity": 4, "is_active": false}),
    )
    .await;
    let path = format!("/api/v1/products/{}", p["id"].as_str().unwrap());

    let res = app
        .send_json(
            Method::PATCH,
            &path,
            &json!({"price": 3}),
            Some(&user.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["price"], "3.00");
    assert_eq!(
        (
            patched["description"].as_str(),
            patched["category"].as_str()
        ),
        (Some("Loose"), Some("grocery"))
    );
    assert_eq!(
        (patched["is_active"].as_bool(), patched["quantity"].as_i64()),
        (Some(false), Some(4))
    );

    let res = app
        .send_json(
            Method::PATCH,
            &path,
            &json!({"description": null}),
            Some(&user.access),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["description"],
        Value::Null,
        "null clears"
    );

    let res = app
        .send_json(
            Method::PUT,
            &path,
            &json!({"name": "Tea", "price": "5"}),
            Some(&user.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let replaced: Value = res.json().await.unwrap();
    assert_eq!(replaced["price"], "5.00");
    assert_eq!(
        (
            replaced["category"].as_str(),
            replaced["is_active"].as_bool()
        ),
        (Some("other"), Some(true)),
        "defaults"
    );
    assert_eq!(replaced["quantity"], 4, "PUT never touches stock");

    for (method, body) in [
        (
            Method::PUT,
            json!({"name": "Tea", "price": "5", "quantity": 9}),
        ),
        (Method::PATCH, json!({"quantity": 9})),
        (Method::PATCH, json!({"quantity": null})),
    ] {
        let problem = assert_problem(
            app.send_json(method, &path, &body, Some(&user.access))
                .await,
            422,
        )
        .await;
        assert_eq!(fields(&problem), vec!["quantity"]);
    }
    let problem = assert_problem(
        app.send_json(
            Method::PUT,
            &path,
            &json!({"name": "Tea"}),
            Some(&user.access),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&problem), vec!["price"]);
    let problem = assert_problem(
        app.send_json(
            Method::PATCH,
            &path,
            &json!({"name": ""}),
            Some(&user.access),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&problem), vec!["name"]);
    let unchanged = product(&app, p["id"].as_str().unwrap()).await;
    assert_eq!(
        (unchanged["quantity"].as_i64(), unchanged["price"].as_str()),
        (Some(4), Some("5.00"))
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM stock_movements").await, 1);
}

#[tokio::test]
async fn only_the_creator_or_an_admin_may_change_or_delete() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com").await;
    let other = app.register("other@example.com").await;
    let admin = app.admin_token().await;
    let p = create(&app, &owner.access, json!({"name": "Tea", "price": "1"})).await;
    let path = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
    // A stranger's 403 on PUT, PATCH and DELETE: `resources::every_resource_...`.
    let o = Some(other.access.as_str());
    assert_problem(
        app.send_json(Method::PATCH, &path, &json!({"price": "9"}), o)
            .await,
        403,
    )
    .await;
    assert_eq!(
        product(&app, p["id"].as_str().unwrap()).await["price"],
        "1.00"
    );

    // Anyone signed in may move stock, though.
    assert_eq!(
        stock(&app, &other.access, p["id"].as_str().unwrap(), 2)
            .await
            .status(),
        StatusCode::OK
    );
    let res = app
        .send_json(Method::PATCH, &path, &json!({"price": "2"}), Some(&admin))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .request(Method::DELETE, &path, Some(&owner.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get(&path, None).await, 404).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stock_movements").await,
        0,
        "the ledger goes with it"
    );
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.register("maker@example.com").await;
    let p = create(
        &app,
        &user.access,
        json!({"name": "Tea", "price": "1", "quantity": 1}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    let path = format!("/api/v1/products/{id}");
    let etag = app.get(&path, None).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        stock(&app, &user.access, id, 1).await.status(),
        StatusCode::OK,
        "a stock change is a new version"
    );

    for method in [Method::PATCH, Method::PUT] {
        let res = app
            .request(method, &path, Some(&user.access))
            .header("if-match", &etag)
            .json(&json!({"name": "Changed", "price": "7"}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 412).await;
    }
    let res = app
        .request(Method::DELETE, &path, Some(&user.access))
        .header("if-match", &etag)
        .send()
        .await
        .unwrap();
    assert_problem(res, 412).await;
    let current = app.get(&path, None).await;
    let fresh = current.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = current.json().await.unwrap();
    assert_eq!(
        (body["name"].as_str(), body["price"].as_str()),
        (Some("Tea"), Some("1.00"))
    );

    let res = app
        .request(Method::PATCH, &path, Some(&user.access))
        .header("if-match", &fresh)
        .json(&json!({"price": "7"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn stock_changes_are_recorded_and_never_go_below_zero() {
    let app = spawn_app().await;
    let user = app.register("clerk@example.com").await;
    let p = create(
        &app,
        &user.access,
        json!({"name": "Tea", "price": "1", "quantity": 3}),
    )
    .await;
    let id = p["id"].as_str().unwrap();

    let res = app
        .post_json(
            &format!("/api/v1/products/{id}/stock"),
            &json!({"delta": 7, "reason": "delivery"}),
            Some(&user.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("etag"));
    assert_eq!(res.json::<Value>().await.unwrap()["quantity"], 10);
    let body = assert_problem(stock(&app, &user.access, id, -11).await, 409).await;
    assert!(body["detail"].as_str().unwrap().contains("10"), "{body}");
    assert_eq!(
        stock(&app, &user.access, id, -10)
            .await
            .json::<Value>()
            .await
            .unwrap()["in_stock"],
        false
    );

    for (body, field) in [
        (json!({"delta": 0}), "delta"),
        (json!({}), "delta"),
        (json!({"delta": "3"}), "delta"),
        (json!({"delta": 1.5}), "delta"),
        (json!({"delta": 1, "reason": "r".repeat(201)}), "reason"),
    ] {
        let res = app
            .post_json(
                &format!("/api/v1/products/{id}/stock"),
                &body,
                Some(&user.access),
            )
            .await;
        assert_eq!(
            fields(&assert_problem(res, 422).await),
            vec![field],
            "{body}"
        );
    }
    assert_problem(
        stock(&app, &user.access, &uuid::Uuid::now_v7().to_string(), 1).await,
        404,
    )
    .await;
    assert_problem(
        app.post_json(
            &format!("/api/v1/products/{id}/stock"),
            &json!({"delta": 1}),
            None,
        )
        .await,
        401,
    )
    .await;

    let ledger: Value = app
        .get(
            &format!("/api/v1/products/{id}/stock-movements"),
            Some(&user.access),
        )
        .await
        .json()
        .await
        .unwrap();
    let rows: Vec<(i64, i64)> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["delta"].as_i64().unwrap(),
                m["quantity_after"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![(-10, 0), (7, 10), (3, 3)],
        "newest first; refused changes left no trace"
    );
    assert_eq!(ledger["items"][1]["reason"], "delivery");
    assert_eq!(ledger["items"][1]["user_id"], user.id.as_str());
    assert_problem(
        app.get(&format!("/api/v1/products/{id}/stock-movements"), None)
            .await,
        401,
    )
    .await;
    let unknown = format!("/api/v1/products/{}/stock-movements", uuid::Uuid::now_v7());
    assert_problem(app.get(&unknown, Some(&user.access)).await, 404).await;
}

#[tokio::test]
async fn a_hundred_concurrent_decrements_of_fifty_units_sell_exactly_fifty() {
    let app = spawn_app().await;
    let user = app.register("rush@example.com").await;
    let p = create(
        &app,
        &user.access,
        json!({"name": "Hot item", "price": "1", "quantity": 50}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    let attempts = (0..100).map(|_| stock(&app, &user.access, id, -1));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        50,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        50,
        "{statuses:?}"
    );
    assert_eq!(product(&app, id).await["quantity"], 0);
    let sold = app
        .count("SELECT COUNT(*) FROM stock_movements WHERE delta = -1")
        .await;
    assert_eq!(sold, 50);
}

#[tokio::test]
async fn concurrent_mixed_changes_end_at_the_start_plus_the_accepted_deltas() {
    let app = spawn_app().await;
    let user = app.register("mix@example.com").await;
    let p = create(
        &app,
        &user.access,
        json!({"name": "Mixed", "price": "1", "quantity": 10}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    let deltas: Vec<i64> = (0..80).map(|i| [4, -7, 2, -5, 1, -3][i % 6]).collect();
    let results =
        futures_util::future::join_all(deltas.iter().map(|d| stock(&app, &user.access, id, *d)))
            .await;
    let mut accepted = Vec::new();
    for (delta, res) in deltas.iter().zip(&results) {
        match res.status().as_u16() {
            200 => accepted.push(*delta),
            409 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    let final_quantity = product(&app, id).await["quantity"].as_i64().unwrap();
    assert_eq!(final_quantity, 10 + accepted.iter().sum::<i64>());
    assert!(final_quantity >= 0);
    let page: Value = app
        .get(
            &format!("/api/v1/products/{id}/stock-movements?limit=100"),
            Some(&user.access),
        )
        .await
        .json()
        .await
        .unwrap();
    let ledger = page["items"].as_array().unwrap();
    assert_eq!(
        ledger.len(),
        accepted.len() + 1,
        "one line per accepted change, plus the initial stock"
    );
    assert!(
        ledger
            .iter()
            .all(|m| m["quantity_after"].as_i64().unwrap() >= 0)
    );
    assert_eq!(
        ledger
            .iter()
            .map(|m| m["delta"].as_i64().unwrap())
            .sum::<i64>(),
        final_quantity
    );
    // Newest first, and each line follows from the one before it.
    for pair in ledger.windows(2) {
        let (newer, older) = (&pair[0], &pair[1]);
        assert_eq!(
            newer["quantity_after"].as_i64().unwrap(),
            older["quantity_after"].as_i64().unwrap() + newer["delta"].as_i64().unwrap()
        );
    }
}

#[tokio::test]
async fn products_outlive_their_deleted_creator() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let user = app.register("leaver@example.com").await;
    let p = create(
        &app,
        &user.access,
        json!({"name": "Legacy", "price": "1", "quantity": 2}),
    )
    .await;
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/users/{}", user.id),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let kept = product(&app, p["id"].as_str().unwrap()).await;
    assert_eq!(kept["created_by"], Value::Null);
    assert_eq!(kept["quantity"], 2);
    let ledger = app
        .count("SELECT COUNT(*) FROM stock_movements WHERE user_id IS NULL")
        .await;
    assert_eq!(ledger, 1, "the ledger keeps the movement, without the user");
}
