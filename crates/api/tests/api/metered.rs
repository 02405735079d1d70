//! The binary in a process of its own, for what is process-wide: the metrics recorder (in
//! the test process every server shares one, so a count there mixes every test's work) and
//! the log. Such a process serves one test only: its counts are exactly what the test did.

use crate::helpers::{TestDb, fresh_database};
use crate::process::{binary, free_port};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::{Child, Stdio};
use std::time::Duration;

pub struct OwnProcess {
    child: Child,
    pub port: u16,
    pub database_url: String,
    dir: tempfile::TempDir,
    /// The database, when this process made it (another may share it by URL).
    _db: Option<TestDb>,
}

/// How long a condition may take to come true before the test fails.
pub const WITHIN: Duration = Duration::from_secs(20);

/// What to run: `api` with `args` in a directory of its own, on a database.
#[derive(Default)]
pub struct Launch<'a> {
    pub args: &'a [&'a str],
    /// Over the test settings of [`binary`].
    pub env: &'a [(&'a str, &'a str)],
    /// Taken away from the environment the test settings give.
    pub unset: &'a [&'a str],
    /// A `.env` file in the working directory.
    pub dotenv: Option<&'a str>,
}

impl OwnProcess {
    /// `api serve` on a fresh database with `env` over the test settings, answering
    /// `/health`.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let (db, url) = fresh_database().await;
        let own = Self::launch(
            &url,
            Some(db),
            Launch {
                env,
                ..Launch::default()
            },
        );
        own.answering().await;
        own
    }

    /// Starts the binary on `database_url` (owning `db` if given) without waiting for
    /// anything; its output goes to a file of its own (see [`OwnProcess::log`]).
    pub fn launch(database_url: &str, db: Option<TestDb>, launch: Launch<'_>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        if let Some(dotenv) = launch.dotenv {
            std::fs::write(dir.path().join(".env"), dotenv).unwrap();
        }
        let out = std::fs::File::create(dir.path().join("out.log")).unwrap();
        let mut command = binary(dir.path(), database_url, port);
        command
            .args(launch.args)
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out));
        for (key, value) in launch.env {
            command.env(key, value);
        }
        for key in launch.unset {
            command.env_remove(key);
        }
        Self {
            child: command.spawn().expect("the binary starts"),
            port,
            database_url: database_url.to_owned(),
            dir,
            _db: db,
        }
    }

    /// Waits until the process answers `/health` on its port.
    pub async fn answering(&self) {
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + WITHIN;
        loop {
            if let Ok(res) = client.get(self.url("/health")).send().await
                && res.status().is_success()
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the binary did not answer /health:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits until a line of the log satisfies `found`; that line.
    pub async fn wait_for_line(&self, found: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + WITHIN;
        loop {
            let log = self.log();
            if let Some(line) = log.lines().find(|l| found(l)) {
                return line.to_owned();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no such line in the log:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A connection to the process's database.
    pub async fn db(&self) -> sea_orm::DatabaseConnection {
        infra::db::connect(&self.database_url, 1).await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Everything the process wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("out.log")).unwrap_or_default()
    }

    /// Registers `email`: the answer's body (user and tokens).
    pub async fn register(&self, email: &str) -> Value {
        let res = reqwest::Client::new()
            .post(self.url("/api/v1/auth/register"))
            .json(&json!({"email": email, "password": "password-123"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "register {email}");
        res.json().await.unwrap()
    }

    /// The `/metrics` page.
    pub async fn metrics(&self) -> String {
        let res = reqwest::get(self.url("/metrics")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.unwrap()
    }

    /// The value of `series` (its name and labels exactly as rendered, e.g.
    /// `jobs_done_total{kind="welcome_email"}`), 0 when it has no sample yet.
    pub async fn sample(&self, series: &str) -> f64 {
        sample(&self.metrics().await, series)
    }

    /// Waits until `series` reads `value`.
    pub async fn wait_for_sample(&self, series: &str, value: f64) {
        self.wait_until_sample(series, |v| v == value).await;
    }

    /// Waits until the value of `series` satisfies `done`.
    pub async fn wait_until_sample(&self, series: &str, done: impl Fn(f64) -> bool) {
        let deadline = tokio::time::Instant::now() + WITHIN;
        loop {
            let page = self.metrics().await;
            if done(sample(&page, series)) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{series} never read as expected:\n{page}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asks the process to stop, as an orchestrator does.
    pub fn sigterm(&self) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    }

    /// Waits for the process to exit.
    pub async fn exit_status(&mut self) -> std::process::ExitStatus {
        let deadline = tokio::time::Instant::now() + WITHIN;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(tokio::time::Instant::now() < deadline, "still running");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for OwnProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of `series` in a Prometheus text page, 0 when absent.
pub fn sample(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}
