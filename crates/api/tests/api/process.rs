//! The real `api` binary as operators run it: killed with SIGKILL right after a
//! registration, stopped with SIGTERM while a socket is open, logging JSON lines.

use crate::helpers::{JWT_SECRET, fresh_database};
use crate::smtp::SmtpServer;
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, Statement};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

pub struct Process {
    pub child: Child,
    pub port: u16,
    /// Every line the process wrote to stdout and stderr so far.
    pub lines: Arc<Mutex<Vec<String>>>,
    /// The threads reading the pipes; each ends when the process's end of its pipe closes.
    readers: Vec<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary in `dir` on `database_url` and `port`, in development with test settings
/// and nothing optional (Redis, SMTP, an admin), its output piped.
pub fn binary(dir: &std::path::Path, database_url: &str, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_api"));
    command
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("APP_ENV", "development")
        .env("JWT_SECRET", JWT_SECRET)
        .env("BCRYPT_COST", "4")
        .env("AUTH_RATE_LIMIT_PER_MINUTE", "0")
        .env("REDIS_URL", "")
        .env("SMTP_URL", "")
        .env("ADMIN_EMAIL", "")
        .env("ADMIN_PASSWORD", "")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Starts the binary on `database_url` and waits until it answers `/health`.
pub async fn spawn_binary(database_url: &str, env: &[(&str, String)]) -> Process {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = binary(dir.path(), database_url, port);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the binary starts");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let mut readers = Vec::new();
    for pipe in [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let lines = lines.clone();
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        }));
    }
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(res) = client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            && res.status().is_success()
        {
            return Process {
                child,
                port,
                lines,
                readers,
                _dir: dir,
            };
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the binary exited with {status}: {:?}",
                lines.lock().unwrap()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the binary did not answer /health: {:?}",
        lines.lock().unwrap()
    );
}

impl Process {
    /// Everything the process wrote, once it has exited: waits for the pipes' readers to
    /// reach the end of what it wrote.
    pub fn output(&mut self) -> Vec<String> {
        for reader in self.readers.drain(..) {
            reader.join().expect("the pipe reader ends");
        }
        self.lines.lock().unwrap().clone()
    }

    /// Asks the process to stop, as an orchestrator does.
    pub fn sigterm(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits for the process to exit, up to `within`.
    pub async fn exit_status(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(tokio::time::Instant::now() < deadline, "still running");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn register(process: &Process, email: &str) -> serde_json::Value {
    let res = reqwest::Client::new()
        .post(process.url("/api/v1/auth/register"))
        .json(&serde_json::json!({"email": email, "password": "password-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_welcome_email_survives_a_kill_right_after_registering() {
    let (_db, url) = fresh_database().await;
    // Nothing listens for mail during the first life: nothing can be sent before the kill.
    let smtp_port = free_port();
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let mut first = spawn_binary(&url, &[("SMTP_URL", smtp_url.clone())]).await;
    register(&first, "survivor@example.com").await;
    first.child.kill().unwrap();
    first.child.wait().unwrap();

    let smtp = SmtpServer::start_on(smtp_port).await;
    let _second = spawn_binary(&url, &[("SMTP_URL", smtp_url)]).await;
    // A job the killed worker had claimed comes back when its lease (60 s) runs out.
    let mails = smtp.wait_for(1, Duration::from_secs(75)).await;
    assert_eq!(mails[0].to, vec!["survivor@example.com".to_owned()]);
    // Once the job is recorded done, no worker will send it again: then count.
    let db = infra::db::connect(&url, 1).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM jobs WHERE status <> 'done'",
            ))
            .await
            .unwrap()
            .unwrap();
        if row.try_get::<i64>("", "n").unwrap() == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job is not recorded done"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(smtp.mails().len(), 1, "sent exactly once");
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_every_log_line_is_json() {
    let (_db, url) = fresh_database().await;
    let mut process = spawn_binary(&url, &[("LOG_FORMAT", "json".to_owned())]).await;
    let user = register(&process, "ann@example.com").await;
    let token = user["access_token"].as_str().unwrap();
    let mut request = format!("ws://127.0.0.1:{}/ws/notify", process.port)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();

    process.sigterm();
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.expect("a close frame").code, CloseCode::Away);
    let status = process.exit_status(Duration::from_secs(15)).await;
    assert!(status.success(), "exit status {status}");

    let lines = process.output();
    assert!(
        lines.iter().any(|l| l.contains("listening on http://")),
        "{lines:?}"
    );
    for line in &lines {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v.is_object()),
            "not a JSON object: {line}"
        );
    }
}

#[tokio::test]
async fn sigterm_under_load_finishes_every_request_in_flight() {
    /// Whether a JSON log line is the request line of a login answered `200`.
    fn login_answered(line: &str) -> bool {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            return false;
        };
        v["message"] == "request" && v["route"] == "/api/v1/auth/login" && v["status"] == 200
    }

    let (_db, url) = fresh_database().await;
    // Cost 10: each login hashes for tens of milliseconds, so the 16 are still in flight
    // when the signal comes (the `100 Continue`s below say they began). A loaded machine
    // (the whole suite on PostgreSQL) stretched cost 12 past the 5 s database timeout,
    // and a login was answered 503: a generous timeout keeps this test about shutdown.
    let mut process = spawn_binary(
        &url,
        &[
            ("BCRYPT_COST", "10".to_owned()),
            ("DB_TIMEOUT_SECS", "30".to_owned()),
            ("LOG_FORMAT", "json".to_owned()),
        ],
    )
    .await;
    register(&process, "busy@example.com").await;
    // Each login asks `Expect: 100-continue`: the server's `100 Continue` says it has read
    // the request's head and is serving it, so the test knows every login is in flight
    // (a connection merely accepted, its request unread, is not).
    let continued = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let logins: Vec<_> = (0..16)
        .map(|_| {
            let (port, continued) = (process.port, continued.clone());
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let body = r#"{"email": "busy@example.com", "password": "password-123"}"#;
                let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
                let head = format!(
                    "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\
                     Expect: 100-continue\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).await?;
                let mut answer = Vec::new();
                while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    let mut chunk = [0u8; 256];
                    let n = stream.read(&mut chunk).await?;
                    if n == 0 {
                        break;
                    }
                    answer.extend_from_slice(&chunk[..n]);
                }
                let interim = String::from_utf8_lossy(&answer).into_owned();
                assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
                continued.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                stream.write_all(body.as_bytes()).await?;
                let mut rest = String::new();
                stream.read_to_string(&mut rest).await?;
                // The final answer's status line.
                let status = rest.lines().next().unwrap_or_default().to_owned();
                Ok::<_, std::io::Error>(status)
            })
        })
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while continued.load(std::sync::atomic::Ordering::SeqCst) < 16 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server never began every login"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    process.sigterm();

    for login in logins {
        let status = login
            .await
            .unwrap()
            .expect("an answer, not a dropped connection");
        assert!(
            status.starts_with("HTTP/1.1 200"),
            "{status:?}; the server said: {:#?}",
            process.lines.lock().unwrap()
        );
    }
    let status = process.exit_status(Duration::from_secs(15)).await;
    assert!(status.success(), "exit status {status}");

    // The server's own account: logins it answered after it heard the signal were in
    // flight then, and it answered all 16.
    let lines = process.output();
    assert!(
        lines.iter().any(|l| l.contains("\"stopped\"")),
        "no \"stopped\" line: {lines:?}"
    );
    let signalled = lines
        .iter()
        .position(|l| l.contains("SIGTERM: shutting down"))
        .unwrap_or_else(|| panic!("the signal is not in the log: {lines:?}"));
    let before = lines[..signalled]
        .iter()
        .filter(|l| login_answered(l))
        .count();
    let after = lines[signalled..]
        .iter()
        .filter(|l| login_answered(l))
        .count();
    assert_eq!(before + after, 16, "{lines:?}");
    assert!(
        after > 0,
        "every login had finished before SIGTERM: nothing was tested"
    );
}
