//! Votes: one per user and post.

use super::{BlogError, BlogService};
use domain::auth::Principal;
use domain::error::RepoError;
use domain::event::Event;
use domain::notification::Notify;
use uuid::Uuid;

/// What a vote asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteChange {
    /// The caller's vote on the post.
    Add,
    /// The caller's vote taken back.
    Remove,
}

/// What a vote did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOutcome {
    Added { votes: u64 },
    Removed,
}

impl BlogService {
    /// Adds or takes back the caller's vote on a post it can see. Voting on one's own post is
    /// fine.
    pub async fn vote(
        &self,
        caller: &Principal,
        post_id: Uuid,
        change: VoteChange,
    ) -> Result<VoteOutcome, BlogError> {
        let post = self.get_post(Some(caller), post_id).await?.post;
        if change == VoteChange::Add {
            // The owner's notification, stored with the vote; never for one's own post.
            let notify = (post.owner_id != caller.user_id).then(|| Notify::new(post.owner_id));
            match self.votes.add(post_id, caller.user_id, notify).await {
                Ok(added) => {
                    if let Some(notify) = notify {
                        let event = Event::VoteCreated {
                            post_id,
                            voter: added.voter,
                            votes: added.votes,
                        };
                        self.events.publish(notify.with(event).live());
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
