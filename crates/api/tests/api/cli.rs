//! The binary's `migrate` subcommands, as an operator runs them, on the test's backend
//! (SQLite, or PostgreSQL with `TEST_BACKEND=postgres`): every migration goes down and
//! comes back up, and `fresh` rebuilds a database that holds data.

use crate::helpers::{JWT_SECRET, fresh_database};
use crate::metered::{Launch, OwnProcess};
use crate::process::free_port;
use sea_orm::{ConnectionTrait, Database, Statement};
use std::process::{Command, Output};

const CREATE_ADMIN: &[&str] = &[
    "create-admin",
    "--email",
    "ops@example.com",
    "--password",
    "ops-password",
];

fn api(database_url: &str, dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_api"))
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("JWT_SECRET", JWT_SECRET)
        .env("BCRYPT_COST", "4")
        .env("AUTO_MIGRATE", "false")
        .env("ADMIN_EMAIL", "")
        .env("ADMIN_PASSWORD", "")
        .env("REDIS_URL", "")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn ok(output: Output, what: &str) -> String {
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(output.status.success(), "{what} failed:\n{out}\n{err}");
    format!("{out}{err}")
}

/// The application's tables, functions excluded: what `down` must remove.
async fn tables(database_url: &str) -> Vec<String> {
    let mut tables = all_tables(database_url).await;
    tables.retain(|t| t != "seaql_migrations");
    tables
}

#[tokio::test]
async fn every_migration_goes_down_and_up_and_fresh_rebuilds_a_database_with_data() {
    let (_db, url) = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    ok(api(&url, dir.path(), &["migrate", "up"]), "migrate up");
    let created = tables(&url).await;
    for table in ["users", "account_tokens", "posts", "votes", "jobs"] {
        assert!(
            created.iter().any(|t| t == table),
            "{table} missing: {created:?}"
        );
    }
    let status = ok(api(&url, dir.path(), &["migrate", "status"]), "status");
    assert!(
        status.contains("m20261207_000016_create_account_tokens"),
        "{status}"
    );

    // Data in the tables that triggers and later migrations touch.
    ok(api(&url, dir.path(), CREATE_ADMIN), "create-admin");

    // Every migration down, one by one from the newest, then all up again.
    let count = created.len() + 8;
    ok(
        api(&url, dir.path(), &["migrate", "down", &count.to_string()]),
        "migrate down",
    );
    assert_eq!(tables(&url).await, Vec::<String>::new(), "down left tables");
    ok(
        api(&url, dir.path(), &["migrate", "up"]),
        "migrate up again",
    );
    assert_eq!(tables(&url).await, created);

    // `fresh` over data (on PostgreSQL, trigger functions and extensions outlive the
    // tables it drops: the migrations must cope).
    ok(api(&url, dir.path(), CREATE_ADMIN), "create-admin again");
    ok(
        api(&url, dir.path(), &["migrate", "fresh"]),
        "migrate fresh",
    );
    assert_eq!(tables(&url).await, created);
    let again = ok(
        api(&url, dir.path(), CREATE_ADMIN),
        "create-admin after fresh",
    );
    assert!(
        again.contains("created admin"),
        "fresh kept the old rows: {again}"
    );
}

/// README: replicas run with `AUTO_MIGRATE=false`, so they never touch the schema; an
/// operator's `api migrate up` then makes the running server usable.
#[tokio::test]
async fn with_auto_migrate_false_the_server_leaves_the_schema_to_the_operator() {
    let (db, url) = fresh_database().await;
    let own = OwnProcess::launch(
        &url,
        Some(db),
        Launch {
            env: &[("AUTO_MIGRATE", "false")],
            ..Launch::default()
        },
    );
    // It migrates, when it does, before it listens: answering means start-up is over.
    own.answering().await;
    assert_eq!(all_tables(&url).await, Vec::<String>::new());
    assert!(register(&own).await.is_server_error());

    let dir = tempfile::tempdir().unwrap();
    ok(api(&url, dir.path(), &["migrate", "up"]), "migrate up");
    assert_eq!(register(&own).await, reqwest::StatusCode::CREATED);
}

/// The status of a registration on `own`.
async fn register(own: &OwnProcess) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(own.url("/api/v1/auth/register"))
        .json(&serde_json::json!({"email": "ann@example.com", "password": "password-123"}))
        .send()
        .await
        .unwrap()
        .status()
}

/// Every table, the migrations' own included.
async fn all_tables(database_url: &str) -> Vec<String> {
    let db = Database::connect(database_url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// README, Configuration: a `.env` file in the working directory is read, and never
/// overrides a variable that is already set.
#[tokio::test]
async fn a_dotenv_file_is_read_and_the_environment_wins_over_it() {
    let (db, url) = fresh_database().await;
    let port = free_port();
    // PORT only in `.env`; BCRYPT_COST in both, `.env`'s out of range (it would stop
    // start-up with status 2).
    let dotenv = format!("PORT={port}\nBCRYPT_COST=99\n");
    let mut own = OwnProcess::launch(
        &url,
        Some(db),
        Launch {
            unset: &["PORT"],
            dotenv: Some(&dotenv),
            ..Launch::default()
        },
    );
    own.port = port;
    own.answering().await;
    let listening = format!("listening on http://127.0.0.1:{port}");
    own.wait_for_line(|l| l.contains(&listening)).await;
}
