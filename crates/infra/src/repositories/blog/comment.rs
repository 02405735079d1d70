//! Comments, read with their author.

use crate::db::Db;
use crate::db::{
    DbResultExt, Key, Keyset, Listing, corrupt, delete_versioned, list, update_versioned,
};
use crate::entities::{comments, users};
use crate::repositories::notification;
use async_trait::async_trait;
use domain::RepoError;
use domain::blog::{Author, Comment, CommentContent, CommentRepository, CommentView};
use domain::concurrency::ExpectedVersion;
use domain::event::Event;
use domain::notification::Notify;
use domain::pagination::{Page, PageRequest, time_then_id};
use domain::time::Timestamp;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait, Select, Set,
};
use uuid::Uuid;

#[derive(Debug)]
struct CommentRow {
    id: Uuid,
    post_id: Uuid,
    author_id: Uuid,
    content: String,
    created_at: Timestamp,
    updated_at: Timestamp,
    author_name: String,
}

crate::from_row!(CommentRow {
    id,
    post_id,
    author_id,
    content,
    created_at,
    updated_at,
    author_name,
});

impl CommentRow {
    fn into_view(self) -> Result<CommentView, RepoError> {
        Ok(CommentView {
            comment: Comment {
                id: self.id,
                post_id: self.post_id,
                author_id: self.author_id,
                content: CommentContent::new(&self.content).map_err(|e| corrupt("comment", e))?,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
            author: Author {
                id: self.author_id,
                name: self.author_name,
            },
        })
    }
}

fn comment_views() -> Select<comments::Entity> {
    comments::Entity::find()
        .column_as(users::Column::Name, "author_name")
        .join(JoinType::InnerJoin, comments::Relation::Author.def())
}

pub struct SeaOrmCommentRepository {
    db: Db,
}

impl SeaOrmCommentRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CommentRepository for SeaOrmCommentRepository {
    async fn create(&self, comment: &Comment, notify: Option<Notify>) -> Result<(), RepoError> {
        let insert = comments::Entity::insert(comments::ActiveModel {
            id: Set(comment.id),
            post_id: Set(comment.post_id),
            author_id: Set(comment.author_id),
            content: Set(comment.content.as_str().to_owned()),
            created_at: Set(comment.created_at),
            updated_at: Set(comment.updated_at),
        });
        let Some(notify) = notify else {
            self.db.write(&insert).await.db_err()?;
            return Ok(());
        };
        let txn = self.db.transaction().await.db_err()?;
        insert.exec_without_returning(&*txn).await.db_err()?;
        // The comment as its event shows it, read back with its author's name.
        let written = comment_views().filter(comments::Column::Id.eq(comment.id));
        let view = crate::db::one::<CommentRow>(&*txn, &written)
            .await
            .db_err()?
            .ok_or(RepoError::NotFound)?
            .into_view()?;
        let event = Event::CommentCreated {
            post_id: comment.post_id,
            comment: view,
        };
        notification::insert(&*txn, notify, event).await?;
        txn.commit().await.db_err()
    }

    async fn find(&self, id: Uuid) -> Result<Option<CommentView>, RepoError> {
        let by_id = comment_views().filter(comments::Column::Id.eq(id));
        let row: Option<CommentRow> = crate::db::one(self.db.conn(), &by_id).await.db_err()?;
        row.map(CommentRow::into_view).transpose()
    }

    async fn list(&self, post_id: Uuid, page: PageRequest) -> Result<Page<CommentView>, RepoError> {
        use comments::Column as C;
        let of_post = comments::Entity::find().filter(C::PostId.eq(post_id));
        let oldest_first = Keyset::asc(
            vec![Key::col::<comments::Entity>(C::CreatedAt)],
            Key::col::<comments::Entity>(C::Id),
        );
        let listing = Listing {
            rows: of_post,
            listed: comment_views().filter(C::PostId.eq(post_id)),
            all: comment_views(),
            order: oldest_first,
            ids_first: false,
        };
        list(
            &self.db,
            listing,
            page,
            |row: &CommentRow| time_then_id(row.created_at, row.id),
            CommentRow::into_view,
        )
        .await
    }

    async fn update(&self, comment: &Comment, expected: ExpectedVersion) -> Result<(), RepoError> {
        let update = comments::Entity::update_many()
            .col_expr(
                comments::Column::Content,
                Expr::value(comment.content.as_str()),
            )
            .col_expr(comments::Column::UpdatedAt, Expr::value(comment.updated_at));
        update_versioned(&self.db, update, comment.id, expected).await
    }

    async fn delete(&self, id: Uuid, expected: ExpectedVersion) -> Result<(), RepoError> {
        delete_versioned::<comments::Entity>(&self.db, id, expected).await
    }
}
