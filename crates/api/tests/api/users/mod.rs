//! SPEC section 2: one's own account and the admin's user management.

use crate::answers::{assert_invalid, assert_problem, etag_of, fields, location_of};
use crate::helpers::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod admins;

#[tokio::test]
async fn a_user_renames_itself_and_changes_its_password_with_the_current_one() {
    let app = spawn_app().await;
    let user = app.register("self@example.com").await;
    let patch = |body: Value| {
        let (app, token) = (&app, user.access.clone());
        async move {
            app.send_json(Method::PATCH, "/api/v1/users/me", &body, Some(&token))
                .await
        }
    };

    let res = patch(json!({"name": "  Selfie "})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "Selfie");

    let missing = assert_problem(patch(json!({"password": "new-password-1"})).await, 422).await;
    assert_eq!(fields(&missing), vec!["current_password"]);
    let wrong = assert_problem(
        patch(json!({"password": "new-password-1", "current_password": "nope-nope"})).await,
        422,
    )
    .await;
    assert_eq!(fields(&wrong), vec!["current_password"]);
    let short = assert_problem(
        patch(json!({"password": "short", "current_password": user.password})).await,
        422,
    )
    .await;
    assert_eq!(fields(&short), vec!["password"]);
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::OK,
        "unchanged so far"
    );

    let res = patch(json!({"password": "new-password-1", "current_password": user.password})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&user.email, "new-password-1").await.status(),
        StatusCode::OK
    );
    // current_password alone changes nothing and is not checked.
    assert_eq!(
        patch(json!({"current_password": "whatever"}))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn others_see_only_id_and_name_while_self_and_admins_see_everything() {
    let app = spawn_app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let admin = app.admin_token().await;
    let path = format!("/api/v1/users/{}", ann.id);

    let res = app.get(&path, Some(&bob.access)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers().contains_key("etag"),
        "every single resource has an ETag"
    );
    let public: Value = res.json().await.unwrap();
    assert_eq!(public, json!({"id": ann.id, "name": "ann"}));

    for token in [&ann.access, &admin] {
        let res = app.get(&path, Some(token)).await;
        assert!(res.headers().contains_key("etag"));
        let full: Value = res.json().await.unwrap();
        assert_eq!(full["email"], "ann@example.com");
    }
    let unknown = format!("/api/v1/users/{}", uuid::Uuid::now_v7());
    assert_problem(app.get(&unknown, Some(&bob.access)).await, 404).await;
    assert_problem(app.get(&path, None).await, 401).await;
}

#[tokio::test]
async fn only_admins_list_create_update_and_delete_users() {
    let app = spawn_app().await;
    let member = app.register("member@example.com").await;
    let target = format!("/api/v1/users/{}", member.id);
    let t = Some(member.access.as_str());
    assert_problem(app.get("/api/v1/users", t).await, 403).await;
    let body = json!({"email": "new@example.com", "password": "password-123"});
    assert_problem(app.post_json("/api/v1/users", &body, t).await, 403).await;
    assert_problem(
        app.send_json(Method::PATCH, &target, &json!({"role": "admin"}), t)
            .await,
        403,
    )
    .await;
    assert_problem(
        app.request(Method::DELETE, &target, t)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let me: Value = app.get_json("/api/v1/users/me", t).await;
    assert_eq!(me["role"], "member", "refused writes change nothing");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);
}

#[tokio::test]
async fn admins_list_with_search_and_pagination() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for email in ["alice@one.test", "albert@two.test", "carol@one.test"] {
        app.register(email).await;
    }
    let page: Value = app
        .get_json("/api/v1/users?q=AL&limit=10", Some(&admin))
        .await;
    let emails: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        vec!["albert@two.test", "alice@one.test"],
        "newest first"
    );
    assert_eq!(page["total"], 2);

    let page: Value = app
        .get_json("/api/v1/users?q=one.test&limit=1&offset=1", Some(&admin))
        .await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["email"], "alice@one.test");
    // LIKE wildcards in q are literal.
    let page: Value = app.get_json("/api/v1/users?q=%25", Some(&admin)).await;
    assert_eq!(page["total"], 0);
    let all: Value = app.get_json("/api/v1/users", Some(&admin)).await;
    assert_eq!(all["total"], 4);
}

#[tokio::test]
async fn admins_create_users_with_roles() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"email": "Grace@Example.com", "password": "password-123", "name": "Grace", "role": "admin"});
    let res = app.post_json("/api/v1/users", &body, Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = location_of(&res);
    let created: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/users/{}", created["id"].as_str().unwrap())
    );
    assert_eq!(
        (created["role"].as_str(), created["email"].as_str()),
        (Some("admin"), Some("grace@example.com"))
    );

    assert_problem(
        app.post_json("/api/v1/users", &body, Some(&admin)).await,
        409,
    )
    .await;
    let bad = json!({"email": "x@example.com", "password": "password-123", "role": "root"});
    assert_invalid(
        app.post_json("/api/v1/users", &bad, Some(&admin)).await,
        &["role"],
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs").await,
        0,
        "only registration sends a welcome e-mail"
    );
}

#[tokio::test]
async fn admins_update_roles_and_a_promotion_takes_effect_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let user = app.register("promote@example.com").await;
    let path = format!("/api/v1/users/{}", user.id);
    assert_problem(app.get("/api/v1/users", Some(&user.access)).await, 403).await;

    let res = app
        .send_json(
            Method::PATCH,
            &path,
            &json!({"role": "admin", "name": "Boss"}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(
        (updated["role"].as_str(), updated["name"].as_str()),
        (Some("admin"), Some("Boss"))
    );
    assert_eq!(
        app.get("/api/v1/users", Some(&user.access)).await.status(),
        StatusCode::OK
    );
    // So does a demotion, though the caller was just seen as an admin.
    patch_ok(&app, &path, &json!({"role": "member"}), &admin).await;
    assert_problem(app.get("/api/v1/users", Some(&user.access)).await, 403).await;

    assert_invalid(
        app.send_json(
            Method::PATCH,
            &path,
            &json!({"role": "god", "name": ""}),
            Some(&admin),
        )
        .await,
        &["name", "role"],
    )
    .await;
    let unknown = format!("/api/v1/users/{}", uuid::Uuid::now_v7());
    assert_problem(
        app.send_json(Method::PATCH, &unknown, &json!({"name": "x"}), Some(&admin))
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn admins_delete_users_with_if_match() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let user = app.register("gone@example.com").await;
    let path = format!("/api/v1/users/{}", user.id);
    // Seen signed in just before: the deletion still ends its access at once.
    assert_eq!(
        app.get("/api/v1/users/me", Some(&user.access))
            .await
            .status(),
        StatusCode::OK
    );
    let etag = etag_of(&app.get(&path, Some(&admin)).await);
    app.send_json(
        Method::PATCH,
        &path,
        &json!({"name": "Changed"}),
        Some(&admin),
    )
    .await;

    let stale = app
        .send_if_match(Method::DELETE, &path, Some(&admin), &etag, None)
        .await;
    assert_problem(stale, 412).await;
    assert_eq!(
        app.get(&path, Some(&admin)).await.status(),
        StatusCode::OK,
        "still there"
    );

    let res = app
        .request(Method::DELETE, &path, Some(&admin))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get(&path, Some(&admin)).await, 404).await;
    assert_problem(
        app.request(Method::DELETE, &path, Some(&admin))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_problem(app.get("/api/v1/users/me", Some(&user.access)).await, 401).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions").await,
        1,
        "only the admin's session is left"
    );
}

/// PATCHes `path` as `token`, expecting `200`.
async fn patch_ok(app: &TestApp, path: &str, body: &Value, token: &str) {
    let res = app.send_json(Method::PATCH, path, body, Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK, "PATCH {path} {body}");
}
