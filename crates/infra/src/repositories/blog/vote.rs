//! Votes: one per user and post (the primary key), counted by triggers.

use crate::db::Db;
use crate::entities::{posts, users, votes};
use crate::repositories::DbResultExt;
use async_trait::async_trait;
use domain::RepoError;
use domain::blog::{Author, VoteAdded, VoteRepository};
use domain::time;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
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
    async fn add(&self, post_id: Uuid, user_id: Uuid) -> Result<VoteAdded, RepoError> {
        {
            let _writing = self.db.write_turn().await;
            votes::Entity::insert(votes::ActiveModel {
                post_id: Set(post_id),
                user_id: Set(user_id),
                created_at: Set(time::now()),
            })
            .exec_without_returning(self.db.conn())
            .await
            .db_err()?;
        }
        let votes = posts::Entity::find_by_id(post_id)
            .select_only()
            .column(posts::Column::VotesCount)
            .into_tuple::<i64>()
            .one(self.db.conn())
            .await
            .db_err()?
            .ok_or(RepoError::NotFound)?;
        let votes = u64::try_from(votes).unwrap_or(0);
        // The voter's public name, for the post owner's notification.
        let name = users::Entity::find_by_id(user_id)
            .select_only()
            .column(users::Column::Name)
            .into_tuple::<String>()
            .one(self.db.conn())
            .await
            .db_err()?
            .ok_or(RepoError::NotFound)?;
        Ok(VoteAdded {
            votes,
            voter: Author { id: user_id, name },
        })
    }

    async fn remove(&self, post_id: Uuid, user_id: Uuid) -> Result<bool, RepoError> {
        let _writing = self.db.write_turn().await;
        let result = votes::Entity::delete_many()
            .filter(votes::Column::PostId.eq(post_id))
            .filter(votes::Column::UserId.eq(user_id))
            .exec(self.db.conn())
            .await
            .db_err()?;
        Ok(result.rows_affected > 0)
    }
}
