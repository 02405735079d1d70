//! `spawn_app()`: the real server on port 0 with a fresh database per test — a SQLite file,
//! or a new PostgreSQL database when `TEST_BACKEND=postgres` (with `TEST_DATABASE_URL`).

use api::startup::Application;
use infra::Config;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// A database that lives as long as the test.
pub enum TestDb {
    // Held so the folder (and its database file) lives as long as the test.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another instance's view of a database that a first `TestApp` owns.
    Shared,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside async context; a short-lived runtime on its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let db = Database::connect(&admin_url).await.ok()?;
                    db.execute_unprepared(&format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .await
                    .ok()
                })
            })
            .join();
        }
    }
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

pub async fn fresh_database() -> (TestDb, String) {
    match backend() {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
            (TestDb::Sqlite(dir), url)
        }
        Backend::Postgres => {
            let admin_url = std::env::var("TEST_DATABASE_URL")
                .expect("TEST_BACKEND=postgres needs TEST_DATABASE_URL");
            let name = format!("t_{}", uuid::Uuid::now_v7().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            let url = with_database(&admin_url, &name);
            (TestDb::Postgres { admin_url, name }, url)
        }
    }
}

pub fn test_config(database_url: &str) -> Config {
    Config {
        database_url: database_url.to_owned(),
        host: "127.0.0.1".into(),
        port: 0,
        jwt_secret: Some(JWT_SECRET.into()),
        bcrypt_cost: 4,
        auth_rate_limit_per_minute: 0,
        admin_email: Some(ADMIN_EMAIL.into()),
        admin_password: Some(ADMIN_PASSWORD.into()),
        db_max_connections: Some(5),
        ..Config::default()
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub config: Config,
    pub db: DatabaseConnection,
    /// Cancelling it shuts the instance down as SIGTERM does.
    pub shutdown: CancellationToken,
    // Dropped last: the database outlives the connections above.
    pub _db_guard: TestDb,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customise: impl FnOnce(&mut Config)) -> TestApp {
    let (guard, url) = fresh_database().await;
    let mut config = test_config(&url);
    customise(&mut config);
    let (address, db, shutdown) = start(&config).await;
    TestApp {
        address,
        shutdown,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client"),
        config,
        db,
        _db_guard: guard,
    }
}

/// Starts a server on `config` (another instance, or the same one after a restart).
pub async fn start(config: &Config) -> (String, DatabaseConnection, CancellationToken) {
    let app = Application::build(
        config.clone(),
        config.jwt_secret.as_deref().unwrap_or(JWT_SECRET),
    )
    .await
    .expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let shutdown = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    let db = infra::db::connect(&config.database_url, 2)
        .await
        .expect("test connection");
    (address, db, shutdown)
}

/// A Redis key prefix of the test's own, so tests sharing one Redis never hear each
/// other's events.
pub fn redis_prefix() -> String {
    format!("test:{}:", uuid::Uuid::now_v7().simple())
}

/// `TEST_REDIS_URL`, or `None` (and a note) when the test should be skipped.
pub fn redis_url() -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL").ok();
    if url.is_none() {
        eprintln!("skipped: TEST_REDIS_URL is not set");
    }
    url
}

/// A registered user with its tokens.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    /// A second instance started with `start(&first.config)`, on the same database.
    pub fn on(first: &TestApp, started: (String, DatabaseConnection, CancellationToken)) -> Self {
        let (address, db, shutdown) = started;
        TestApp {
            address,
            shutdown,
            client: first.client.clone(),
            config: first.config.clone(),
            db,
            _db_guard: TestDb::Shared,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token)
            .send()
            .await
            .expect("request")
    }

    /// `GET path`'s body as JSON.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Value {
        self.get(path, token).await.json().await.expect("JSON body")
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        token: Option<&str>,
    ) -> Response {
        self.request(method, path, token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        self.send_json(Method::POST, path, body, token).await
    }

    /// `method` on `path` with `If-Match: etag`, and `body` as JSON when there is one.
    pub async fn send_if_match(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        etag: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.request(method, path, token).header("if-match", etag);
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.expect("request")
    }

    /// Trades `refresh_token` for a new pair.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": refresh_token}),
            None,
        )
        .await
    }

    pub async fn register(&self, email: &str) -> TestUser {
        let password = "password-123";
        let res = self
            .post_json(
                "/api/v1/auth/register",
                &json!({"email": email, "password": password}),
                None,
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "register {email}");
        let body: Value = res.json().await.expect("json");
        TestUser {
            id: body["user"]["id"].as_str().expect("id").to_owned(),
            email: email.to_lowercase(),
            password: password.to_owned(),
            access: body["access_token"].as_str().expect("access").to_owned(),
            refresh: body["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": password}),
            None,
        )
        .await
    }

    /// Asks to log the session of `token` out.
    pub async fn send_logout(&self, token: &str) -> Response {
        self.request(Method::POST, "/api/v1/auth/logout", Some(token))
            .send()
            .await
            .expect("request")
    }

    /// Logs the session of `token` out (`204`).
    pub async fn logout(&self, token: &str) {
        let res = self.send_logout(token).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "logout");
    }

    /// The bootstrap admin's access token.
    pub async fn admin_token(&self) -> String {
        let res = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.expect("json");
        body["access_token"].as_str().expect("token").to_owned()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("count")
    }
}
