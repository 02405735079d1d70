//! Compression is actix-web's `Compress` (gzip, br, zstd, deflate, as the client's
//! `Accept-Encoding` prefers). It has no size threshold, and a small body gains little
//! while costing CPU and adding a few bytes of framing, so [`mark_small`] (inside
//! `Compress`) marks a body under [`MIN_COMPRESSED_BYTES`] with `Content-Encoding:
//! identity`, which `Compress` leaves alone; [`finish`] (outside it) removes that marker,
//! since `identity` is not meant to be sent as a content coding, and adds
//! `Vary: Accept-Encoding` to every answer whether or not this one was compressed: a cache
//! must not give a compressed answer to a client that did not ask for it, nor the reverse.

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};

/// Where a client offers gzip among others, gzip is what it gets. `Compress` would pick br
/// (browsers send `gzip, deflate, br, zstd`), and on a page of 100 products (39.7 KB; gzip
/// 3.5 KB, br 2.8 KB) br served 358-377 req/s where gzip served 569-1082 and plain 895-1163
/// (profiling build, SQLite, wrk -c16, 2 cores): br's last 0.8 KB cost two thirds of the
/// throughput. A client that offers only br or zstd still gets it.
pub fn prefer_gzip(headers: &mut HeaderMap) {
    let Some(offered) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let gzip_allowed = offered.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q == 0.0))
        });
        name.eq_ignore_ascii_case("gzip") && !refused
    });
    if gzip_allowed && !offered.trim().eq_ignore_ascii_case("gzip") {
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    }
}

/// Bodies below this many bytes are sent as they are.
pub const MIN_COMPRESSED_BYTES: u64 = 1024;

const IDENTITY: &str = "identity";

/// Marks a small body so `Compress`, which runs around this, does not encode it.
pub fn mark_small(res: &mut ServiceResponse<impl MessageBody>) {
    let small = match res.response().body().size() {
        BodySize::Sized(n) => n < MIN_COMPRESSED_BYTES,
        BodySize::None => true,
        BodySize::Stream => false,
    };
    let headers = res.headers_mut();
    if small && !headers.contains_key(header::CONTENT_ENCODING) {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(IDENTITY));
    }
}

/// Removes the marker of [`mark_small`] and adds `Vary: Accept-Encoding`.
pub fn finish(status: StatusCode, headers: &mut HeaderMap) {
    if headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == IDENTITY)
    {
        headers.remove(header::CONTENT_ENCODING);
    }
    // A protocol switch (the WebSocket) has no body to encode.
    if status == StatusCode::SWITCHING_PROTOCOLS {
        return;
    }
    let varies = headers.get_all(header::VARY).any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',').any(|name| {
                name.trim().eq_ignore_ascii_case("accept-encoding") || name.trim() == "*"
            })
        })
    });
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_chosen_wherever_it_is_offered() {
        let chosen = |offered: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(offered).unwrap(),
            );
            prefer_gzip(&mut headers);
            headers
                .get(header::ACCEPT_ENCODING)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(chosen("gzip, deflate, br, zstd"), "gzip");
        assert_eq!(chosen("br;q=1.0, gzip;q=0.8"), "gzip");
        assert_eq!(chosen("br"), "br");
        assert_eq!(chosen("zstd, br"), "zstd, br");
        assert_eq!(chosen("br, gzip;q=0"), "br, gzip;q=0");
    }

    #[test]
    fn vary_is_added_once_and_the_marker_removed() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(IDENTITY));
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        finish(StatusCode::OK, &mut headers);
        assert!(headers.get(header::CONTENT_ENCODING).is_none());
        let vary: Vec<_> = headers.get_all(header::VARY).collect();
        assert_eq!(vary, ["Origin", "Accept-Encoding"]);
        finish(StatusCode::OK, &mut headers);
        assert_eq!(headers.get_all(header::VARY).count(), 2);

        let mut gzip = HeaderMap::new();
        gzip.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        gzip.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        finish(StatusCode::OK, &mut gzip);
        assert_eq!(gzip.get(header::CONTENT_ENCODING).unwrap(), "gzip");
        assert_eq!(gzip.get_all(header::VARY).count(), 1);
    }
}
