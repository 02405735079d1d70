//! Builds the application from configuration: the composition root shared by the binary
//! and the end-to-end tests (which bind port 0).

use crate::error::ApiError;
use crate::extract::{BodyLimit, BodyTimeout, resolve_caller};
use crate::idempotency::SignedInPosts;
use crate::openapi::ApiDoc;
use crate::request_id;
use crate::routes::{self, fallback::RouteTable};
use crate::security::{self, TrustedProxies};
use crate::state::AppState;
pub use crate::state::build_state;
use crate::worker::{self, WorkerSettings};
use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpServer, web};
use app::users::AdminBootstrap;
use domain::BoxError;
use infra::Config;
use infra::db;
use migration::{Migrator, MigratorTrait};
use std::net::TcpListener;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

/// Every documented route: registering them also builds the OpenAPI document.
fn configure_documented(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(routes::health::health)
        .service(routes::health::ready)
        .service(routes::health::metrics_endpoint)
        .service(routes::ws::notify)
        .service(scope("/api/v1").configure(routes::configure_v1));
}

fn cors(origins: &str) -> Cors {
    let origins: Vec<&str> = origins
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .collect();
    let mut cors = Cors::default()
        .allow_any_method()
        .allow_any_header()
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            request_id::HEADER,
        ])
        .max_age(3600);
    if origins.contains(&"*") {
        cors = cors.allow_any_origin();
    } else {
        for origin in origins {
            cors = cors.allowed_origin(origin);
        }
    }
    cors
}

pub struct Application {
    port: u16,
    server: Server,
    shutdown: CancellationToken,
    worker: Option<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects, migrates (if `AUTO_MIGRATE`), bootstraps the admin, binds, and starts
    /// the job worker beside the server.
    pub async fn build(config: Config, jwt_secret: &str) -> Result<Self, BoxError> {
        let shutdown = CancellationToken::new();
        let state = prepare(&config, jwt_secret, shutdown.clone()).await?;
        let worker = tokio::spawn(worker::run(
            state.jobs.clone(),
            state.maintenance.clone(),
            state.outages.clone(),
            WorkerSettings::default(),
            shutdown.clone(),
        ));
        let listener = TcpListener::bind((config.host.as_str(), config.port))?;
        let port = listener.local_addr()?.port();
        let server = serve(listener, web::Data::new(state), &config, shutdown.clone())?;
        Ok(Self {
            port,
            server,
            shutdown,
            worker: Some(worker),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cancel it to shut down gracefully, as SIGTERM does in the binary.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Runs until shutdown: then stops accepting, closes every WebSocket with `1001`,
    /// lets in-flight requests and running jobs finish, and returns.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let served = self.server.await;
        self.shutdown.cancel();
        if let Some(worker) = self.worker.take() {
            let _ = worker.await;
        }
        served
    }
}

/// Connects, migrates when asked, wires the state and bootstraps the admin: what the
/// server and the stand-alone worker both need.
pub async fn prepare(
    config: &Config,
    jwt_secret: &str,
    shutdown: CancellationToken,
) -> Result<AppState, BoxError> {
    let db = db::connect_service(
        &config.database_url,
        config.max_connections(),
        Duration::from_secs(config.db_timeout_secs),
    )
    .await?;
    if config.auto_migrate {
        if config.is_sqlite() {
            // The same pool: an in-memory database exists only in it.
            Migrator::up(&db, None).await?;
        } else {
            // A connection of its own, free of the statement timeout: an index build on a
            // large table may rightly take longer.
            let migrating = db::connect(&config.database_url, 1).await?;
            Migrator::up(&migrating, None).await?;
            migrating.close().await?;
        }
    }
    let state = build_state(config, db, jwt_secret, shutdown).await?;
    if let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password) {
        match state.users.bootstrap_admin(email, password).await {
            Ok(AdminBootstrap::Created(id)) => {
                tracing::info!(%id, "created the admin account {email}")
            }
            Ok(AdminBootstrap::AlreadyExists(_)) => {
                tracing::info!("admin account {email} exists; left unchanged")
            }
            Err(e) => return Err(format!("ADMIN_EMAIL/ADMIN_PASSWORD: {e}").into()),
        }
    }
    Ok(state)
}

fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
    config: &Config,
    shutdown: CancellationToken,
) -> std::io::Result<Server> {
    // Install the recorder before the first request so no measurement goes to the no-op one.
    crate::metrics::handle();
    let body_limit = BodyLimit(config.max_body_bytes);
    let request_timeout = Duration::from_secs(config.request_timeout_secs);
    let body_timeout = BodyTimeout(request_timeout);
    let proxies = TrustedProxies(
        config
            .trusted_proxies()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
    );
    let cors_origins = config.cors_origins.clone();
    let server = HttpServer::new(move || {
        let (app, api) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .app_data(state.clone())
            .app_data(body_limit)
            .app_data(body_timeout)
            .app_data(proxies.clone())
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, _| ApiError::field("id", "must be a UUID").into()),
            )
            .configure(configure_documented)
            .split_for_parts();
        let api = crate::openapi::complete(api);
        let table = web::Data::new(RouteTable::from_openapi(&api));
        let idempotent = web::Data::new(SignedInPosts::from_openapi(&api));
        app.app_data(table)
            .app_data(idempotent)
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
            .route("/", web::get().to(routes::fallback::root))
            .route("/docs", web::get().to(routes::fallback::docs_index))
            .configure(crate::pages::configure)
            .default_service(web::to(routes::fallback::not_found))
            // Inside the caller's resolution: a key belongs to a signed-in user.
            .wrap(from_fn(crate::idempotency::middleware))
            .wrap(from_fn(resolve_caller))
            .wrap(Condition::new(
                !cors_origins.trim().is_empty(),
                cors(&cors_origins),
            ))
            .wrap(from_fn(security::headers))
            // HTTP semantics (HEAD, 304, Cache-Control, compression): see `crate::http`.
            .wrap(from_fn(crate::http::representation))
            .wrap(actix_web::middleware::Compress::default())
            .wrap(from_fn(crate::http::semantics))
            .wrap(from_fn(request_id::middleware))
    })
    // A request's head must arrive within the timeout (the body's is enforced where it is
    // read), and idle keep-alive connections close: a slow client cannot pin a connection.
    .client_request_timeout(request_timeout)
    .keep_alive(Duration::from_secs(config.keep_alive_secs))
    .listen(listener)?
    // The binary turns SIGTERM/SIGINT into this token; sockets and the worker watch it too.
    .shutdown_signal(shutdown.cancelled_owned())
    .shutdown_timeout(30)
    .run();
    Ok(server)
}
