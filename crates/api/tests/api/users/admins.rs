//! Users: what admins may do, and the last admin.

use super::*;

#[tokio::test]
async fn the_last_active_admin_cannot_demote_deactivate_or_delete_itself() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let path = own_path(&app, &admin).await;
    for change in [json!({"role": "member"}), json!({"is_active": false})] {
        let problem = assert_problem(
            app.send_json(Method::PATCH, &path, &change, Some(&admin))
                .await,
            409,
        )
        .await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("last active admin"),
            "{problem}"
        );
    }
    assert_problem(
        app.request(Method::DELETE, &path, Some(&admin))
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    let after: Value = app.get_json(&path, Some(&admin)).await;
    assert_eq!(
        (after["role"].as_str(), after["is_active"].as_bool()),
        (Some("admin"), Some(true)),
        "nothing changed"
    );
    // A rename is no demotion.
    patch_ok(&app, &path, &json!({"name": "Root"}), &admin).await;

    // With a second admin, either may step down; then the other is the last.
    let second = app.register("second@example.com").await;
    let second_path = format!("/api/v1/users/{}", second.id);
    patch_ok(&app, &second_path, &json!({"role": "admin"}), &admin).await;
    patch_ok(&app, &path, &json!({"role": "member"}), &admin).await;
    assert_problem(
        app.send_json(
            Method::PATCH,
            &second_path,
            &json!({"is_active": false}),
            Some(&second.access),
        )
        .await,
        409,
    )
    .await;
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let first = own_path(&app, &admin).await;
    for round in 0..5 {
        let other = app.register(&format!("rival{round}@example.com")).await;
        let second = format!("/api/v1/users/{}", other.id);
        patch_ok(&app, &second, &json!({"role": "admin"}), &admin).await;
        let demote = json!({"role": "member"});
        let (a, b) = tokio::join!(
            app.send_json(Method::PATCH, &second, &demote, Some(&admin)),
            app.send_json(Method::PATCH, &first, &demote, Some(&other.access)),
        );
        // One wins; the other is refused: 409 if it was still an admin when it asked,
        // 403 if the winner's demotion of it came first.
        let statuses = [a.status().as_u16(), b.status().as_u16()];
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| [200, 403, 409].contains(s)),
            "round {round}: {statuses:?}"
        );
        let admins = app
            .count("SELECT COUNT(*) FROM users WHERE role = 'admin' AND is_active")
            .await;
        assert_eq!(admins, 1, "round {round}");
        if a.status() != StatusCode::OK {
            // The first admin was demoted: swap back for the next round.
            patch_ok(&app, &first, &json!({"role": "admin"}), &other.access).await;
            patch_ok(&app, &second, &demote, &admin).await;
        }
    }
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let user = app.register("phone@example.com").await;
    let laptop: Value = app
        .login(&user.email, &user.password)
        .await
        .json()
        .await
        .unwrap();
    let laptop_access = laptop["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/users/me", Some(laptop_access))
            .await
            .status(),
        StatusCode::OK
    );

    let res = app
        .send_json(
            Method::PATCH,
            "/api/v1/users/me",
            &json!({"password": "a brand new password", "current_password": user.password}),
            Some(&user.access),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    assert_problem(app.get("/api/v1/users/me", Some(laptop_access)).await, 401).await;
    let refresh = app.refresh(laptop["refresh_token"].as_str().unwrap()).await;
    assert_problem(refresh, 401).await;
    assert_eq!(
        app.get("/api/v1/users/me", Some(&user.access))
            .await
            .status(),
        StatusCode::OK,
        "the session that changed the password goes on"
    );
    let renamed = app
        .send_json(
            Method::PATCH,
            "/api/v1/users/me",
            &json!({"name": "Still me"}),
            Some(&user.access),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK, "a rename ends nothing");
}

/// The caller's own `/api/v1/users/{id}`.
async fn own_path(app: &TestApp, token: &str) -> String {
    let me: Value = app.get_json("/api/v1/users/me", Some(token)).await;
    format!("/api/v1/users/{}", me["id"].as_str().unwrap())
}
