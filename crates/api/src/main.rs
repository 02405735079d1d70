//! The `api` binary: `api [serve]`, `api migrate up|down [N]|status|fresh`, `api create-admin`.

use api::startup::{Application, build_state, prepare};
use api::worker::{self, WorkerSettings};
use infra::Config;
use migration::{Migrator, MigratorTrait};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// mimalloc instead of glibc's malloc, with `--features mimalloc`: allocation was a fifth
/// to a third of a list page's CPU (`perf`, profiling build). The trade (less CPU, more
/// memory at rest) is measured in the README.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: api [serve]                 HTTP server and job worker
       api worker                  the job worker alone, no HTTP
       api migrate up | down [N] | status | fresh
       api create-admin [--email EMAIL] [--password-stdin]   (defaults: ADMIN_EMAIL, ADMIN_PASSWORD)
           --password-stdin reads the password from the first line of standard input, so it
           never shows in the process list; --password PASSWORD also works but does show.";

enum Command {
    Serve,
    Worker,
    Migrate(String, Option<u32>),
    CreateAdmin {
        email: Option<String>,
        password: Option<String>,
        password_stdin: bool,
    },
    Help,
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    match args.first().map(String::as_str) {
        None | Some("serve") => Ok(Command::Serve),
        Some("worker") => Ok(Command::Worker),
        Some("-h" | "--help" | "help") => Ok(Command::Help),
        Some("migrate") => {
            let action = args
                .get(1)
                .cloned()
                .ok_or("migrate needs up, down, status or fresh")?;
            if !matches!(action.as_str(), "up" | "down" | "status" | "fresh") {
                return Err(format!("unknown migrate action {action:?}"));
            }
            let steps = match args.get(2) {
                Some(n) => Some(
                    n.parse::<u32>()
                        .map_err(|_| format!("not a number of steps: {n:?}"))?,
                ),
                None => None,
            };
            Ok(Command::Migrate(action, steps))
        }
        Some("create-admin") => {
            let (mut email, mut password, mut password_stdin) = (None, None, false);
            let mut rest = args[1..].iter();
            while let Some(flag) = rest.next() {
                if flag == "--password-stdin" {
                    password_stdin = true;
                    continue;
                }
                let value = rest
                    .next()
                    .cloned()
                    .ok_or(format!("{flag} needs a value"))?;
                match flag.as_str() {
                    "--email" => email = Some(value),
                    "--password" => password = Some(value),
                    _ => return Err(format!("unknown option {flag:?}")),
                }
            }
            Ok(Command::CreateAdmin {
                email,
                password,
                password_stdin,
            })
        }
        Some(other) => Err(format!("unknown command {other:?}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Configuration problems exit with status 2 and one line naming the key.
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let traces = api::telemetry::TraceSettings::from_env();
    let telemetry = api::telemetry::init(config.log_format, &config.rust_log, &traces);
    let secret = match config.resolve_jwt_secret() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let result = actix_web::rt::System::new().block_on(run(command, config, secret));
    // After the server and worker stopped: the spans of their last requests and jobs.
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// SIGTERM or SIGINT cancels `shutdown`: the graceful stop of server, sockets and worker.
fn stop_on_signal(shutdown: CancellationToken) {
    actix_web::rt::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
                        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
                    }
                }
                Err(e) => {
                    tracing::warn!("cannot watch SIGTERM: {e}");
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        shutdown.cancel();
    });
}

async fn run(command: Command, config: Config, secret: String) -> Result<(), domain::BoxError> {
    match command {
        Command::Serve => {
            let host = config.host.clone();
            let app = Application::build(config, &secret).await?;
            let shown = if host == "0.0.0.0" {
                "localhost".to_owned()
            } else {
                host
            };
            tracing::info!(
                "listening on http://{shown}:{0}; docs at http://{shown}:{0}/docs",
                app.port()
            );
            stop_on_signal(app.shutdown_token());
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
        Command::Worker => {
            let shutdown = CancellationToken::new();
            let state = prepare(&config, &secret, shutdown.clone()).await?;
            stop_on_signal(shutdown.clone());
            let (jobs, maintenance) = (state.jobs.clone(), state.maintenance.clone());
            let outages = state.outages.clone();
            worker::run(
                jobs,
                maintenance,
                outages,
                WorkerSettings::default(),
                shutdown,
            )
            .await;
        }
        Command::Migrate(action, steps) => {
            let db = infra::db::connect(&config.database_url, 1).await?;
            match action.as_str() {
                "up" => Migrator::up(&db, steps).await?,
                "down" => Migrator::down(&db, Some(steps.unwrap_or(1))).await?,
                "fresh" => Migrator::fresh(&db).await?,
                _ => Migrator::status(&db).await?,
            }
            println!("migrate {action}: done");
        }
        Command::CreateAdmin {
            email,
            password,
            password_stdin,
        } => {
            let email = email
                .or(config.admin_email.clone())
                .ok_or("--email or ADMIN_EMAIL is required")?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                password
            };
            let password = password
                .or(config.admin_password.clone())
                .ok_or("--password-stdin, --password or ADMIN_PASSWORD is required")?;
            let db = infra::db::connect(&config.database_url, 1).await?;
            if config.auto_migrate {
                Migrator::up(&db, None).await?;
            }
            let state = build_state(&config, db, &secret, CancellationToken::new()).await?;
            match state.users.bootstrap_admin(&email, &password).await? {
                app::users::AdminBootstrap::Created(id) => println!("created admin {email} ({id})"),
                app::users::AdminBootstrap::AlreadyExists(id) => {
                    println!("an account {email} already exists ({id}); left unchanged")
                }
            }
        }
        Command::Help => println!("{USAGE}"),
    }
    Ok(())
}
