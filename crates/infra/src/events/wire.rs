//! How a notification travels between instances: JSON of its own shape, so what crosses
//! Redis does not change when the client-facing format does. The inbox stores the `data`
//! of its events in the same shapes, which are also what clients are sent.

use domain::blog::{
    Author, Comment, CommentContent, CommentView, Post, PostContent, PostTitle, PostView,
};
use domain::event::{Audience, Event, Notification};
use domain::time::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize, Deserialize)]
struct WireNotification {
    /// Absent in messages of instances that predate the inbox, and for live-only events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<Uuid>,
    audience: WireAudience,
    event: WireEvent,
    at: Timestamp,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "to", content = "id", rename_all = "snake_case")]
enum WireAudience {
    User(Uuid),
    AllExcept(Uuid),
    Session(Uuid),
    UserExcept { user: Uuid, session: Uuid },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireEvent {
    CommentCreated(CommentCreated),
    VoteCreated(VoteCreated),
    PostPublished { post: WirePost },
    SessionEnded,
    AccountChanged,
}

#[derive(Serialize, Deserialize)]
struct CommentCreated {
    post_id: Uuid,
    comment: WireComment,
}

#[derive(Serialize, Deserialize)]
struct VoteCreated {
    post_id: Uuid,
    voter: WireAuthor,
    votes: u64,
}

#[derive(Serialize, Deserialize)]
struct WireAuthor {
    id: Uuid,
    name: String,
}

#[derive(Serialize, Deserialize)]
struct WireComment {
    id: Uuid,
    post_id: Uuid,
    author: WireAuthor,
    content: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

#[derive(Serialize, Deserialize)]
struct WirePost {
    id: Uuid,
    owner: WireAuthor,
    title: String,
    content: String,
    published: bool,
    votes: u64,
    comments_count: u64,
    voted: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<&Author> for WireAuthor {
    fn from(a: &Author) -> Self {
        Self {
            id: a.id,
            name: a.name.clone(),
        }
    }
}

impl From<WireAuthor> for Author {
    fn from(a: WireAuthor) -> Self {
        Self {
            id: a.id,
            name: a.name,
        }
    }
}

pub fn encode(n: &Notification) -> Result<String, serde_json::Error> {
    let audience = match n.audience {
        Audience::User(id) => WireAudience::User(id),
        Audience::AllExcept(id) => WireAudience::AllExcept(id),
        Audience::Session(id) => WireAudience::Session(id),
        Audience::UserExcept { user, session } => WireAudience::UserExcept { user, session },
    };
    serde_json::to_string(&WireNotification {
        id: n.id,
        audience,
        event: wire_event(&n.event),
        at: n.at,
    })
}

pub fn decode(text: &str) -> Result<Notification, String> {
    let wire: WireNotification = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let audience = match wire.audience {
        WireAudience::User(id) => Audience::User(id),
        WireAudience::AllExcept(id) => Audience::AllExcept(id),
        WireAudience::Session(id) => Audience::Session(id),
        WireAudience::UserExcept { user, session } => Audience::UserExcept { user, session },
    };
    Ok(Notification {
        id: wire.id,
        audience,
        event: domain_event(wire.event)?,
        at: wire.at,
    })
}

/// The `data` the inbox stores for an event it keeps (`None` for the others).
pub fn encode_data(event: &Event) -> Option<Result<String, serde_json::Error>> {
    match wire_event(event) {
        WireEvent::CommentCreated(data) => Some(serde_json::to_string(&data)),
        WireEvent::VoteCreated(data) => Some(serde_json::to_string(&data)),
        _ => None,
    }
}

/// The event of a stored notification of type `kind`.
pub fn decode_data(kind: &str, data: &str) -> Result<Event, String> {
    let wire = match kind {
        "comment.created" => {
            WireEvent::CommentCreated(serde_json::from_str(data).map_err(|e| e.to_string())?)
        }
        "vote.created" => {
            WireEvent::VoteCreated(serde_json::from_str(data).map_err(|e| e.to_string())?)
        }
        other => return Err(format!("not a stored notification type: {other}")),
    };
    domain_event(wire)
}

fn wire_event(event: &Event) -> WireEvent {
    match event {
        Event::CommentCreated { post_id, comment } => WireEvent::CommentCreated(CommentCreated {
            post_id: *post_id,
            comment: WireComment {
                id: comment.comment.id,
                post_id: comment.comment.post_id,
                author: (&comment.author).into(),
                content: comment.comment.content.as_str().to_owned(),
                created_at: comment.comment.created_at,
                updated_at: comment.comment.updated_at,
            },
        }),
        Event::VoteCreated {
            post_id,
            voter,
            votes,
        } => WireEvent::VoteCreated(VoteCreated {
            post_id: *post_id,
            voter: voter.into(),
            votes: *votes,
        }),
        Event::PostPublished { post } => WireEvent::PostPublished {
            post: WirePost {
                id: post.post.id,
                owner: (&post.owner).into(),
                title: post.post.title.as_str().to_owned(),
                content: post.post.content.as_str().to_owned(),
                published: post.post.published,
                votes: post.votes,
                comments_count: post.comments_count,
                voted: post.voted,
                created_at: post.post.created_at,
                updated_at: post.post.updated_at,
            },
        },
        Event::SessionEnded => WireEvent::SessionEnded,
        Event::AccountChanged => WireEvent::AccountChanged,
    }
}

fn domain_event(wire: WireEvent) -> Result<Event, String> {
    Ok(match wire {
        WireEvent::CommentCreated(CommentCreated { post_id, comment }) => Event::CommentCreated {
            post_id,
            comment: CommentView {
                comment: Comment {
                    id: comment.id,
                    post_id: comment.post_id,
                    author_id: comment.author.id,
                    content: CommentContent::new(&comment.content).map_err(|e| e.to_string())?,
                    created_at: comment.created_at,
                    updated_at: comment.updated_at,
                },
                author: comment.author.into(),
            },
        },
        WireEvent::VoteCreated(VoteCreated {
            post_id,
            voter,
            votes,
        }) => Event::VoteCreated {
            post_id,
            voter: voter.into(),
            votes,
        },
        WireEvent::PostPublished { post } => Event::PostPublished {
            post: PostView {
                post: Post {
                    id: post.id,
                    owner_id: post.owner.id,
                    title: PostTitle::new(&post.title).map_err(|e| e.to_string())?,
                    content: PostContent::new(&post.content).map_err(|e| e.to_string())?,
                    published: post.published,
                    created_at: post.created_at,
                    updated_at: post.updated_at,
                },
                owner: post.owner.into(),
                votes: post.votes,
                comments_count: post.comments_count,
                voted: post.voted,
            },
        },
        WireEvent::SessionEnded => Event::SessionEnded,
        WireEvent::AccountChanged => Event::AccountChanged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_survives_the_trip() {
        let owner = Author {
            id: Uuid::now_v7(),
            name: "Ann".into(),
        };
        let post = Post::new(
            owner.id,
            PostTitle::new("Title").unwrap(),
            PostContent::new("Body").unwrap(),
            true,
        );
        let comment = Comment::new(post.id, owner.id, CommentContent::new("Nice").unwrap());
        let events = [
            Event::CommentCreated {
                post_id: post.id,
                comment: CommentView {
                    comment,
                    author: owner.clone(),
                },
            },
            Event::VoteCreated {
                post_id: post.id,
                voter: owner.clone(),
                votes: 3,
            },
            Event::PostPublished {
                post: PostView {
                    post: post.clone(),
                    owner: owner.clone(),
                    votes: 1,
                    comments_count: 2,
                    voted: false,
                },
            },
            Event::SessionEnded,
            Event::AccountChanged,
        ];
        let audiences = [
            Audience::User(owner.id),
            Audience::AllExcept(owner.id),
            Audience::Session(post.id),
            Audience::UserExcept {
                user: owner.id,
                session: post.id,
            },
        ];
        for (i, event) in events.into_iter().enumerate() {
            let mut n = Notification::new(audiences[i % audiences.len()], event);
            assert_eq!(decode(&encode(&n).unwrap()).unwrap(), n);
            if let Some(data) = encode_data(&n.event) {
                let data = data.unwrap();
                assert_eq!(decode_data(n.event.name(), &data).unwrap(), n.event);
                n.id = Some(Uuid::now_v7());
                assert_eq!(decode(&encode(&n).unwrap()).unwrap(), n);
            }
        }
        assert!(decode("{\"not\": \"ours\"}").is_err());
        assert!(decode_data("post.published", "{}").is_err());
    }

    #[test]
    fn messages_without_an_id_still_decode() {
        let old = r#"{"audience":{"to":"user","id":"0192f7a4-0000-7000-8000-000000000001"},"event":{"type":"vote_created","post_id":"0192f7a4-0000-7000-8000-000000000002","voter":{"id":"0192f7a4-0000-7000-8000-000000000003","name":"Ann"},"votes":2},"at":"2026-12-01T10:00:00Z"}"#;
        let n = decode(old).unwrap();
        assert_eq!(n.id, None);
        assert_eq!(n.event.name(), "vote.created");
    }
}
