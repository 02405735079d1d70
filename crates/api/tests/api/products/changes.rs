//! Products: replacing, patching and deleting, and who may.

use super::*;
use crate::answers::{assert_invalid, etag_of};

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
        assert_invalid(
            app.send_json(method, &path, &body, Some(&user.access))
                .await,
            &["quantity"],
        )
        .await;
    }
    assert_invalid(
        app.send_json(
            Method::PUT,
            &path,
            &json!({"name": "Tea"}),
            Some(&user.access),
        )
        .await,
        &["price"],
    )
    .await;
    assert_invalid(
        app.send_json(
            Method::PATCH,
            &path,
            &json!({"name": ""}),
            Some(&user.access),
        )
        .await,
        &["name"],
    )
    .await;
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
    let etag = etag_of(&app.get(&path, None).await);
    assert_eq!(
        stock(&app, &user.access, id, 1).await.status(),
        StatusCode::OK,
        "a stock change is a new version"
    );

    for method in [Method::PATCH, Method::PUT] {
        let res = app
            .send_if_match(
                method,
                &path,
                Some(&user.access),
                &etag,
                Some(&json!({"name": "Changed", "price": "7"})),
            )
            .await;
        assert_problem(res, 412).await;
    }
    let res = app
        .send_if_match(Method::DELETE, &path, Some(&user.access), &etag, None)
        .await;
    assert_problem(res, 412).await;
    let current = app.get(&path, None).await;
    let fresh = etag_of(&current);
    let body: Value = current.json().await.unwrap();
    assert_eq!(
        (body["name"].as_str(), body["price"].as_str()),
        (Some("Tea"), Some("1.00"))
    );

    let res = app
        .send_if_match(
            Method::PATCH,
            &path,
            Some(&user.access),
            &fresh,
            Some(&json!({"price": "7"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
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
