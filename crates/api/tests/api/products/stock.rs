//! Products: stock changes and the ledger, alone and concurrent.

use super::*;
use crate::answers::assert_tally;

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
        .get_json(
            &format!("/api/v1/products/{id}/stock-movements"),
            Some(&user.access),
        )
        .await;
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
    assert_tally(attempts, &[(200, 50), (409, 50)]).await;
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
        .get_json(
            &format!("/api/v1/products/{id}/stock-movements?limit=100"),
            Some(&user.access),
        )
        .await;
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
