//! `make bench`: starts the API (release build, SQLite in a temporary folder), drives a
//! fixed number of concurrent requests at a few endpoints over loopback, and prints
//! throughput, latency percentiles and the process's resident memory against the targets.
//! Exits non-zero when a target is missed. Bounded in count: it stops by itself.

use api::startup::Application;
use infra::Config;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const REQUESTS: usize = 4000;
const CONCURRENCY: usize = 32;

struct Target {
    name: &'static str,
    p99_ms: f64,
    min_rps: f64,
}

const TARGETS: [Target; 4] = [
    Target {
        name: "GET /health",
        p99_ms: 20.0,
        min_rps: 2000.0,
    },
    Target {
        name: "GET /api/v1/products?limit=20",
        p99_ms: 50.0,
        min_rps: 500.0,
    },
    Target {
        name: "GET /api/v1/posts?limit=20 (signed in)",
        p99_ms: 50.0,
        min_rps: 400.0,
    },
    Target {
        name: "POST /api/v1/products/{id}/stock",
        p99_ms: 100.0,
        min_rps: 200.0,
    },
];
const MAX_RSS_MB: f64 = 150.0;

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn run(make: impl Fn() -> reqwest::RequestBuilder) -> (f64, Vec<Duration>) {
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(REQUESTS);
    let mut remaining = REQUESTS;
    while remaining > 0 {
        let batch = remaining.min(CONCURRENCY);
        let futures = (0..batch).map(|_| {
            let req = make();
            async move {
                let t = Instant::now();
                let res = req.send().await.expect("request");
                assert!(res.status().is_success(), "status {}", res.status());
                res.bytes().await.expect("body");
                t.elapsed()
            }
        });
        latencies.extend(futures_util::future::join_all(futures).await);
        remaining -= batch;
    }
    (REQUESTS as f64 / started.elapsed().as_secs_f64(), latencies)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        database_url: format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
        port: 0,
        jwt_secret: Some("bench-secret-bench-secret-bench-secret".into()),
        bcrypt_cost: 4,
        auth_rate_limit_per_minute: 0,
        rust_log: "warn".into(),
        ..Config::default()
    };
    let secret = config.jwt_secret.clone().unwrap_or_default();
    let app = Application::build(config, &secret).await.expect("start");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let idle_rss = rss_mb();

    let client = reqwest::Client::new();
    let reg: Value = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"email": "bench@example.com", "password": "bench-password"}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let token = reg["access_token"].as_str().expect("token").to_owned();
    let mut product_id = String::new();
    for i in 0..200 {
        let p: Value = client
            .post(format!("{base}/api/v1/products"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("Product {i}"), "price": "1.99", "quantity": 10}))
            .send()
            .await
            .expect("product")
            .json()
            .await
            .expect("json");
        product_id = p["id"].as_str().expect("id").to_owned();
        client
            .post(format!("{base}/api/v1/posts"))
            .bearer_auth(&token)
            .json(&json!({"title": format!("Post {i}"), "content": "Benchmark body"}))
            .send()
            .await
            .expect("post");
    }

    let mut missed = Vec::new();
    println!(
        "{:<42} {:>9} {:>9} {:>9} {:>9}",
        "endpoint", "req/s", "p50 ms", "p99 ms", "target"
    );
    for target in &TARGETS {
        let (c, b, t, id) = (&client, &base, &token, &product_id);
        let (rps, mut lat) = match target.name {
            "GET /health" => run(|| c.get(format!("{b}/health"))).await,
            "GET /api/v1/products?limit=20" => {
                run(|| c.get(format!("{b}/api/v1/products?limit=20"))).await
            }
            "GET /api/v1/posts?limit=20 (signed in)" => {
                run(|| c.get(format!("{b}/api/v1/posts?limit=20")).bearer_auth(t)).await
            }
            _ => {
                run(|| {
                    c.post(format!("{b}/api/v1/products/{id}/stock"))
                        .bearer_auth(t)
                        .json(&json!({"delta": 1}))
                })
                .await
            }
        };
        lat.sort();
        let (p50, p99) = (percentile(&lat, 0.50), percentile(&lat, 0.99));
        let ok = p99 <= target.p99_ms && rps >= target.min_rps;
        println!(
            "{:<42} {:>9.0} {:>9.2} {:>9.2} {:>9}",
            target.name,
            rps,
            p50,
            p99,
            if ok { "met" } else { "MISSED" }
        );
        if !ok {
            missed.push(target.name);
        }
    }
    let loaded_rss = rss_mb();
    println!(
        "resident memory: {idle_rss:.1} MB idle, {loaded_rss:.1} MB after the load (target <= {MAX_RSS_MB} MB)"
    );
    if loaded_rss > MAX_RSS_MB {
        missed.push("memory");
    }
    println!(
        "{REQUESTS} requests per endpoint, {CONCURRENCY} in flight, client and server in one process on 127.0.0.1"
    );
    if !missed.is_empty() {
        eprintln!("targets missed: {}", missed.join(", "));
        std::process::exit(1);
    }
}
