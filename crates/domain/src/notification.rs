//! The notifications inbox (SPEC section 6): the events kept for their recipient, so that
//! none is lost when a socket, an instance or Redis is down, and the port that stores them.

use crate::error::RepoError;
use crate::event::{self, Audience, Event};
use crate::pagination::{KeyKind, Page, PageRequest};
use crate::time::{self, Timestamp};
use async_trait::async_trait;
use uuid::Uuid;

/// A stored event for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// UUID v7: the inbox is ordered by it, and `since` resumes after it.
    pub id: Uuid,
    pub user_id: Uuid,
    /// What happened; its name is the notification's `type`.
    pub event: Event,
    pub at: Timestamp,
    pub read: bool,
}

impl Notification {
    /// The `type` clients see.
    pub fn kind(&self) -> &'static str {
        self.event.name()
    }

    /// The live event that tells the recipient's sockets, carrying the stored id so a
    /// resuming socket can tell it from what it already sent.
    pub fn live(&self) -> event::Notification {
        event::Notification {
            id: Some(self.id),
            audience: Audience::User(self.user_id),
            event: self.event.clone(),
            at: self.at,
        }
    }
}

/// A notification a write (a comment, a vote) stores for its recipient in its own
/// transaction. Its id and time are chosen up front; the write completes the event from
/// what it stored (the comment as read back, the post's new vote count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notify {
    pub id: Uuid,
    pub user_id: Uuid,
    pub at: Timestamp,
}

impl Notify {
    pub fn new(user_id: Uuid) -> Self {
        Self {
            id: Uuid::now_v7(),
            user_id,
            at: time::now(),
        }
    }

    /// The unread notification of `event`.
    pub fn with(self, event: Event) -> Notification {
        Notification {
            id: self.id,
            user_id: self.user_id,
            event,
            at: self.at,
            read: false,
        }
    }
}

/// The inbox's order: newest first by id (ids are time ordered), which a cursor carries.
pub const NEWEST_FIRST: &[KeyKind] = &[KeyKind::Id];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    /// Only the unread ones.
    pub unread: bool,
}

/// Storage of the inbox. Notifications are written by the comment and vote repositories,
/// in the transaction of what causes them; this port reads and marks them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait NotificationRepository: Send + Sync {
    /// The user's own notifications, newest first.
    async fn list(
        &self,
        user_id: Uuid,
        filter: NotificationFilter,
        page: PageRequest,
    ) -> Result<Page<Notification>, RepoError>;
    async fn unread_count(&self, user_id: Uuid) -> Result<u64, RepoError>;
    /// Marks one of the user's notifications read; `false` when the user has none of that
    /// id (unknown, or someone else's).
    async fn mark_read(&self, user_id: Uuid, id: Uuid) -> Result<bool, RepoError>;
    /// Marks every notification of the user read; how many were unread.
    async fn mark_all_read(&self, user_id: Uuid) -> Result<u64, RepoError>;
    /// Up to `limit` of the user's notifications newer than `after`, oldest first.
    async fn since(
        &self,
        user_id: Uuid,
        after: Uuid,
        limit: u64,
    ) -> Result<Vec<Notification>, RepoError>;
}
