//! SPEC section 1, "HTTP semantics": HEAD, conditional reads, compression, the cache
//! policy, paging links, trailing slashes and `Allow`.

use crate::helpers::TestApp;
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

mod cache;
mod compression;
mod conditional;
mod head;
mod links;
mod redirects;

/// A product made by `token`; its id and ETag.
async fn product(app: &TestApp, token: &str, name: &str, category: &str) -> (String, String) {
    let res = app
        .post_json(
            "/api/v1/products",
            &json!({"name": name, "price": "2.50", "category": category, "description": format!("All about {name}")}),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "create {name}");
    let etag = header(res.headers(), "etag");
    let body: Value = res.json().await.unwrap();
    (body["id"].as_str().unwrap().to_owned(), etag)
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// `method path` with a fixed request id, so two answers can be compared header for header.
fn request(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
    app.request(method, path, token)
        .header("x-request-id", "http-semantics")
}
