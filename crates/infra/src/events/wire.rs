//! How a notification travels between instances: JSON of its own shape, so what crosses
//! Redis does not change when the client-facing format does.

use domain::blog::{
    Author, Comment, CommentContent, CommentView, Post, PostContent, PostTitle, PostView,
};
use domain::event::{Audience, Event, Notification};
use domain::time::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize, Deserialize)]
struct WireNotification {
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
    CommentCreated {
        post_id: Uuid,
        comment: WireComment,
    },
    VoteCreated {
        post_id: Uuid,
        voter: WireAuthor,
        votes: u64,
    },
    PostPublished {
        post: WirePost,
    },
    SessionEnded,
    AccountChanged,
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
    let event = match &n.event {
        Event::CommentCreated { post_id, comment } => WireEvent::CommentCreated {
            post_id: *post_id,
            comment: WireComment {
                id: comment.comment.id,
                post_id: comment.comment.post_id,
                author: (&comment.author).into(),
                content: comment.comment.content.as_str().to_owned(),
                created_at: comment.comment.created_at,
                updated_at: comment.comment.updated_at,
            },
        },
        Event::VoteCreated {
            post_id,
            voter,
            votes,
        } => WireEvent::VoteCreated {
            post_id: *post_id,
            voter: voter.into(),
            votes: *votes,
        },
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
    };
    serde_json::to_string(&WireNotification {
        audience,
        event,
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
    let event = match wire.event {
        WireEvent::CommentCreated { post_id, comment } => Event::CommentCreated {
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
        WireEvent::VoteCreated {
            post_id,
            voter,
            votes,
        } => Event::VoteCreated {
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
    };
    Ok(Notification {
        audience,
        event,
        at: wire.at,
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
            let n = Notification::new(audiences[i % audiences.len()], event);
            assert_eq!(decode(&encode(&n).unwrap()).unwrap(), n);
        }
        assert!(decode("{\"not\": \"ours\"}").is_err());
    }
}
