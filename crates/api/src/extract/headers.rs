//! Request headers: `If-Match` and the client IP.

use crate::error::ApiError;
use crate::security::TrustedProxies;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use domain::concurrency::IfMatch;
use futures_util::future::{Ready, ready};
use std::net::IpAddr;

/// The `If-Match` precondition, if sent.
#[derive(Debug, Clone)]
pub struct IfMatchHeader(pub Option<IfMatch>);

impl IfMatchHeader {
    pub fn as_ref(&self) -> Option<&IfMatch> {
        self.0.as_ref()
    }
}

/// Documents the header once for every operation that takes it (`params(..., IfMatchHeader)`).
impl utoipa::IntoParams for IfMatchHeader {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        vec![
            ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some("ETag from a previous read"))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        ]
    }
}

impl FromRequest for IfMatchHeader {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(header::IF_MATCH) else {
            return ready(Ok(Self(None)));
        };
        ready(
            value
                .to_str()
                .ok()
                .and_then(IfMatch::parse)
                .map(|m| Self(Some(m)))
                .ok_or_else(|| ApiError::bad_request("malformed If-Match header")),
        )
    }
}

/// The client's IP address: the TCP peer, or what a trusted proxy forwarded
/// (`TRUSTED_PROXIES`).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequest for ClientIp {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ip = match req.app_data::<TrustedProxies>() {
            Some(proxies) => proxies.client_ip(req),
            None => req.peer_addr().map(|a| a.ip()),
        };
        ready(Ok(Self(ip)))
    }
}
