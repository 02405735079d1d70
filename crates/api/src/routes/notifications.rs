//! `/api/v1/notifications`: the caller's inbox of `comment.created` and `vote.created`
//! (SPEC section 6), the same events the socket sends live.

pub use crate::dto::notifications::{CommentCreatedData, NotificationData, VoteCreatedData};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, AuthUser};
use crate::pagination::{PageParams, PageResponse};
use crate::routes::PROBLEM;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use app::NotificationError;
use chrono::{DateTime, Utc};
use domain::notification::{Notification, NotificationFilter};
use domain::pagination::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A page of [`NotificationResponse`]s (its schema is named `NotificationPage`).
pub type NotificationPage = PageResponse<NotificationResponse>;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The fixed paths before `{id}`, so `read-all` is never taken for an id.
    cfg.service(list_notifications)
        .service(unread_count)
        .service(read_all)
        .service(read_notification);
}

/// The stored kinds, as the document's enum.
#[derive(Debug, Serialize, ToSchema)]
pub enum NotificationType {
    #[serde(rename = "comment.created")]
    CommentCreated,
    #[serde(rename = "vote.created")]
    VoteCreated,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f7a4-0000-7000-8000-000000000009",
    "type": "vote.created",
    "data": {
        "post_id": "0192f7a4-3b7e-7cc0-9a35-0f1e2d3c4b5a",
        "voter": {"id": "0192f7a4-0000-7000-8000-000000000002", "name": "grace"},
        "votes": 4
    },
    "at": "2026-11-23T10:05:00Z",
    "read": false
}))]
pub struct NotificationResponse {
    pub id: Uuid,
    #[serde(rename = "type")]
    #[schema(value_type = NotificationType)]
    pub kind: &'static str,
    pub data: NotificationData,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub at: DateTime<Utc>,
    pub read: bool,
}

impl TryFrom<Notification> for NotificationResponse {
    type Error = ApiError;

    /// Fails only for a kind the inbox never stores (the adapter reads back no other).
    fn try_from(n: Notification) -> Result<Self, ApiError> {
        let kind = n.kind();
        let data = NotificationData::of(n.event)
            .ok_or_else(|| ApiError::internal(format!("a stored {kind} notification")))?;
        Ok(Self {
            id: n.id,
            kind,
            data,
            at: n.at,
            read: n.read,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"unread": 3}))]
pub struct UnreadCount {
    pub unread: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationListQuery {
    /// `true`: only the unread ones.
    pub unread: Option<bool>,
}

impl From<NotificationError> for ApiError {
    fn from(e: NotificationError) -> Self {
        match e {
            NotificationError::App(e) => e.into(),
        }
    }
}

/// The caller's notifications, newest first.
#[utoipa::path(
    tag = "notifications",
    params(PageParams, NotificationListQuery),
    responses(
        (status = 200, description = "A page of the caller's notifications", body = NotificationPage),
    )
)]
#[get("/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ApiQuery<PageParams>,
    query: ApiQuery<NotificationListQuery>,
) -> Result<NotificationPage, ApiError> {
    let filter = NotificationFilter {
        unread: query.0.unread.unwrap_or(false),
    };
    let page = state
        .notifications
        .list(&user.0, filter, page.0.page()?)
        .await?;
    let items = page
        .items
        .into_iter()
        .map(NotificationResponse::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        total: page.total,
        request: page.request,
        next: page.next,
    }
    .into())
}

/// How many of the caller's notifications are unread (for a badge).
#[utoipa::path(
    tag = "notifications",
    responses(
        (status = 200, description = "The unread count", body = UnreadCount),
    )
)]
#[get("/notifications/unread-count")]
pub async fn unread_count(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<UnreadCount>, ApiError> {
    let unread = state.notifications.unread_count(&user.0).await?;
    Ok(web::Json(UnreadCount { unread }))
}

/// Mark one of the caller's notifications read.
#[utoipa::path(
    tag = "notifications",
    responses(
        (status = 204, description = "Read"),
        (status = 404, description = "No such notification of the caller's", body = Problem, content_type = PROBLEM),
    )
)]
#[post("/notifications/{id}/read")]
pub async fn read_notification(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .notifications
        .mark_read(&user.0, id.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mark every notification of the caller read.
#[utoipa::path(
    tag = "notifications",
    responses(
        (status = 204, description = "All read"),
    )
)]
#[post("/notifications/read-all")]
pub async fn read_all(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    state.notifications.mark_all_read(&user.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
