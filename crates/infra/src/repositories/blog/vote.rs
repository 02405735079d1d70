//! Votes: one per user and post (the primary key), counted by triggers.

use crate::db::Db;
use crate::db::DbResultExt;
use crate::entities::{posts, users, votes};
use crate::repositories::notification;
use async_trait::async_trait;
use domain::RepoError;
use domain::blog::{Author, VoteAdded, VoteRepository};
use domain::event::Event;
use domain::notification::Notify;
use domain::time;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

pub struct SeaOrmVoteRepository {
    db: Db,
}

impl SeaOrmVoteRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl VoteRepository for SeaOrmVoteRepository {
    async fn add(
        &self,
        post_id: Uuid,
        user_id: Uuid,
        notify: Option<Notify>,
    ) -> Result<VoteAdded, RepoError> {
        let insert = votes::Entity::insert(votes::ActiveModel {
            post_id: Set(post_id),
            user_id: Set(user_id),
            created_at: Set(time::now()),
        });
        let Some(notify) = notify else {
            self.db.write(&insert).await.db_err()?;
            return self.added(self.db.conn(), post_id, user_id).await;
        };
        let txn = self.db.transaction().await.db_err()?;
        insert.exec_without_returning(&*txn).await.db_err()?;
        let added = self.added(&*txn, post_id, user_id).await?;
        let event = Event::VoteCreated {
            post_id,
            voter: added.voter.clone(),
            votes: added.votes,
        };
        notification::insert(&*txn, notify, event).await?;
        txn.commit().await.db_err()?;
        Ok(added)
    }

    async fn remove(&self, post_id: Uuid, user_id: Uuid) -> Result<bool, RepoError> {
        let delete = votes::Entity::delete_many()
            .filter(votes::Column::PostId.eq(post_id))
            .filter(votes::Column::UserId.eq(user_id));
        Ok(self.db.write(&delete).await.db_err()? > 0)
    }
}

impl SeaOrmVoteRepository {
    /// What a vote just written returns, read on `conn` (the vote's transaction, if any).
    async fn added(
        &self,
        conn: &impl ConnectionTrait,
        post_id: Uuid,
        user_id: Uuid,
    ) -> Result<VoteAdded, RepoError> {
        // The post's new count and the voter's public name (for the post owner's
        // notification), read in one statement.
        let voter_name = Query::select()
            .column(users::Column::Name)
            .from(users::Entity)
            .and_where(users::Column::Id.eq(user_id))
            .to_owned();
        let (votes, name) = posts::Entity::find_by_id(post_id)
            .select_only()
            .column(posts::Column::VotesCount)
            .expr(Expr::from(voter_name))
            .into_tuple::<(i64, Option<String>)>()
            .one(conn)
            .await
            .db_err()?
            .ok_or(RepoError::NotFound)?;
        let votes = u64::try_from(votes).unwrap_or(0);
        let name = name.ok_or(RepoError::NotFound)?;
        Ok(VoteAdded {
            votes,
            voter: Author { id: user_id, name },
        })
    }
}
