//! Posts, comments and votes on SeaORM. A post list is one SELECT (owner joined, the stored
//! counts read, the viewer's vote as a correlated subquery) plus one COUNT, whatever the page
//! size (none on the list's last page). The counts are kept by triggers on `votes` and
//! `comments` (see the migration).

use crate::db::Db;
use crate::db::{
    DbResultExt, Key, Keyset, Listing, any_contains, corrupt, delete_versioned, list,
    update_versioned,
};
use crate::entities::{posts, users, votes};
use async_trait::async_trait;
use domain::RepoError;
use domain::blog::{
    Author, Post, PostContent, PostFilter, PostRepository, PostSort, PostTitle, PostView,
};
use domain::concurrency::ExpectedVersion;
use domain::pagination::{KeyValue, Page, PageRequest};
use domain::time::Timestamp;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, JoinType, QueryFilter, QuerySelect, QueryTrait,
    RelationTrait, Select, Set, Value,
};
use uuid::Uuid;

mod comment;
mod vote;

pub use comment::SeaOrmCommentRepository;
pub use vote::SeaOrmVoteRepository;

#[derive(Debug)]
struct PostRow {
    id: Uuid,
    owner_id: Uuid,
    title: String,
    content: String,
    published: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
    owner_name: String,
    vote_count: i64,
    comments_count: i64,
    voted: bool,
}

crate::from_row!(PostRow {
    id,
    owner_id,
    title,
    content,
    published,
    created_at,
    updated_at,
    owner_name,
    vote_count,
    comments_count,
    voted,
});

/// What a post's insert reads back.
struct OwnerName {
    owner_name: String,
}

crate::from_row!(OwnerName { owner_name });

impl PostRow {
    fn into_view(self) -> Result<PostView, RepoError> {
        Ok(PostView {
            post: Post {
                id: self.id,
                owner_id: self.owner_id,
                title: PostTitle::new(&self.title).map_err(|e| corrupt("title", e))?,
                content: PostContent::new(&self.content).map_err(|e| corrupt("content", e))?,
                published: self.published,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
            owner: Author {
                id: self.owner_id,
                name: self.owner_name,
            },
            votes: u64::try_from(self.vote_count).unwrap_or(0),
            comments_count: u64::try_from(self.comments_count).unwrap_or(0),
            voted: self.voted,
        })
    }
}

/// Posts with their owner's name, counts and whether `viewer` voted, in one statement.
fn post_views(viewer: Option<Uuid>) -> Select<posts::Entity> {
    use posts::Column as C;
    let voted = match viewer {
        Some(viewer) => Expr::exists(
            Query::select()
                .expr(Expr::cust("1"))
                .from(votes::Entity)
                .and_where(
                    Expr::col((votes::Entity, votes::Column::PostId))
                        .equals((posts::Entity, C::Id)),
                )
                .and_where(Expr::col((votes::Entity, votes::Column::UserId)).eq(viewer))
                .to_owned(),
        ),
        None => Expr::val(false),
    };
    posts::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::OwnerId,
            C::Title,
            C::Content,
            C::Published,
            C::CreatedAt,
            C::UpdatedAt,
        ])
        .column_as(users::Column::Name, "owner_name")
        .column_as(C::VotesCount, "vote_count")
        .column(C::CommentsCount)
        .expr_as(voted, "voted")
        .join(JoinType::InnerJoin, posts::Relation::Owner.def())
}

/// A post list's order by `sort`, ties by id.
fn post_order(sort: PostSort) -> Keyset {
    use posts::Column as C;
    let col = Key::col::<posts::Entity>;
    match sort {
        PostSort::Newest => Keyset::newest_first::<posts::Entity>(C::CreatedAt, C::Id),
        PostSort::Oldest => Keyset::asc(vec![col(C::CreatedAt)], col(C::Id)),
        PostSort::MostVoted => {
            Keyset::desc(vec![col(C::VotesCount), col(C::CreatedAt)], col(C::Id))
        }
    }
}

/// A post's values of the order key (see [`post_order`]).
fn post_key(sort: PostSort, row: &PostRow) -> Vec<KeyValue> {
    let mut key = Vec::with_capacity(3);
    if sort == PostSort::MostVoted {
        key.push(KeyValue::Int(row.vote_count));
    }
    key.extend([KeyValue::Time(row.created_at), KeyValue::Id(row.id)]);
    key
}

/// Published posts, plus the viewer's own drafts.
fn visible_to(viewer: Option<Uuid>) -> Condition {
    let published = Condition::all().add(posts::Column::Published.eq(true));
    match viewer {
        Some(v) => Condition::any()
            .add(published)
            .add(posts::Column::OwnerId.eq(v)),
        None => published,
    }
}

fn filtered(backend: DbBackend, filter: &PostFilter, viewer: Option<Uuid>) -> Condition {
    let mut cond = Condition::all().add(visible_to(viewer));
    if let Some(q) = &filter.q {
        let text = [posts::Column::Title, posts::Column::Content];
        cond = cond.add(any_contains::<posts::Entity>(backend, &text, q));
    }
    if let Some(owner) = filter.owner_id {
        cond = cond.add(posts::Column::OwnerId.eq(owner));
    }
    cond
}

pub struct SeaOrmPostRepository {
    db: Db,
}

impl SeaOrmPostRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn post_model(p: &Post) -> posts::ActiveModel {
    posts::ActiveModel {
        id: Set(p.id),
        owner_id: Set(p.owner_id),
        title: Set(p.title.as_str().to_owned()),
        content: Set(p.content.as_str().to_owned()),
        published: Set(p.published),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        ..Default::default()
    }
}

#[async_trait]
impl PostRepository for SeaOrmPostRepository {
    async fn create(&self, post: &Post) -> Result<PostView, RepoError> {
        // The owner's name comes back with the insert: one round trip, not a write and a read.
        let owner_name = Query::select()
            .column(users::Column::Name)
            .from(users::Entity)
            .and_where(
                Expr::col((users::Entity, users::Column::Id))
                    .equals((posts::Entity, posts::Column::OwnerId)),
            )
            .to_owned();
        let mut insert = posts::Entity::insert(post_model(post));
        // sea-query's RETURNING takes no alias; the column is named so `from_row!` can check
        // it. A custom expression's placeholder is the backend's own.
        let aliased = match self.db.conn().get_database_backend() {
            DbBackend::Postgres => "$1 AS owner_name",
            _ => "? AS owner_name",
        };
        let owner_name = Expr::SubQuery(None, Box::new(owner_name.into()));
        let owner_name = Expr::cust_with_expr(aliased, owner_name);
        insert
            .query()
            .returning(Query::returning().expr(owner_name));
        let row: Option<OwnerName> = self.db.write_one(&insert).await.db_err()?;
        let row = row.ok_or_else(|| RepoError::unexpected("a post's insert returned no row"))?;
        let owner = Author {
            id: post.owner_id,
            name: row.owner_name,
        };
        Ok(PostView::new_post(post.clone(), owner))
    }

    async fn find(&self, id: Uuid, viewer: Option<Uuid>) -> Result<Option<PostView>, RepoError> {
        // On the path of every post read and write: its SQL is built once (`one_kept`).
        let (key, voted) = match viewer {
            Some(viewer) => ("post view, signed in", Value::from(viewer)),
            None => ("post view, anonymous", Value::from(false)),
        };
        let build = |backend| {
            let by_id = post_views(viewer).filter(posts::Column::Id.eq(id));
            by_id.build(backend)
        };
        let row: Option<PostRow> = self
            .db
            .one_kept(key, vec![voted, id.into()], build)
            .await
            .db_err()?;
        row.map(PostRow::into_view).transpose()
    }

    async fn list(
        &self,
        filter: &PostFilter,
        viewer: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<PostView>, RepoError> {
        let visible = posts::Entity::find().filter(filtered(self.db.backend(), filter, viewer));
        let listing = Listing {
            rows: visible,
            listed: post_views(viewer).filter(filtered(self.db.backend(), filter, viewer)),
            // Past an offset, the page's ids come first, through an index; only those rows
            // then get their owner and the viewer's vote.
            all: post_views(viewer),
            order: post_order(filter.sort),
            // SQLite answers a signed-in reader's filter (`published OR owner_id = ?`) with a
            // multi-index OR and a sort of every visible post, joins built for each: there
            // the ids come first on every page.
            ids_first: self.db.backend() == DbBackend::Sqlite,
        };
        list(
            &self.db,
            listing,
            page,
            |row: &PostRow| post_key(filter.sort, row),
            PostRow::into_view,
        )
        .await
    }

    async fn update(&self, post: &Post, expected: ExpectedVersion) -> Result<(), RepoError> {
        let update = posts::Entity::update_many().set(post_model(post));
        update_versioned(&self.db, update, post.id, expected).await
    }

    async fn delete(&self, id: Uuid, expected: ExpectedVersion) -> Result<(), RepoError> {
        delete_versioned::<posts::Entity>(&self.db, id, expected).await
    }
}
