//! `/ws/notify`: the WebSocket of real-time notifications (SPEC section 6).

use super::PROBLEM;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, bearer_token};
use crate::state::AppState;
use crate::ws::Connection;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotifyQuery {
    /// The access token, for clients that cannot set headers on a WebSocket (browsers).
    /// The `Authorization` header wins when both are sent.
    pub token: Option<String>,
    /// Resume after this notification: the stored notifications newer than it are sent
    /// first, oldest first, then live ones, none twice. Pass the `id` of the last frame
    /// received. Not a UUID → `422`, before any upgrade.
    pub since: Option<Uuid>,
}

/// Open the notification socket.
///
/// Authenticate with `Authorization: Bearer <token>` or `?token=`. The server then sends
/// JSON text frames `{"type", "data", "at"}`: `comment.created` and `vote.created` to a
/// post's owner when someone else comments or votes (these are also stored in the inbox,
/// `/api/v1/notifications`, and their frames carry the notification's `id`), and
/// `post.published` to every other connected user. With `?since=<id>` the stored
/// notifications newer than that one come first, oldest first, then the live ones, none
/// twice. A client frame `{"type": "ping"}` gets `{"type": "pong"}`; any other text
/// comes back as `{"type": "echo", "data": <text>}`. The server pings every 30 s and drops a
/// peer that missed two pongs; the socket closes with `1008` when its session ends or its
/// token expires, and with `1001` when the server shuts down.
#[utoipa::path(
    tag = "notifications",
    params(NotifyQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 101, description = "Switching protocols: the WebSocket is open"),
        (status = 401, description = "No valid access token; no upgrade", body = Problem, content_type = PROBLEM),
        (status = 422, description = "Unparsable query (a `since` that is not a UUID)", body = Problem, content_type = PROBLEM),
        (status = 426, description = "Not a WebSocket handshake", body = Problem, content_type = PROBLEM),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM),
    )
)]
#[get("/ws/notify")]
pub async fn notify(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    query: ApiQuery<NotifyQuery>,
) -> Result<HttpResponse, ApiError> {
    let NotifyQuery { token, since } = query.0;
    let token = match bearer_token(req.headers()) {
        Some(Ok(token)) => token,
        Some(Err(())) => return Err(ApiError::unauthorized()),
        None => token.ok_or_else(ApiError::unauthorized)?,
    };
    let (principal, expires_at) = state.auth.authenticate_until(&token).await?;
    let (response, session, messages) = actix_ws::handle(&req, body).map_err(|_| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade-required",
            "this endpoint speaks WebSocket only",
        )
    })?;
    actix_web::rt::spawn(state.hub.clone().serve(Connection {
        session,
        messages,
        principal,
        token,
        expires_at,
        auth: state.auth.clone(),
        since,
        notifications: state.notifications.clone(),
    }));
    Ok(response)
}
