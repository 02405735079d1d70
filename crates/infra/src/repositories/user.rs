use super::account::token_model;
use super::job::job_model;
use crate::db::Db;
use crate::db::{
    DbResultExt, Keyset, Listing, PrincipalCache, any_contains, corrupt, list, update_versioned,
};
use crate::entities::users;
use async_trait::async_trait;
use domain::RepoError;
use domain::concurrency::ExpectedVersion;
use domain::pagination::{Page, PageRequest, time_then_id};
use domain::user::{
    Email, LAST_ADMIN, PasswordHash, Role, User, UserFilter, UserName, UserRepository, Welcome,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, DeleteMany, EntityTrait, QueryFilter, QuerySelect,
    Set, UpdateMany,
};
use std::sync::Arc;
use uuid::Uuid;

pub struct SeaOrmUserRepository {
    db: Db,
    principals: Option<Arc<PrincipalCache>>,
}

impl SeaOrmUserRepository {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            principals: None,
        }
    }

    /// Makes `cache` forget a user's sessions whenever its row is written (role,
    /// activity) or deleted.
    pub fn with_cache(mut self, cache: Arc<PrincipalCache>) -> Self {
        self.principals = Some(cache);
        self
    }

    /// After the write, failed or not: re-reading is always safe.
    fn forget_principals(&self, user_id: Uuid) {
        if let Some(cache) = &self.principals {
            cache.forget_user(user_id);
        }
    }
}

fn to_domain(m: users::Model) -> Result<User, RepoError> {
    // Rows are only written through the domain, so these parse; a failure means corruption.
    Ok(User {
        id: m.id,
        email: Email::parse(&m.email).map_err(|e| corrupt("email", e))?,
        name: UserName::new(&m.name).map_err(|e| corrupt("name", e))?,
        role: m.role.parse().map_err(|e| corrupt("role", e))?,
        is_active: m.is_active,
        email_verified: m.email_verified,
        password_hash: PasswordHash::new(m.password_hash),
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_active(u: &User) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(u.id),
        email: Set(u.email.to_string()),
        name: Set(u.name.as_str().to_owned()),
        role: Set(u.role.as_str().to_owned()),
        is_active: Set(u.is_active),
        email_verified: Set(u.email_verified),
        password_hash: Set(u.password_hash.as_str().to_owned()),
        created_at: Set(u.created_at),
        updated_at: Set(u.updated_at),
    }
}

#[async_trait]
impl UserRepository for SeaOrmUserRepository {
    async fn create(&self, user: &User, welcome: Option<Welcome>) -> Result<(), RepoError> {
        let welcome = welcome
            .map(|w| Ok::<_, RepoError>((token_model(&w.token), job_model(&w.mail)?)))
            .transpose()?;
        let txn = self.db.transaction().await.db_err()?;
        users::Entity::insert(to_active(user))
            .exec_without_returning(&*txn)
            .await
            .db_err()?;
        if let Some((token, job)) = welcome {
            token.insert(&*txn).await.db_err()?;
            job.insert(&*txn).await.db_err()?;
        }
        txn.commit().await.db_err()
    }

    async fn find_by_id(&self, id: Uuid) -> Result<Option<User>, RepoError> {
        let row = self.db.find_by_id::<users::Entity>(id).await.db_err()?;
        row.map(to_domain).transpose()
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        let row = users::Entity::find()
            .filter(users::Column::Email.eq(email.as_str()))
            .one(self.db.conn())
            .await
            .db_err()?;
        row.map(to_domain).transpose()
    }

    async fn list(&self, filter: &UserFilter, page: PageRequest) -> Result<Page<User>, RepoError> {
        use users::Column as C;
        let mut query = users::Entity::find();
        if let Some(q) = &filter.q {
            query = query.filter(any_contains::<users::Entity>(
                self.db.backend(),
                &[C::Email, C::Name],
                q,
            ));
        }
        let order = Keyset::newest_first::<users::Entity>(C::CreatedAt, C::Id);
        let key = |m: &users::Model| time_then_id(m.created_at, m.id);
        list(&self.db, Listing::of(query, order), page, key, to_domain).await
    }

    async fn update(&self, user: &User, expected: ExpectedVersion) -> Result<(), RepoError> {
        let written = self.update_row(user, expected).await;
        self.forget_principals(user.id);
        written
    }

    async fn delete(&self, id: Uuid, expected: ExpectedVersion) -> Result<(), RepoError> {
        let written = self.delete_row(id, expected).await;
        self.forget_principals(id);
        written
    }
}

/// A conditional write to one user's row that may leave it no active admin.
enum Write {
    Update(UpdateMany<users::Entity>),
    Delete(DeleteMany<users::Entity>),
}

impl SeaOrmUserRepository {
    async fn update_row(&self, user: &User, expected: ExpectedVersion) -> Result<(), RepoError> {
        if user.role == Role::Admin && user.is_active {
            let update = users::Entity::update_many().set(to_active(user));
            return update_versioned(&self.db, update, user.id, expected).await;
        }
        // Possibly an admin stepping down: decided under the admins' row locks.
        let mut update = users::Entity::update_many()
            .set(to_active(user))
            .filter(users::Column::Id.eq(user.id));
        if let Some(expected) = expected {
            update = update.filter(users::Column::UpdatedAt.eq(expected));
        }
        self.keeping_an_admin(user.id, Write::Update(update)).await
    }

    async fn delete_row(&self, id: Uuid, expected: ExpectedVersion) -> Result<(), RepoError> {
        let mut delete = users::Entity::delete_many().filter(users::Column::Id.eq(id));
        if let Some(expected) = expected {
            delete = delete.filter(users::Column::UpdatedAt.eq(expected));
        }
        self.keeping_an_admin(id, Write::Delete(delete)).await
    }

    /// Runs `write` (which leaves user `id` no active admin, or removes it) unless `id` is
    /// the only active admin: `RepoError::Conflict(LAST_ADMIN)` then, and nothing changes.
    /// The active admins' rows are locked first (PostgreSQL; SQLite's single writer turn
    /// serialises already), so of two admins demoting each other one waits, then sees the
    /// other's change and is refused.
    async fn keeping_an_admin(&self, id: Uuid, write: Write) -> Result<(), RepoError> {
        let changed = {
            let txn = self.db.transaction().await.db_err()?;
            let mut admins = users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .filter(users::Column::Role.eq(Role::Admin.as_str()))
                .filter(users::Column::IsActive.eq(true));
            if self.db.conn().get_database_backend() == DbBackend::Postgres {
                admins = admins.lock_exclusive();
            }
            let admins: Vec<Uuid> = admins.into_tuple().all(&*txn).await.db_err()?;
            if admins == [id] {
                txn.rollback().await.db_err()?;
                return Err(RepoError::Conflict(LAST_ADMIN.to_owned()));
            }
            let changed = match write {
                Write::Update(update) => update.exec(&*txn).await.map(|r| r.rows_affected),
                Write::Delete(delete) => delete.exec(&*txn).await.map(|r| r.rows_affected),
            }
            .db_err()?;
            txn.commit().await.db_err()?;
            changed
        };
        if changed == 0 {
            return Err(crate::db::missing_or_stale::<users::Entity>(self.db.conn(), id).await);
        }
        Ok(())
    }
}
