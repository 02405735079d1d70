//! The anchors of a list's deep pages (see `Keyset::start` in the repositories), kept as
//! its total is.

use super::count_cache::{Anchors, CountKey, Lookup};
use super::{Columns, Db};
use domain::pagination::{KeyKind, KeyValue};
use domain::time::Timestamp;
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ConnectionTrait, DbErr, QueryResult, StatementBuilder};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use uuid::Uuid;

impl Db {
    /// The rows `statement` selects (each an anchor: one key, its parts of `kinds`), kept
    /// under the same rules as [`Db::count`]'s totals: a write through this instance
    /// outdates them at once; past the TTL the old ones serve while one request works them
    /// out again in the background.
    pub async fn anchors(
        &self,
        statement: SelectStatement,
        kinds: Vec<KeyKind>,
    ) -> Result<Anchors, DbErr> {
        let statement = StatementBuilder::build(&statement, &self.conn.get_database_backend());
        let key = CountKey::of(&statement);
        let writes = self.counts.writes.load(Ordering::Acquire);
        match self.counts.anchors(&key, writes) {
            Lookup::Fresh(anchors) | Lookup::Refreshing(anchors) => Ok(anchors),
            Lookup::Aged(anchors) => {
                let (conn, counts) = (self.conn.clone(), self.counts.clone());
                tokio::spawn(async move {
                    let found = conn.query_all_raw(statement).await;
                    let found = found.and_then(|rows| read(&rows, &kinds)).ok();
                    counts.settle_anchors(key, found, writes);
                });
                Ok(anchors)
            }
            Lookup::Miss => {
                let found = self.conn.query_all_raw(statement).await;
                let found = found.and_then(|rows| read(&rows, &kinds));
                self.counts
                    .settle_anchors(key, found.as_ref().ok().cloned(), writes);
                found
            }
        }
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
