//! SPEC section 2, "Account recovery and e-mail verification": password resets and
//! verified addresses through a real SMTP listener, the tokens' storage, expiry and races,
//! `REQUIRE_VERIFIED_EMAIL`, the rate limits, and the pages the mailed links open.

mod pages;
mod policy;
mod reset;
mod sha256;
mod verification;

use crate::helpers::{TestApp, spawn_app_with};
use crate::smtp::{ReceivedMail, SmtpServer};
use infra::Config;
use reqwest::{Response, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::time::Duration;

pub use sha256::sha256_hex;

/// How long a mail may take to leave the worker.
pub const WAIT: Duration = Duration::from_secs(10);

pub const RESET_ACCEPTED: &str =
    "If an active account has this address, a reset link is on its way.";

pub const RESET_PAGE: &str = "/reset-password?token=";
pub const VERIFY_PAGE: &str = "/verify-email?token=";

/// An app that mails through a fresh SMTP listener of its own.
pub async fn mail_app_with(customise: impl FnOnce(&mut Config)) -> (SmtpServer, TestApp) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(url);
        customise(c);
    })
    .await;
    (smtp, app)
}

pub async fn mail_app() -> (SmtpServer, TestApp) {
    mail_app_with(|_| {}).await
}

/// The decoded `text/plain` part of a mail (single-part or multipart).
pub fn plain_text(mail: &ReceivedMail) -> String {
    let text = mail.text();
    let boundary = text
        .split_once("boundary=")
        .map(|(_, rest)| rest.trim_start_matches('"'))
        .and_then(|rest| rest.split(['"', '\n', ';']).next())
        .map(|b| format!("--{b}"));
    let parts: Vec<&str> = match &boundary {
        Some(b) => text.split(b.as_str()).skip(1).collect(),
        None => vec![text.as_str()],
    };
    for part in parts {
        let (headers, body) = part.split_once("\n\n").unwrap_or((part, ""));
        let headers = headers.to_ascii_lowercase();
        if headers.contains("content-type: text/plain") {
            return if headers.contains("content-transfer-encoding: quoted-printable") {
                decode_quoted_printable(body)
            } else {
                body.to_owned()
            };
        }
    }
    panic!("no text/plain part in {text}");
}

fn decode_quoted_printable(body: &str) -> String {
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'=', None) if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The link to `page` (`RESET_PAGE` or `VERIFY_PAGE`) in the mail's text part, if any.
pub fn link_in(mail: &ReceivedMail, page: &str) -> Option<String> {
    plain_text(mail)
        .split_whitespace()
        .find(|word| word.contains(page))
        .map(str::to_owned)
}

/// The token of the link to `page` in the mail's text part.
pub fn token_in(mail: &ReceivedMail, page: &str) -> String {
    let link = link_in(mail, page).unwrap_or_else(|| panic!("no {page} link in {}", mail.text()));
    let token = link.split_once("token=").expect("a token").1.to_owned();
    assert!(
        token.len() >= 43
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "a URL-safe token of at least 32 random bytes: {token}"
    );
    token
}

/// The mails to `to` whose text part (or headers) say `needle`, in order of arrival.
pub fn mails_saying(smtp: &SmtpServer, to: &str, needle: &str) -> Vec<ReceivedMail> {
    smtp.mails()
        .into_iter()
        .filter(|m| m.to == [to.to_owned()])
        .filter(|m| m.text().contains(needle) || plain_text(m).contains(needle))
        .collect()
}

/// Waits until `n` mails to `to` say `needle` (or panics after `WAIT`).
pub async fn wait_for_mails(
    smtp: &SmtpServer,
    to: &str,
    needle: &str,
    n: usize,
) -> Vec<ReceivedMail> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mails = mails_saying(smtp, to, needle);
        if mails.len() >= n {
            return mails;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {n} mails to {to} saying {needle:?}, got {}: {:?}",
            mails.len(),
            smtp.mails()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until no job is waiting or running: every mail queued so far has been sent (the
/// SMTP server has it) or given up on, and nothing more goes out until something queues
/// another. Jobs are queued in the transaction of what causes them, so this is the
/// condition a "no other mail" check needs, instead of a pause.
pub async fn queue_drained(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let open = app
            .count("SELECT COUNT(*) FROM jobs WHERE status IN ('pending', 'running')")
            .await;
        if open == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{open} jobs still waiting or running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The token of the `n`th (1-based) mail to `to` linking to `page`, once it arrived.
pub async fn nth_token(smtp: &SmtpServer, to: &str, page: &str, n: usize) -> String {
    let mails = wait_for_mails(smtp, to, page, n).await;
    token_in(&mails[n - 1], page)
}

pub async fn request_reset(app: &TestApp, email: &str) -> Response {
    app.post_json(
        "/api/v1/auth/password-reset",
        &json!({"email": email}),
        None,
    )
    .await
}

pub async fn confirm(app: &TestApp, token: &str, password: &str) -> Response {
    app.post_json(
        "/api/v1/auth/password-reset/confirm",
        &json!({"token": token, "password": password}),
        None,
    )
    .await
}

pub async fn verify(app: &TestApp, token: &str) -> Response {
    app.post_json("/api/v1/auth/verify-email", &json!({"token": token}), None)
        .await
}

pub async fn resend(app: &TestApp, access: &str) -> Response {
    app.request(
        reqwest::Method::POST,
        "/api/v1/auth/verify-email/resend",
        Some(access),
    )
    .send()
    .await
    .expect("request")
}

/// The caller's own User.
pub async fn me(app: &TestApp, access: &str) -> Value {
    let res = app.get("/api/v1/users/me", Some(access)).await;
    assert_eq!(res.status(), StatusCode::OK, "GET /users/me");
    res.json().await.expect("JSON")
}

/// An access token of a fresh login.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let res = app.login(email, password).await;
    assert_eq!(res.status(), StatusCode::OK, "login {email}");
    let body: Value = res.json().await.expect("JSON");
    body["access_token"].as_str().expect("token").to_owned()
}

/// Moves the expiry of the stored token behind `plain` into the past, keeping the column's
/// own text form (read back from the database) so that both backends accept it.
pub async fn expire(app: &TestApp, plain: &str) {
    let hash = sha256_hex(plain.as_bytes());
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            format!(
                "SELECT CAST(expires_at AS TEXT) FROM account_tokens WHERE token_hash = '{hash}'"
            ),
        ))
        .await
        .expect("query")
        .expect("the token's row");
    let now: String = row.try_get_by_index(0).expect("text");
    let past = format!("2020{}", &now[4..]);
    let done = app
        .db
        .execute_unprepared(&format!(
            "UPDATE account_tokens SET expires_at = '{past}' WHERE token_hash = '{hash}'"
        ))
        .await
        .expect("update");
    assert_eq!(done.rows_affected(), 1, "{now} -> {past}");
}
