//! The two small pages that make the mailed links work (`/reset-password`,
//! `/verify-email`), with their one script and stylesheet. Compiled into the binary: no
//! external asset, and a policy that lets the pages run only their own script and call
//! only this origin.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

const RESET_PASSWORD: &str = include_str!("pages/reset-password.html");
const VERIFY_EMAIL: &str = include_str!("pages/verify-email.html");
const SCRIPT: &str = include_str!("pages/account.js");
const STYLE: &str = include_str!("pages/account.css");

/// Registers the pages and their assets (outside the OpenAPI document: they are for
/// people, not clients).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reset-password", web::get().to(reset_password))
        .route("/verify-email", web::get().to(verify_email))
        .route("/account.js", web::get().to(script))
        .route("/account.css", web::get().to(style));
}

async fn reset_password() -> HttpResponse {
    page(RESET_PASSWORD)
}

async fn verify_email() -> HttpResponse {
    page(VERIFY_EMAIL)
}

async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}

fn page(html: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        // The token is in the page's URL: it must never leave in a Referer, nor be cached.
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body)
}
