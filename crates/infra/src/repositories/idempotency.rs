//! Idempotency keys on the `idempotency_keys` table. A claim is an
//! `INSERT ... ON CONFLICT DO NOTHING`: of any number of requests racing on one key, on any
//! instances, exactly one inserts the row; the others read it and learn whether to replay,
//! refuse a mismatch, or wait (`InFlight`), without waiting on a row lock. A claim whose
//! lease ran out (its instance died mid-request), or a key past its time to live, is taken
//! over by one conditional `UPDATE`, so again only one request wins it.

use crate::db::Db;
use crate::db::DbResultExt;
use crate::entities::idempotency_keys::{self, Column as C};
use async_trait::async_trait;
use domain::RepoError;
use domain::idempotency::{Claim, IdempotencyKey, IdempotencyStore, KeptAnswer};
use domain::retention::Prunable;
use domain::time::{self, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use std::time::Duration;
use uuid::Uuid;

const RUNNING: &str = "running";
const DONE: &str = "done";

/// Why a kept key may be claimed again.
enum Freed {
    /// Past its time to live.
    Expired,
    /// Its request died in flight: the claim's lease ran out.
    LeaseOver,
}

pub struct SeaOrmIdempotencyStore {
    db: Db,
}

impl SeaOrmIdempotencyStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn after(now: Timestamp, d: Duration) -> Timestamp {
    now + chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

#[async_trait]
impl IdempotencyStore for SeaOrmIdempotencyStore {
    async fn claim(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        fingerprint: &str,
        lease: Duration,
        ttl: Duration,
    ) -> Result<Claim, RepoError> {
        let now = time::now();
        let row = idempotency_keys::ActiveModel {
            user_id: Set(user_id),
            key: Set(key.as_str().to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            status: Set(RUNNING.to_owned()),
            locked_until: Set(Some(after(now, lease))),
            response_status: Set(None),
            response_body: Set(None),
            content_type: Set(None),
            location: Set(None),
            etag: Set(None),
            created_at: Set(now),
            expires_at: Set(after(now, ttl)),
        };
        let inserted = idempotency_keys::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([C::UserId, C::Key])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(self.db.conn())
            .await
            .db_err()?;
        if inserted == 1 {
            return Ok(Claim::Claimed);
        }
        let Some(found) = idempotency_keys::Entity::find_by_id((user_id, key.as_str().to_owned()))
            .one(self.db.conn())
            .await
            .db_err()?
        else {
            // Pruned between the insert and the read: a retry claims it.
            return Ok(Claim::InFlight);
        };
        if found.expires_at <= now {
            // Past its time to live: the key is free for a new request.
            return self
                .take_over(user_id, key, fingerprint, lease, ttl, Freed::Expired)
                .await;
        }
        if found.fingerprint != fingerprint {
            return Ok(Claim::Mismatch);
        }
        if found.status == DONE {
            let status = found
                .response_status
                .and_then(|s| u16::try_from(s).ok())
                .ok_or_else(|| RepoError::unexpected("a kept answer without its status"))?;
            return Ok(Claim::Replay(KeptAnswer {
                status,
                body: found.response_body.unwrap_or_default().into_bytes(),
                content_type: found.content_type,
                location: found.location,
                etag: found.etag,
            }));
        }
        if found.locked_until.is_some_and(|until| until > now) {
            return Ok(Claim::InFlight);
        }
        // The request that claimed it died in flight: its lease ran out.
        self.take_over(user_id, key, fingerprint, lease, ttl, Freed::LeaseOver)
            .await
    }

    async fn keep(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        answer: &KeptAnswer,
    ) -> Result<(), RepoError> {
        let body = String::from_utf8(answer.body.clone())
            .map_err(|_| RepoError::unexpected("an answer to keep is not UTF-8"))?;
        let update = idempotency_keys::Entity::update_many()
            .col_expr(C::Status, Expr::value(DONE))
            .col_expr(C::LockedUntil, Expr::value(None::<Timestamp>))
            .col_expr(C::ResponseStatus, Expr::value(i32::from(answer.status)))
            .col_expr(C::ResponseBody, Expr::value(body))
            .col_expr(C::ContentType, Expr::value(answer.content_type.clone()))
            .col_expr(C::Location, Expr::value(answer.location.clone()))
            .col_expr(C::Etag, Expr::value(answer.etag.clone()))
            .filter(C::UserId.eq(user_id))
            .filter(C::Key.eq(key.as_str()))
            .filter(C::Status.eq(RUNNING));
        self.db.write_unlisted(&update).await.db_err().map(drop)
    }

    async fn release(&self, user_id: Uuid, key: &IdempotencyKey) -> Result<(), RepoError> {
        let delete = idempotency_keys::Entity::delete_many()
            .filter(C::UserId.eq(user_id))
            .filter(C::Key.eq(key.as_str()))
            .filter(C::Status.eq(RUNNING));
        self.db.write_unlisted(&delete).await.db_err().map(drop)
    }
}

/// Keys expired before the cutoff go (register it with nothing more to keep: a key's own
/// `expires_at` already holds its time to live).
#[async_trait]
impl Prunable for SeaOrmIdempotencyStore {
    fn table(&self) -> &'static str {
        "idempotency_keys"
    }

    async fn prune_older_than(&self, cutoff: Timestamp, limit: u64) -> Result<u64, RepoError> {
        // A small batch per statement, picked through a subquery (`DELETE ... LIMIT` is not
        // portable), so no statement holds the table's locks for long.
        let batch = Query::select()
            .columns([C::UserId, C::Key])
            .from(idempotency_keys::Entity)
            .and_where(C::ExpiresAt.lt(cutoff))
            .limit(limit)
            .to_owned();
        let delete = idempotency_keys::Entity::delete_many()
            .filter(Expr::tuple([Expr::col(C::UserId), Expr::col(C::Key)]).in_subquery(batch));
        self.db.write_unlisted(&delete).await.db_err()
    }
}

impl SeaOrmIdempotencyStore {
    /// Claims a row that `freed` (its lease, or its time to live, ran out) for a new
    /// request: one conditional `UPDATE`, so of two requests taking it over one wins.
    async fn take_over(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        fingerprint: &str,
        lease: Duration,
        ttl: Duration,
        freed: Freed,
    ) -> Result<Claim, RepoError> {
        let now = time::now();
        let mut update = idempotency_keys::Entity::update_many()
            .col_expr(C::Fingerprint, Expr::value(fingerprint))
            .col_expr(C::Status, Expr::value(RUNNING))
            .col_expr(C::LockedUntil, Expr::value(after(now, lease)))
            .col_expr(C::ResponseStatus, Expr::value(None::<i32>))
            .col_expr(C::ResponseBody, Expr::value(None::<String>))
            .col_expr(C::CreatedAt, Expr::value(now))
            .col_expr(C::ExpiresAt, Expr::value(after(now, ttl)))
            .filter(C::UserId.eq(user_id))
            .filter(C::Key.eq(key.as_str()));
        update = match freed {
            Freed::Expired => update.filter(C::ExpiresAt.lte(now)),
            // A lease only frees a request still running with the same body.
            Freed::LeaseOver => update
                .filter(C::LockedUntil.lte(now))
                .filter(C::Status.eq(RUNNING))
                .filter(C::Fingerprint.eq(fingerprint)),
        };
        let changed = self.db.write_unlisted(&update).await.db_err()?;
        Ok(if changed == 1 {
            Claim::Claimed
        } else {
            Claim::InFlight
        })
    }
}
