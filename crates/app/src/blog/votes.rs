//! Votes: one per user and post.

use super::{BlogError, BlogService};
use domain::auth::Principal;
use domain::error::RepoError;
use domain::event::{Audience, Event, Notification};
use domain::validation::ValidationError;
use uuid::Uuid;

/// What a vote did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOutcome {
    Added { votes: u64 },
    Removed,
}

impl BlogService {
    /// `dir = 1` adds the caller's vote, `dir = 0` removes it. Voting on one's own post is fine.
    pub async fn vote(
        &self,
        caller: &Principal,
        post_id: Uuid,
        dir: Option<i64>,
    ) -> Result<VoteOutcome, BlogError> {
        let add = match dir {
            Some(1) => true,
            Some(0) => false,
            Some(_) => {
                return Err(ValidationError::single(
                    "dir",
                    "must be 1 (vote) or 0 (remove the vote)",
                )
                .into());
            }
            None => return Err(ValidationError::single("dir", "is required").into()),
        };
        let post = self.get_post(Some(caller), post_id).await?.post;
        if add {
            match self.votes.add(post_id, caller.user_id).await {
                Ok(added) => {
                    if post.owner_id != caller.user_id {
                        self.events.publish(Notification::new(
                            Audience::User(post.owner_id),
                            Event::VoteCreated {
                                post_id,
                                voter: added.voter,
                                votes: added.votes,
                            },
                        ));
                    }
                    Ok(VoteOutcome::Added { votes: added.votes })
                }
                Err(RepoError::Conflict(_)) => Err(BlogError::AlreadyVoted),
                Err(e) => Err(e.into()),
            }
        } else if self.votes.remove(post_id, caller.user_id).await? {
            Ok(VoteOutcome::Removed)
        } else {
            Err(BlogError::NotVoted)
        }
    }
}
