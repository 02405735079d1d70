//! Request extractors that answer in problem details: the caller ([`auth`]), JSON and form
//! bodies and query strings ([`body`]: size limit, content type, per-field errors), and
//! headers ([`headers`]: `If-Match`, the client IP).

mod auth;
mod body;
mod headers;

pub use auth::{AuthUser, Caller, MaybeUser, bearer_token, resolve_caller};
pub(crate) use body::read_body;
pub use body::{ApiJson, ApiQuery, BodyLimit, BodyTimeout, JsonOrForm, MAX_JSON_DEPTH, parse_json};
pub use headers::{ClientIp, IfMatchHeader};
