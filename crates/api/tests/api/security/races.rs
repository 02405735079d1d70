//! SPEC section 2, last paragraph: a `PATCH` changes only the fields it sends, so two
//! writes that race (no `If-Match`) both land. A `409` for a lost race fails the test.

use super::{assert_ok, patch, sign_in};
use crate::helpers::{TestApp, spawn_app};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

const ROUNDS: usize = 30;
/// Password changes hash twice per round (check and store): fewer rounds.
const PASSWORD_ROUNDS: usize = 10;

/// Whether a user's own rename, sent at once with a change that may end its session,
/// applied: `200` yes, `401` no (the other change came first and ended the session).
async fn rename_applied(res: Response, round: usize) -> bool {
    match res.status() {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        status => panic!(
            "round {round}: the rename answered {status}: {}",
            res.text().await.unwrap_or_default()
        ),
    }
}

/// The user as the admin sees it.
async fn user(app: &TestApp, admin: &str, id: &str) -> Value {
    app.get_json(&format!("/api/v1/users/{id}"), Some(admin))
        .await
}

/// Races a user's rename against an admin's `change` of that user, on a fresh user each
/// round (`prepare` runs first, as the admin); asserts `check` on the user afterwards and
/// that the name is the rename's when the rename answered `200`.
async fn rename_against(change: Value, prepare: Option<Value>, check: (&str, Value)) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut both = 0;
    for round in 0..ROUNDS {
        let local = format!("racer{round}");
        let member = app.register(&format!("{local}@example.com")).await;
        let path = format!("/api/v1/users/{}", member.id);
        if let Some(body) = &prepare {
            assert_ok(patch(&app, &path, body, &admin).await, "prepare").await;
        }
        let name = format!("Renamed {round}");
        let rename = json!({"name": name});
        let (rename, changed) = tokio::join!(
            patch(&app, "/api/v1/users/me", &rename, &member.access),
            patch(&app, &path, &change, &admin),
        );
        assert_ok(changed, &format!("round {round}: {change}")).await;
        let renamed = rename_applied(rename, round).await;
        let got = user(&app, &admin, &member.id).await;
        assert_eq!(
            got[check.0], check.1,
            "round {round}: the rename undid {change}: {got}"
        );
        let expected = if renamed { name } else { local };
        assert_eq!(got["name"], expected, "round {round}: the name: {got}");
        both += usize::from(renamed);
    }
    assert!(both > 0, "no rename answered 200: nothing raced");
}

#[tokio::test]
async fn a_rename_racing_a_deactivation_keeps_both() {
    rename_against(
        json!({"is_active": false}),
        None,
        ("is_active", json!(false)),
    )
    .await;
}

#[tokio::test]
async fn a_rename_racing_a_demotion_keeps_both() {
    rename_against(
        json!({"role": "member"}),
        Some(json!({"role": "admin"})),
        ("role", json!("member")),
    )
    .await;
}

#[tokio::test]
async fn a_password_change_racing_a_rename_by_another_session_keeps_the_new_hash() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for round in 0..PASSWORD_ROUNDS {
        let member = app.register(&format!("pw{round}@example.com")).await;
        let (other, _) = sign_in(&app, &member.email, &member.password).await;
        let password = format!("new-password-{round}");
        let name = format!("Renamed {round}");
        let change = json!({"password": password, "current_password": member.password});
        let rename = json!({"name": name});
        let (changed, rename) = tokio::join!(
            patch(&app, "/api/v1/users/me", &change, &member.access),
            patch(&app, "/api/v1/users/me", &rename, &other),
        );
        assert_ok(changed, &format!("round {round}: the password change")).await;
        let renamed = rename_applied(rename, round).await;
        assert_eq!(
            app.login(&member.email, &password).await.status(),
            StatusCode::OK,
            "round {round}: the new password"
        );
        assert_eq!(
            app.login(&member.email, &member.password).await.status(),
            StatusCode::UNAUTHORIZED,
            "round {round}: the old hash was written back"
        );
        if renamed {
            let got = user(&app, &admin, &member.id).await;
            assert_eq!(got["name"], name, "round {round}: {got}");
        }
    }
}

/// Races two `PATCH`es of other fields of `path` (by `token`) each round and asserts
/// that every field sent is there afterwards.
async fn race_fields(app: &TestApp, path: &str, token: &str, bodies: impl Fn(usize) -> [Value; 2]) {
    for round in 0..ROUNDS {
        let [a, b] = bodies(round);
        let (ra, rb) = tokio::join!(patch(app, path, &a, token), patch(app, path, &b, token));
        assert_ok(ra, &format!("round {round}: {a}")).await;
        assert_ok(rb, &format!("round {round}: {b}")).await;
        let got = app.get_json(path, Some(token)).await;
        let sent = a.as_object().unwrap().iter().chain(b.as_object().unwrap());
        for (key, value) in sent {
            assert_eq!(&got[key], value, "round {round}: {key} was lost: {got}");
        }
    }
}

/// `POST path` with `body` by `token`: the new resource's URL.
async fn create(app: &TestApp, path: &str, body: Value, token: &str) -> String {
    let res = app.post_json(path, &body, Some(token)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "create {body}");
    let created: Value = res.json().await.unwrap();
    format!("{path}/{}", created["id"].as_str().expect("id"))
}

#[tokio::test]
async fn a_products_price_and_description_patched_at_once_both_land() {
    let app = spawn_app().await;
    let owner = app.register("maker@example.com").await;
    let body = json!({"name": "Racer", "price": "1.00", "description": "start"});
    let path = create(&app, "/api/v1/products", body, &owner.access).await;
    race_fields(&app, &path, &owner.access, |round| {
        [
            json!({"price": format!("{}.{:02}", round + 2, round)}),
            json!({"description": format!("description {round}")}),
        ]
    })
    .await;
}

#[tokio::test]
async fn an_employees_name_and_active_flag_patched_at_once_both_land() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"full_name": "Grace", "email": "grace@example.com"});
    let path = create(&app, "/api/v1/employees", body, &admin).await;
    // The flag starts true and flips every round, so a lost write shows.
    race_fields(&app, &path, &admin, |round| {
        [
            json!({"full_name": format!("Grace {round}")}),
            json!({"is_active": round % 2 == 1}),
        ]
    })
    .await;
}

#[tokio::test]
async fn a_posts_title_and_content_patched_at_once_both_land() {
    let app = spawn_app().await;
    let owner = app.register("writer@example.com").await;
    let body = json!({"title": "Start", "content": "Start"});
    let path = create(&app, "/api/v1/posts", body, &owner.access).await;
    race_fields(&app, &path, &owner.access, |round| {
        [
            json!({"title": format!("Title {round}")}),
            json!({"content": format!("Content {round}")}),
        ]
    })
    .await;
}
