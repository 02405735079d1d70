//! Configuration: defaults, then an optional `config.toml`, then `.env`, then the
//! environment. Keys are the environment names of SPEC section 7, lower-cased in TOML.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where the default SQLite file and the generated development secret live.
pub const DATA_DIR: &str = "data";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AppEnv {
    #[default]
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum JwtAlgorithm {
    #[default]
    HS256,
    HS384,
    HS512,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

/// Every setting, read from the environment under its field's name in upper case (SPEC
/// section 7): adding a field adds the key. `Debug` redacts secrets.
#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    #[serde(deserialize_with = "lenient::string")]
    pub database_url: String,
    #[serde(deserialize_with = "lenient::string")]
    pub host: String,
    pub port: u16,
    pub app_env: AppEnv,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub jwt_secret: Option<String>,
    pub jwt_algorithm: JwtAlgorithm,
    pub jwt_expires_minutes: u32,
    pub refresh_token_days: u32,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub redis_url: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub smtp_url: Option<String>,
    /// Comma-separated origins, or `*`; empty allows no cross-origin browser calls.
    #[serde(deserialize_with = "lenient::string")]
    pub cors_origins: String,
    pub log_format: LogFormat,
    #[serde(deserialize_with = "lenient::string")]
    pub rust_log: String,
    pub auto_migrate: bool,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub admin_email: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub admin_password: Option<String>,
    pub bcrypt_cost: u32,
    /// Unset: the backend's default, see [`Config::max_connections`].
    pub db_max_connections: Option<u32>,
    /// Seconds a request may wait for a database connection, and (PostgreSQL) a statement
    /// may run, before the request is answered `503`.
    pub db_timeout_secs: u64,
    /// Seconds a signed-in caller's session is remembered instead of read on each request;
    /// 0 reads it every time. Revocations and role changes on this instance, and those the
    /// event bus (Redis) carries from others, take effect at once; without Redis, those made
    /// on another instance within this many seconds.
    pub session_cache_secs: u64,
    pub job_max_attempts: u32,
    /// Attempts per client IP and minute for login and for register; 0 turns it off.
    pub auth_rate_limit_per_minute: u32,
    /// Failed password checks of one account, from any address, within 15 minutes before
    /// its logins answer `429` until the window passes; 0 turns it off.
    pub login_failures_per_account: u32,
    pub max_body_bytes: usize,
    /// Seconds a client has to send a request's head and then its body: a slow client
    /// (slowloris) cannot hold a connection longer.
    pub request_timeout_secs: u64,
    /// Seconds an idle keep-alive connection stays open.
    pub keep_alive_secs: u64,
    /// Comma-separated addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For`
    /// names the client (for rate limits and logs); empty trusts no header.
    #[serde(deserialize_with = "lenient::string")]
    pub trusted_proxies: String,
    /// The sender of the service's e-mail, `Name <address>` or a bare address.
    #[serde(deserialize_with = "lenient::string")]
    pub mail_from: String,
    /// Prefix of every key and channel this service uses in Redis, so that deployments
    /// can share one server; instances that should act as one use the same prefix.
    #[serde(deserialize_with = "lenient::string")]
    pub redis_prefix: String,
    /// The public origin the links in e-mails point to; unset, `http://HOST:PORT`. Never
    /// taken from a request's `Host` header, which a client chooses.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub app_url: Option<String>,
    /// How long a password-reset link works.
    pub password_reset_minutes: u32,
    /// How long an e-mail verification link works.
    pub email_verification_hours: u32,
    /// Unverified users may sign in and read, but not write under `/api/v1` (but `auth`).
    pub require_verified_email: bool,
    /// How long the answer to a `POST` with an `Idempotency-Key` is kept for replays.
    pub idempotency_ttl_hours: u32,
    /// Notifications older than this are pruned by the workers.
    pub notification_retention_days: u32,
    /// Finished jobs (done, or parked as failed) older than this are pruned by the workers.
    pub job_retention_days: u32,
    /// Seconds between the pings a WebSocket gets; a peer that misses two pongs is dropped.
    pub ws_ping_secs: u64,
    /// Seconds between a WebSocket's re-checks of its session (a backstop for a missed
    /// `session.ended` event).
    pub ws_session_recheck_secs: u64,
    /// Seconds a WebSocket client has to take a frame before it is disconnected.
    pub ws_send_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: format!("sqlite://{DATA_DIR}/app.db?mode=rwc"),
            host: "127.0.0.1".into(),
            port: 8000,
            app_env: AppEnv::Development,
            jwt_secret: None,
            jwt_algorithm: JwtAlgorithm::HS256,
            jwt_expires_minutes: 15,
            refresh_token_days: 30,
            redis_url: None,
            smtp_url: None,
            cors_origins: String::new(),
            log_format: LogFormat::Pretty,
            rust_log: "info".into(),
            auto_migrate: true,
            admin_email: None,
            admin_password: None,
            bcrypt_cost: 12,
            db_max_connections: None,
            db_timeout_secs: 5,
            session_cache_secs: 5,
            job_max_attempts: 8,
            auth_rate_limit_per_minute: 10,
            login_failures_per_account: 10,
            max_body_bytes: 64 * 1024,
            request_timeout_secs: 10,
            keep_alive_secs: 30,
            trusted_proxies: String::new(),
            mail_from: "API <no-reply@localhost>".into(),
            redis_prefix: "api:".into(),
            app_url: None,
            password_reset_minutes: 30,
            email_verification_hours: 48,
            require_verified_email: false,
            idempotency_ttl_hours: 24,
            notification_retention_days: 90,
            job_retention_days: 14,
            ws_ping_secs: 30,
            ws_session_recheck_secs: 30,
            ws_send_timeout_secs: 10,
        }
    }
}

/// A configuration problem, naming the key as the environment spells it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

impl Config {
    /// Loads from `config.toml` and `.env` in the working directory and the environment.
    /// `.env` never overrides a variable that is already set.
    pub fn load() -> Result<Self, ConfigError> {
        if let Err(e) = dotenvy::dotenv()
            && !e.not_found()
        {
            return Err(ConfigError::new(".env", e.to_string()));
        }
        Self::from_figment(Self::figment(Path::new("config.toml")))
    }

    pub fn figment(toml: &Path) -> Figment {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(toml))
            .merge(Env::raw().only(&Self::keys().iter().map(String::as_str).collect::<Vec<_>>()))
    }

    /// Every key the service reads, as written in the environment.
    pub fn keys() -> Vec<String> {
        match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(fields)) => {
                fields.keys().map(|k| k.to_uppercase()).collect()
            }
            _ => Vec::new(),
        }
    }

    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let config: Config = figment.extract().map_err(|e| {
            let key = e.path.join(".").to_uppercase();
            let key = if key.is_empty() {
                "config".to_owned()
            } else {
                key
            };
            ConfigError::new(&key, e.kind.to_string())
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Rules serde cannot express.
    /// `TRUSTED_PROXIES` parsed: each entry an address (a /32 or /128) or a CIDR range.
    pub fn trusted_proxies(&self) -> Result<Vec<ipnet::IpNet>, String> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("`{entry}` is neither an IP address nor a CIDR range"))
            })
            .collect()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let url_scheme = |key: &str, url: &str, schemes: &[&str]| {
            if schemes.iter().any(|s| url.starts_with(s)) {
                Ok(())
            } else {
                Err(ConfigError::new(
                    key,
                    format!("must start with one of {}", schemes.join(", ")),
                ))
            }
        };
        url_scheme(
            "DATABASE_URL",
            &self.database_url,
            &["sqlite:", "postgres://", "postgresql://"],
        )?;
        if let Some(url) = &self.redis_url {
            url_scheme("REDIS_URL", url, &["redis://", "rediss://"])?;
        }
        if let Some(url) = &self.app_url {
            url_scheme("APP_URL", url, &["http://", "https://"])?;
        }
        if let Some(url) = &self.smtp_url {
            url_scheme("SMTP_URL", url, &["smtp://", "smtps://"])?;
            crate::mail::check_url(url).map_err(|e| ConfigError::new("SMTP_URL", e))?;
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "MAIL_FROM",
                "must be an address or `Name <address>`",
            ));
        }
        if self.host.trim().is_empty() {
            return Err(ConfigError::new("HOST", "must not be empty"));
        }
        let positive = [
            ("JWT_EXPIRES_MINUTES", self.jwt_expires_minutes as usize),
            ("REFRESH_TOKEN_DAYS", self.refresh_token_days as usize),
            ("DB_MAX_CONNECTIONS", self.max_connections() as usize),
            ("DB_TIMEOUT_SECS", self.db_timeout_secs as usize),
            ("JOB_MAX_ATTEMPTS", self.job_max_attempts as usize),
            ("MAX_BODY_BYTES", self.max_body_bytes),
            ("REQUEST_TIMEOUT_SECS", self.request_timeout_secs as usize),
            ("KEEP_ALIVE_SECS", self.keep_alive_secs as usize),
            (
                "PASSWORD_RESET_MINUTES",
                self.password_reset_minutes as usize,
            ),
            (
                "EMAIL_VERIFICATION_HOURS",
                self.email_verification_hours as usize,
            ),
            ("IDEMPOTENCY_TTL_HOURS", self.idempotency_ttl_hours as usize),
            (
                "NOTIFICATION_RETENTION_DAYS",
                self.notification_retention_days as usize,
            ),
            ("JOB_RETENTION_DAYS", self.job_retention_days as usize),
            ("WS_PING_SECS", self.ws_ping_secs as usize),
            (
                "WS_SESSION_RECHECK_SECS",
                self.ws_session_recheck_secs as usize,
            ),
            ("WS_SEND_TIMEOUT_SECS", self.ws_send_timeout_secs as usize),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(ConfigError::new(key, "must be greater than 0"));
            }
        }
        self.trusted_proxies()
            .map_err(|e| ConfigError::new("TRUSTED_PROXIES", e))?;
        if self.session_cache_secs > 60 {
            return Err(ConfigError::new(
                "SESSION_CACHE_SECS",
                "must be at most 60 (a role change elsewhere waits that long)",
            ));
        }
        if !(4..=31).contains(&self.bcrypt_cost) {
            return Err(ConfigError::new("BCRYPT_COST", "must be between 4 and 31"));
        }
        if self.admin_email.is_some() != self.admin_password.is_some() {
            let missing = if self.admin_email.is_none() {
                "ADMIN_EMAIL"
            } else {
                "ADMIN_PASSWORD"
            };
            return Err(ConfigError::new(
                missing,
                "ADMIN_EMAIL and ADMIN_PASSWORD go together",
            ));
        }
        if self
            .jwt_secret
            .as_ref()
            .is_some_and(|s| s.len() < MIN_SECRET_BYTES)
        {
            return Err(ConfigError::new(
                "JWT_SECRET",
                format!("must be at least {MIN_SECRET_BYTES} bytes"),
            ));
        }
        if self.app_env == AppEnv::Production {
            self.validate_production()?;
        }
        Ok(())
    }

    /// What production refuses that development lets pass: no secret, cheap hashes, and an
    /// admin password anyone could guess.
    fn validate_production(&self) -> Result<(), ConfigError> {
        if self.jwt_secret.is_none() {
            return Err(ConfigError::new("JWT_SECRET", "is required in production"));
        }
        if self.bcrypt_cost < MIN_PRODUCTION_BCRYPT_COST {
            return Err(ConfigError::new(
                "BCRYPT_COST",
                format!("must be at least {MIN_PRODUCTION_BCRYPT_COST} in production"),
            ));
        }
        if let Some(password) = &self.admin_password {
            if password.chars().count() < MIN_PRODUCTION_ADMIN_PASSWORD {
                return Err(ConfigError::new(
                    "ADMIN_PASSWORD",
                    format!(
                        "must be at least {MIN_PRODUCTION_ADMIN_PASSWORD} characters in production"
                    ),
                ));
            }
            if WELL_KNOWN_PASSWORDS
                .iter()
                .any(|known| known.eq_ignore_ascii_case(password.trim()))
            {
                return Err(ConfigError::new(
                    "ADMIN_PASSWORD",
                    "is a well-known password; choose your own",
                ));
            }
        }
        Ok(())
    }

    /// The signing secret: the configured one, or in development one generated once and
    /// kept under `data/` so tokens survive restarts.
    pub fn resolve_jwt_secret(&self) -> Result<String, ConfigError> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.clone());
        }
        if self.app_env == AppEnv::Production {
            return Err(ConfigError::new("JWT_SECRET", "is required in production"));
        }
        let path = PathBuf::from(DATA_DIR).join("jwt_secret");
        crate::secret::load_or_create(&path)
            .map_err(|e| ConfigError::new("JWT_SECRET", format!("{}: {e}", path.display())))
    }

    /// The most database connections this instance opens: `DB_MAX_CONNECTIONS`, else 20 on
    /// PostgreSQL and 10 on SQLite. On PostgreSQL half serve single statements, and with 5
    /// of them 32 requests in flight left the cores a sixth idle, waiting on round trips
    /// (20 in all instead of 10 gave 15-25 % more reads per second). On SQLite each connection is a thread with
    /// its own page cache: 20 took the resident memory at 256 in flight from 64 to 87 MB.
    pub fn max_connections(&self) -> u32 {
        self.db_max_connections
            .unwrap_or(if self.is_sqlite() { 10 } else { 20 })
    }

    /// Where the links in e-mails point: `APP_URL`, else this server's own address.
    pub fn app_url(&self) -> String {
        match &self.app_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}:{}", self.host, self.port),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

/// Shortest HMAC secret accepted in any mode: HS256's own output size.
const MIN_SECRET_BYTES: usize = 32;
const MIN_PRODUCTION_BCRYPT_COST: u32 = 10;
const MIN_PRODUCTION_ADMIN_PASSWORD: usize = 12;
/// Passwords an attacker tries first: this project's and common templates' examples, and
/// the top of the breached-password lists, as long as production's minimum or longer.
const WELL_KNOWN_PASSWORDS: &[&str] = &[
    "change-me-now",
    "changeme",
    "change-me",
    "password",
    "password123",
    "password1234",
    "admin",
    "admin123",
    "admin-password",
    "administrator",
    "123456789012",
    "1234567890123",
    "qwertyuiop12",
    "qwerty123456",
    "letmein12345",
    "welcome12345",
    "passw0rd1234",
    "iloveyou1234",
    "correct horse battery staple",
];

/// Settings whose values never reach a log.
const SECRETS: &[&str] = &["jwt_secret", "admin_password"];
/// URLs whose password (if any) is hidden.
const URLS: &[&str] = &["database_url", "redis_url", "smtp_url"];

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(self) else {
            return f.write_str("Config { .. }");
        };
        let mut out = f.debug_struct("Config");
        for (key, value) in &fields {
            match value.as_str() {
                Some(_) if SECRETS.contains(&key.as_str()) => out.field(key, &"[redacted]"),
                Some(url) if URLS.contains(&key.as_str()) => out.field(key, &redact_url(url)),
                _ => out.field(key, value),
            };
        }
        out.finish()
    }
}

/// `scheme://user:password@host/...` with the password replaced.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:[redacted]@{host}"),
        None => url.to_owned(),
    }
}

mod lenient;

#[cfg(test)]
// figment's `Jail` closures must return its large `figment::Error`.
#[allow(clippy::result_large_err)]
mod tests;
