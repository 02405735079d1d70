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
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use uuid::Uuid;

/// Entries kept at most; past it the expired ones go, and if none had, all of them.
const CAPACITY: usize = 10_000;

pub struct PrincipalCache {
    ttl: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<Uuid, (Principal, Instant)>,
    /// Bumped by every forget: a lookup that started before one may not store what it read.
    generation: u64,
}

/// What a lookup saw of the cache before it went to the database.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl PrincipalCache {
    /// `ttl` zero keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The remembered principal of a session, or a ticket to store the one read instead.
    pub fn get(&self, session_id: Uuid) -> Result<Principal, Ticket> {
        let mut state = self.state();
        match state.entries.get(&session_id) {
            Some((principal, until)) if Instant::now() < *until => Ok(*principal),
            Some(_) => {
                state.entries.remove(&session_id);
                Err(Ticket(state.generation))
            }
            None => Err(Ticket(state.generation)),
        }
    }

    /// Remembers what the database said, for the TTL and never past `session_left` (the
    /// time the session has before it expires); dropped if anything was forgotten since
    /// `ticket` was taken, as the read may predate that change.
    pub fn put(&self, ticket: Ticket, principal: Principal, session_left: Duration) {
        let keep = self.ttl.min(session_left);
        if keep.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut state = self.state();
        if state.generation != ticket.0 {
            return;
        }
        if state.entries.len() >= CAPACITY {
            state.entries.retain(|_, (_, until)| *until > now);
            if state.entries.len() >= CAPACITY {
                state.entries.clear();
            }
        }
        state
            .entries
            .insert(principal.session_id, (principal, now + keep));
    }

    pub fn forget_session(&self, session_id: Uuid) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.remove(&session_id);
    }

    pub fn forget_user(&self, user_id: Uuid) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.retain(|_, (p, _)| p.user_id != user_id);
    }

    pub fn forget_all(&self) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.clear();
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
    fn a_full_cache_makes_room() {
        let cache = PrincipalCache::new(LONG);
        let first = principal(Uuid::now_v7());
        stored(&cache, first);
        for _ in 1..CAPACITY {
            stored(&cache, principal(Uuid::now_v7()));
        }
        let last = principal(Uuid::now_v7());
        stored(&cache, last);
        let size = cache.state().entries.len();
        assert!(size <= CAPACITY, "{size}");
        assert_eq!(cache.get(last.session_id).ok(), Some(last));
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
