//! SPEC section 4: staff records.

use crate::answers::{assert_invalid, assert_problem, etag_of, fields, location_of};
use crate::helpers::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn hire(app: &TestApp, admin: &str, name: &str, email: &str) -> Value {
    let res = app
        .post_json(
            "/api/v1/employees",
            &json!({"full_name": name, "email": email}),
            Some(admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

#[tokio::test]
async fn users_read_and_only_admins_write() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let member = app.register("member@example.com").await;
    let m = Some(member.access.as_str());
    let res = app
        .post_json(
            "/api/v1/employees",
            &json!({"full_name": "Grace", "email": "Grace@Example.com"}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = location_of(&res);
    let grace: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/employees/{}", grace["id"].as_str().unwrap())
    );
    assert_eq!(
        (grace["email"].as_str(), grace["is_active"].as_bool()),
        (Some("grace@example.com"), Some(true))
    );

    let res = app.get(&location, m).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("etag"));
    assert_eq!(
        app.get("/api/v1/employees", m).await.status(),
        StatusCode::OK
    );
    assert_problem(app.get("/api/v1/employees", None).await, 401).await;
    assert_problem(app.get(&location, None).await, 401).await;

    let body = json!({"full_name": "Mallory", "email": "m@example.com"});
    assert_problem(app.post_json("/api/v1/employees", &body, m).await, 403).await;
    // PUT, PATCH and DELETE: `resources::every_resource_follows_the_shared_conventions`.
    assert_eq!(app.count("SELECT COUNT(*) FROM employees").await, 1);
}

#[tokio::test]
async fn invalid_and_duplicate_employees_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    hire(&app, &admin, "Grace", "grace@example.com").await;
    let res = app
        .post_json(
            "/api/v1/employees",
            &json!({"full_name": "G", "email": "GRACE@example.com"}),
            Some(&admin),
        )
        .await;
    assert_problem(res, 409).await;
    for (body, expected) in [
        (
            json!({"full_name": "", "email": "x@example.com"}),
            vec!["full_name"],
        ),
        (json!({"full_name": "X", "email": "nope"}), vec!["email"]),
        (json!({}), vec!["full_name", "email"]),
        (
            json!({"full_name": "x".repeat(201), "email": "x@example.com"}),
            vec!["full_name"],
        ),
    ] {
        let problem = assert_problem(
            app.post_json("/api/v1/employees", &body, Some(&admin))
                .await,
            422,
        )
        .await;
        assert_eq!(fields(&problem), expected, "{body}");
    }
    assert_problem(
        app.get(
            &format!("/api/v1/employees/{}", uuid::Uuid::now_v7()),
            Some(&admin),
        )
        .await,
        404,
    )
    .await;
    assert_problem(app.get("/api/v1/employees/x", Some(&admin)).await, 422).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM employees").await, 1);
}

#[tokio::test]
async fn list_searches_name_and_email_and_filters_by_activity() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    hire(&app, &admin, "Ada Lovelace", "ada@engine.test").await;
    let bob = hire(&app, &admin, "Bob", "bob@ADA-corp.test").await;
    hire(&app, &admin, "Carol", "carol@example.com").await;
    let path = format!("/api/v1/employees/{}", bob["id"].as_str().unwrap());
    app.send_json(
        Method::PATCH,
        &path,
        &json!({"is_active": false}),
        Some(&admin),
    )
    .await;

    let names = |query: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let page: Value = app
                .get_json(&format!("/api/v1/employees?{query}"), Some(&admin))
                .await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["full_name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names("").await, ["Carol", "Bob", "Ada Lovelace"]);
    assert_eq!(names("q=ADA").await, ["Bob", "Ada Lovelace"]);
    assert_eq!(names("is_active=false").await, ["Bob"]);
    assert_eq!(names("q=ada&is_active=true").await, ["Ada Lovelace"]);
    assert_invalid(
        app.get("/api/v1/employees?is_active=yes", Some(&admin))
            .await,
        &["is_active"],
    )
    .await;
}

#[tokio::test]
async fn put_replaces_patch_updates_and_delete_removes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let grace = hire(&app, &admin, "Grace", "grace@example.com").await;
    hire(&app, &admin, "Ada", "ada@example.com").await;
    let path = format!("/api/v1/employees/{}", grace["id"].as_str().unwrap());
    let a = Some(admin.as_str());

    let res = app
        .send_json(Method::PATCH, &path, &json!({"is_active": false}), a)
        .await;
    let patched: Value = res.json().await.unwrap();
    assert_eq!(
        (
            patched["full_name"].as_str(),
            patched["is_active"].as_bool()
        ),
        (Some("Grace"), Some(false))
    );

    let res = app
        .send_json(
            Method::PUT,
            &path,
            &json!({"full_name": "Grace H.", "email": "gh@example.com"}),
            a,
        )
        .await;
    let replaced: Value = res.json().await.unwrap();
    assert_eq!(
        (replaced["email"].as_str(), replaced["is_active"].as_bool()),
        (Some("gh@example.com"), Some(true))
    );
    assert_invalid(
        app.send_json(Method::PUT, &path, &json!({"full_name": "X"}), a)
            .await,
        &["email"],
    )
    .await;
    assert_problem(
        app.send_json(
            Method::PATCH,
            &path,
            &json!({"email": "ADA@example.com"}),
            a,
        )
        .await,
        409,
    )
    .await;

    let etag = etag_of(&app.get(&path, a).await);
    app.send_json(Method::PATCH, &path, &json!({"full_name": "Newer"}), a)
        .await;
    let stale = app
        .send_if_match(Method::DELETE, &path, a, &etag, None)
        .await;
    assert_problem(stale, 412).await;
    let stale = app
        .send_if_match(
            Method::PATCH,
            &path,
            a,
            &etag,
            Some(&json!({"full_name": "Older"})),
        )
        .await;
    assert_problem(stale, 412).await;
    assert_eq!(app.get_json(&path, a).await["full_name"], "Newer");

    assert_eq!(
        app.request(Method::DELETE, &path, a)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&path, a).await, 404).await;
    assert_problem(
        app.request(Method::DELETE, &path, a).send().await.unwrap(),
        404,
    )
    .await;
}
