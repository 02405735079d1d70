//! Events for connected clients (SPEC section 6), and the port they leave the use cases by.
//!
//! Delivery is best effort: an event is for whoever is connected when it happens, and an
//! adapter that cannot deliver one drops it (and counts it) rather than failing the
//! request that caused it.

use crate::blog::{Author, CommentView, PostView};
use crate::time::{self, Timestamp};
use uuid::Uuid;

/// Who an event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every connection of one user.
    User(Uuid),
    /// Every connected user except the one who caused the event.
    AllExcept(Uuid),
    /// The connections opened with one session's tokens.
    Session(Uuid),
    /// Every connection of one user but those of one session (the one that changed the
    /// password).
    UserExcept { user: Uuid, session: Uuid },
}

impl Audience {
    /// Whether a connection of `user_id`, opened in `session_id`, receives the event.
    pub fn includes(&self, user_id: Uuid, session_id: Uuid) -> bool {
        match *self {
            Self::User(u) => u == user_id,
            Self::AllExcept(actor) => actor != user_id,
            Self::Session(s) => s == session_id,
            Self::UserExcept { user, session } => user == user_id && session != session_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Someone else commented on the recipient's post.
    CommentCreated { post_id: Uuid, comment: CommentView },
    /// Someone else voted on the recipient's post; `votes` is the new count.
    VoteCreated {
        post_id: Uuid,
        voter: Author,
        votes: u64,
    },
    /// A post became public: created published, or a draft was published.
    PostPublished { post: PostView },
    /// The recipient's session (or every session of the user) ended: logout, a reused
    /// refresh token, a password change, deactivation or deletion. Not shown to clients;
    /// their sockets close.
    SessionEnded,
    /// The recipient's account changed what its sessions may do (a role change): whoever
    /// remembers its sessions reads them again. Not shown to clients.
    AccountChanged,
}

impl Event {
    /// The `type` clients see.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CommentCreated { .. } => "comment.created",
            Self::VoteCreated { .. } => "vote.created",
            Self::PostPublished { .. } => "post.published",
            Self::SessionEnded => "session.ended",
            Self::AccountChanged => "account.changed",
        }
    }
}

/// An event with its audience and the time it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The id of the stored notification (the inbox) this event announces; `None` for
    /// events that are live only.
    pub id: Option<Uuid>,
    pub audience: Audience,
    pub event: Event,
    pub at: Timestamp,
}

impl Notification {
    pub fn new(audience: Audience, event: Event) -> Self {
        Self {
            id: None,
            audience,
            event,
            at: time::now(),
        }
    }
}

/// Where use cases hand their events. Never fails and never waits on a network: adapters
/// queue the event and deliver it in the background.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait EventPublisher: Send + Sync {
    fn publish(&self, notification: Notification);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_pick_their_connections() {
        let (me, other, session) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        assert!(Audience::User(me).includes(me, session));
        assert!(!Audience::User(me).includes(other, session));
        assert!(!Audience::AllExcept(me).includes(me, session));
        assert!(Audience::AllExcept(me).includes(other, session));
        assert!(Audience::Session(session).includes(other, session));
        assert!(!Audience::Session(session).includes(me, Uuid::now_v7()));
    }
}
