//! `make soak`: many WebSockets across two running instances while events flow; counts
//! every event sent against every event received and samples the servers' memory.
//!
//! Point it at two instances of one deployment (same database, same Redis and
//! `REDIS_PREFIX`, `AUTH_RATE_LIMIT_PER_MINUTE=0`):
//!
//! ```sh
//! SOAK_A=http://127.0.0.1:8001 SOAK_B=http://127.0.0.1:8002 SOAK_PIDS=1234,1235 \
//!   SOAK_SOCKETS=500 SOAK_SECONDS=600 cargo run --release -p api --example soak
//! ```
//!
//! Listener `i` belongs to user `i % SOAK_USERS` and connects to A or B in turn. An author
//! publishes posts (every listener must get each `post.published`) and comments on the
//! listeners' own posts (each socket of that post's owner must get the `comment.created`),
//! alternating instances. Bounded in time: it stops by itself and exits non-zero if an
//! event was lost or a socket dropped.

use futures_util::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn env<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kb(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn memory(pids: &[String]) -> String {
    pids.iter()
        .map(|p| format!("pid {p}: {:.1} MB", rss_kb(p) as f64 / 1024.0))
        .collect::<Vec<_>>()
        .join(", ")
}

struct User {
    token: String,
    post_id: String,
}

async fn register(http: &reqwest::Client, base: &str, email: &str) -> String {
    let res = http
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"email": email, "password": "soak-password"}))
        .send()
        .await
        .expect("register");
    assert!(res.status().is_success(), "register: {}", res.status());
    let body: Value = res.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

async fn post(http: &reqwest::Client, base: &str, token: &str, path: &str, body: Value) -> Value {
    let res = http
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.expect("json")
}

#[derive(Default)]
struct Counts {
    published: AtomicU64,
    commented: AtomicU64,
    closed: AtomicU64,
}

#[tokio::main]
async fn main() {
    let a: String = env("SOAK_A", "http://127.0.0.1:8001".to_owned());
    let b: String = env("SOAK_B", "http://127.0.0.1:8002".to_owned());
    let pids: Vec<String> = env("SOAK_PIDS", String::new())
        .split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let sockets: usize = env("SOAK_SOCKETS", 500);
    let users: usize = env("SOAK_USERS", 50).min(sockets).max(1);
    let seconds: u64 = env("SOAK_SECONDS", 600);
    let posts_per_second: f64 = env("SOAK_POSTS_PER_SECOND", 2.0);
    let bases = [a.clone(), b.clone()];
    let run = uuid::Uuid::now_v7().simple().to_string();
    let http = reqwest::Client::new();
    println!("before: {}", memory(&pids));

    let author = register(&http, &a, &format!("author-{run}@soak.test")).await;
    let mut people = Vec::new();
    for u in 0..users {
        let base = &bases[u % 2];
        let token = register(&http, base, &format!("u{u}-{run}@soak.test")).await;
        let own = post(
            &http,
            base,
            &token,
            "/api/v1/posts",
            json!({"title": "mine", "content": "x", "published": false}),
        )
        .await;
        people.push(User {
            token,
            post_id: own["id"].as_str().expect("id").to_owned(),
        });
    }

    let counts = Arc::new(Counts::default());
    let mut listeners = Vec::new();
    for i in 0..sockets {
        let base = &bases[i % 2];
        let url = format!("{}/ws/notify", base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().expect("url");
        let token = &people[i % users].token;
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("handshake");
        let counts = counts.clone();
        listeners.push(tokio::spawn(async move {
            while let Some(msg) = socket.next().await {
                match msg {
                    Ok(Message::Text(text)) => {
                        let frame: Value = serde_json::from_str(&text).unwrap_or_default();
                        match frame["type"].as_str() {
                            Some("post.published") => {
                                counts.published.fetch_add(1, Ordering::Relaxed)
                            }
                            Some("comment.created") => {
                                counts.commented.fetch_add(1, Ordering::Relaxed)
                            }
                            _ => 0,
                        };
                    }
                    Ok(Message::Close(_)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            counts.closed.fetch_add(1, Ordering::Relaxed);
            let _ = socket.close(None).await;
        }));
    }
    // Sockets of each user, for the expected comment deliveries.
    let sockets_of = |u: usize| (0..sockets).filter(|i| i % users == u).count() as u64;
    println!(
        "{sockets} sockets open over {users} users: {}",
        memory(&pids)
    );
    tokio::time::sleep(Duration::from_secs(1)).await;

    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / posts_per_second);
    let (mut posts_sent, mut comments_expected, mut n) = (0u64, 0u64, 0usize);
    let mut next_report = Duration::from_secs(60);
    while started.elapsed() < Duration::from_secs(seconds) {
        let base = &bases[n % 2];
        post(
            &http,
            base,
            &author,
            "/api/v1/posts",
            json!({"title": format!("post {n}"), "content": "soak", "published": true}),
        )
        .await;
        posts_sent += 1;
        let owner = n % users;
        let path = format!("/api/v1/posts/{}/comments", people[owner].post_id);
        // A draft's comments are hidden from others: publish the listeners' posts first.
        if n < users {
            let res = http
                .patch(format!("{base}/api/v1/posts/{}", people[owner].post_id))
                .bearer_auth(&people[owner].token)
                .json(&json!({"published": true}))
                .send()
                .await
                .expect("publish");
            assert!(res.status().is_success());
        }
        post(&http, base, &author, &path, json!({"content": "hello"})).await;
        comments_expected += sockets_of(owner);
        n += 1;
        if started.elapsed() >= next_report {
            println!(
                "{:>4}s: {posts_sent} posts, received {} published / {} comments; {}",
                started.elapsed().as_secs(),
                counts.published.load(Ordering::Relaxed),
                counts.commented.load(Ordering::Relaxed),
                memory(&pids)
            );
            next_report += Duration::from_secs(60);
        }
        tokio::time::sleep(interval).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Each listener also hears the other listeners' drafts being published.
    let published_expected = posts_sent * sockets as u64
        + (0..users.min(n))
            .map(|u| sockets as u64 - sockets_of(u))
            .sum::<u64>();
    let published = counts.published.load(Ordering::Relaxed);
    let commented = counts.commented.load(Ordering::Relaxed);
    let closed = counts.closed.load(Ordering::Relaxed);
    println!("after {}s: {}", started.elapsed().as_secs(), memory(&pids));
    println!("post.published: expected {published_expected}, received {published}");
    println!("comment.created: expected {comments_expected}, received {commented}");
    println!("sockets closed before the end: {closed}");
    for l in &listeners {
        l.abort();
    }
    let ok = published == published_expected && commented == comments_expected && closed == 0;
    if !ok {
        eprintln!("FAILED: events lost or sockets dropped");
        std::process::exit(1);
    }
}
