//! The W3C trace context as text, so that it can travel where spans cannot: in a queued
//! job's row, from the request that queued it to the worker that runs it.

use opentelemetry::Context;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use std::collections::HashMap;
use tracing_opentelemetry::OpenTelemetrySpanExt;

const TRACEPARENT: &str = "traceparent";

/// The `traceparent` of the span being run; `None` when nothing is being traced (no
/// exporter configured, or no span).
pub fn current() -> Option<String> {
    let context = tracing::Span::current().context();
    let mut carrier = HashMap::with_capacity(1);
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// The remote context a `traceparent` names (an empty context when it names none), to
/// parent a span on.
pub fn parent(traceparent: &str) -> Context {
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
    TraceContextPropagator::new().extract(&carrier)
}
