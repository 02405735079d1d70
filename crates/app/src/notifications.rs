//! The notifications inbox: a user reads and marks only their own notifications. They are
//! written by the blog use cases (with the comment or vote that causes them).

use crate::service_error;
use domain::auth::Principal;
use domain::notification::{
    NEWEST_FIRST, Notification, NotificationFilter, NotificationRepository,
};
use domain::pagination::{Page, PageRequest};
use domain::validation::ValidationError;
use std::sync::Arc;
use uuid::Uuid;

service_error! {
    pub enum NotificationError for "notification" {}
}

/// Stored notifications a resuming socket reads per statement.
pub const SINCE_BATCH: u64 = 200;

pub struct NotificationService {
    notifications: Arc<dyn NotificationRepository>,
}

impl NotificationService {
    pub fn new(notifications: Arc<dyn NotificationRepository>) -> Self {
        Self { notifications }
    }

    /// The caller's notifications, newest first; only the unread ones with `filter.unread`.
    pub async fn list(
        &self,
        caller: &Principal,
        filter: NotificationFilter,
        page: PageRequest,
    ) -> Result<Page<Notification>, NotificationError> {
        page.check_key(NEWEST_FIRST)
            .map_err(ValidationError::from)?;
        Ok(self
            .notifications
            .list(caller.user_id, filter, page)
            .await?)
    }

    pub async fn unread_count(&self, caller: &Principal) -> Result<u64, NotificationError> {
        Ok(self.notifications.unread_count(caller.user_id).await?)
    }

    /// Someone else's notification is as unknown as one that does not exist.
    pub async fn mark_read(&self, caller: &Principal, id: Uuid) -> Result<(), NotificationError> {
        if self.notifications.mark_read(caller.user_id, id).await? {
            Ok(())
        } else {
            Err(NotificationError::not_found())
        }
    }

    pub async fn mark_all_read(&self, caller: &Principal) -> Result<(), NotificationError> {
        self.notifications.mark_all_read(caller.user_id).await?;
        Ok(())
    }

    /// The next of `user_id`'s notifications newer than `after`, oldest first, at most
    /// [`SINCE_BATCH`]: a resuming socket calls again after the last one it got until fewer
    /// come back.
    pub async fn since(
        &self,
        user_id: Uuid,
        after: Uuid,
    ) -> Result<Vec<Notification>, NotificationError> {
        Ok(self
            .notifications
            .since(user_id, after, SINCE_BATCH)
            .await?)
    }
}
