//! The notifications inbox on the `notifications` table. Rows are inserted by the comment
//! and vote repositories ([`insert`]), in the transaction of what causes them.

use crate::db::Db;
use crate::db::{DbResultExt, Key, Keyset, Listing, corrupt, list};
use crate::entities::notifications;
use crate::events::wire;
use async_trait::async_trait;
use domain::RepoError;
use domain::event::Event;
use domain::notification::{Notification, NotificationFilter, NotificationRepository, Notify};
use domain::pagination::{KeyValue, Page, PageRequest};
use domain::retention::Prunable;
use domain::time::Timestamp;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

pub struct SeaOrmNotificationRepository {
    db: Db,
}

impl SeaOrmNotificationRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// Stores `notify`'s notification of `event` on `txn` (the cause's transaction).
pub(crate) async fn insert(
    txn: &impl ConnectionTrait,
    notify: Notify,
    event: Event,
) -> Result<(), RepoError> {
    let n = notify.with(event);
    let data = wire::encode_data(&n.event)
        .ok_or_else(|| RepoError::unexpected(format!("{} is not stored", n.kind())))?
        .map_err(RepoError::unexpected)?;
    notifications::Entity::insert(notifications::ActiveModel {
        id: Set(n.id),
        user_id: Set(n.user_id),
        kind: Set(n.kind().to_owned()),
        data: Set(data),
        read: Set(false),
        created_at: Set(n.at),
    })
    .exec_without_returning(txn)
    .await
    .db_err()?;
    Ok(())
}

fn to_domain(m: notifications::Model) -> Result<Notification, RepoError> {
    Ok(Notification {
        id: m.id,
        user_id: m.user_id,
        event: wire::decode_data(&m.kind, &m.data).map_err(|e| corrupt("notification", e))?,
        at: m.created_at,
        read: m.read,
    })
}

#[async_trait]
impl NotificationRepository for SeaOrmNotificationRepository {
    async fn list(
        &self,
        user_id: Uuid,
        filter: NotificationFilter,
        page: PageRequest,
    ) -> Result<Page<Notification>, RepoError> {
        use notifications::Column as C;
        let mut query = notifications::Entity::find().filter(C::UserId.eq(user_id));
        if filter.unread {
            query = query.filter(C::Read.eq(false));
        }
        // Ids are UUID v7: newest first by id alone, the order `since` resumes in.
        let order = Keyset::desc(Vec::new(), Key::col::<notifications::Entity>(C::Id));
        let key = |m: &notifications::Model| vec![KeyValue::Id(m.id)];
        list(&self.db, Listing::of(query, order), page, key, to_domain).await
    }

    async fn unread_count(&self, user_id: Uuid) -> Result<u64, RepoError> {
        use notifications::Column as C;
        notifications::Entity::find()
            .filter(C::UserId.eq(user_id))
            .filter(C::Read.eq(false))
            .count(self.db.conn())
            .await
            .db_err()
    }

    async fn mark_read(&self, user_id: Uuid, id: Uuid) -> Result<bool, RepoError> {
        use notifications::Column as C;
        let update = notifications::Entity::update_many()
            .col_expr(C::Read, Expr::value(true))
            .filter(C::Id.eq(id))
            .filter(C::UserId.eq(user_id));
        if self.db.write(&update).await.db_err()? > 0 {
            return Ok(true);
        }
        // An own notification already read changes no row, yet is found.
        let own = notifications::Entity::find()
            .select_only()
            .column(C::Id)
            .filter(C::Id.eq(id))
            .filter(C::UserId.eq(user_id))
            .into_tuple::<Uuid>()
            .one(self.db.conn())
            .await
            .db_err()?;
        Ok(own.is_some())
    }

    async fn mark_all_read(&self, user_id: Uuid) -> Result<u64, RepoError> {
        use notifications::Column as C;
        let update = notifications::Entity::update_many()
            .col_expr(C::Read, Expr::value(true))
            .filter(C::UserId.eq(user_id))
            .filter(C::Read.eq(false));
        self.db.write(&update).await.db_err()
    }

    async fn since(
        &self,
        user_id: Uuid,
        after: Uuid,
        limit: u64,
    ) -> Result<Vec<Notification>, RepoError> {
        use notifications::Column as C;
        let rows = notifications::Entity::find()
            .filter(C::UserId.eq(user_id))
            .filter(C::Id.gt(after))
            .order_by_asc(C::Id)
            .limit(limit)
            .all(self.db.conn())
            .await
            .db_err()?;
        rows.into_iter().map(to_domain).collect()
    }
}

#[async_trait]
impl Prunable for SeaOrmNotificationRepository {
    fn table(&self) -> &'static str {
        "notifications"
    }

    async fn prune_older_than(&self, cutoff: Timestamp, limit: u64) -> Result<u64, RepoError> {
        use notifications::Column as C;
        // One small batch per statement (picked by id through a subquery, which both
        // databases accept where `DELETE ... LIMIT` is not portable): short locks, and
        // SQLite's writer turn is given back between batches.
        let batch = Query::select()
            .column(C::Id)
            .from(notifications::Entity)
            .and_where(C::CreatedAt.lt(cutoff))
            .limit(limit)
            .to_owned();
        let delete = notifications::Entity::delete_many().filter(C::Id.in_subquery(batch));
        self.db.write(&delete).await.db_err()
    }
}
