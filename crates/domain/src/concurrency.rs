//! Optimistic concurrency: entity tags derived from a resource's version and the
//! `If-Match` precondition a client sends with a write.

use crate::time::{self, Timestamp};
use uuid::Uuid;

/// A strong entity tag (the quoted form used in HTTP headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ETag(String);

impl ETag {
    /// A resource changes `updated_at` on every write, so id plus that instant names one version.
    pub fn for_version(id: Uuid, updated_at: Timestamp) -> Self {
        Self(format!(
            "\"{}-{:x}\"",
            id.simple(),
            updated_at.timestamp_micros()
        ))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let opaque = raw.strip_prefix('"')?.strip_suffix('"')?;
        (!opaque.contains('"')).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The `If-Match` precondition of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current version will do.
    Any,
    /// One of these versions must be current (weak tags never match, RFC 9110 §13.1.1).
    Tags(Vec<ETag>),
}

impl IfMatch {
    /// Parses a header value; `None` when it is malformed.
    pub fn parse(header: &str) -> Option<Self> {
        if header.trim() == "*" {
            return Some(Self::Any);
        }
        let mut tags = Vec::new();
        for part in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part.starts_with("W/") {
                continue;
            }
            tags.push(ETag::parse(part)?);
        }
        Some(Self::Tags(tags))
    }

    pub fn matches(&self, current: &ETag) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.contains(current),
        }
    }
}

/// Checks an optional precondition against the current version.
pub fn precondition_holds(if_match: Option<&IfMatch>, current: &ETag) -> bool {
    if_match.is_none_or(|m| m.matches(current))
}

/// `If-Match` named a version that is no longer current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the resource changed since it was read")]
pub struct PreconditionFailed;

/// An entity whose every write moves `updated_at`, so its id and that instant name one
/// version: the ETag clients see and the condition a write puts to the store.
pub trait Versioned {
    fn id(&self) -> Uuid;
    fn updated_at(&self) -> Timestamp;
    fn set_updated_at(&mut self, at: Timestamp);

    fn etag(&self) -> ETag {
        ETag::for_version(self.id(), self.updated_at())
    }

    /// Marks a write: a new version, strictly after the one read.
    fn touch(&mut self) {
        self.set_updated_at(time::next_after(self.updated_at()));
    }

    /// The version a write of this copy must still find in the store: always the one read,
    /// with or without `If-Match`, so a write never puts back a field that another writer
    /// changed meanwhile (a role, `is_active`, a password hash). `Err` when `If-Match`
    /// names another version.
    fn expected_version(
        &self,
        if_match: Option<&IfMatch>,
    ) -> Result<ExpectedVersion, PreconditionFailed> {
        if precondition_holds(if_match, &self.etag()) {
            Ok(Some(self.updated_at()))
        } else {
            Err(PreconditionFailed)
        }
    }

    /// The version a delete of this copy must still find: none without `If-Match` (a
    /// delete undoes no one's change, so whatever version is current goes), this one's
    /// when `If-Match` names it.
    fn delete_condition(
        &self,
        if_match: Option<&IfMatch>,
    ) -> Result<ExpectedVersion, PreconditionFailed> {
        Ok(if_match.and(self.expected_version(if_match)?))
    }
}

/// The version a conditional write expects to find in the store (`None`: the write is
/// unconditional); a port's `update` and `delete` take it, and a store that finds another
/// version answers `RepoError::Stale`.
pub type ExpectedVersion = Option<Timestamp>;

/// The version a delete expects: without `If-Match`, none, and `load` is never run (a
/// delete reads nothing it does not need); with one, the loaded entity's, if it matches.
pub async fn version_to_delete<T, E>(
    if_match: Option<&IfMatch>,
    load: impl Future<Output = Result<T, E>>,
) -> Result<ExpectedVersion, E>
where
    T: Versioned,
    E: From<PreconditionFailed>,
{
    match if_match {
        None => Ok(None),
        Some(_) => Ok(load.await?.delete_condition(if_match)?),
    }
}

/// `impl Versioned` for entities with `id` and `updated_at` fields.
macro_rules! versioned {
    ($($entity:ty),+ $(,)?) => {$(
        impl $crate::concurrency::Versioned for $entity {
            fn id(&self) -> ::uuid::Uuid {
                self.id
            }
            fn updated_at(&self) -> $crate::time::Timestamp {
                self.updated_at
            }
            fn set_updated_at(&mut self, at: $crate::time::Timestamp) {
                self.updated_at = at;
            }
        }
    )+};
}
pub(crate) use versioned;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn tag(micros: i64) -> ETag {
        ETag::for_version(Uuid::nil(), Utc.timestamp_micros(micros).unwrap())
    }

    #[test]
    fn tags_differ_by_version() {
        assert_ne!(tag(1), tag(2));
        assert_eq!(tag(1), tag(1));
        assert!(tag(1).as_str().starts_with('"'));
    }

    #[test]
    fn if_match_star_and_lists() {
        let current = tag(7);
        assert!(IfMatch::parse("*").unwrap().matches(&current));
        let list = format!("{}, {}", tag(1).as_str(), current.as_str());
        assert!(IfMatch::parse(&list).unwrap().matches(&current));
        assert!(!IfMatch::parse(tag(1).as_str()).unwrap().matches(&current));
    }

    #[test]
    fn weak_tags_never_match_and_garbage_is_rejected() {
        let current = tag(7);
        let weak = format!("W/{}", current.as_str());
        assert!(!IfMatch::parse(&weak).unwrap().matches(&current));
        assert_eq!(IfMatch::parse("no-quotes"), None);
    }

    struct Doc {
        id: Uuid,
        updated_at: Timestamp,
    }
    versioned!(Doc);

    #[test]
    fn a_write_always_expects_the_version_it_read() {
        let mut doc = Doc {
            id: Uuid::nil(),
            updated_at: Utc.timestamp_micros(7).unwrap(),
        };
        let read = doc.etag();
        assert_eq!(doc.expected_version(None), Ok(Some(doc.updated_at)));
        assert_eq!(doc.delete_condition(None), Ok(None));
        let current = IfMatch::Tags(vec![read.clone()]);
        assert_eq!(
            doc.expected_version(Some(&current)),
            Ok(Some(doc.updated_at))
        );
        doc.touch();
        assert!(doc.updated_at > Utc.timestamp_micros(7).unwrap());
        assert_ne!(doc.etag(), read);
        assert_eq!(
            doc.expected_version(Some(&current)),
            Err(PreconditionFailed)
        );
        assert_eq!(
            doc.expected_version(Some(&IfMatch::Any)),
            Ok(Some(doc.updated_at))
        );
    }

    #[test]
    fn absent_precondition_holds() {
        assert!(precondition_holds(None, &tag(1)));
        assert!(!precondition_holds(Some(&IfMatch::Tags(vec![])), &tag(1)));
    }
}
