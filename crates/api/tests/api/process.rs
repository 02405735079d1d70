//! The real `api` binary as operators run it: killed with SIGKILL right after a
//! registration, stopped with SIGTERM while a socket is open, logging JSON lines.

use crate::helpers::{JWT_SECRET, fresh_database};
use crate::smtp::SmtpServer;
use futures_util::StreamExt;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

struct Process {
    child: Child,
    port: u16,
    lines: Arc<Mutex<Vec<String>>>,
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
async fn spawn_binary(database_url: &str, env: &[(&str, String)]) -> Process {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = binary(dir.path(), database_url, port);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the binary starts");
    let lines = Arc::new(Mutex::new(Vec::new()));
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
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
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
    /// Asks the process to stop, as an orchestrator does.
    fn sigterm(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits for the process to exit, up to `within`.
    async fn exit_status(&mut self, within: Duration) -> std::process::ExitStatus {
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
    tokio::time::sleep(Duration::from_millis(1500)).await;
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

    // Give the readers a moment to drain the pipes, then read every line.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let lines = process.lines.lock().unwrap().clone();
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
    /// The server's sockets on `port` as the kernel lists them (Linux): how many
    /// connections are established, and how many of those the process has not accepted
    /// yet (the listening socket's queue).
    fn connections(port: u16) -> (usize, usize) {
        let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp (Linux)");
        let (mut established, mut unaccepted) = (0, 0);
        for line in table.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let local_port = cols[1].rsplit(':').next().unwrap();
            if u16::from_str_radix(local_port, 16) != Ok(port) {
                continue;
            }
            match cols[3] {
                "01" => established += 1,
                "0A" => {
                    let queue = cols[4].rsplit(':').next().unwrap();
                    unaccepted += usize::from_str_radix(queue, 16).unwrap();
                }
                _ => {}
            }
        }
        (established, unaccepted)
    }
    /// Whether a JSON log line is the request line of a login answered `200`.
    fn login_answered(line: &str) -> bool {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            return false;
        };
        v["message"] == "request" && v["route"] == "/api/v1/auth/login" && v["status"] == 200
    }

    let (_db, url) = fresh_database().await;
    // Cost 10: each login hashes for tens of milliseconds, so many are in flight at once.
    let mut process = spawn_binary(
        &url,
        &[
            ("BCRYPT_COST", "10".to_owned()),
            ("LOG_FORMAT", "json".to_owned()),
        ],
    )
    .await;
    register(&process, "busy@example.com").await;
    let client = reqwest::Client::new();
    let logins: Vec<_> = (0..16)
        .map(|_| {
            let request = client.post(process.url("/api/v1/auth/login")).json(
                &serde_json::json!({"email": "busy@example.com", "password": "password-123"}),
            );
            tokio::spawn(async move { request.send().await.map(|r| r.status()) })
        })
        .collect();
    // Wait until the server has accepted all 16 connections (the kernel says so) and has
    // answered at least one login (its log says so): every login is then the server's to
    // finish, and hashing the others takes far longer than the signal takes to arrive.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (established, unaccepted) = connections(process.port);
        let answered = process
            .lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| login_answered(l))
            .count();
        if established >= 16 && unaccepted == 0 && answered >= 1 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{established} connections, {unaccepted} not accepted, {answered} logins answered"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    process.sigterm();

    for login in logins {
        let status = login
            .await
            .unwrap()
            .expect("an answer, not a dropped connection");
        assert_eq!(status, reqwest::StatusCode::OK);
    }
    let status = process.exit_status(Duration::from_secs(15)).await;
    assert!(status.success(), "exit status {status}");

    // The server's own account: logins it answered after it heard the signal were in
    // flight then, and it answered all 16. (The log is written in order; the pipe's reader
    // may still be draining it.)
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let lines = loop {
        let lines = process.lines.lock().unwrap().clone();
        if lines.iter().any(|l| l.contains("\"stopped\"")) {
            break lines;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no \"stopped\" line: {lines:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
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
