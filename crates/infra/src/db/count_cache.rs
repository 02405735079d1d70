//! What a [`Db`](super::Db) has worked out about its lists (totals, and the anchors of
//! deep pages), kept briefly.

use domain::pagination::KeyValue;
use moka::ops::compute::Op;
use moka::sync::Cache;
use sea_orm::{Statement, Value};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the cache has for a key.
pub(super) enum Lookup<V> {
    Fresh(V),
    /// Past its TTL, and being worked out again: the old value serves meanwhile (a thousand
    /// requests a second would otherwise all count at once each time it ages out).
    Refreshing(V),
    /// Past its TTL: the caller starts the refresh, and the old value serves meanwhile.
    Aged(V),
    /// Nothing usable: work it out now.
    Miss,
}

struct Entry<V> {
    value: V,
    writes: u64,
    at: Instant,
    refreshing_since: Mutex<Option<Instant>>,
}

/// What a value is kept under: the statement that works it out, with its values
/// (compared as values: rendering them into the text cost more than the lookup itself).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct CountKey {
    pub(super) sql: String,
    pub(super) values: Vec<Value>,
}

impl CountKey {
    pub(super) fn of(statement: &Statement) -> Self {
        Self {
            sql: statement.sql.clone(),
            values: statement.values.clone().map(|v| v.0).unwrap_or_default(),
        }
    }
}

/// The keys of the rows at every [`Keyset::STRIDE`](super::Keyset)th
/// position of a list.
pub(super) type Anchors = Arc<Vec<Vec<KeyValue>>>;

/// Values by the statement that works them out, at most a capacity: storage and eviction
/// are moka's, the fresh / aged / refreshing rule ([`Lookup`]) is ours.
struct Kept<V> {
    entries: Cache<CountKey, Arc<Entry<V>>>,
}

impl<V: Clone + Send + Sync + 'static> Kept<V> {
    fn with_capacity(capacity: u64) -> Self {
        Self {
            entries: Cache::new(capacity),
        }
    }

    fn lookup(&self, key: &CountKey, writes: u64) -> Lookup<V> {
        let Some(entry) = self.entries.get(key) else {
            return Lookup::Miss;
        };
        if entry.writes < writes {
            // Outdated by a write here: everyone works it out, so nobody sees the old value.
            // (A value worked out after later writes than the caller saw is newer, and fine.)
            return Lookup::Miss;
        }
        if entry.at.elapsed() < CountCache::TTL {
            return Lookup::Fresh(entry.value.clone());
        }
        let Ok(mut refreshing_since) = entry.refreshing_since.lock() else {
            return Lookup::Miss;
        };
        match *refreshing_since {
            Some(since) if since.elapsed() < CountCache::REFRESH_GIVEN_UP => {
                Lookup::Refreshing(entry.value.clone())
            }
            _ => {
                *refreshing_since = Some(Instant::now());
                Lookup::Aged(entry.value.clone())
            }
        }
    }

    fn put(&self, key: CountKey, value: V, writes: u64) {
        self.entries.entry(key).and_compute_with(|kept| match kept {
            // Worked out before a write that a value already kept has seen.
            Some(kept) if kept.value().writes > writes => Op::Nop,
            _ => Op::Put(Arc::new(Entry {
                value,
                writes,
                at: Instant::now(),
                refreshing_since: Mutex::new(None),
            })),
        });
    }

    fn forget(&self, key: &CountKey) {
        self.entries.invalidate(key);
    }
}

/// The turn for working out one key's missing value; it holds the last attempt's failure
/// and when it came, so that the requests queued behind a failure fail as it did instead of
/// retrying one after another against a database that is not answering.
pub(super) type Flight = Arc<tokio::sync::Mutex<Option<(Instant, sea_orm::DbErr)>>>;

/// List totals and anchors by the SQL that works them out.
pub struct CountCache {
    /// Writes completed through this instance; a value worked out before the latest is
    /// stale.
    pub(super) writes: AtomicU64,
    totals: Kept<u64>,
    anchors: Kept<Anchors>,
    /// One turn per key for working a missing value out (see [`CountCache::flight`]).
    flights: Cache<CountKey, Flight>,
}

impl Default for CountCache {
    fn default() -> Self {
        Self {
            writes: AtomicU64::new(0),
            totals: Kept::with_capacity(Self::MAX_ENTRIES),
            anchors: Kept::with_capacity(Self::MAX_ANCHOR_ENTRIES),
            flights: Cache::new(Self::MAX_ENTRIES),
        }
    }
}

impl CountCache {
    pub const TTL: Duration = Duration::from_secs(1);
    /// Totals below this are cheap to count and always exact.
    pub const EXACT_BELOW: u64 = 200;
    /// Distinct filters whose totals are kept at most; past that moka evicts the least
    /// likely to be asked for again.
    const MAX_ENTRIES: u64 = 1024;
    /// Distinct filters whose anchors are kept at most (each up to a thousand keys).
    const MAX_ANCHOR_ENTRIES: u64 = 64;
    /// A refresh that has not finished by then (its request went away) is someone else's.
    const REFRESH_GIVEN_UP: Duration = Duration::from_secs(5);

    /// The turn to take before working out the missing value of `key`, so that requests
    /// missing it together wait for one of them instead of each running the same count (32
    /// requests counting a million rows at once took seconds each, past the statement
    /// timeout, so none was ever kept).
    pub(super) fn flight(&self, key: &CountKey) -> Flight {
        // A turn evicted while taken only lets a later caller work in parallel.
        self.flights.get_with_by_ref(key, Flight::default)
    }

    pub(super) fn lookup(&self, key: &CountKey, writes: u64) -> Lookup<u64> {
        self.totals.lookup(key, writes)
    }

    /// Keeps a fresh count (stored against the writes seen before counting, so a write that
    /// completed meanwhile has already outdated it); a small or failed one is not kept.
    pub(super) fn settle(&self, key: CountKey, counted: Option<u64>, writes: u64) {
        match counted {
            Some(total) if total >= Self::EXACT_BELOW => self.totals.put(key, total, writes),
            _ => self.totals.forget(&key),
        }
    }

    pub(super) fn anchors(&self, key: &CountKey, writes: u64) -> Lookup<Anchors> {
        self.anchors.lookup(key, writes)
    }

    /// Keeps anchors as [`CountCache::settle`] keeps a total; failed ones are not kept.
    pub(super) fn settle_anchors(&self, key: CountKey, found: Option<Anchors>, writes: u64) {
        match found {
            Some(anchors) => self.anchors.put(key, anchors, writes),
            None => self.anchors.forget(&key),
        }
    }

    #[cfg(test)]
    fn put(&self, key: CountKey, total: u64, writes: u64) {
        self.totals.put(key, total, writes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aged_total_is_refreshed_by_one_request_while_the_others_use_it() {
        let cache = CountCache::default();
        let k = CountKey {
            sql: "SELECT COUNT(*) FROM t WHERE a = $1".into(),
            values: vec![Value::from("x")],
        };
        let other = CountKey {
            values: vec![Value::from("y")],
            ..k.clone()
        };
        cache.put(k.clone(), 5000, 0);
        assert!(matches!(cache.lookup(&other, 0), Lookup::Miss));
        assert!(matches!(cache.lookup(&k, 0), Lookup::Fresh(5000)));
        // A write here outdates it for everyone at once.
        assert!(matches!(cache.lookup(&k, 1), Lookup::Miss));
        std::thread::sleep(CountCache::TTL + Duration::from_millis(20));
        // The first to see it aged starts the recount; meanwhile everyone keeps the old total.
        assert!(matches!(cache.lookup(&k, 0), Lookup::Aged(5000)));
        assert!(matches!(cache.lookup(&k, 0), Lookup::Refreshing(5000)));
        assert!(matches!(cache.lookup(&k, 0), Lookup::Refreshing(5000)));
        assert!(matches!(cache.lookup(&k, 1), Lookup::Miss));
        cache.put(k.clone(), 5001, 0);
        assert!(matches!(cache.lookup(&k, 0), Lookup::Fresh(5001)));
        cache.settle(k.clone(), Some(10), 0);
        assert!(
            matches!(cache.lookup(&k, 0), Lookup::Miss),
            "small totals are not kept"
        );
    }
}
