//! What an answer says: problem+json bodies, validation fields, headers, and a tally of
//! answers to requests sent at once.

use reqwest::Response;
use serde_json::Value;

/// Asserts a problem+json answer with the given status and returns its body.
pub async fn assert_problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], request_id.as_str());
    for key in ["type", "title", "detail"] {
        assert!(body[key].is_string(), "problem lacks {key}: {body}");
    }
    body
}

/// Asserts a `422` whose problem names exactly `expected` fields, in order.
pub async fn assert_invalid(res: Response, expected: &[&str]) -> Value {
    let problem = assert_problem(res, 422).await;
    assert_eq!(fields(&problem), expected);
    problem
}

/// The `field`s of a validation problem.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A response's `ETag`.
pub fn etag_of(res: &Response) -> String {
    header(res, "etag")
}

/// A response's `Location`.
pub fn location_of(res: &Response) -> String {
    header(res, "location")
}

fn header(res: &Response, name: &str) -> String {
    res.headers()[name]
        .to_str()
        .expect("ASCII header")
        .to_owned()
}

/// Sends `requests` at once and asserts how many answered with each status of `tally`.
pub async fn assert_tally<F: std::future::Future<Output = Response>>(
    requests: impl IntoIterator<Item = F>,
    tally: &[(u16, usize)],
) {
    let statuses: Vec<u16> = futures_util::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    for (status, count) in tally {
        let answered = statuses.iter().filter(|s| *s == status).count();
        assert_eq!(answered, *count, "{status}: {statuses:?}");
    }
}
