//! `Link: <...>; rel="next"` on every page that has a next one, keeping the request's own
//! path, filters, `sort` and `limit`.

use super::{product, request};
use crate::helpers::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The target of a `rel="next"` link, if the answer has one.
fn next_of(res: &reqwest::Response) -> Option<String> {
    let links: Vec<_> = res.headers().get_all("link").iter().collect();
    assert!(links.len() <= 1, "{links:?}");
    let link = links.first()?.to_str().unwrap();
    let (target, params) = link.split_once(';').expect("link params");
    assert_eq!(params.trim(), "rel=\"next\"", "{link}");
    let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
    Some(target.to_owned())
}

/// Follows `Link` from `first` to the end; every item's `name`, in the order served.
async fn walk(app: &TestApp, first: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut next = Some(first.to_owned());
    let mut pages = 0;
    while let Some(path) = next {
        pages += 1;
        assert!(pages < 50, "the chain ends");
        let res = request(app, Method::GET, &path, None)
            // A client-chosen Host must not leak into the link.
            .header("host", "attacker.example")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        next = next_of(&res);
        let page: Value = res.json().await.unwrap();
        assert_eq!(next.is_some(), !page["next_cursor"].is_null(), "{path}");
        if let Some(target) = &next {
            assert!(target.starts_with("/api/v1/products?"), "{target}");
            for kept in ["category=grocery", "sort=-name", "limit=2", "q=Link"] {
                assert!(target.contains(kept), "{target} keeps {kept}");
            }
            assert!(!target.contains("offset="), "{target}");
            assert!(!target.contains("attacker"), "{target}");
            let cursor = page["next_cursor"].as_str().unwrap();
            assert!(target.ends_with(&format!("cursor={cursor}")), "{target}");
        }
        for item in page["items"].as_array().unwrap() {
            names.push(item["name"].as_str().unwrap().to_owned());
        }
    }
    names
}

#[tokio::test]
async fn the_link_chain_walks_a_filtered_sorted_list_to_its_end() {
    let app = spawn_app().await;
    let user = app.register("links@example.com").await;
    for n in 0..7 {
        product(&app, &user.access, &format!("Link {n}"), "grocery").await;
        product(&app, &user.access, &format!("Link other {n}"), "pet").await;
    }
    product(&app, &user.access, "Unrelated", "grocery").await;

    let all: Value = app
        .get_json(
            "/api/v1/products?q=Link&category=grocery&sort=-name&limit=100",
            None,
        )
        .await;
    let expected: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(expected.len(), 7);
    assert!(all["next_cursor"].is_null());

    let served = walk(
        &app,
        "/api/v1/products?q=Link&category=grocery&sort=-name&limit=2",
    )
    .await;
    assert_eq!(served, expected);
    // Starting at an offset, the link continues by cursor from there.
    let served = walk(
        &app,
        "/api/v1/products?q=Link&offset=3&category=grocery&sort=-name&limit=2",
    )
    .await;
    assert_eq!(served, expected[3..]);
}

#[tokio::test]
async fn every_list_links_its_next_page() {
    let app = spawn_app().await;
    let user = app.register("lists@example.com").await;
    let admin = app.admin_token().await;
    let (id, _) = product(&app, &user.access, "Stocked", "pet").await;
    for _ in 0..2 {
        let res = app
            .post_json(
                &format!("/api/v1/products/{id}/stock"),
                &serde_json::json!({"delta": 1}),
                Some(&user.access),
            )
            .await;
        assert!(res.status().is_success());
    }
    product(&app, &user.access, "Second", "pet").await;
    app.register("lists2@example.com").await;
    let mut post_id = String::new();
    for title in ["One", "Two"] {
        let res = app
            .post_json(
                "/api/v1/posts",
                &serde_json::json!({"title": title, "content": "c", "published": true}),
                Some(&user.access),
            )
            .await;
        post_id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    for content in ["a", "b"] {
        let res = app
            .post_json(
                &format!("/api/v1/posts/{post_id}/comments"),
                &serde_json::json!({"content": content}),
                Some(&user.access),
            )
            .await;
        assert!(res.status().is_success());
    }
    for n in 0..2 {
        let res = app
            .post_json(
                "/api/v1/employees",
                &serde_json::json!({"full_name": format!("Staff {n}"), "email": format!("staff{n}@example.com")}),
                Some(&admin),
            )
            .await;
        assert!(res.status().is_success());
    }
    for (path, token) in [
        ("/api/v1/products?limit=1".to_owned(), None),
        (
            format!("/api/v1/products/{id}/stock-movements?limit=1"),
            Some(&user.access),
        ),
        ("/api/v1/posts?limit=1".to_owned(), None),
        (format!("/api/v1/posts/{post_id}/comments?limit=1"), None),
        ("/api/v1/users?limit=1".to_owned(), Some(&admin)),
        ("/api/v1/employees?limit=1".to_owned(), Some(&admin)),
    ] {
        let res = app.get(&path, token.map(String::as_str)).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let next = next_of(&res).unwrap_or_else(|| panic!("{path} links its next page"));
        let bare = path.split('?').next().unwrap();
        assert!(
            next.starts_with(&format!("{bare}?limit=1&cursor=")),
            "{next}"
        );
        let res = app.get(&next, token.map(String::as_str)).await;
        assert_eq!(res.status(), StatusCode::OK, "{next}");
    }
}
