//! Errors shared by every port.

/// The cause of an unexpected failure, kept so the server can log the whole chain.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error and every `source()` below it, joined by `separator`, for logs and for the
/// stored last error of a job.
pub fn error_chain(e: &(dyn std::error::Error + 'static), separator: &str) -> String {
    let mut out = e.to_string();
    let mut current = e.source();
    while let Some(cause) = current {
        out.push_str(separator);
        out.push_str(&cause.to_string());
        current = cause.source();
    }
    out
}

/// What a repository adapter can report. Use cases translate it into their own
/// business errors; `Unexpected` keeps the source for the logs.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A uniqueness rule of the store was violated (the constraint's name, if known).
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    /// The row to change does not exist (any more).
    #[error("not found")]
    NotFound,
    /// A conditional write found a newer version than the one it was given.
    #[error("stale version")]
    Stale,
    /// The store could not be reached (connection refused, pool exhausted, timeout).
    #[error("storage unavailable")]
    Unavailable(#[source] BoxError),
    #[error("unexpected storage failure")]
    Unexpected(#[source] BoxError),
}

impl RepoError {
    pub fn unexpected(err: impl Into<BoxError>) -> Self {
        Self::Unexpected(err.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_names_every_cause() {
        let inner = std::io::Error::other("refused");
        let outer = RepoError::Unavailable(Box::new(inner));
        assert_eq!(error_chain(&outer, ": "), "storage unavailable: refused");
    }
}
