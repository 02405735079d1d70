//! Operational endpoints: liveness, readiness and metrics.

use crate::metrics;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"ok": true}))]
pub struct Liveness {
    pub ok: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    pub ok: bool,
    pub latency_ms: u64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"ok": true, "checks": {"database": {"ok": true, "latency_ms": 1}}}))]
pub struct Readiness {
    pub ok: bool,
    pub checks: BTreeMap<String, CheckResult>,
}

/// The process is up and serving.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process is up", body = Liveness)))]
#[get("/health")]
pub async fn health() -> web::Json<Liveness> {
    web::Json(Liveness { ok: true })
}

/// Every required dependency answers (the database; Redis when configured).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "A required dependency is down (same shape)", body = Readiness),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let results = futures_util::future::join_all(state.probes.iter().map(|p| async move {
        let r = p.probe().await;
        (
            p.name().to_owned(),
            CheckResult {
                ok: r.ok,
                latency_ms: r.latency.as_millis() as u64,
            },
        )
    }))
    .await;
    let checks: BTreeMap<_, _> = results.into_iter().collect();
    let ok = checks.values().all(|c| c.ok);
    let body = Readiness { ok, checks };
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus text exposition.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics_endpoint(state: web::Data<AppState>) -> HttpResponse {
    let (open, idle) = state.db.pool_usage();
    metrics::record_pool(open, idle, state.db_max_connections);
    // Read at scrape time rather than per worker poll, and at most once per interval.
    if state.job_depth_reads.due() {
        match state.jobs.depth().await {
            Ok(depth) => metrics::record_job_queue(depth),
            Err(e) => tracing::warn!("job queue depth unavailable: {e}"),
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics::handle().render())
}
