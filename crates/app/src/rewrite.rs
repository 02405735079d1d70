//! Read-modify-write without lost updates.

use crate::error::AppError;
use domain::concurrency::IfMatch;

/// Tries of a write without `If-Match` before the caller is asked to retry. A lost try means
/// another write landed in between, so under any real contention one of the first few lands.
const TRIES: usize = 5;

/// A service error that can say it lost a race: the store held a newer version than the
/// one the write was conditioned on.
pub trait LostRace {
    fn lost_race(&self) -> bool;
}

/// Runs `attempt` (read the entity, check the caller may change it, apply the change, save
/// it on condition that the stored version is still the one read) until a save lands.
/// With `If-Match` the client named the version it changes, so a lost race is its `412`.
/// Without, the change is applied again to the row as it now is: two writers of different
/// fields both land, and a save never writes back what another writer just changed.
pub(crate) async fn rewrite<T, E, Fut>(
    if_match: Option<&IfMatch>,
    mut attempt: impl FnMut() -> Fut,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
    E: LostRace + From<AppError>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(e) if if_match.is_none() && e.lost_race() => {
                if tries == TRIES {
                    return Err(AppError::Contended.into());
                }
                tries += 1;
            }
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_error;
    use domain::error::RepoError;
    use std::sync::atomic::{AtomicUsize, Ordering};

    service_error! {
        pub enum ThingError for "thing" {}
    }

    async fn run(if_match: Option<&IfMatch>, losses: usize) -> (Result<usize, ThingError>, usize) {
        let calls = AtomicUsize::new(0);
        let result = rewrite(if_match, || async {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n <= losses {
                Err(ThingError::from(RepoError::Stale))
            } else {
                Ok(n)
            }
        })
        .await;
        (result, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn without_if_match_a_lost_race_is_tried_again_on_the_fresh_row() {
        let (result, calls) = run(None, 2).await;
        assert_eq!(result.unwrap(), 3);
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn with_if_match_a_lost_race_is_the_clients_412() {
        let (result, calls) = run(Some(&IfMatch::Any), 1).await;
        assert!(matches!(
            result,
            Err(ThingError::App(AppError::PreconditionFailed))
        ));
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn endless_contention_ends_in_a_conflict_after_a_few_tries() {
        let (result, calls) = run(None, usize::MAX).await;
        assert!(matches!(result, Err(ThingError::App(AppError::Contended))));
        assert_eq!(calls, TRIES);
    }

    #[tokio::test]
    async fn other_failures_are_not_retried() {
        let calls = AtomicUsize::new(0);
        let result: Result<(), ThingError> = rewrite(None, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(ThingError::not_found())
        })
        .await;
        assert!(matches!(
            result,
            Err(ThingError::App(AppError::NotFound(_)))
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
