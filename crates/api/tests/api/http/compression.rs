//! Compression as the client's `Accept-Encoding` allows, above a size where it pays, and
//! `Vary: Accept-Encoding` on every answer.

use super::{header, product, request};
use crate::helpers::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::io::Read;

fn varies_on_encoding(res: &reqwest::Response) -> bool {
    res.headers().get_all("vary").iter().any(|v| {
        v.to_str()
            .unwrap()
            .split(',')
            .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding"))
    })
}

/// `GET path` with `Accept-Encoding: encoding`, its `Content-Encoding` and decoded body.
async fn fetch(app: &TestApp, path: &str, encoding: &str) -> (Option<String>, Vec<u8>) {
    let res = request(app, Method::GET, path, None)
        .header("accept-encoding", encoding)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    assert!(varies_on_encoding(&res), "{path} {encoding}");
    let coding = res
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_owned());
    let raw = res.bytes().await.unwrap();
    let mut body = Vec::new();
    match coding.as_deref() {
        None => body = raw.to_vec(),
        Some("gzip") => {
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut body)
                .unwrap();
        }
        Some("br") => {
            brotli::Decompressor::new(&raw[..], 4096)
                .read_to_end(&mut body)
                .unwrap();
        }
        Some(other) => panic!("unexpected coding {other}"),
    }
    (coding, body)
}

#[tokio::test]
async fn large_answers_are_compressed_as_asked_and_decode_to_the_same_json() {
    let app = spawn_app().await;
    let user = app.register("zip@example.com").await;
    for n in 0..20 {
        product(
            &app,
            &user.access,
            &format!("Compressible {n:02}"),
            "grocery",
        )
        .await;
    }
    let path = "/api/v1/products?limit=100&sort=name";
    let (coding, plain) = fetch(&app, path, "identity").await;
    assert_eq!(coding, None);
    assert!(plain.len() > 1024, "the page is large enough to compress");
    let plain: Value = serde_json::from_slice(&plain).unwrap();
    for (asked, expected) in [
        ("gzip", "gzip"),
        ("br", "br"),
        // Wherever gzip is offered it is chosen: br costs far more CPU for little gain.
        ("gzip;q=0.5, br", "gzip"),
        ("gzip, deflate, br, zstd", "gzip"),
        ("gzip, br;q=0", "gzip"),
    ] {
        let (coding, body) = fetch(&app, path, asked).await;
        assert_eq!(coding.as_deref(), Some(expected), "{asked}");
        let decoded: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(decoded, plain, "{asked}");
    }
}

#[tokio::test]
async fn small_answers_and_problems_stay_plain_and_still_vary() {
    let app = spawn_app().await;
    let (coding, body) = fetch(&app, "/health", "gzip, br").await;
    assert_eq!(coding, None, "too small to gain");
    assert_eq!(body, br#"{"ok":true}"#);

    let res = request(
        &app,
        Method::GET,
        "/api/v1/products/00000000-0000-0000-0000-000000000000",
        None,
    )
    .header("accept-encoding", "gzip")
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(varies_on_encoding(&res));
    assert_eq!(
        header(res.headers(), "content-type"),
        "application/problem+json"
    );
    assert!(res.headers().get("content-encoding").is_none());
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["status"], 404);

    // A refusal from a middleware (a malformed token) gets the headers too.
    let res = request(&app, Method::GET, "/api/v1/users/me", Some("not-a-jwt"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(varies_on_encoding(&res));
    assert_eq!(header(res.headers(), "cache-control"), "no-store");
}
