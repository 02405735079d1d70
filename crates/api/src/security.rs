//! Response headers that keep browsers from misusing what the API sends, and the client
//! address as seen through trusted reverse proxies.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest};
use ipnet::IpNet;
use std::net::IpAddr;

/// JSON needs nothing from a browser: no scripts, no framing.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
/// Swagger UI, served from the binary: its own scripts and styles (its styles are partly
/// inline), its embedded images, and calls back to this origin only.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Adds `X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options` and a
/// `Content-Security-Policy` that fits the response (the docs UI gets the one it needs).
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let docs = req.path() == "/docs" || req.path().starts_with("/docs/");
    let mut res = next.call(req).await?;
    let csp = if docs { DOCS_CSP } else { API_CSP };
    let headers = res.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, csp),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(res)
}

/// The reverse proxies (`TRUSTED_PROXIES`) whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the TCP peer, unless that is a trusted proxy; then the
    /// right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries
    /// further left were written by the client and prove nothing).
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|a| a.ip())?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let forwarded = HeaderName::from_static("x-forwarded-for");
        let mut client = peer;
        for value in req.headers().get_all(forwarded).rev() {
            let Ok(value) = value.to_str() else {
                return Some(client);
            };
            for hop in value.rsplit(',') {
                let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                    return Some(client);
                };
                client = ip;
                if !self.trusts(ip) {
                    return Some(ip);
                }
            }
        }
        Some(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies(list.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn from(peer: &str, forwarded: &[&str]) -> HttpRequest {
        let mut req = TestRequest::default().peer_addr(format!("{peer}:4000").parse().unwrap());
        for value in forwarded {
            req = req.append_header(("x-forwarded-for", *value));
        }
        req.to_http_request()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let none = TrustedProxies::default();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            none.client_ip(&from("203.0.113.9", &["1.2.3.4"])),
            Some(ip("203.0.113.9"))
        );
        let lb = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            lb.client_ip(&from("203.0.113.9", &["1.2.3.4"])),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            lb.client_ip(&from("10.0.0.5", &["1.2.3.4"])),
            Some(ip("1.2.3.4"))
        );
        // A client cannot pick its address by prepending one: the right-most untrusted wins.
        assert_eq!(
            lb.client_ip(&from("10.0.0.5", &["6.6.6.6, 1.2.3.4, 10.0.0.7"])),
            Some(ip("1.2.3.4"))
        );
        assert_eq!(
            lb.client_ip(&from("10.0.0.5", &["6.6.6.6", "1.2.3.4"])),
            Some(ip("1.2.3.4"))
        );
        // Garbage stops the walk at the last address known good.
        assert_eq!(
            lb.client_ip(&from("10.0.0.5", &["nonsense"])),
            Some(ip("10.0.0.5"))
        );
        assert_eq!(lb.client_ip(&from("10.0.0.5", &[])), Some(ip("10.0.0.5")));
    }
}
