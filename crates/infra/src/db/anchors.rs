//! The anchors of a list's deep pages (see `Keyset::start` in the repositories), kept as
//! its total is.

use super::count_cache::{Anchors, CountKey};
use super::{Columns, Connection, CountCache, Db};
use domain::pagination::{KeyKind, KeyValue};
use domain::time::Timestamp;
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ConnectionTrait, DbErr, QueryResult, StatementBuilder};
use std::sync::Arc;
use uuid::Uuid;

impl Db {
    /// The rows `statement` selects (each an anchor: one key, its parts of `kinds`), kept
    /// under the same rules as [`Db::count`]'s totals: a write through this instance
    /// outdates them at once; past the TTL the old ones serve while one request works them
    /// out again in the background.
    pub(super) async fn anchors(
        &self,
        statement: SelectStatement,
        kinds: Vec<KeyKind>,
    ) -> Result<Anchors, DbErr> {
        let statement = StatementBuilder::build(&statement, &self.conn.get_database_backend());
        let key = CountKey::of(&statement);
        let work = move |conn: Connection| async move {
            let rows = conn.query_all_raw(statement).await?;
            read(&rows, &kinds)
        };
        self.kept_value(key, CountCache::anchors, CountCache::settle_anchors, work)
            .await
    }
}

/// Each row's columns `k0`, `k1`, ... read as `kinds`.
fn read(rows: &[QueryResult], kinds: &[KeyKind]) -> Result<Anchors, DbErr> {
    let mut anchors = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let mut columns = Columns::new(row, index);
        let mut key = Vec::with_capacity(kinds.len());
        for (i, kind) in kinds.iter().enumerate() {
            let name = format!("k{i}");
            key.push(match kind {
                KeyKind::Int => KeyValue::Int(columns.next::<i64>(&name)?),
                KeyKind::Text => KeyValue::Text(columns.next::<String>(&name)?),
                KeyKind::Time => KeyValue::Time(columns.next::<Timestamp>(&name)?),
                KeyKind::Id => KeyValue::Id(columns.next::<Uuid>(&name)?),
            });
        }
        anchors.push(key);
    }
    Ok(Arc::new(anchors))
}
