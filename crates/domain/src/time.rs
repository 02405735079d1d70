//! Timestamps at the precision every store keeps (microseconds), so a value read back
//! equals the value written and versions derived from it are stable.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

pub type Timestamp = DateTime<Utc>;

pub fn now() -> Timestamp {
    truncate(Utc::now())
}

pub fn truncate(t: Timestamp) -> Timestamp {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// A new `updated_at` that is strictly later than `previous`, even within one microsecond,
/// so every write yields a new version.
pub fn next_after(previous: Timestamp) -> Timestamp {
    let now = now();
    if now > previous {
        now
    } else {
        previous + TimeDelta::microseconds(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_has_microsecond_precision() {
        assert_eq!(now().timestamp_subsec_nanos() % 1_000, 0);
    }

    #[test]
    fn next_after_is_strictly_later() {
        let future = now() + TimeDelta::seconds(5);
        assert_eq!(next_after(future), future + TimeDelta::microseconds(1));
        let past = now() - TimeDelta::seconds(5);
        assert!(next_after(past) > past + TimeDelta::seconds(4));
    }
}
