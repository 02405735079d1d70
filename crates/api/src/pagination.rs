//! The one list shape: `?limit=&offset=` or `?limit=&cursor=` in,
//! `{items, total, limit, offset, next_cursor}` out, with an RFC 8288
//! `Link: <...>; rel="next"` when there is a next page. A list handler returns its
//! [`PageResponse`] as it is (not wrapped in `web::Json`), which is how every page gets
//! the link.

use crate::error::ApiError;
use actix_web::body::BoxBody;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Responder};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use domain::pagination::{Cursor, KeyValue, Page, PageRequest};
use domain::validation::ValidationError;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use uuid::Uuid;

/// Pagination parameters, validated into a [`PageRequest`].
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip, 0 or more. Not with `cursor`.
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
    /// Continue after the previous page: its `next_cursor`, as given, with the same filters
    /// and `sort`. Costs the same at any depth, where a large `offset` grows slower, and
    /// never repeats or skips an item when rows are added meanwhile. Not with `offset`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// Longer than any cursor this API issues (a 200-character name, a time and an id).
const MAX_CURSOR_LEN: usize = 1024;

impl PageParams {
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        let after = self.cursor.as_deref().map(decode_cursor).transpose()?;
        Ok(PageRequest::with_cursor(self.limit, self.offset, after)?)
    }
}

#[derive(Debug, Serialize)]
pub struct PageResponse<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub next_cursor: Option<String>,
}

/// Written out rather than derived: a derived generic schema copies the item's whole
/// schema into every page, where a reference gives generated clients one item type.
impl<T: ToSchema> PartialSchema for PageResponse<T> {
    fn schema() -> RefOr<Schema> {
        let count = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0))
                .description(Some(description))
        };
        ObjectBuilder::new()
            .property(
                "items",
                ArrayBuilder::new().items(Ref::from_schema_name(T::name())),
            )
            .property(
                "total",
                count("Every match of the filters, not just this page."),
            )
            .property("limit", count("The page size asked for."))
            .property("offset", count("How many matches come before this page."))
            .property(
                "next_cursor",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some(
                        "Pass as `cursor` for the page after this one; `null` on the last page.",
                    )),
            )
            .required("items")
            .required("total")
            .required("limit")
            .required("offset")
            .required("next_cursor")
            .into()
    }
}

impl<T: ToSchema> ToSchema for PageResponse<T> {
    /// `ProductPage` for `ProductResponse` items, and so on.
    fn name() -> Cow<'static, str> {
        let item = T::name();
        Cow::Owned(format!(
            "{}Page",
            item.strip_suffix("Response").unwrap_or(&item)
        ))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

/// The page as JSON, with the link to the next page when there is one.
impl<T: Serialize> Responder for PageResponse<T> {
    type Body = BoxBody;

    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        let mut answer = HttpResponse::Ok();
        if let Some(cursor) = &self.next_cursor {
            answer.insert_header((
                header::LINK,
                next_link(req.path(), req.query_string(), cursor),
            ));
        }
        answer.json(self)
    }
}

/// `<path?query>; rel="next"`: this request's own path and query (filters, `sort`,
/// `limit`) with `cursor` in place of any `offset` or `cursor`. A relative reference, so
/// it is right behind any proxy and never built from a `Host` the client chose.
pub fn next_link(path: &str, query: &str, cursor: &str) -> String {
    let mut next = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name != "offset" && name != "cursor" {
            next.append_pair(&name, &value);
        }
    }
    next.append_pair("cursor", cursor);
    // The path is as the client sent it (already percent-encoded); only what would end or
    // break the bracketed reference is escaped.
    let path = path
        .replace('<', "%3C")
        .replace('>', "%3E")
        .replace('"', "%22")
        .replace(' ', "%20");
    format!("<{path}?{}>; rel=\"next\"", next.finish())
}

/// A page of entities as a page of their responses.
impl<T, U: Into<T>> From<Page<U>> for PageResponse<T> {
    fn from(page: Page<U>) -> Self {
        let (limit, offset) = (page.request.limit(), page.request.offset());
        let next_cursor = page.next.as_ref().map(encode_cursor);
        Self {
            items: page.items.into_iter().map(Into::into).collect(),
            total: page.total,
            limit,
            offset,
            next_cursor,
        }
    }
}

/// A cursor on the wire: URL-safe base64 of a JSON array, the position first, then each
/// key value as a one-letter type and the value. Opaque to clients; the use case checks
/// that its key fits the list's order.
pub fn encode_cursor(cursor: &Cursor) -> String {
    let mut parts = vec![json!(cursor.position)];
    for value in &cursor.key {
        parts.push(match value {
            KeyValue::Int(v) => json!(["i", v]),
            KeyValue::Text(v) => json!(["s", v]),
            KeyValue::Time(v) => json!(["t", v.to_rfc3339_opts(SecondsFormat::Micros, true)]),
            KeyValue::Id(v) => json!(["u", v]),
        });
    }
    URL_SAFE_NO_PAD.encode(Value::Array(parts).to_string())
}

pub fn decode_cursor(text: &str) -> Result<Cursor, ValidationError> {
    let invalid = || ValidationError::single("cursor", "is not a cursor this API issued");
    if text.len() > MAX_CURSOR_LEN {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
    let Ok(Value::Array(parts)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(invalid());
    };
    let mut parts = parts.into_iter();
    let position = parts.next().and_then(|p| p.as_u64()).ok_or_else(invalid)?;
    let key = parts
        .map(|part| key_value(&part).ok_or_else(invalid))
        .collect::<Result<Vec<_>, _>>()?;
    if key.is_empty() {
        return Err(invalid());
    }
    Ok(Cursor { position, key })
}

fn key_value(part: &Value) -> Option<KeyValue> {
    let [tag, value] = part.as_array()?.as_slice() else {
        return None;
    };
    Some(match (tag.as_str()?, value) {
        ("i", v) => KeyValue::Int(v.as_i64()?),
        ("s", Value::String(v)) => KeyValue::Text(v.clone()),
        ("t", Value::String(v)) => {
            KeyValue::Time(DateTime::parse_from_rfc3339(v).ok()?.with_timezone(&Utc))
        }
        ("u", Value::String(v)) => KeyValue::Id(Uuid::parse_str(v).ok()?),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = Cursor {
            position: 40,
            key: vec![
                KeyValue::Int(-3),
                KeyValue::Text("Ünïcode \"name\"".into()),
                KeyValue::Time(domain::time::now()),
                KeyValue::Id(Uuid::now_v7()),
            ],
        };
        let text = encode_cursor(&cursor);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(decode_cursor(&text).unwrap(), cursor);
    }

    #[test]
    fn the_next_link_keeps_the_query_but_the_position() {
        assert_eq!(
            next_link(
                "/api/v1/products",
                "q=a+b%26c&offset=40&sort=-price&limit=5",
                "XYZ"
            ),
            "</api/v1/products?q=a+b%26c&sort=-price&limit=5&cursor=XYZ>; rel=\"next\""
        );
        assert_eq!(
            next_link("/api/v1/posts", "", "c_1"),
            "</api/v1/posts?cursor=c_1>; rel=\"next\""
        );
    }

    #[test]
    fn foreign_text_is_rejected() {
        let encoded = |s: &str| URL_SAFE_NO_PAD.encode(s);
        for bad in [
            "not base64!".to_owned(),
            encoded("{}"),
            encoded("[]"),
            encoded("[5]"),
            encoded("[-1,[\"i\",1]]"),
            encoded("[5,[\"x\",1]]"),
            encoded("[5,[\"t\",\"yesterday\"]]"),
            encoded("[5,[\"u\",\"not-a-uuid\"]]"),
            encoded("[5,[\"i\",\"1\"]]"),
            "A".repeat(MAX_CURSOR_LEN + 1),
        ] {
            let err = decode_cursor(&bad).unwrap_err();
            assert_eq!(err.0[0].field, "cursor", "{bad}");
        }
    }
}
