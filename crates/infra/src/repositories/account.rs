//! Account tokens on the `account_tokens` table: only SHA-256 hashes are stored, and a
//! token is spent by one conditional `UPDATE` (unspent, unexpired), so of two requests
//! racing on one token, on any instances, exactly one sees a row.

use super::job::job_model;
use crate::db::Db;
use crate::db::{DbResultExt, PrincipalCache, corrupt};
use crate::entities::{account_tokens, sessions, users};
use async_trait::async_trait;
use domain::RepoError;
use domain::account::{AccountToken, AccountTokenRepository, TokenEffect, TokenPurpose};
use domain::job::Job;
use domain::time;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::sync::Arc;

pub struct SeaOrmAccountTokenRepository {
    db: Db,
    principals: Option<Arc<PrincipalCache>>,
}

impl SeaOrmAccountTokenRepository {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            principals: None,
        }
    }

    /// Makes `cache` forget the account's sessions when a token changes the account.
    pub fn with_cache(mut self, cache: Arc<PrincipalCache>) -> Self {
        self.principals = Some(cache);
        self
    }
}

/// The row that stores `token` (inserted in the transaction that sends it).
pub(crate) fn token_model(token: &AccountToken) -> account_tokens::ActiveModel {
    account_tokens::ActiveModel {
        id: Set(token.id),
        user_id: Set(token.user_id),
        purpose: Set(token.purpose.as_str().to_owned()),
        token_hash: Set(token.token_hash.clone()),
        expires_at: Set(token.expires_at),
        used_at: Set(None),
        created_at: Set(time::now()),
    }
}

#[async_trait]
impl AccountTokenRepository for SeaOrmAccountTokenRepository {
    async fn issue(&self, token: &AccountToken, mail: &Job) -> Result<(), RepoError> {
        let job = job_model(mail)?;
        let txn = self.db.transaction_unlisted().await.db_err()?;
        account_tokens::Entity::update_many()
            .col_expr(account_tokens::Column::UsedAt, Expr::value(time::now()))
            .filter(account_tokens::Column::UserId.eq(token.user_id))
            .filter(account_tokens::Column::Purpose.eq(token.purpose.as_str()))
            .filter(account_tokens::Column::UsedAt.is_null())
            .exec(&*txn)
            .await
            .db_err()?;
        token_model(token).insert(&*txn).await.db_err()?;
        job.insert(&*txn).await.db_err()?;
        txn.commit().await.db_err()
    }

    async fn find_live(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
    ) -> Result<Option<AccountToken>, RepoError> {
        let row = account_tokens::Entity::find()
            .filter(account_tokens::Column::TokenHash.eq(token_hash))
            .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
            .filter(account_tokens::Column::UsedAt.is_null())
            .filter(account_tokens::Column::ExpiresAt.gt(time::now()))
            .one(self.db.conn())
            .await
            .db_err()?;
        row.map(|m| {
            Ok(AccountToken {
                id: m.id,
                user_id: m.user_id,
                purpose: m.purpose.parse().map_err(|e| corrupt("purpose", e))?,
                token_hash: m.token_hash,
                expires_at: m.expires_at,
            })
        })
        .transpose()
    }

    async fn spend(&self, token: &AccountToken, effect: &TokenEffect) -> Result<bool, RepoError> {
        let now = time::now();
        let txn = self.db.transaction().await.db_err()?;
        let spent = account_tokens::Entity::update_many()
            .col_expr(account_tokens::Column::UsedAt, Expr::value(now))
            .filter(account_tokens::Column::Id.eq(token.id))
            .filter(account_tokens::Column::UsedAt.is_null())
            .filter(account_tokens::Column::ExpiresAt.gt(now))
            .exec(&*txn)
            .await
            .db_err()?;
        if spent.rows_affected != 1 {
            txn.rollback().await.db_err()?;
            return Ok(false);
        }
        let mut user = users::Entity::update_many()
            .col_expr(users::Column::EmailVerified, Expr::value(true))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(token.user_id));
        if let TokenEffect::ResetPassword {
            password_hash,
            notice,
        } = effect
        {
            user = user.col_expr(
                users::Column::PasswordHash,
                Expr::value(password_hash.as_str()),
            );
            sessions::Entity::update_many()
                .col_expr(sessions::Column::RevokedAt, Expr::value(now))
                .filter(sessions::Column::UserId.eq(token.user_id))
                .filter(sessions::Column::RevokedAt.is_null())
                .exec(&*txn)
                .await
                .db_err()?;
            job_model(notice)?.insert(&*txn).await.db_err()?;
        }
        user.exec(&*txn).await.db_err()?;
        txn.commit().await.db_err()?;
        if let Some(cache) = &self.principals {
            cache.forget_user(token.user_id);
        }
        Ok(true)
    }
}
