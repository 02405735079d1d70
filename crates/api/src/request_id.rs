//! The outermost middleware: gives every request an id (the client's `X-Request-Id` when it
//! is acceptable), makes it available to error bodies, turns any error answer into problem
//! details, records metrics, opens the request's trace span (when traces are exported) and
//! writes one log line per request.

use crate::error::{ApiError, PROBLEM_JSON};
use crate::metrics;
use crate::outage::Refusal;
use crate::request_context;
use crate::state::AppState;
use crate::telemetry;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError, web};
use std::time::Instant;
use tracing::Instrument;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The request id, also stored in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = telemetry::request_span(&req, &id);
    let outages = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.outages.clone());
    let report_refusal = |res: &HttpResponse<BoxBody>| {
        if let (Some(outages), Some(refusal)) = (&outages, res.extensions().get::<Refusal>()) {
            outages.refused(refusal.dependency, &refusal.cause);
        }
    };
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let started = Instant::now();
    let log = |status: u16, route: &str| {
        let elapsed = started.elapsed();
        metrics::record_request(&method, route, status, elapsed);
        telemetry::finish_request(&span, &method, route, status);
        let _in_span = span.enter();
        tracing::info!(
            request_id = %id,
            method = %method,
            path = %path,
            route = %route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
    };

    let outcome = request_context::scope(id.clone(), async {
        match next.call(req).await {
            Ok(res) => {
                let (req, res) = res.map_into_boxed_body().into_parts();
                Ok(ServiceResponse::new(req, ensure_problem(res)))
            }
            // A middleware failed before a response existed: answer for it.
            Err(e) => Err((e.to_string(), ensure_problem(e.error_response()))),
        }
    })
    .instrument(span.clone())
    .await;
    let header_value = HeaderValue::from_str(&id).ok();
    match outcome {
        Ok(mut res) => {
            if let Some(v) = header_value {
                res.headers_mut().insert(HEADER, v);
            }
            report_refusal(res.response());
            let route = res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned());
            log(res.status().as_u16(), &route);
            Ok(res)
        }
        Err((cause, mut response)) => {
            report_refusal(&response);
            if let Some(v) = header_value {
                response.headers_mut().insert(HEADER, v);
            }
            log(response.status().as_u16(), "unmatched");
            Err(InternalError::from_response(cause, response).into())
        }
    }
}

/// An error status without a JSON body (the framework's own, a middleware's) gets a
/// problem body. JSON bodies are deliberate: problems, or the readiness report's 503.
fn ensure_problem(res: HttpResponse<BoxBody>) -> HttpResponse<BoxBody> {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(PROBLEM_JSON) || ct.starts_with("application/json"));
    if !status.is_client_error() && !status.is_server_error() || is_json {
        return res;
    }
    let detail = status.canonical_reason().unwrap_or("error").to_lowercase();
    let mut new = ApiError::from_status(status, detail).error_response();
    // Keep headers such as Allow or WWW-Authenticate the original answer set.
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && !new.headers().contains_key(name)
        {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    new
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn client_ids_are_checked() {
        assert!(acceptable("abc-DEF_1.2"));
        assert!(acceptable(&"a".repeat(128)));
        assert!(!acceptable(""));
        assert!(!acceptable(&"a".repeat(129)));
        assert!(!acceptable("has space"));
        assert!(!acceptable("semi;colon"));
    }
}
