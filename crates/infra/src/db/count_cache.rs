//! The list totals a [`Db`](super::Db) has counted, kept briefly.

use sea_orm::Value;
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

/// What the cache has for a count.
pub(super) enum Lookup {
    Fresh(u64),
    /// Past its TTL, and being counted again: the old total serves meanwhile (a thousand
    /// requests a second would otherwise all count at once each time it ages out).
    Refreshing(u64),
    /// Past its TTL: the caller starts the recount, and the old total serves meanwhile.
    Aged(u64),
    /// Nothing usable: count it now.
    Miss,
}

struct Entry {
    total: u64,
    writes: u64,
    at: Instant,
    refreshing_since: Option<Instant>,
}

/// What a total is kept under: the statement that counts it, with its values (compared
/// as values: rendering them into the text cost more than the lookup itself).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct CountKey {
    pub(super) sql: String,
    pub(super) values: Vec<Value>,
}

/// List totals by the SQL that counts them.
#[derive(Default)]
pub struct CountCache {
    /// Writes completed through this instance; a total counted before the latest is stale.
    pub(super) writes: AtomicU64,
    entries: std::sync::Mutex<HashMap<CountKey, Entry>>,
}

impl CountCache {
    pub const TTL: Duration = Duration::from_secs(1);
    /// Totals below this are cheap to count and always exact.
    pub const EXACT_BELOW: u64 = 200;
    /// Distinct filters kept at most; past that the cache starts again.
    const MAX_ENTRIES: usize = 1024;
    /// A refresh that has not finished by then (its request went away) is someone else's.
    const REFRESH_GIVEN_UP: Duration = Duration::from_secs(5);

    pub(super) fn lookup(&self, key: &CountKey, writes: u64) -> Lookup {
        let Ok(mut entries) = self.entries.lock() else {
            return Lookup::Miss;
        };
        let Some(entry) = entries.get_mut(key) else {
            return Lookup::Miss;
        };
        if entry.writes != writes {
            // Outdated by a write here: everyone counts, so nobody sees the old total.
            return Lookup::Miss;
        }
        if entry.at.elapsed() < Self::TTL {
            return Lookup::Fresh(entry.total);
        }
        match entry.refreshing_since {
            Some(since) if since.elapsed() < Self::REFRESH_GIVEN_UP => {
                Lookup::Refreshing(entry.total)
            }
            _ => {
                entry.refreshing_since = Some(Instant::now());
                Lookup::Aged(entry.total)
            }
        }
    }

    /// Keeps a fresh count (stored against the writes seen before counting, so a write that
    /// completed meanwhile has already outdated it); a small or failed one is not kept.
    pub(super) fn settle(&self, key: CountKey, counted: Option<u64>, writes: u64) {
        match counted {
            Some(total) if total >= Self::EXACT_BELOW => self.put(key, total, writes),
            _ => self.forget(&key),
        }
    }

    fn put(&self, key: CountKey, total: u64, writes: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::MAX_ENTRIES {
                entries.clear();
            }
            let entry = Entry {
                total,
                writes,
                at: Instant::now(),
                refreshing_since: None,
            };
            entries.insert(key, entry);
        }
    }

    /// The total fell below the threshold, or counting failed: nothing kept for it.
    fn forget(&self, key: &CountKey) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
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
