//! `If-None-Match` on reads (RFC 9110 §13.1.2): a `200` whose `ETag` the client already
//! holds becomes a `304` with no body. It looks at the handler's answer, so only a caller
//! the handler let read the resource ever learns that the tag matched.

use actix_web::HttpResponse;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};

/// A parsed `If-None-Match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfNoneMatch {
    /// `*`: any current representation.
    Any,
    /// The opaque tags (quotes kept, `W/` dropped: the weak comparison ignores it).
    Tags(Vec<String>),
}

impl IfNoneMatch {
    /// Every `If-None-Match` field of the request as one list; `None` when there is none or
    /// it is malformed (a condition the server cannot read is not evaluated).
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let mut joined = String::new();
        for value in headers.get_all(header::IF_NONE_MATCH) {
            if !joined.is_empty() {
                joined.push(',');
            }
            joined.push_str(value.to_str().ok()?);
        }
        if joined.is_empty() {
            return None;
        }
        Self::parse(&joined)
    }

    pub fn parse(value: &str) -> Option<Self> {
        if value.trim() == "*" {
            return Some(Self::Any);
        }
        let mut tags = Vec::new();
        let mut rest = value;
        loop {
            rest = rest.trim_start_matches([',', ' ', '\t']);
            if rest.is_empty() {
                break;
            }
            let (tag, after) = opaque_tag(rest)?;
            tags.push(tag.to_owned());
            rest = after;
        }
        (!tags.is_empty()).then_some(Self::Tags(tags))
    }

    /// Weak comparison: two tags match when their opaque parts are equal, either or both
    /// weak.
    pub fn matches(&self, etag: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => {
                let Some((current, "")) = opaque_tag(etag.trim()) else {
                    return false;
                };
                tags.iter().any(|t| t == current)
            }
        }
    }
}

/// The quoted opaque part of the entity tag at the start of `text`, and what follows it.
fn opaque_tag(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix("W/").unwrap_or(text);
    let inner = text.strip_prefix('"')?;
    let end = inner.find('"')?;
    let quoted = &text[..end + 2];
    // etagc is visible ASCII but DQUOTE, or obs-text.
    if !quoted[1..quoted.len() - 1]
        .bytes()
        .all(|b| b == 0x21 || (0x23..=0x7E).contains(&b) || b >= 0x80)
    {
        return None;
    }
    Some((quoted, &text[end + 2..]))
}

/// Headers of the `200` that a `304` must not repeat: they describe a body it does not
/// carry (RFC 9110 §15.4.5).
const BODY_HEADERS: [header::HeaderName; 5] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::TRANSFER_ENCODING,
];

/// `res` as a `304` when it is a `200` whose `ETag` matches `condition`; else unchanged.
pub fn not_modified(
    res: ServiceResponse<BoxBody>,
    condition: &IfNoneMatch,
) -> ServiceResponse<BoxBody> {
    let matched = res.status() == StatusCode::OK
        && res
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|etag| condition.matches(etag));
    if !matched {
        return res;
    }
    let (req, full) = res.into_parts();
    let mut answer = HttpResponse::NotModified().finish();
    for (name, value) in full.headers() {
        if !BODY_HEADERS.contains(name) {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_comparison() {
        let strong = "\"abc-1\"";
        for header in [
            "\"abc-1\"",
            "W/\"abc-1\"",
            "*",
            " \"x\", W/\"abc-1\" ,\"y\"",
            "\"a,b\",\"abc-1\"",
        ] {
            let condition = IfNoneMatch::parse(header).unwrap();
            assert!(condition.matches(strong), "{header}");
            assert!(condition.matches("W/\"abc-1\""), "{header}");
        }
        let other = IfNoneMatch::parse("\"abc-2\", W/\"abc\"").unwrap();
        assert!(!other.matches(strong));
    }

    #[test]
    fn malformed_conditions_are_not_evaluated() {
        for header in ["abc", "\"open", "W/abc", "", " , ", "\"a\" junk"] {
            assert_eq!(IfNoneMatch::parse(header), None, "{header}");
        }
    }
}
