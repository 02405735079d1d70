//! Databases for the adapter tests: a SQLite file, or a PostgreSQL database of the test's
//! own when `TEST_DATABASE_URL` names a server (CI sets it).

use sea_orm::{ConnectionTrait, Database};

/// A fresh SQLite database in `dir`.
#[allow(dead_code)] // the PostgreSQL-only test binaries use none
pub fn sqlite_url(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}/{name}.db?mode=rwc", dir.path().display())
}

/// Runs `check` on a new PostgreSQL database and drops it after; skips without
/// `TEST_DATABASE_URL`.
#[allow(dead_code)] // not every test binary runs async checks
pub async fn on_postgres<F: std::future::Future<Output = ()>>(check: impl FnOnce(String) -> F) {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let (url, name) = create_postgres(&admin_url).await;
    check(url).await;
    drop_postgres(&admin_url, &name).await;
}

/// A new database on the server `admin_url` names: its URL and name.
pub async fn create_postgres(admin_url: &str) -> (String, String) {
    let name = format!("t_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    (format!("{base}/{name}"), name)
}

pub async fn drop_postgres(admin_url: &str, name: &str) {
    let admin = Database::connect(admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();
}

/// `n` members stored through `users`, with e-mails `{prefix}{i}@example.com`.
#[allow(dead_code)] // not every test binary seeds users
pub async fn members(
    users: &infra::repositories::SeaOrmUserRepository,
    prefix: &str,
    n: usize,
) -> Vec<domain::user::User> {
    use domain::user::{Email, PasswordHash, Role, User, UserRepository};
    let mut people = Vec::new();
    for i in 0..n {
        let u = User::new(
            Email::parse(&format!("{prefix}{i}@example.com")).unwrap(),
            None,
            Role::Member,
            PasswordHash::new("x"),
        );
        users.create(&u, None).await.unwrap();
        people.push(u);
    }
    people
}

/// A published post of `owner`'s titled `title` (body "body"), stored through `posts`.
#[allow(dead_code)] // not every test binary writes posts
pub async fn published_post(
    posts: &infra::repositories::SeaOrmPostRepository,
    owner: uuid::Uuid,
    title: &str,
) -> domain::blog::Post {
    use domain::blog::{Post, PostContent, PostRepository, PostTitle};
    let post = Post::new(
        owner,
        PostTitle::new(title).unwrap(),
        PostContent::new("body").unwrap(),
        true,
    );
    posts.create(&post).await.unwrap();
    post
}

/// Two tests running the async `check(url)`: `$sqlite` on a fresh SQLite file, `$postgres`
/// on a database of its own (see [`on_postgres`]).
#[macro_export]
macro_rules! on_both_backends {
    ($check:ident: $sqlite:ident, $postgres:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            let dir = tempfile::tempdir().unwrap();
            $check(&common::sqlite_url(&dir, stringify!($sqlite))).await;
        }

        #[tokio::test]
        async fn $postgres() {
            common::on_postgres(|url| async move { $check(&url).await }).await;
        }
    };
}

/// [`migrated_db`] that counts the statements it runs: the count to reset and read.
#[allow(dead_code)] // only the statement-counting tests use it
pub async fn counted_db(
    url: &str,
) -> (
    infra::db::Db,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let statements = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = statements.clone();
    let mut db = migrated_db(url).await;
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    (db, statements)
}

/// A [`Db`](infra::db::Db) on `url`, migrated.
#[allow(dead_code)] // not every test binary uses one
pub async fn migrated_db(url: &str) -> infra::db::Db {
    use migration::MigratorTrait;
    let conn = infra::db::connect(url, 2).await.unwrap();
    migration::Migrator::up(&conn, None).await.unwrap();
    infra::db::Db::new(conn)
}
