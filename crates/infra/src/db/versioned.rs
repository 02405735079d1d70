//! Optimistic concurrency: a row changes only while it is still the version the client saw.

use super::{Db, DbResultExt, map_db_err};
use domain::RepoError;
use domain::concurrency::ExpectedVersion;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, UpdateMany};
use uuid::Uuid;

/// A table whose rows have an `id` and change `updated_at` on every write, which is what
/// the optimistic-concurrency helpers below need.
pub trait Versioned: EntityTrait {
    const ID: Self::Column;
    const UPDATED_AT: Self::Column;
}

/// Runs `update` on row `id`, only while its version is still `expected` (when given).
pub async fn update_versioned<E: Versioned>(
    db: &Db,
    update: UpdateMany<E>,
    id: Uuid,
    expected: ExpectedVersion,
) -> Result<(), RepoError> {
    let mut update = update.filter(E::ID.eq(id));
    if let Some(expected) = expected {
        update = update.filter(E::UPDATED_AT.eq(expected));
    }
    let changed = db.write(&update).await.db_err()?;
    if changed == 0 {
        return Err(missing_or_stale::<E>(db.conn(), id).await);
    }
    Ok(())
}

/// Deletes row `id`, only while its version is still `expected` (when given).
pub async fn delete_versioned<E: Versioned>(
    db: &Db,
    id: Uuid,
    expected: ExpectedVersion,
) -> Result<(), RepoError> {
    let mut delete = E::delete_many().filter(E::ID.eq(id));
    if let Some(expected) = expected {
        delete = delete.filter(E::UPDATED_AT.eq(expected));
    }
    let changed = db.write(&delete).await.db_err()?;
    if changed == 0 {
        return Err(missing_or_stale::<E>(db.conn(), id).await);
    }
    Ok(())
}

/// After a conditional write touched nothing: was the row gone, or newer than expected?
pub async fn missing_or_stale<E: Versioned>(db: &impl ConnectionTrait, id: Uuid) -> RepoError {
    match E::find().filter(E::ID.eq(id)).one(db).await {
        Ok(None) => RepoError::NotFound,
        Ok(Some(_)) => RepoError::Stale,
        Err(e) => map_db_err(e),
    }
}
