//! The job queue on the `jobs` table, shared by every worker of every instance.
//!
//! A claim is one statement, so two workers never take the same job: on PostgreSQL an
//! `UPDATE` over a `FOR UPDATE SKIP LOCKED` subquery (claimers skip each other's rows
//! instead of queueing on them), on SQLite a plain `UPDATE ... RETURNING`, which SQLite
//! runs under its single writer lock (sea-query would drop the lock clause silently, so
//! the statement is written out). Settling an attempt is fenced by the attempt number: a
//! worker whose lease ran out can no longer touch a job that another worker took over.

use crate::db::Db;
use crate::db::DbResultExt;
use crate::entities::jobs;
use async_trait::async_trait;
use domain::RepoError;
use domain::job::{ClaimedJob, Job, JobKind, JobQueue, UnreadableJob};
use domain::time::{self, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Set, Statement, UpdateMany,
    Value,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

pub const PENDING: &str = "pending";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// A job's payload as stored: this table's format, apart from the domain's type, so that a
/// change there cannot make the jobs already queued unreadable unnoticed.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
// The names are the stored kinds: every one of them is an e-mail.
#[allow(clippy::enum_variant_names)]
enum Payload {
    WelcomeEmail {
        user_id: Uuid,
        email: String,
        name: String,
        // Absent in jobs queued before e-mail verification existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verify_token: Option<String>,
    },
    VerificationEmail {
        user_id: Uuid,
        email: String,
        name: String,
        token: String,
    },
    PasswordResetEmail {
        user_id: Uuid,
        email: String,
        name: String,
        token: String,
    },
    PasswordChangedEmail {
        user_id: Uuid,
        email: String,
        name: String,
    },
}

impl From<&JobKind> for Payload {
    fn from(kind: &JobKind) -> Self {
        match kind.clone() {
            JobKind::WelcomeEmail {
                user_id,
                email,
                name,
                verify_token,
            } => Self::WelcomeEmail {
                user_id,
                email,
                name,
                verify_token,
            },
            JobKind::VerificationEmail {
                user_id,
                email,
                name,
                token,
            } => Self::VerificationEmail {
                user_id,
                email,
                name,
                token,
            },
            JobKind::PasswordResetEmail {
                user_id,
                email,
                name,
                token,
            } => Self::PasswordResetEmail {
                user_id,
                email,
                name,
                token,
            },
            JobKind::PasswordChangedEmail {
                user_id,
                email,
                name,
            } => Self::PasswordChangedEmail {
                user_id,
                email,
                name,
            },
        }
    }
}

impl From<Payload> for JobKind {
    fn from(payload: Payload) -> Self {
        match payload {
            Payload::WelcomeEmail {
                user_id,
                email,
                name,
                verify_token,
            } => Self::WelcomeEmail {
                user_id,
                email,
                name,
                verify_token,
            },
            Payload::VerificationEmail {
                user_id,
                email,
                name,
                token,
            } => Self::VerificationEmail {
                user_id,
                email,
                name,
                token,
            },
            Payload::PasswordResetEmail {
                user_id,
                email,
                name,
                token,
            } => Self::PasswordResetEmail {
                user_id,
                email,
                name,
                token,
            },
            Payload::PasswordChangedEmail {
                user_id,
                email,
                name,
            } => Self::PasswordChangedEmail {
                user_id,
                email,
                name,
            },
        }
    }
}

fn encode(kind: &JobKind) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Payload::from(kind))
}

fn decode(payload: &str) -> Result<JobKind, serde_json::Error> {
    serde_json::from_str::<Payload>(payload).map(JobKind::from)
}

/// The row that queues `job` (inserted in the transaction of the write that asks for it).
pub(crate) fn job_model(job: &Job) -> Result<jobs::ActiveModel, RepoError> {
    let now = time::now();
    Ok(jobs::ActiveModel {
        id: Set(job.id),
        kind: Set(job.kind.name().to_owned()),
        payload: Set(encode(&job.kind).map_err(RepoError::unexpected)?),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        run_at: Set(job.run_at),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        // Queued inside a traced request: the job's run joins that trace.
        trace_parent: Set(crate::trace_context::current()),
    })
}

pub struct SeaOrmJobQueue {
    db: Db,
}

impl SeaOrmJobQueue {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Settles the attempt `attempt` of a running job; `Stale` when the lease was lost.
    async fn settle(
        &self,
        job: Uuid,
        attempt: u32,
        update: UpdateMany<jobs::Entity>,
    ) -> Result<(), RepoError> {
        let update = update
            .col_expr(jobs::Column::LockedUntil, Expr::value(None::<Timestamp>))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(time::now()))
            .filter(jobs::Column::Id.eq(job))
            .filter(jobs::Column::Status.eq(RUNNING))
            .filter(jobs::Column::Attempts.eq(attempt as i32));
        let changed = self.db.write_unlisted(&update).await.db_err()?;
        if changed == 0 {
            return Err(RepoError::Stale);
        }
        Ok(())
    }
}

/// The payload of a settled job, with the account token it carried replaced: the mail is
/// sent (or will never be), so the plain token need not outlive it in the table. Jobs of
/// other kinds keep their payload. Settled payloads are never decoded again.
fn without_tokens(backend: DbBackend) -> sea_orm::sea_query::SimpleExpr {
    let sql = match backend {
        DbBackend::Postgres => {
            "CASE kind \
             WHEN 'password_reset_email' THEN jsonb_set(payload::jsonb, '{token}', '\"redacted\"')::text \
             WHEN 'verification_email' THEN jsonb_set(payload::jsonb, '{token}', '\"redacted\"')::text \
             WHEN 'welcome_email' THEN (payload::jsonb - 'verify_token')::text \
             ELSE payload END"
        }
        _ => {
            "CASE kind \
             WHEN 'password_reset_email' THEN json_set(payload, '$.token', 'redacted') \
             WHEN 'verification_email' THEN json_set(payload, '$.token', 'redacted') \
             WHEN 'welcome_email' THEN json_remove(payload, '$.verify_token') \
             ELSE payload END"
        }
    };
    Expr::cust(sql)
}

fn claim_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $1, updated_at = $2 \
             WHERE id IN (SELECT id FROM jobs \
                 WHERE (status = 'pending' AND run_at <= $2) OR (status = 'running' AND locked_until < $2) \
                 ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, payload, attempts, trace_parent"
        }
        _ => {
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = ?1, updated_at = ?2 \
             WHERE id IN (SELECT id FROM jobs \
                 WHERE (status = 'pending' AND run_at <= ?2) OR (status = 'running' AND locked_until < ?2) \
                 ORDER BY run_at, id LIMIT ?3) \
             RETURNING id, kind, payload, attempts, trace_parent"
        }
    }
}

#[async_trait]
impl JobQueue for SeaOrmJobQueue {
    async fn claim(
        &self,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Result<ClaimedJob, UnreadableJob>>, RepoError> {
        let now = time::now();
        let until = now + chrono::TimeDelta::from_std(lease).map_err(RepoError::unexpected)?;
        let backend = self.db.conn().get_database_backend();
        let statement = Statement::from_sql_and_values(
            backend,
            claim_sql(backend),
            [
                Value::from(until),
                Value::from(now),
                Value::from(i64::from(limit)),
            ],
        );
        let rows = self.db.write_rows_unlisted(statement).await.db_err()?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let id: Uuid = row.try_get("", "id").db_err()?;
            let attempts: i32 = row.try_get("", "attempts").db_err()?;
            let payload: String = row.try_get("", "payload").db_err()?;
            let trace_parent: Option<String> = row.try_get("", "trace_parent").db_err()?;
            let attempt = u32::try_from(attempts).unwrap_or(0);
            claimed.push(match decode(&payload) {
                Ok(kind) => Ok(ClaimedJob {
                    id,
                    kind,
                    attempt,
                    trace_parent,
                }),
                Err(e) => Err(UnreadableJob {
                    id,
                    attempt,
                    reason: e.to_string(),
                }),
            });
        }
        Ok(claimed)
    }

    async fn complete(&self, job: Uuid, attempt: u32) -> Result<(), RepoError> {
        let update = jobs::Entity::update_many()
            .col_expr(jobs::Column::Status, Expr::value(DONE))
            .col_expr(jobs::Column::LastError, Expr::value(None::<String>))
            .col_expr(
                jobs::Column::Payload,
                without_tokens(self.db.conn().get_database_backend()),
            );
        self.settle(job, attempt, update).await
    }

    async fn retry(
        &self,
        job: Uuid,
        attempt: u32,
        run_at: Timestamp,
        error: &str,
    ) -> Result<(), RepoError> {
        let update = jobs::Entity::update_many()
            .col_expr(jobs::Column::Status, Expr::value(PENDING))
            .col_expr(jobs::Column::RunAt, Expr::value(run_at))
            .col_expr(jobs::Column::LastError, Expr::value(error));
        self.settle(job, attempt, update).await
    }

    async fn fail(&self, job: Uuid, attempt: u32, error: &str) -> Result<(), RepoError> {
        let update = jobs::Entity::update_many()
            .col_expr(jobs::Column::Status, Expr::value(FAILED))
            .col_expr(jobs::Column::LastError, Expr::value(error))
            .col_expr(
                jobs::Column::Payload,
                without_tokens(self.db.conn().get_database_backend()),
            );
        self.settle(job, attempt, update).await
    }

    async fn release(&self, job: Uuid, attempt: u32) -> Result<(), RepoError> {
        let update = jobs::Entity::update_many()
            .col_expr(jobs::Column::Status, Expr::value(PENDING))
            .col_expr(
                jobs::Column::Attempts,
                Expr::col(jobs::Column::Attempts).sub(1),
            )
            .col_expr(jobs::Column::RunAt, Expr::value(time::now()));
        self.settle(job, attempt, update).await
    }

    async fn depth(&self) -> Result<u64, RepoError> {
        jobs::Entity::find()
            .filter(jobs::Column::Status.is_in([PENDING, RUNNING]))
            .count(self.db.conn())
            .await
            .db_err()
    }
}

/// Finished jobs (done, or parked as failed) go once they were settled before the cutoff;
/// waiting and running ones are never pruned.
#[async_trait]
impl domain::retention::Prunable for SeaOrmJobQueue {
    fn table(&self) -> &'static str {
        "jobs"
    }

    async fn prune_older_than(&self, cutoff: Timestamp, limit: u64) -> Result<u64, RepoError> {
        use jobs::Column as C;
        // A small batch per statement, picked through a subquery (`DELETE ... LIMIT` is not
        // portable), so no statement holds the table's locks for long.
        let batch = sea_orm::sea_query::Query::select()
            .column(C::Id)
            .from(jobs::Entity)
            .and_where(C::Status.is_in([DONE, FAILED]))
            .and_where(C::UpdatedAt.lt(cutoff))
            .limit(limit)
            .to_owned();
        let delete = jobs::Entity::delete_many().filter(C::Id.in_subquery(batch));
        self.db.write_unlisted(&delete).await.db_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_payload_keeps_its_format() {
        let user_id = Uuid::nil();
        let stored = r#"{"kind":"welcome_email","user_id":"00000000-0000-0000-0000-000000000000","email":"ada@example.com","name":"Ada"}"#;
        let kind = JobKind::WelcomeEmail {
            user_id,
            email: "ada@example.com".into(),
            name: "Ada".into(),
            verify_token: None,
        };
        assert_eq!(encode(&kind).unwrap(), stored);
        assert_eq!(decode(stored).unwrap(), kind);
        let with_token = JobKind::WelcomeEmail {
            user_id,
            email: "ada@example.com".into(),
            name: "Ada".into(),
            verify_token: Some("tok".into()),
        };
        assert_eq!(decode(&encode(&with_token).unwrap()).unwrap(), with_token);
        for kind in [
            JobKind::VerificationEmail {
                user_id,
                email: "a@b.co".into(),
                name: "A".into(),
                token: "t1".into(),
            },
            JobKind::PasswordResetEmail {
                user_id,
                email: "a@b.co".into(),
                name: "A".into(),
                token: "t2".into(),
            },
            JobKind::PasswordChangedEmail {
                user_id,
                email: "a@b.co".into(),
                name: "A".into(),
            },
        ] {
            assert_eq!(decode(&encode(&kind).unwrap()).unwrap(), kind);
        }
        assert!(decode(r#"{"kind":"unknown"}"#).is_err());
    }
}
