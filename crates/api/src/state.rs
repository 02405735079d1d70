//! The application state shared by every handler, and the composition root that builds it:
//! each use case wired to the adapters of its ports.

use crate::metrics::ReadEvery;
use crate::outage::Outages;
use crate::ws::{Hub, Timers};
use app::account::TokenLifetimes;
use app::idempotency::IdempotencyService;
use app::login_throttle::LoginThrottle;
use app::mails::MailSettings;
use app::maintenance::Retention;
use app::{
    AccountService, AuthService, BlogService, EmployeeService, JobService, MaintenanceService,
    NotificationService, ProductService, UserService,
};
use chrono::TimeDelta;
use domain::BoxError;
use domain::event::EventPublisher;
use domain::health::DependencyProbe;
use domain::job::Mailer;
use domain::rate_limit::RateLimiter;
use infra::Config;
use infra::db::{DatabaseProbe, Db, PrincipalCache};
use infra::events::{EventSource, LocalEvents, RedisEvents};
use infra::mail::{LogMailer, SmtpMailer};
use infra::password::BcryptHasher;
use infra::rate_limit::InMemoryRateLimiter;
use infra::redis::{RedisProbe, RedisRateLimiter};
use infra::repositories::{
    SeaOrmAccountTokenRepository, SeaOrmCommentRepository, SeaOrmEmployeeRepository,
    SeaOrmIdempotencyStore, SeaOrmJobQueue, SeaOrmPostRepository, SeaOrmProductRepository,
    SeaOrmSessionRepository, SeaOrmUserRepository, SeaOrmVoteRepository,
};
use infra::repositories::{SeaOrmLeases, SeaOrmNotificationRepository};
use infra::token::JwtTokenService;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct AppState {
    pub auth: Arc<AuthService>,
    /// Retry-safe `POST`s (`Idempotency-Key`), used by `crate::idempotency`.
    pub idempotency: Arc<IdempotencyService>,
    pub account: Arc<AccountService>,
    pub users: Arc<UserService>,
    pub products: Arc<ProductService>,
    pub employees: Arc<EmployeeService>,
    pub blog: Arc<BlogService>,
    pub jobs: Arc<JobService>,
    pub notifications: Arc<NotificationService>,
    /// Pruning, run by the worker beside the jobs.
    pub maintenance: Arc<MaintenanceService>,
    /// This instance's WebSocket connections.
    pub hub: Arc<Hub>,
    /// Cancelled on SIGTERM: sockets close with 1001, the worker stops claiming.
    pub shutdown: CancellationToken,
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// Attempts per client IP and minute for login, register and the account-recovery
    /// endpoints, each its own budget; 0 is off.
    pub auth_rate_limit_per_minute: u32,
    /// Unverified callers may not write under `/api/v1` (but `auth`).
    pub require_verified_email: bool,
    /// Required dependencies checked by `/health/ready`.
    pub probes: Vec<Arc<dyn DependencyProbe>>,
    /// Dependencies that are away, logged once per outage (with the same probes).
    pub outages: Arc<Outages>,
    /// For pool statistics in `/metrics`.
    pub db: Db,
    pub db_max_connections: u32,
    /// The job queue's depth (a COUNT) is read at most this often for `/metrics`.
    pub job_depth_reads: ReadEvery,
}

/// Wires the adapters into the use cases. Starts the event tasks: the socket hub, which
/// ends with `shutdown`, and with Redis its publisher and subscriber, which end with the
/// runtime.
pub async fn build_state(
    config: &Config,
    db: DatabaseConnection,
    jwt_secret: &str,
    shutdown: CancellationToken,
) -> Result<AppState, BoxError> {
    let shared = Db::new(db.clone());
    let principals = Arc::new(PrincipalCache::new(Duration::from_secs(
        config.session_cache_secs,
    )));
    let users = Arc::new(SeaOrmUserRepository::new(shared.clone()).with_cache(principals.clone()));
    let sessions =
        Arc::new(SeaOrmSessionRepository::new(shared.clone()).with_cache(principals.clone()));
    let hasher = Arc::new(BcryptHasher::new(config.bcrypt_cost)?);
    let tokens = Arc::new(JwtTokenService::new(
        jwt_secret.as_bytes(),
        config.jwt_algorithm,
        config.jwt_expires_minutes,
        config.refresh_token_days,
    ));
    let mut probes: Vec<Arc<dyn DependencyProbe>> = vec![Arc::new(DatabaseProbe::new(db.clone()))];
    let prefix = &config.redis_prefix;
    let (rate_limiter, events): (Arc<dyn RateLimiter>, Events) = match &config.redis_url {
        Some(url) => {
            let conn = infra::redis::connect(url)
                .await
                .map_err(|e| format!("REDIS_URL: cannot connect: {e}"))?;
            probes.push(Arc::new(RedisProbe::new(conn.clone())));
            // Revocations published while the subscription was down never arrive.
            let cache = principals.clone();
            let events = Arc::new(
                RedisEvents::start(url, conn.clone(), format!("{prefix}events"), move || {
                    cache.forget_all()
                })
                .map_err(|e| format!("REDIS_URL: {e}"))?,
            );
            (
                Arc::new(RedisRateLimiter::new(conn, format!("{prefix}ratelimit:"))),
                (events.clone(), events),
            )
        }
        None => {
            let events = Arc::new(LocalEvents::new());
            (
                Arc::new(InMemoryRateLimiter::new()),
                (events.clone(), events),
            )
        }
    };
    let (publisher, source) = events;
    let throttle = Arc::new(LoginThrottle::new(
        rate_limiter.clone(),
        config.login_failures_per_account,
    ));
    // Sessions ended on other instances are forgotten here too.
    principals.clone().follow(source.subscribe());
    let mailer: Arc<dyn Mailer> = match &config.smtp_url {
        Some(url) => {
            Arc::new(SmtpMailer::new(url, &config.mail_from).map_err(|e| format!("SMTP_URL: {e}"))?)
        }
        None => Arc::new(LogMailer),
    };
    let lifetimes = TokenLifetimes {
        password_reset: TimeDelta::minutes(config.password_reset_minutes.into()),
        email_verification: TimeDelta::hours(config.email_verification_hours.into()),
    };
    let account_tokens =
        Arc::new(SeaOrmAccountTokenRepository::new(shared.clone()).with_cache(principals.clone()));
    let notifications = Arc::new(SeaOrmNotificationRepository::new(shared.clone()));
    let job_queue = Arc::new(SeaOrmJobQueue::new(shared.clone()));
    let idempotency_keys = Arc::new(SeaOrmIdempotencyStore::new(shared.clone()));
    // One line per table pruned.
    let retention = vec![
        Retention::new(
            notifications.clone(),
            TimeDelta::days(config.notification_retention_days.into()),
        ),
        Retention::new(
            job_queue.clone(),
            TimeDelta::days(config.job_retention_days.into()),
        ),
        // Nothing kept past a key's own expiry (`IDEMPOTENCY_TTL_HOURS`).
        Retention::new(idempotency_keys.clone(), TimeDelta::zero()),
    ];
    Ok(AppState {
        idempotency: Arc::new(IdempotencyService::new(
            idempotency_keys,
            Duration::from_secs(u64::from(config.idempotency_ttl_hours) * 3600),
        )),
        auth: Arc::new(AuthService::new(
            users.clone(),
            sessions.clone(),
            hasher.clone(),
            tokens.clone(),
            publisher.clone(),
            throttle.clone(),
            lifetimes.email_verification,
        )),
        account: Arc::new(AccountService::new(
            users.clone(),
            account_tokens,
            tokens,
            hasher.clone(),
            publisher.clone(),
            lifetimes,
        )),
        users: Arc::new(UserService::new(
            users,
            sessions,
            hasher,
            publisher.clone(),
            throttle,
        )),
        products: Arc::new(ProductService::new(Arc::new(SeaOrmProductRepository::new(
            shared.clone(),
        )))),
        employees: Arc::new(EmployeeService::new(Arc::new(
            SeaOrmEmployeeRepository::new(shared.clone()),
        ))),
        blog: Arc::new(BlogService::new(
            Arc::new(SeaOrmPostRepository::new(shared.clone())),
            Arc::new(SeaOrmCommentRepository::new(shared.clone())),
            Arc::new(SeaOrmVoteRepository::new(shared.clone())),
            publisher,
        )),
        jobs: Arc::new(JobService::new(
            job_queue,
            mailer,
            config.job_max_attempts,
            MailSettings {
                app_url: config.app_url(),
                reset_minutes: config.password_reset_minutes,
                verification_hours: config.email_verification_hours,
            },
        )),
        notifications: Arc::new(NotificationService::new(notifications)),
        maintenance: Arc::new(MaintenanceService::new(
            Arc::new(SeaOrmLeases::new(shared.clone())),
            retention,
            crate::worker::MAINTENANCE_EVERY,
        )),
        hub: Hub::start(source.as_ref(), Timers::of(config), shutdown.clone()),
        shutdown,
        rate_limiter,
        auth_rate_limit_per_minute: config.auth_rate_limit_per_minute,
        require_verified_email: config.require_verified_email,
        outages: Arc::new(Outages::new(&probes)),
        probes,
        db: shared,
        db_max_connections: config.max_connections(),
        job_depth_reads: ReadEvery::new(Duration::from_secs(5)),
    })
}

/// The event adapter, as the use cases publish to it and as the hub reads from it.
type Events = (Arc<dyn EventPublisher>, Arc<dyn EventSource>);
