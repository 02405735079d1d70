//! What a list page keeps between requests (its total, its anchors) and the policy they
//! share: fresh, aged and refreshed in the background, or worked out by one request at a time.

use super::count_cache::{CountKey, Lookup};
use super::{Connection, CountCache, Db};
use sea_orm::{DbErr, EntityTrait, PaginatorTrait, QueryTrait, Select};
use std::sync::atomic::Ordering;

impl Db {
    /// How many rows `select` matches: the total of a list page.
    ///
    /// Counting is most of what a list page costs the database (every matching row, against
    /// the page's twenty), so a large total (at least [`CountCache::EXACT_BELOW`]) is kept
    /// for up to [`CountCache::TTL`]. Any write through this instance outdates every kept
    /// total at once, so this instance's own writes show immediately; another instance's
    /// writes show within the TTL plus one count (an aged total answers while a background
    /// task counts again). Small totals are always counted exactly.
    pub(super) async fn count<E>(&self, select: Select<E>) -> Result<u64, DbErr>
    where
        E: EntityTrait,
        E::Model: Send + Sync,
    {
        let key = CountKey::of(&select.build(self.conn.get_database_backend()));
        let count = move |conn: Connection| async move { select.count(&conn).await };
        self.kept_value(key, CountCache::lookup, CountCache::settle, count)
            .await
    }

    /// The value kept under `key` (looked up and stored by `lookup` and `settle`), or worked
    /// out by `work`: fresh, it is returned; aged, it is returned while `work` runs again in
    /// the background (no request waits for it); outdated by a write here, or missing, the
    /// caller waits for `work`, run by one request at a time per key: those that waited take
    /// the value it kept when it was worked out after the writes they saw, or its error when
    /// it failed while they waited.
    pub(super) async fn kept_value<V, F, Fut>(
        &self,
        key: CountKey,
        lookup: fn(&CountCache, &CountKey, u64) -> Lookup<V>,
        settle: fn(&CountCache, CountKey, Option<V>, u64),
        work: F,
    ) -> Result<V, DbErr>
    where
        V: Clone + Send + 'static,
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = Result<V, DbErr>> + Send + 'static,
    {
        let writes = self.counts.writes.load(Ordering::Acquire);
        match lookup(&self.counts, &key, writes) {
            Lookup::Fresh(value) | Lookup::Refreshing(value) => Ok(value),
            Lookup::Aged(value) => {
                let counts = self.counts.clone();
                let worked = work(self.conn.clone());
                tokio::spawn(async move {
                    settle(&counts, key, worked.await.ok(), writes);
                });
                Ok(value)
            }
            Lookup::Miss => {
                let flight = self.counts.flight(&key);
                let queued_at = std::time::Instant::now();
                let mut failed = flight.lock().await;
                // Whoever had the turn before may have kept it meanwhile, worked out after
                // every write this request has seen.
                if let Lookup::Fresh(value) | Lookup::Refreshing(value) =
                    lookup(&self.counts, &key, writes)
                {
                    return Ok(value);
                }
                if let Some((at, err)) = failed.as_ref()
                    && *at >= queued_at
                {
                    return Err(err.clone());
                }
                let worked = work(self.conn.clone()).await;
                *failed = worked
                    .as_ref()
                    .err()
                    .map(|err| (std::time::Instant::now(), err.clone()));
                settle(&self.counts, key, worked.as_ref().ok().cloned(), writes);
                worked
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ConnAcquireErr;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    fn timeout() -> DbErr {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)
    }

    /// One list's total, which takes 50 ms to work out: the `n`th count (from 0) answers
    /// 5000 + n, or fails when `fails`.
    async fn total(db: Db, runs: Arc<AtomicUsize>, fails: bool) -> Result<u64, DbErr> {
        let key = CountKey {
            sql: "SELECT COUNT(*) FROM t".into(),
            values: vec![],
        };
        let work = move |_: Connection| async move {
            let run = runs.fetch_add(1, Ordering::SeqCst) as u64;
            tokio::time::sleep(Duration::from_millis(50)).await;
            if fails {
                Err(timeout())
            } else {
                Ok(5000 + run)
            }
        };
        db.kept_value(key, CountCache::lookup, CountCache::settle, work)
            .await
    }

    /// `n` requests for the total at once, and how many counts they ran.
    async fn together(db: &Db, n: usize, fails: bool) -> (Vec<Result<u64, DbErr>>, usize) {
        let runs = Arc::new(AtomicUsize::new(0));
        let requests = (0..n).map(|_| tokio::spawn(total(db.clone(), runs.clone(), fails)));
        let answers = futures_util::future::join_all(requests).await;
        let answers = answers.into_iter().map(Result::unwrap).collect();
        (answers, runs.load(Ordering::SeqCst))
    }

    async fn new_db() -> Db {
        Db::new(sea_orm::Database::connect("sqlite::memory:").await.unwrap())
    }

    #[tokio::test]
    async fn requests_missing_a_total_together_count_it_once_and_a_write_counts_again() {
        let db = new_db().await;
        let (answers, runs) = together(&db, 8, false).await;
        assert!(answers.iter().all(|a| matches!(a, Ok(5000))), "{answers:?}");
        assert_eq!(runs, 1, "one count for eight requests");

        db.counts.writes.fetch_add(1, Ordering::Release);
        let (answers, runs) = together(&db, 1, false).await;
        assert!(matches!(answers[..], [Ok(5000)]), "{answers:?}");
        assert_eq!(runs, 1, "a write outdates the kept total");
    }

    #[tokio::test]
    async fn requests_queued_behind_a_failed_count_fail_as_it_did_without_running_it_again() {
        let db = new_db().await;
        let (answers, runs) = together(&db, 4, true).await;
        assert!(
            answers
                .iter()
                .all(|a| matches!(a, Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)))),
            "{answers:?}"
        );
        assert_eq!(runs, 1, "one attempt for four requests");

        // A request that comes after the failure tries again.
        let (answers, runs) = together(&db, 1, true).await;
        assert!(answers[0].is_err());
        assert_eq!(runs, 1);
    }
}
