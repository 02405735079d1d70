//! Optimistic concurrency: entity tags derived from a resource's version and the
//! `If-Match` precondition a client sends with a write.

use crate::time::Timestamp;
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

    #[test]
    fn absent_precondition_holds() {
        assert!(precondition_holds(None, &tag(1)));
        assert!(!precondition_holds(Some(&IfMatch::Tags(vec![])), &tag(1)));
    }
}
