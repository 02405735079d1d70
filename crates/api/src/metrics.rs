//! Prometheus metrics: requests by route template and status, latency histogram, pool use,
//! queue depth. Sockets, events and jobs are counted where they happen (`ws`, `worker`,
//! `infra::events`): `websocket_connections`, `events_published_total`,
//! `events_delivered_total`, `events_dropped_total{reason}`, `jobs_done_total`,
//! `jobs_retried_total`, `jobs_failed_total`.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder (a metrics recorder is global by design); installed once,
/// shared by every server in the process, e.g. in tests.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            )
            .map(PrometheusBuilder::build_recorder);
        match recorder {
            Ok(recorder) => {
                let handle = recorder.handle();
                // Fails only if another recorder is installed; ours then stays unused.
                let _ = metrics::set_global_recorder(recorder);
                handle
            }
            Err(e) => {
                tracing::error!("metrics recorder: {e}");
                PrometheusBuilder::new().build_recorder().handle()
            }
        }
    })
}

pub fn record_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
}

pub fn record_pool(open: u32, idle: usize, max: u32) {
    metrics::gauge!("db_pool_connections").set(f64::from(open));
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    metrics::gauge!("db_pool_in_use_connections").set(f64::from(open) - idle as f64);
    metrics::gauge!("db_pool_max_connections").set(f64::from(max));
}

/// Jobs waiting or running.
pub fn record_job_queue(depth: u64) {
    metrics::gauge!("job_queue_depth").set(depth as f64);
}
