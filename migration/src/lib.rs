//! Schema migrations, the same on SQLite and PostgreSQL: one table per migration, then
//! changes for speed.

pub use sea_orm_migration::prelude::*;

mod kit;

use kit::Creates;

mod m20261123_000001_create_users;
mod m20261123_000002_create_sessions;
mod m20261123_000003_create_refresh_tokens;
mod m20261123_000004_create_jobs;
mod m20261123_000005_create_products;
mod m20261123_000006_create_stock_movements;
mod m20261123_000007_create_employees;
mod m20261123_000008_create_posts;
mod m20261123_000009_create_comments;
mod m20261123_000010_create_votes;
mod m20261202_000011_post_counts;
mod m20261202_000012_products_name_order;
mod m20261202_000013_products_category_price;
mod m20261205_000014_search_indexes;
mod m20261207_000015_users_email_verified;
mod m20261207_000016_create_account_tokens;
mod m20261207_000017_create_notifications;
mod m20261207_000018_create_idempotency_keys;
mod m20261207_000019_create_leases;
mod m20261207_000020_jobs_trace_parent;
mod m20261207_000021_sqlite_search;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Creates(m20261123_000001_create_users::Migration)),
            Box::new(Creates(m20261123_000002_create_sessions::Migration)),
            Box::new(Creates(m20261123_000003_create_refresh_tokens::Migration)),
            Box::new(Creates(m20261123_000004_create_jobs::Migration)),
            Box::new(Creates(m20261123_000005_create_products::Migration)),
            Box::new(Creates(m20261123_000006_create_stock_movements::Migration)),
            Box::new(Creates(m20261123_000007_create_employees::Migration)),
            Box::new(Creates(m20261123_000008_create_posts::Migration)),
            Box::new(Creates(m20261123_000009_create_comments::Migration)),
            Box::new(Creates(m20261123_000010_create_votes::Migration)),
            Box::new(m20261202_000011_post_counts::Migration),
            Box::new(m20261202_000012_products_name_order::Migration),
            Box::new(m20261202_000013_products_category_price::Migration),
            Box::new(m20261205_000014_search_indexes::Migration),
            Box::new(m20261207_000015_users_email_verified::Migration),
            Box::new(Creates(m20261207_000016_create_account_tokens::Migration)),
            Box::new(Creates(m20261207_000017_create_notifications::Migration)),
            Box::new(Creates(m20261207_000018_create_idempotency_keys::Migration)),
            Box::new(Creates(m20261207_000019_create_leases::Migration)),
            Box::new(m20261207_000020_jobs_trace_parent::Migration),
            Box::new(m20261207_000021_sqlite_search::Migration),
        ]
    }
}
