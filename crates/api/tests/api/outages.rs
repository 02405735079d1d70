//! A dependency's outage in the logs of the real binary: one ERROR when it starts, one line
//! when it ends (how long, how many refused), every refusal counted in the metrics, and no
//! line per refused request.

use crate::helpers::{Backend, backend, fresh_database};
use crate::metered::sample;
use crate::operations::{database_away, database_back};
use crate::process::spawn_binary;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_database_outage_is_logged_once_when_it_starts_and_once_when_it_ends() {
    if backend() != Backend::Postgres {
        eprintln!(
            "skipped: a database outage on SQLite (a file inside the process cannot go away)"
        );
        return;
    }
    let (_db, url) = fresh_database().await;
    let process = spawn_binary(
        &url,
        &[
            ("LOG_FORMAT", "json".to_owned()),
            ("DB_TIMEOUT_SECS", "2".to_owned()),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let products = process.url("/api/v1/products");
    assert_eq!(client.get(&products).send().await.unwrap().status(), 200);

    let admin = database_away(&url).await;

    // Sixteen clients read for three seconds while the database is away.
    let refused = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (client, url) = (client.clone(), products.clone());
            let (refused, stop) = (refused.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let res = client.get(&url).send().await.unwrap();
                    let status = res.status().as_u16();
                    assert!(status == 200 || status == 503, "{status}");
                    if status == 503 {
                        assert!(res.headers().contains_key("retry-after"));
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let refused = refused.load(Ordering::Relaxed);
    assert!(refused >= 50, "requests were refused: {refused}");

    database_back(&admin, &url).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let lines = loop {
        let lines = process.lines.lock().unwrap().clone();
        if lines.iter().any(|l| l.contains("database available again")) {
            break lines;
        }
        assert!(Instant::now() < deadline, "the end of the outage is logged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(client.get(&products).send().await.unwrap().status(), 200);

    let logged: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let at = |level: &str| {
        logged
            .iter()
            .filter(|l| l["level"] == level)
            .collect::<Vec<_>>()
    };
    let errors = at("ERROR");
    assert_eq!(
        errors.len(),
        1,
        "one ERROR for the whole outage: {errors:#?}"
    );
    assert_eq!(errors[0]["dependency"], "database");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("database unavailable")
    );
    let warnings = at("WARN");
    let end: Vec<_> = warnings
        .iter()
        .filter(|l| {
            l["message"]
                .as_str()
                .unwrap_or("")
                .contains("available again")
        })
        .collect();
    assert_eq!(end.len(), 1, "{warnings:#?}");
    assert_eq!(end[0]["refused"].as_u64(), Some(refused), "{:#?}", end[0]);
    // A reminder at most every 10 s: none in a 3 s outage. The few other warnings (the job
    // worker's own "queue unavailable") are each written once, never once per request.
    assert!(
        !warnings.iter().any(|l| l["message"]
            .as_str()
            .unwrap_or("")
            .contains("still unavailable")),
        "{warnings:#?}"
    );
    // sqlx warns once per pooled connection it finds broken (at most DB_MAX_CONNECTIONS).
    assert!(
        warnings.len() <= 25 && (warnings.len() as u64) * 10 < refused,
        "no storm: {} warnings for {refused} refusals: {warnings:#?}",
        warnings.len()
    );

    eprintln!(
        "{refused} requests refused; logged: {} ERROR, {} WARN",
        errors.len(),
        warnings.len()
    );
    let page = client
        .get(process.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        sample(&page, "dependency_refusals_total{dependency=\"database\"}"),
        refused as f64
    );
    assert_eq!(sample(&page, "dependency_up{dependency=\"database\"}"), 1.0);
}
