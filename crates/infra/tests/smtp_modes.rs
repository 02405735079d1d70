//! `SMTP_URL` in the forms the README gives, against a scripted SMTP listener: credentials
//! go out with `AUTH`, `?tls=required` insists on STARTTLS before any mail, and `smtps://`
//! speaks TLS from the first byte. No TLS session is completed here (the listener has no
//! certificate): what is checked is what the client sends, and that no mail goes out in
//! the clear when TLS was asked for.

use base64::Engine;
use domain::job::{Mailer, OutgoingMail};
use infra::mail::SmtpMailer;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the client sent: its command lines, and `TLS` when a TLS record began instead.
type Heard = Arc<Mutex<Vec<String>>>;

/// A one-connection SMTP server; `greet` is false for an `smtps://` listener, where the
/// client speaks first (its TLS hello).
async fn listener(greet: bool) -> (u16, Heard) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let heard: Heard = Arc::default();
    let log = heard.clone();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        if greet && write.write_all(b"220 test.local ESMTP\r\n").await.is_err() {
            return;
        }
        loop {
            // A TLS record starts with its content type, 0x16 for a handshake.
            let first = match read.fill_buf().await {
                Ok([]) | Err(_) => return,
                Ok(bytes) => bytes[0],
            };
            if first == 0x16 {
                log.lock().unwrap().push("TLS".into());
                return;
            }
            let mut line = String::new();
            if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end().to_owned();
            log.lock().unwrap().push(line.clone());
            let verb = line.split([' ', ':']).next().unwrap_or("").to_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => {
                    b"250-test.local\r\n250-AUTH PLAIN LOGIN\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
                }
                "AUTH" => b"235 2.7.0 accepted\r\n",
                "STARTTLS" => b"220 2.0.0 go ahead\r\n",
                "DATA" => {
                    if write.write_all(b"354 go on\r\n").await.is_err() {
                        return;
                    }
                    let mut data = String::new();
                    while data != ".\r\n" {
                        data.clear();
                        if read.read_line(&mut data).await.unwrap_or(0) == 0 {
                            return;
                        }
                    }
                    b"250 queued\r\n"
                }
                "QUIT" => b"221 bye\r\n",
                _ => b"250 OK\r\n",
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    });
    (port, heard)
}

fn mail() -> OutgoingMail {
    OutgoingMail {
        to: "ann@example.com".into(),
        to_name: "Ann".into(),
        subject: "Hello".into(),
        body: "Hello Ann".into(),
        html: None,
    }
}

async fn send(url: &str) -> Result<(), domain::BoxError> {
    SmtpMailer::new(url, "API <no-reply@localhost>")
        .unwrap()
        .send(&mail())
        .await
}

fn heard(log: &Heard) -> Vec<String> {
    log.lock().unwrap().clone()
}

#[tokio::test]
async fn credentials_in_the_url_are_sent_with_auth() {
    let (port, log) = listener(true).await;
    send(&format!("smtp://mailer:s3cret@127.0.0.1:{port}"))
        .await
        .expect("sent");
    let lines = heard(&log);
    let auth = lines
        .iter()
        .find(|l| l.starts_with("AUTH "))
        .unwrap_or_else(|| panic!("no AUTH: {lines:?}"));
    let encoded = auth.strip_prefix("AUTH PLAIN ").expect("AUTH PLAIN");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(decoded, b"\0mailer\0s3cret");
    let at = |verb: &str| lines.iter().position(|l| l.starts_with(verb));
    assert!(at("AUTH") < at("MAIL FROM"), "{lines:?}");
    assert!(!lines.contains(&"STARTTLS".to_owned()), "{lines:?}");
}

#[tokio::test]
async fn tls_required_starts_tls_before_anything_else_and_never_mails_in_the_clear() {
    let (port, log) = listener(true).await;
    let sent = send(&format!("smtp://127.0.0.1:{port}?tls=required")).await;
    assert!(sent.is_err(), "the TLS handshake cannot succeed here");
    let lines = heard(&log);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("EHLO"), "{lines:?}");
    assert_eq!(lines[1..], ["STARTTLS", "TLS"], "{lines:?}");
}

#[tokio::test]
async fn smtps_speaks_tls_from_the_first_byte() {
    let (port, log) = listener(false).await;
    let sent = send(&format!("smtps://127.0.0.1:{port}")).await;
    assert!(sent.is_err(), "the TLS handshake cannot succeed here");
    assert_eq!(heard(&log), ["TLS"]);
}

#[tokio::test]
async fn plain_smtp_without_credentials_neither_authenticates_nor_starts_tls() {
    let (port, log) = listener(true).await;
    send(&format!("smtp://127.0.0.1:{port}"))
        .await
        .expect("sent");
    let lines = heard(&log);
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("AUTH") || l == "STARTTLS"),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("MAIL FROM")),
        "{lines:?}"
    );
}
