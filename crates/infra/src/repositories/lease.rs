//! Leases on the `leases` table: one row per name, taken by one statement, so of several
//! instances asking at once exactly one gets it.

use crate::db::Db;
use crate::db::DbResultExt;
use crate::entities::leases;
use async_trait::async_trait;
use domain::RepoError;
use domain::retention::Leases;
use domain::time;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{EntityTrait, Set};
use std::time::Duration;

pub struct SeaOrmLeases {
    db: Db,
}

impl SeaOrmLeases {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl Leases for SeaOrmLeases {
    async fn acquire(&self, name: &str, hold: Duration) -> Result<bool, RepoError> {
        let now = time::now();
        let until = now + chrono::TimeDelta::from_std(hold).map_err(RepoError::unexpected)?;
        // Inserted the first time; afterwards taken over only once the holder's time ran
        // out. Either way the statement changes one row exactly when the lease is ours.
        let take = leases::Entity::insert(leases::ActiveModel {
            name: Set(name.to_owned()),
            held_until: Set(until),
        })
        .on_conflict(
            OnConflict::column(leases::Column::Name)
                .update_column(leases::Column::HeldUntil)
                .action_and_where(Expr::col((leases::Entity, leases::Column::HeldUntil)).lte(now))
                .to_owned(),
        );
        Ok(self.db.write_unlisted(&take).await.db_err()? == 1)
    }
}
