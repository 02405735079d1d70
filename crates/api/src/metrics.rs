//! Prometheus metrics: requests by route template and status, latency histogram, pool use,
//! queue depth. Sockets, events and jobs are counted where they happen (`ws`, `worker`,
//! `infra::events`): `websocket_connections`, `events_published_total`,
//! `events_delivered_total`, `events_dropped_total{reason}`, `jobs_done_total`,
//! `jobs_retried_total`, `jobs_failed_total`.

use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::cell::RefCell;
use std::collections::HashMap;
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
                start_upkeep(handle.clone());
                handle
            }
            Err(e) => {
                tracing::error!("metrics recorder: {e}");
                PrometheusBuilder::new().build_recorder().handle()
            }
        }
    })
}

/// How often buffered histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// `build_recorder`, unlike the exporter's `install`, starts no upkeep: each latency sample
/// then stays buffered until a scrape renders it, and with nobody scraping RSS grew by
/// about 1.7 MB per second at 110k req/s. A plain thread, not a task: the recorder is
/// process-wide and outlives any one runtime (the tests start many).
fn start_upkeep(handle: PrometheusHandle) {
    let upkeep = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = upkeep {
        tracing::error!("metrics upkeep thread: {e}");
    }
}

pub fn record_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    SERIES.with_borrow_mut(|by_route| {
        let known = by_route
            .get(route)
            .and_then(|series| series.iter().find(|s| s.is(method, status)));
        if let Some(series) = known {
            series.record(elapsed);
            return;
        }
        let series = RequestSeries::register(method, route, status);
        series.record(elapsed);
        if by_route.values().map(Vec::len).sum::<usize>() < MAX_SERIES_PER_THREAD {
            by_route.entry(route.to_owned()).or_default().push(series);
        }
    });
}

/// The most series a thread keeps handles for; past it (clients inventing methods) a
/// series is registered on each request, as it would be without the cache.
const MAX_SERIES_PER_THREAD: usize = 1024;

thread_local! {
    /// Each worker thread's handles to the series it has recorded, by route. Registering
    /// looks the labels up in the recorder's shared map and allocates them: per request,
    /// that was 6 % of a product read's instructions (callgrind).
    static SERIES: RefCell<HashMap<String, Vec<RequestSeries>>> = RefCell::new(HashMap::new());
}

/// One route's request counter and latency histogram for a method and status.
struct RequestSeries {
    method: String,
    status: u16,
    count: Counter,
    latency: Histogram,
}

impl RequestSeries {
    fn register(method: &str, route: &str, status: u16) -> Self {
        // Installs the recorder if nothing did yet: a handle taken before would be a no-op
        // one, kept for good.
        handle();
        let labels = [
            ("method", method.to_owned()),
            ("route", route.to_owned()),
            ("status", status.to_string()),
        ];
        Self {
            method: method.to_owned(),
            status,
            count: metrics::counter!("http_requests_total", &labels),
            latency: metrics::histogram!("http_request_duration_seconds", &labels),
        }
    }

    fn is(&self, method: &str, status: u16) -> bool {
        self.status == status && self.method == method
    }

    fn record(&self, elapsed: Duration) {
        self.count.increment(1);
        self.latency.record(elapsed.as_secs_f64());
    }
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

/// Lets a gauge that costs a query be read at most once per interval, however often
/// `/metrics` is scraped: a flood of scrapes costs the database nothing more.
pub struct ReadEvery {
    every: Duration,
    last: std::sync::Mutex<Option<std::time::Instant>>,
}

impl ReadEvery {
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            last: std::sync::Mutex::new(None),
        }
    }

    /// Whether to read now; if so, the next read is due one interval later.
    pub fn due(&self) -> bool {
        let now = std::time::Instant::now();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        match *last {
            Some(at) if now.duration_since(at) < self.every => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_costly_gauge_is_read_once_per_interval() {
        let reads = ReadEvery::new(Duration::from_secs(3600));
        assert!(reads.due());
        assert!(!reads.due() && !reads.due());
        let always = ReadEvery::new(Duration::ZERO);
        assert!(always.due() && always.due());
    }

    fn count_line(route: &str, status: u16) -> Option<String> {
        let wanted =
            format!("http_requests_total{{method=\"GET\",route=\"{route}\",status=\"{status}\"}}");
        handle()
            .render()
            .lines()
            .find(|l| l.starts_with(&wanted))
            .map(str::to_owned)
    }

    #[test]
    fn every_request_is_counted_once_its_series_is_kept() {
        let route = "/metrics-test/{id}";
        for _ in 0..3 {
            record_request("GET", route, 200, Duration::from_millis(2));
        }
        record_request("GET", route, 404, Duration::from_millis(1));
        assert_eq!(
            count_line(route, 200)
                .as_deref()
                .and_then(|l| l.rsplit(' ').next()),
            Some("3")
        );
        assert_eq!(
            count_line(route, 404)
                .as_deref()
                .and_then(|l| l.rsplit(' ').next()),
            Some("1")
        );
    }
}
