//! Who stands behind a live session, remembered for a few seconds: without it every
//! signed-in request pays a database round trip before its own work.
//!
//! Forgetting is what makes it safe. On this instance a session's entry goes the moment the
//! session is revoked, and a user's entries the moment the account row changes (role,
//! activity, deletion): the repositories that make those writes call [`PrincipalCache::forget_session`]
//! and [`PrincipalCache::forget_user`] after them. Other instances hear of ended sessions
//! through the event bus ([`PrincipalCache::follow`]): ended sessions and changed roles.
//! What the bus could not carry while Redis was away is covered by forgetting everything
//! when the subscription comes back ([`PrincipalCache::forget_all`]), and by the TTL.

use domain::auth::Principal;
use domain::event::{Audience, Event, Notification};
use moka::Expiry;
use moka::sync::Cache;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use uuid::Uuid;

/// Entries kept at most; past it moka evicts the least likely to be read again.
const CAPACITY: u64 = 10_000;

/// Storage and expiry are moka's; the rule deciding what may be stored (the ticket) is ours.
pub struct PrincipalCache {
    /// `None` when the TTL is zero: nothing is kept.
    entries: Option<Cache<Uuid, Kept>>,
    ttl: Duration,
    /// Bumped by every forget: a lookup that started before one may not store what it read.
    generation: AtomicU64,
}

#[derive(Clone, Copy)]
struct Kept {
    principal: Principal,
    /// How long it is kept: the TTL, or less when the session ends sooner.
    keep: Duration,
}

/// Each entry expires after its own `keep`.
struct UntilKept;

impl Expiry<Uuid, Kept> for UntilKept {
    fn expire_after_create(&self, _: &Uuid, kept: &Kept, _: Instant) -> Option<Duration> {
        Some(kept.keep)
    }

    fn expire_after_update(
        &self,
        _: &Uuid,
        kept: &Kept,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(kept.keep)
    }
}

/// What a lookup saw of the cache before it went to the database.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl PrincipalCache {
    /// `ttl` zero keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        let entries = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(CAPACITY)
                .expire_after(UntilKept)
                .support_invalidation_closures()
                .build()
        });
        Self {
            entries,
            ttl,
            generation: AtomicU64::new(0),
        }
    }

    fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::SeqCst))
    }

    /// The remembered principal of a session, or a ticket to store the one read instead.
    pub fn get(&self, session_id: Uuid) -> Result<Principal, Ticket> {
        match self.entries.as_ref().and_then(|e| e.get(&session_id)) {
            Some(kept) => Ok(kept.principal),
            None => Err(self.ticket()),
        }
    }

    /// Remembers what the database said, for the TTL and never past `session_left` (the
    /// time the session has before it expires); dropped if anything was forgotten since
    /// `ticket` was taken, as the read may predate that change.
    pub fn put(&self, ticket: Ticket, principal: Principal, session_left: Duration) {
        let keep = self.ttl.min(session_left);
        let Some(entries) = &self.entries else { return };
        if keep.is_zero() || self.ticket().0 != ticket.0 {
            return;
        }
        let session_id = principal.session_id;
        entries.insert(session_id, Kept { principal, keep });
        // A forget between the check above and the insert bumped the generation before it
        // removed anything: seen here, the entry goes again. (One after this check removes
        // it itself.)
        if self.ticket().0 != ticket.0 {
            entries.invalidate(&session_id);
        }
    }

    pub fn forget_session(&self, session_id: Uuid) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(entries) = &self.entries {
            entries.invalidate(&session_id);
        }
    }

    pub fn forget_user(&self, user_id: Uuid) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(entries) = &self.entries {
            let theirs =
                entries.invalidate_entries_if(move |_, kept| kept.principal.user_id == user_id);
            if theirs.is_err() {
                // Only if closures were not enabled at build time: nothing narrower is safe.
                entries.invalidate_all();
            }
        }
    }

    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }

    /// Applies what the event bus says of ended sessions, from any instance, until the bus
    /// closes. A reader that fell behind may have missed one: it forgets everything.
    pub fn follow(
        self: Arc<Self>,
        mut events: broadcast::Receiver<Arc<Notification>>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(n) => self.apply(&n),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.forget_all(),
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        })
    }

    fn apply(&self, notification: &Notification) {
        if !matches!(
            notification.event,
            Event::SessionEnded | Event::AccountChanged
        ) {
            return;
        }
        match notification.audience {
            Audience::Session(id) => self.forget_session(id),
            // The kept session's entry goes too: it is read again, unchanged.
            Audience::User(id) | Audience::UserExcept { user: id, .. } => self.forget_user(id),
            // Never sent for an account; if it were, nothing narrower is safe.
            Audience::AllExcept(_) => self.forget_all(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::user::Role;

    const LONG: Duration = Duration::from_secs(3600);

    fn principal(user_id: Uuid) -> Principal {
        Principal {
            user_id,
            session_id: Uuid::now_v7(),
            role: Role::Member,
            email_verified: true,
        }
    }

    fn stored(cache: &PrincipalCache, p: Principal) {
        let ticket = cache.get(p.session_id).expect_err("not cached yet");
        cache.put(ticket, p, LONG);
    }

    #[test]
    fn a_stored_principal_is_served_until_its_ttl() {
        let cache = PrincipalCache::new(LONG);
        let p = principal(Uuid::now_v7());
        stored(&cache, p);
        assert_eq!(cache.get(p.session_id).ok(), Some(p));

        // A short TTL is only checked after it: a slow machine may not make it sooner.
        let short = PrincipalCache::new(Duration::from_millis(20));
        stored(&short, p);
        std::thread::sleep(Duration::from_millis(30));
        assert!(short.get(p.session_id).is_err(), "expired");
    }

    #[test]
    fn nothing_outlives_the_session_or_a_zero_ttl() {
        let cache = PrincipalCache::new(LONG);
        let p = principal(Uuid::now_v7());
        let ticket = cache.get(p.session_id).unwrap_err();
        cache.put(ticket, p, Duration::ZERO);
        assert!(cache.get(p.session_id).is_err(), "session already over");

        let off = PrincipalCache::new(Duration::ZERO);
        let ticket = off.get(p.session_id).unwrap_err();
        off.put(ticket, p, LONG);
        assert!(off.get(p.session_id).is_err(), "ttl 0 keeps nothing");
    }

    #[test]
    fn forgetting_a_session_or_a_user_takes_only_theirs() {
        let cache = PrincipalCache::new(LONG);
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let (a1, a2, b) = (principal(alice), principal(alice), principal(bob));
        for p in [a1, a2, b] {
            stored(&cache, p);
        }
        cache.forget_session(a1.session_id);
        assert!(cache.get(a1.session_id).is_err());
        assert!(cache.get(a2.session_id).is_ok());
        cache.forget_user(alice);
        assert!(cache.get(a2.session_id).is_err());
        assert_eq!(cache.get(b.session_id).ok(), Some(b));
        cache.forget_all();
        assert!(cache.get(b.session_id).is_err());
    }

    #[test]
    fn a_read_older_than_a_forget_is_not_stored() {
        let cache = PrincipalCache::new(LONG);
        let p = principal(Uuid::now_v7());
        let ticket = cache.get(p.session_id).unwrap_err();
        // The session is revoked while the lookup is at the database.
        cache.forget_session(p.session_id);
        cache.put(ticket, p, LONG);
        assert!(cache.get(p.session_id).is_err());
    }

    #[test]
    fn a_full_cache_stays_within_its_capacity_and_keeps_what_is_read() {
        let cache = PrincipalCache::new(LONG);
        let busy = principal(Uuid::now_v7());
        stored(&cache, busy);
        // Its session signs requests in all the while others come and go.
        for i in 0..CAPACITY + 100 {
            stored(&cache, principal(Uuid::now_v7()));
            if i % 50 == 0 {
                assert_eq!(cache.get(busy.session_id).ok(), Some(busy), "after {i}");
            }
        }
        let entries = cache.entries.as_ref().unwrap();
        entries.run_pending_tasks();
        let size = entries.entry_count();
        assert!(size <= CAPACITY, "{size}");
        assert_eq!(cache.get(busy.session_id).ok(), Some(busy));
    }

    #[tokio::test]
    async fn ended_sessions_on_the_bus_are_forgotten() {
        let cache = Arc::new(PrincipalCache::new(LONG));
        let (tx, rx) = broadcast::channel(16);
        let task = cache.clone().follow(rx);
        let (alice, bob) = (principal(Uuid::now_v7()), principal(Uuid::now_v7()));
        let carol = principal(Uuid::now_v7());
        let (dave, erin) = (principal(Uuid::now_v7()), principal(Uuid::now_v7()));
        for p in [alice, bob, carol, dave, erin] {
            stored(&cache, p);
        }
        let send = |audience, event| tx.send(Arc::new(Notification::new(audience, event)));
        send(Audience::Session(alice.session_id), Event::SessionEnded).unwrap();
        send(Audience::User(bob.user_id), Event::SessionEnded).unwrap();
        // A password change (other sessions end) and a role change (re-read the role).
        let others = Audience::UserExcept {
            user: dave.user_id,
            session: dave.session_id,
        };
        send(others, Event::SessionEnded).unwrap();
        send(Audience::User(erin.user_id), Event::AccountChanged).unwrap();
        drop(tx);
        task.await.unwrap();
        for gone in [alice, bob, dave, erin] {
            assert!(cache.get(gone.session_id).is_err());
        }
        assert_eq!(cache.get(carol.session_id).ok(), Some(carol));
    }

    #[tokio::test]
    async fn a_reader_that_fell_behind_forgets_everything() {
        let cache = Arc::new(PrincipalCache::new(LONG));
        let (tx, rx) = broadcast::channel(1);
        let p = principal(Uuid::now_v7());
        stored(&cache, p);
        // Two messages into a channel of one: the reader lags before it reads any.
        for _ in 0..2 {
            let other = Audience::Session(Uuid::now_v7());
            tx.send(Arc::new(Notification::new(other, Event::SessionEnded)))
                .unwrap();
        }
        drop(tx);
        cache.clone().follow(rx).await.unwrap();
        assert!(cache.get(p.session_id).is_err());
    }
}
