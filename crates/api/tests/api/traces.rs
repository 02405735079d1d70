//! OpenTelemetry traces from the real binary to an OTLP/HTTP receiver run by the test:
//! the caller's trace is continued, the route template names the span, a registration's
//! job joins its trace, log lines carry the trace id, the queue is flushed on SIGTERM, and
//! a collector that is not there costs a request nothing.

use crate::helpers::fresh_database;
use crate::process::{Process, free_port, spawn_binary};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A span as received, with the hex ids the assertions compare.
#[derive(Debug, Clone)]
struct Received {
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    name: String,
    service: String,
    span: Span,
}

/// Names and attributes only, for failure messages.
fn summary(spans: &[Received]) -> Vec<String> {
    spans
        .iter()
        .map(|s| {
            let attributes: Vec<String> = s.span.attributes.iter().map(|a| a.key.clone()).collect();
            format!(
                "{} {} <- {} {:?}",
                s.name, s.span_id, s.parent_span_id, attributes
            )
        })
        .collect()
}

impl Received {
    fn attribute(&self, key: &str) -> Option<String> {
        self.span
            .attributes
            .iter()
            .find(|a| a.key == key)
            .and_then(|a| a.value.as_ref()?.value.as_ref())
            .map(|v| match v {
                Value::StringValue(s) => s.clone(),
                Value::IntValue(i) => i.to_string(),
                Value::BoolValue(b) => b.to_string(),
                Value::DoubleValue(d) => d.to_string(),
                other => format!("{other:?}"),
            })
    }
}

/// An OTLP/HTTP receiver: `POST /v1/traces` with a protobuf `ExportTraceServiceRequest`.
struct Collector {
    port: u16,
    spans: Arc<Mutex<Vec<Received>>>,
}

impl Collector {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let sink = spans.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    // One request after another on a kept-alive connection.
                    loop {
                        let mut length = 0usize;
                        let mut line = String::new();
                        let mut request_line = String::new();
                        if stream.read_line(&mut request_line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        loop {
                            line.clear();
                            if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                            if let Some((name, value)) = line.split_once(':')
                                && name.eq_ignore_ascii_case("content-length")
                            {
                                length = value.trim().parse().unwrap_or(0);
                            }
                        }
                        let mut body = vec![0; length];
                        if stream.read_exact(&mut body).await.is_err() {
                            return;
                        }
                        assert!(
                            request_line.starts_with("POST /v1/traces "),
                            "{request_line}"
                        );
                        let request = ExportTraceServiceRequest::decode(body.as_slice())
                            .expect("a protobuf ExportTraceServiceRequest");
                        let mut received = Vec::new();
                        for resource in request.resource_spans {
                            let service = resource
                                .resource
                                .iter()
                                .flat_map(|r| &r.attributes)
                                .find(|a| a.key == "service.name")
                                .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                                    Value::StringValue(s) => Some(s.clone()),
                                    _ => None,
                                })
                                .unwrap_or_default();
                            for scope in resource.scope_spans {
                                for span in scope.spans {
                                    received.push(Received {
                                        trace_id: hex(&span.trace_id),
                                        span_id: hex(&span.span_id),
                                        parent_span_id: hex(&span.parent_span_id),
                                        name: span.name.clone(),
                                        service: service.clone(),
                                        span,
                                    });
                                }
                            }
                        }
                        sink.lock().unwrap().extend(received);
                        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
                        if stream.get_mut().write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { port, spans }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn spans(&self) -> Vec<Received> {
        self.spans.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the spans received, up to `within`.
    async fn wait_for(
        &self,
        within: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let spans = self.spans();
            if done(&spans) || Instant::now() > deadline {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A caller's trace: fresh random ids each time.
fn traceparent() -> (String, String, String) {
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let parent = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
    let header = format!("00-{trace_id}-{parent}-01");
    (header, trace_id, parent)
}

async fn wait_for_line(process: &Process, within: Duration, find: impl Fn(&str) -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if process.lines.lock().unwrap().iter().any(|l| find(l)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_request_continues_the_callers_trace_and_its_job_joins_it() {
    let collector = Collector::start().await;
    let (_db, url) = fresh_database().await;
    // Batches leave only every minute: what arrives came from the flush at SIGTERM.
    let mut process = spawn_binary(
        &url,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()),
            ("OTEL_SERVICE_NAME", "api-under-test".to_owned()),
            ("OTEL_BSP_SCHEDULE_DELAY", "60000".to_owned()),
            ("LOG_FORMAT", "json".to_owned()),
        ],
    )
    .await;
    let client = reqwest::Client::new();

    let (header, trace_id, caller_span) = traceparent();
    let res = client
        .post(process.url("/api/v1/auth/register"))
        .header("traceparent", &header)
        .json(&serde_json::json!({"email": "traced@example.com", "password": "password-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let body: serde_json::Value = res.json().await.unwrap();
    let (user_id, token) = (
        body["user"]["id"].as_str().unwrap().to_owned(),
        body["access_token"].as_str().unwrap().to_owned(),
    );

    let (read_header, read_trace, _) = traceparent();
    let res = client
        .get(process.url(&format!("/api/v1/users/{user_id}")))
        .bearer_auth(&token)
        .header("traceparent", &read_header)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);

    // The welcome mail (log mailer) is sent by the worker of this same process.
    assert!(
        wait_for_line(&process, Duration::from_secs(20), |l| l
            .contains("job done"))
        .await,
        "the welcome job ran"
    );
    assert!(
        collector.spans().is_empty(),
        "nothing leaves before the batch is due"
    );
    process.sigterm();
    assert!(process.exit_status(Duration::from_secs(20)).await.success());
    let spans = collector
        .wait_for(Duration::from_secs(5), |s| {
            s.iter().any(|s| s.name.starts_with("job "))
        })
        .await;

    let in_trace = |id: &str| {
        spans
            .iter()
            .filter(|s| s.trace_id == id)
            .cloned()
            .collect::<Vec<_>>()
    };
    let register = in_trace(&trace_id);
    let server = register
        .iter()
        .find(|s| s.name == "POST /api/v1/auth/register")
        .unwrap_or_else(|| {
            panic!(
                "the server span, in the caller's trace: {:#?}",
                summary(&spans)
            )
        });
    assert_eq!(
        server.parent_span_id, caller_span,
        "a child of the caller's span"
    );
    assert_eq!(server.service, "api-under-test");
    assert_eq!(
        server.attribute("http.request.method").as_deref(),
        Some("POST")
    );
    assert_eq!(
        server.attribute("http.route").as_deref(),
        Some("/api/v1/auth/register")
    );
    assert_eq!(
        server.attribute("http.response.status_code").as_deref(),
        Some("201")
    );
    // Statements (and the registration's transaction) are the request's descendants.
    assert!(
        register
            .iter()
            .any(|s| s.name.starts_with("SELECT") || s.name == "db.transaction"),
        "database spans in the trace: {:#?}",
        summary(&register)
    );
    let job = register
        .iter()
        .find(|s| s.name == "job welcome_email")
        .unwrap_or_else(|| {
            panic!(
                "the job's span joins the registration's trace: {:#?}",
                summary(&spans)
            )
        });
    assert_eq!(job.attribute("job.kind").as_deref(), Some("welcome_email"));
    let register_spans: Vec<&str> = register.iter().map(|s| s.span_id.as_str()).collect();
    assert!(
        register_spans.contains(&job.parent_span_id.as_str()),
        "the job's parent is a span of the request that queued it"
    );

    let read = in_trace(&read_trace);
    let server = read
        .iter()
        .find(|s| s.attribute("http.route").as_deref() == Some("/api/v1/users/{id}"))
        .unwrap_or_else(|| {
            panic!(
                "named by the route template, not the path: {:#?}",
                summary(&spans)
            )
        });
    assert_eq!(server.name, "GET /api/v1/users/{id}");
    assert_eq!(
        server.attribute("http.response.status_code").as_deref(),
        Some("200")
    );

    // The request's own log line names its trace.
    let lines = process.lines.lock().unwrap().clone();
    let logged = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["message"] == "request" && l["path"] == "/api/v1/auth/register")
        .expect("the register request's log line");
    assert_eq!(logged["span"]["trace_id"], trace_id.as_str(), "{logged}");
    let job_line = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["message"] == "job done")
        .expect("the job's log line");
    assert_eq!(
        job_line["span"]["trace_id"],
        trace_id.as_str(),
        "{job_line}"
    );
}

/// The time one GET of `path` takes.
async fn latency(client: &reqwest::Client, process: &Process, path: &str) -> Duration {
    let started = Instant::now();
    let res = client.get(process.url(path)).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    res.bytes().await.unwrap();
    started.elapsed()
}

/// The medians of GETs of `path` sent to each process in turn, one request at a time, so
/// that all of them meet the same load from whatever else runs on the machine.
async fn medians(processes: &[&Process], path: &str, rounds: usize) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let mut took = vec![Vec::with_capacity(rounds); processes.len()];
    for round in 0..rounds + 20 {
        for k in 0..processes.len() {
            // A different one goes first each round.
            let at = (round + k) % processes.len();
            let t = latency(&client, processes[at], path).await;
            // The first rounds warm every process up.
            if round >= 20 {
                took[at].push(t);
            }
        }
    }
    took.into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect()
}

#[tokio::test]
async fn a_collector_that_is_not_there_costs_a_request_nothing() {
    let collector = Collector::start().await;
    let mut databases = Vec::new();
    for _ in 0..3 {
        databases.push(fresh_database().await);
    }
    // Batches are due every 20 ms: towards the closed port, exports fail all along.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let exporting = |endpoint: String| {
        [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "20".to_owned()),
        ]
    };
    let unreachable = spawn_binary(&databases[0].1, &exporting(closed)).await;
    let reachable = spawn_binary(&databases[1].1, &exporting(collector.endpoint())).await;
    let plain = spawn_binary(&databases[2].1, &[]).await;
    let m = medians(&[&unreachable, &reachable, &plain], "/api/v1/products", 300).await;
    let (unreachable, reachable, plain) = (m[0], m[1], m[2]);
    eprintln!(
        "median GET /api/v1/products: {unreachable:?} exporting to a closed port, \
         {reachable:?} to a collector, {plain:?} without exporting"
    );
    assert!(
        !collector.spans().is_empty(),
        "the reachable one did export"
    );
    // What a missing collector costs, against a present one: nothing beyond noise.
    assert!(
        unreachable <= reachable * 3 / 2 + Duration::from_millis(2),
        "an unreachable collector slowed requests: {unreachable:?} against {reachable:?}"
    );
    // And against no exporter at all: the spans' own cost only (a debug build here; the
    // release figures are in the README).
    assert!(
        unreachable <= plain * 2 + Duration::from_millis(2),
        "exporting slowed requests: {unreachable:?} against {plain:?}"
    );
}
