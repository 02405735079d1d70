//! Durable background jobs. Only the job's description lives here; the queue is an adapter.

use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a job does, with everything it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobKind {
    WelcomeEmail {
        user_id: Uuid,
        email: String,
        name: String,
    },
}

impl JobKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::WelcomeEmail { .. } => "welcome_email",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: Uuid,
    pub kind: JobKind,
    pub run_at: Timestamp,
}

impl Job {
    /// A job to run as soon as a worker is free.
    pub fn now(kind: JobKind) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind,
            run_at: time::now(),
        }
    }
}
