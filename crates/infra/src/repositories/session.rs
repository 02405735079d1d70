use crate::db::Db;
use crate::db::{DbResultExt, PrincipalCache, corrupt};
use crate::entities::{refresh_tokens, sessions, users};
use async_trait::async_trait;
use domain::RepoError;
use domain::auth::{Principal, RefreshTokenRecord, Session, SessionRepository};
use domain::time;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub struct SeaOrmSessionRepository {
    db: Db,
    principals: Option<Arc<PrincipalCache>>,
}

impl SeaOrmSessionRepository {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            principals: None,
        }
    }

    /// Serves [`SessionRepository::find_principal`] from `cache` while it remembers, and
    /// makes it forget the sessions this repository revokes.
    pub fn with_cache(mut self, cache: Arc<PrincipalCache>) -> Self {
        self.principals = Some(cache);
        self
    }

    async fn read_principal(
        &self,
        session_id: Uuid,
    ) -> Result<Option<(Principal, Duration)>, RepoError> {
        // One round trip: the live session joined to its user.
        let now = time::now();
        let row = sessions::Entity::find_by_id(session_id)
            .filter(sessions::Column::RevokedAt.is_null())
            .filter(sessions::Column::ExpiresAt.gt(now))
            .find_also_related(users::Entity)
            .one(self.db.conn())
            .await
            .db_err()?;
        let Some((session, Some(user))) = row else {
            return Ok(None);
        };
        if !user.is_active {
            return Ok(None);
        }
        let role = user.role.parse().map_err(|e| corrupt("role", e))?;
        let principal = Principal {
            user_id: user.id,
            session_id: session.id,
            role,
            email_verified: user.email_verified,
        };
        let left = (session.expires_at - now).to_std().unwrap_or_default();
        Ok(Some((principal, left)))
    }
}

fn token_model(t: &RefreshTokenRecord) -> refresh_tokens::ActiveModel {
    refresh_tokens::ActiveModel {
        id: Set(t.id),
        session_id: Set(t.session_id),
        token_hash: Set(t.token_hash.clone()),
        expires_at: Set(t.expires_at),
        used_at: Set(t.used_at),
        created_at: Set(time::now()),
    }
}

#[async_trait]
impl SessionRepository for SeaOrmSessionRepository {
    async fn create(
        &self,
        session: &Session,
        first_token: &RefreshTokenRecord,
    ) -> Result<(), RepoError> {
        let txn = self.db.transaction_unlisted().await.db_err()?;
        sessions::Entity::insert(sessions::ActiveModel {
            id: Set(session.id),
            user_id: Set(session.user_id),
            created_at: Set(session.created_at),
            expires_at: Set(session.expires_at),
            revoked_at: Set(None),
        })
        .exec_without_returning(&*txn)
        .await
        .db_err()?;
        refresh_tokens::Entity::insert(token_model(first_token))
            .exec_without_returning(&*txn)
            .await
            .db_err()?;
        txn.commit().await.db_err()
    }

    async fn find_principal(&self, session_id: Uuid) -> Result<Option<Principal>, RepoError> {
        let Some(cache) = &self.principals else {
            return Ok(self.read_principal(session_id).await?.map(|(p, _)| p));
        };
        let ticket = match cache.get(session_id) {
            Ok(principal) => return Ok(Some(principal)),
            Err(ticket) => ticket,
        };
        let found = self.read_principal(session_id).await?;
        if let Some((principal, left)) = found {
            cache.put(ticket, principal, left);
        }
        Ok(found.map(|(p, _)| p))
    }

    async fn find_refresh_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshTokenRecord>, RepoError> {
        let row = refresh_tokens::Entity::find()
            .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
            .one(self.db.conn())
            .await
            .db_err()?;
        Ok(row.map(|m| RefreshTokenRecord {
            id: m.id,
            session_id: m.session_id,
            token_hash: m.token_hash,
            expires_at: m.expires_at,
            used_at: m.used_at,
        }))
    }

    async fn rotate_refresh_token(
        &self,
        used_id: Uuid,
        next: &RefreshTokenRecord,
    ) -> Result<bool, RepoError> {
        let txn = self.db.transaction_unlisted().await.db_err()?;
        // The conditional update is the lock: of two concurrent exchanges only one sees a row,
        // and none does once the session is revoked, whatever a cache elsewhere remembers.
        let live_sessions = Query::select()
            .column(sessions::Column::Id)
            .from(sessions::Entity)
            .and_where(sessions::Column::RevokedAt.is_null())
            .to_owned();
        let spent = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::UsedAt, Expr::value(time::now()))
            .filter(refresh_tokens::Column::Id.eq(used_id))
            .filter(refresh_tokens::Column::UsedAt.is_null())
            .filter(refresh_tokens::Column::SessionId.in_subquery(live_sessions))
            .exec(&*txn)
            .await
            .db_err()?;
        if spent.rows_affected != 1 {
            txn.rollback().await.db_err()?;
            return Ok(false);
        }
        refresh_tokens::Entity::insert(token_model(next))
            .exec_without_returning(&*txn)
            .await
            .db_err()?;
        txn.commit().await.db_err()?;
        Ok(true)
    }

    async fn revoke(&self, session_id: Uuid) -> Result<(), RepoError> {
        let revoke = sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(time::now()))
            .filter(sessions::Column::Id.eq(session_id))
            .filter(sessions::Column::RevokedAt.is_null());
        self.db.write_unlisted(&revoke).await.db_err()?;
        if let Some(cache) = &self.principals {
            cache.forget_session(session_id);
        }
        Ok(())
    }

    async fn revoke_all_for_user(
        &self,
        user_id: Uuid,
        except: Option<Uuid>,
    ) -> Result<(), RepoError> {
        let mut revoke = sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(time::now()))
            .filter(sessions::Column::UserId.eq(user_id))
            .filter(sessions::Column::RevokedAt.is_null());
        if let Some(keep) = except {
            revoke = revoke.filter(sessions::Column::Id.ne(keep));
        }
        self.db.write_unlisted(&revoke).await.db_err()?;
        if let Some(cache) = &self.principals {
            // The kept session's entry goes too: it is read again, unchanged.
            cache.forget_user(user_id);
        }
        Ok(())
    }
}
