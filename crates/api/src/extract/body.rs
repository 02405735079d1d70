//! Bodies (JSON, and forms for the OAuth2 password flow) and query strings.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::{Ready, ready};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The request body limit in bytes (`MAX_BODY_BYTES`), registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// How long a body may take to arrive (`REQUEST_TIMEOUT_SECS`), registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// JSON nested deeper than this is refused before parsing: no request body here needs more
/// than three levels, and depth is what makes a small body expensive.
pub const MAX_JSON_DEPTH: usize = 32;

fn media_type(req: &HttpRequest) -> Option<String> {
    let ct = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

fn is_json(media: &str) -> bool {
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// Reads the whole body, refusing it as soon as it grows past the limit.
pub(crate) async fn read_body(
    req: &HttpRequest,
    mut payload: Payload,
) -> Result<web::Bytes, ApiError> {
    let limit = req.app_data::<BodyLimit>().map_or(64 * 1024, |l| l.0);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::payload_too_large(limit));
    }
    let timeout = req
        .app_data::<BodyTimeout>()
        .map_or(Duration::from_secs(10), |t| t.0);
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk
                .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::payload_too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    // A client trickling its body (slowloris) gets an answer and loses the connection.
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or_else(|_| Err(ApiError::request_timeout(timeout)))
}

/// How deeply `bytes` nests arrays and objects (brackets inside strings do not count);
/// stops counting past `max`.
fn nesting_exceeds(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Deserialises JSON, telling malformed JSON (`400`) from well-formed but wrong data (`422`,
/// naming the field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the request body is empty; a JSON object is expected",
        ));
    }
    if nesting_exceeds(bytes, MAX_JSON_DEPTH) {
        return Err(ApiError::bad_request(format!(
            "malformed JSON: nested deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let (field, message) = describe_data_error(&path, &inner.to_string());
                ApiError::field(&field, message)
            }
            _ => ApiError::bad_request(format!("malformed JSON: {inner}")),
        }
    })
}

/// serde reports a missing field at the parent path with the name in the message.
fn describe_data_error(path: &str, message: &str) -> (String, String) {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(name) = rest.split('`').next()
    {
        let field = if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return (field, "is required".to_owned());
    }
    let field = if path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    (field, message)
}

/// A JSON body, `application/json` only.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            if !media_type(&req).is_some_and(|m| is_json(&m)) {
                return Err(ApiError::unsupported_media_type("application/json"));
            }
            let bytes = read_body(&req, payload).await?;
            parse_json(&bytes).map(ApiJson)
        })
    }
}

/// A body that may be JSON or an HTML form (`application/x-www-form-urlencoded`), as the
/// OAuth2 password flow of the docs UI sends it.
#[derive(Debug)]
pub enum JsonOrForm<J, F> {
    Json(J),
    Form(F),
}

impl<J: DeserializeOwned + 'static, F: DeserializeOwned + 'static> FromRequest
    for JsonOrForm<J, F>
{
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let media = media_type(&req).unwrap_or_default();
            if is_json(&media) {
                let bytes = read_body(&req, payload).await?;
                parse_json(&bytes).map(JsonOrForm::Json)
            } else if media == "application/x-www-form-urlencoded" {
                let bytes = read_body(&req, payload).await?;
                parse_urlencoded(&bytes).map(JsonOrForm::Form)
            } else {
                Err(ApiError::unsupported_media_type(
                    "application/json or application/x-www-form-urlencoded",
                ))
            }
        })
    }
}

fn parse_urlencoded<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let (field, message) = describe_data_error(&path, &e.into_inner().to_string());
        ApiError::field(&field, message)
    })
}

/// Query parameters; a value of the wrong type is `422` naming the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_urlencoded(req.query_string().as_bytes()).map(ApiQuery))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        age: Option<u8>,
    }

    #[test]
    fn deep_nesting_is_refused_and_strings_do_not_count() {
        assert!(!nesting_exceeds(br#"{"a": [1, {"b": 2}]}"#, 3));
        assert!(nesting_exceeds(br#"{"a": [1, {"b": [2]}]}"#, 3));
        assert!(!nesting_exceeds(br#"{"a": "[[[[{{{{\"[["}"#, 1));
        let deep = "[".repeat(MAX_JSON_DEPTH + 1) + &"]".repeat(MAX_JSON_DEPTH + 1);
        assert_eq!(
            parse_json::<Body>(deep.as_bytes())
                .unwrap_err()
                .status()
                .as_u16(),
            400
        );
        let bomb = "[".repeat(100_000);
        assert_eq!(
            parse_json::<Body>(bomb.as_bytes())
                .unwrap_err()
                .status()
                .as_u16(),
            400
        );
    }

    #[test]
    fn json_errors_are_classified() {
        assert_eq!(parse_json::<Body>(b"{").unwrap_err().status().as_u16(), 400);
        assert_eq!(parse_json::<Body>(b"").unwrap_err().status().as_u16(), 400);
        assert_eq!(
            parse_json::<Body>(b"{}").unwrap_err().status().as_u16(),
            422
        );
        assert_eq!(
            parse_json::<Body>(br#"{"email":"a","age":"x"}"#)
                .unwrap_err()
                .status()
                .as_u16(),
            422
        );
        assert!(parse_json::<Body>(br#"{"email":"a"}"#).is_ok());
    }

    #[test]
    fn data_errors_name_the_field() {
        assert_eq!(
            describe_data_error(".", "missing field `email` at line 1 column 2").0,
            "email"
        );
        assert_eq!(
            describe_data_error("age", "invalid type: string \"x\", expected u8").0,
            "age"
        );
    }
}
