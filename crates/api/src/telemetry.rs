//! Logs and traces, set up in one place: one `tracing` subscriber writes the log lines
//! (human-readable or JSON, filtered by `RUST_LOG`) and, when `OTEL_EXPORTER_OTLP_ENDPOINT`
//! is set, also exports spans as OpenTelemetry traces over OTLP/HTTP (protobuf).
//!
//! Spans leave on the SDK's batch processor, which runs on a thread of its own: an export
//! that is slow or fails (collector gone) only drops spans from its queue, it never holds a
//! request. Unset, no span is made per request, so nothing is slower.

use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderMap;
use infra::config::LogFormat;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Whether spans are exported: requests get a span only then.
static EXPORTING: AtomicBool = AtomicBool::new(false);

pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Where traces go, from the standard OpenTelemetry variables.
#[derive(Debug, Clone, Default)]
pub struct TraceSettings {
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`); `None` exports nothing.
    pub endpoint: Option<String>,
    /// `OTEL_SERVICE_NAME`, `api` when unset.
    pub service_name: String,
}

impl TraceSettings {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let disabled = var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let endpoint = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT"))
            .filter(|_| !disabled);
        Self {
            endpoint,
            service_name: var("OTEL_SERVICE_NAME").unwrap_or_else(|| "api".to_owned()),
        }
    }
}

/// Holds the exporter; [`Telemetry::shutdown`] sends what is still queued.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes the spans still queued (on graceful shutdown) and stops the exporter.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(e) = provider.shutdown()
        {
            tracing::warn!("traces not flushed at shutdown: {e}");
        }
    }
}

pub fn init(format: LogFormat, filter: &str, traces: &TraceSettings) -> Telemetry {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_target(false);
    // Request and job spans show on each log line inside them (their `trace_id` with them).
    let logs = match format {
        LogFormat::Json => fmt.json().flatten_event(true).with_span_list(false).boxed(),
        LogFormat::Pretty => fmt.boxed(),
    }
    .with_filter(filter);

    let provider = traces
        .endpoint
        .as_ref()
        .and_then(|_| match exporter(traces) {
            Ok(provider) => Some(provider),
            Err(e) => {
                eprintln!("traces are not exported: {e}");
                None
            }
        });
    // Our spans down to DEBUG (database statements), everyone else's from INFO.
    let traced = Targets::new()
        .with_target("api", LevelFilter::DEBUG)
        .with_target("infra", LevelFilter::DEBUG)
        .with_target("app", LevelFilter::DEBUG)
        .with_default(LevelFilter::INFO);
    let otel = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("api"))
            // The attributes a trace viewer needs, not where in our code a span was opened.
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_tracked_inactivity(false)
            .with_filter(traced)
    });
    // A second initialisation (tests) keeps the first subscriber.
    let installed = tracing_subscriber::registry()
        .with(logs)
        .with(otel)
        .try_init()
        .is_ok();
    if installed && provider.is_some() {
        EXPORTING.store(true, Ordering::Relaxed);
    }
    Telemetry { provider }
}

/// The exporter reads the endpoint (and `OTEL_EXPORTER_OTLP_HEADERS`, timeouts, the batch
/// settings `OTEL_BSP_*`) from the environment itself.
fn exporter(traces: &TraceSettings) -> Result<SdkTracerProvider, domain::BoxError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(traces.service_name.clone())
                .build(),
        )
        .build())
}

/// An actix header map as seen by a propagator.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The server span of a request, continuing the caller's `traceparent`; `Span::none()`
/// when nothing is exported. Named by method until the route is known ([`finish_request`]).
pub fn request_span(req: &ServiceRequest, request_id: &str) -> Span {
    if !exporting() {
        return Span::none();
    }
    let method = req.method().as_str();
    let span = tracing::info_span!(
        "request",
        otel.name = method,
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = method,
        http.route = Empty,
        http.response.status_code = Empty,
        url.path = req.path(),
        request_id,
        trace_id = Empty,
    );
    let parent = TraceContextPropagator::new().extract(&Headers(req.headers()));
    // Fails only without the OpenTelemetry layer, which `exporting` rules out.
    let _ = span.set_parent(parent);
    record_trace_id(&span);
    span
}

/// Names the request's span by its route template and records the answer.
pub fn finish_request(span: &Span, method: &str, route: &str, status: u16) {
    if span.is_none() {
        return;
    }
    // The span is built by now (its trace id was read), so the name goes to it directly:
    // tracing-opentelemetry applies a recorded `otel.name` only before that.
    span.context()
        .span()
        .update_name(format!("{method} {route}"));
    span.record("http.route", route);
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
}

/// The span of one job run, in the trace of the request that queued the job.
pub fn job_span(kind: &str, job: &domain::job::ClaimedJob) -> Span {
    if !exporting() {
        return Span::none();
    }
    let span = tracing::info_span!(
        "job",
        otel.name = format!("job {kind}"),
        otel.kind = "consumer",
        job.kind = kind,
        job.id = %job.id,
        job.attempt = job.attempt,
        trace_id = Empty,
    );
    if let Some(parent) = &job.trace_parent {
        let _ = span.set_parent(infra::trace_context::parent(parent));
    }
    record_trace_id(&span);
    span
}

fn record_trace_id(span: &Span) {
    let trace_id = span.context().span().span_context().trace_id();
    span.record("trace_id", tracing::field::display(trace_id));
}
