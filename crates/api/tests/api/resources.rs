//! The conventions every resource shares, run over each of them: a new resource adds one
//! row to `RESOURCES`. Each resource's own file tests only what is its own.

use crate::answers::{assert_problem, etag_of, fields, location_of};
use crate::helpers::{TestApp, TestUser, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Who may write a resource besides an admin.
#[derive(Clone, Copy)]
enum Writer {
    /// Only admins.
    Admin,
    /// The member who created it.
    Creator,
}

struct Resource {
    /// Where items are created: `{post}` stands for a post of the creator's.
    create_at: &'static str,
    /// Where an item lives, before its id.
    item_prefix: &'static str,
    create: fn(u32) -> Value,
    /// A valid partial change.
    patch: Value,
    /// Whether `PUT` replaces an item (with the create body).
    put: bool,
    writer: Writer,
}

fn resources() -> Vec<Resource> {
    vec![
        Resource {
            create_at: "/api/v1/products",
            item_prefix: "/api/v1/products/",
            create: |n| json!({"name": format!("Lamp {n}"), "price": "9.99"}),
            patch: json!({"price": "10.50"}),
            put: true,
            writer: Writer::Creator,
        },
        Resource {
            create_at: "/api/v1/employees",
            item_prefix: "/api/v1/employees/",
            create: |n| json!({"full_name": "Grace", "email": format!("grace{n}@example.com")}),
            patch: json!({"full_name": "Grace Hopper"}),
            put: true,
            writer: Writer::Admin,
        },
        Resource {
            create_at: "/api/v1/users",
            item_prefix: "/api/v1/users/",
            create: |n| json!({"email": format!("made{n}@example.com"), "password": "password-123"}),
            patch: json!({"name": "Renamed"}),
            put: false,
            writer: Writer::Admin,
        },
        Resource {
            create_at: "/api/v1/posts",
            item_prefix: "/api/v1/posts/",
            create: |n| json!({"title": format!("Post {n}"), "content": "Hello"}),
            patch: json!({"title": "Edited"}),
            put: true,
            writer: Writer::Creator,
        },
        Resource {
            create_at: "/api/v1/posts/{post}/comments",
            item_prefix: "/api/v1/comments/",
            create: |n| json!({"content": format!("Comment {n}")}),
            patch: json!({"content": "Edited"}),
            put: false,
            writer: Writer::Creator,
        },
    ]
}

struct Actors {
    admin: String,
    owner: TestUser,
    stranger: TestUser,
    /// A post of `owner`'s, for resources that hang off one.
    post: String,
}

impl Actors {
    async fn new(app: &TestApp) -> Self {
        let owner = app.register("owner@example.com").await;
        let res = app
            .post_json(
                "/api/v1/posts",
                &json!({"title": "Parent", "content": "x"}),
                Some(&owner.access),
            )
            .await;
        let post: Value = res.json().await.unwrap();
        Self {
            admin: app.admin_token().await,
            stranger: app.register("stranger@example.com").await,
            post: post["id"].as_str().unwrap().to_owned(),
            owner,
        }
    }

    fn creator(&self, writer: Writer) -> &str {
        match writer {
            Writer::Admin => &self.admin,
            Writer::Creator => &self.owner.access,
        }
    }
}

/// Creates an item: `201` with `Location` and an `ETag` that a read repeats.
async fn create(app: &TestApp, r: &Resource, actors: &Actors, n: u32) -> (String, String) {
    let at = r.create_at.replace("{post}", &actors.post);
    let token = actors.creator(r.writer);
    let res = app.post_json(&at, &(r.create)(n), Some(token)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "create at {at}");
    let location = location_of(&res);
    let etag = etag_of(&res);
    let body: Value = res.json().await.unwrap();
    let id = body["id"].as_str().unwrap();
    assert_eq!(location, format!("{}{id}", r.item_prefix));
    let read = app.get(&location, Some(token)).await;
    assert_eq!(read.status(), StatusCode::OK, "{location}");
    assert_eq!(etag_of(&read), etag, "{location}");
    (location, etag)
}

#[tokio::test]
async fn every_resource_follows_the_shared_conventions() {
    let app = spawn_app().await;
    let actors = Actors::new(&app).await;
    for (n, r) in (0u32..).zip(resources()) {
        let at = r.create_at.replace("{post}", &actors.post);
        // No token: 401 before anything is read or written.
        assert_problem(app.post_json(&at, &(r.create)(n), None).await, 401).await;

        let (item, etag) = create(&app, &r, &actors, n).await;
        let stranger = Some(actors.stranger.access.as_str());
        let mut writes = vec![
            (Method::PATCH, r.patch.clone()),
            (Method::DELETE, Value::Null),
        ];
        if r.put {
            writes.push((Method::PUT, (r.create)(n + 100)));
        }
        for (method, body) in &writes {
            let res = app.send_json(method.clone(), &item, body, stranger).await;
            assert_problem(res, 403).await;
        }
        let token = Some(actors.creator(r.writer));
        let unchanged = app.get(&item, token).await;
        assert_eq!(etag_of(&unchanged), etag, "{item}");

        // A stale `If-Match` is 412 and changes nothing; the current one is honoured.
        let stale = "\"0000-stale\"";
        let res = app
            .send_if_match(Method::PATCH, &item, token, stale, Some(&r.patch))
            .await;
        assert_problem(res, 412).await;
        let unchanged = app.get(&item, token).await;
        assert_eq!(etag_of(&unchanged), etag, "{item}");
        let res = app
            .send_if_match(Method::PATCH, &item, token, &etag, Some(&r.patch))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{item}");
        assert_ne!(etag_of(&res), etag, "{item}");

        // An id that is not a UUID names the field.
        let bad = format!("{}not-a-uuid", r.item_prefix);
        let problem = assert_problem(app.get(&bad, token).await, 422).await;
        assert_eq!(fields(&problem), vec!["id"], "{bad}");
    }
}
