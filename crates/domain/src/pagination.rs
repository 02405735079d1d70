//! One pagination shape for every list: a window by `offset`, or by a cursor that
//! continues after the last item a client saw (keyset pagination).

use crate::time::Timestamp;
use crate::validation::{FieldError, ValidationError};
use uuid::Uuid;

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

/// One value of a list's order key, as the last item of a page had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValue {
    Int(i64),
    Text(String),
    Time(Timestamp),
    Id(Uuid),
}

/// The type of one [`KeyValue`]: a list's order declares its key as a list of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Int,
    Text,
    Time,
    Id,
}

impl KeyValue {
    pub fn kind(&self) -> KeyKind {
        match self {
            Self::Int(_) => KeyKind::Int,
            Self::Text(_) => KeyKind::Text,
            Self::Time(_) => KeyKind::Time,
            Self::Id(_) => KeyKind::Id,
        }
    }
}

/// The newest-first order by creation time, ties by id, that most lists use.
pub const BY_TIME_THEN_ID: &[KeyKind] = &[KeyKind::Time, KeyKind::Id];

/// An item's key in a [`BY_TIME_THEN_ID`] order.
pub fn time_then_id(created_at: Timestamp, id: Uuid) -> Vec<KeyValue> {
    vec![KeyValue::Time(created_at), KeyValue::Id(id)]
}

/// Where the next page starts: the order key of the last item served, and how many items
/// came before the next one (so the page still reports its `offset`).
///
/// Continuing after a key costs the database the page alone, however deep the page is,
/// where an `offset` makes it walk past every skipped row; and rows written meanwhile
/// never shift an item into the next page twice or out of both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub position: u64,
    pub key: Vec<KeyValue>,
}

impl Cursor {
    /// Whether this cursor was made for an order keyed by `kinds`.
    pub fn fits(&self, kinds: &[KeyKind]) -> bool {
        self.key.len() == kinds.len() && self.key.iter().zip(kinds).all(|(v, k)| v.kind() == *k)
    }
}

/// A validated window into a list: `1 <= limit <= 100`, and either `offset >= 0` or a
/// cursor, never both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    limit: u64,
    offset: u64,
    after: Option<Cursor>,
}

impl PageRequest {
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Self, ValidationError> {
        Self::with_cursor(limit, offset, None)
    }

    /// Like [`PageRequest::new`], continuing after `after` when given.
    pub fn with_cursor(
        limit: Option<i64>,
        offset: Option<i64>,
        after: Option<Cursor>,
    ) -> Result<Self, ValidationError> {
        let mut errors = Vec::new();
        let limit = limit.unwrap_or(DEFAULT_LIMIT as i64);
        if !(1..=MAX_LIMIT as i64).contains(&limit) {
            errors.push(FieldError::new(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        if offset.is_some_and(|o| o < 0) {
            errors.push(FieldError::new("offset", "must be 0 or more"));
        }
        if offset.is_some() && after.is_some() {
            errors.push(FieldError::new(
                "cursor",
                "cannot be combined with offset: the cursor already says where the page starts",
            ));
        }
        if !errors.is_empty() {
            return Err(ValidationError(errors));
        }
        let offset = match &after {
            Some(cursor) => cursor.position,
            None => offset.unwrap_or(0) as u64,
        };
        Ok(Self {
            limit: limit as u64,
            offset,
            after,
        })
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// How many items come before this page.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The key to continue after, when the page was asked for by cursor.
    pub fn after(&self) -> Option<&Cursor> {
        self.after.as_ref()
    }

    /// Rejects a cursor made for another list or order (its key has another shape), so a
    /// client that changed `sort` between pages hears so instead of getting a wrong page.
    pub fn check_key(&self, kinds: &[KeyKind]) -> Result<(), FieldError> {
        match &self.after {
            Some(cursor) if !cursor.fits(kinds) => Err(FieldError::new(
                "cursor",
                "was made for another list or sort order",
            )),
            _ => Ok(()),
        }
    }

    /// Cuts `rows`, fetched as [`PageRequest::fetch`] items, to this page, and makes the
    /// cursor of the page after it from the last row's key (`None` when nothing follows).
    pub fn split<T>(
        &self,
        mut rows: Vec<T>,
        key_of: impl Fn(&T) -> Vec<KeyValue>,
    ) -> (Vec<T>, Option<Cursor>) {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        let next = match rows.last() {
            Some(last) if more => Some(Cursor {
                position: self.offset + self.limit,
                key: key_of(last),
            }),
            _ => None,
        };
        (rows, next)
    }

    /// How many rows to fetch: one more than the page holds tells whether another follows.
    pub fn fetch(&self) -> u64 {
        self.limit + 1
    }

    /// The list's total when `fetched` rows (of [`PageRequest::fetch`]) show that this page
    /// holds its last ones: the offset plus them, with nothing to count. `None` for a full
    /// page, an empty page past the start (the list may end anywhere before it) and a cursor
    /// page (its position was counted when an earlier page was read, and rows may have come
    /// and gone since).
    pub fn total_if_last(&self, fetched: usize) -> Option<u64> {
        let fetched = fetched as u64;
        let last = self.after.is_none() && fetched <= self.limit;
        (last && (fetched > 0 || self.offset == 0)).then_some(self.offset + fetched)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
            after: None,
        }
    }
}

/// One page of results, the total count of matches, and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub request: PageRequest,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            request: self.request,
            next: self.next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(position: u64) -> Cursor {
        Cursor {
            position,
            key: vec![KeyValue::Int(7), KeyValue::Id(Uuid::nil())],
        }
    }

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            PageRequest::new(None, None).unwrap(),
            PageRequest::default()
        );
        assert_eq!(PageRequest::new(Some(100), Some(5)).unwrap().limit(), 100);
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(101), None).is_err());
        let both = PageRequest::new(Some(0), Some(-1)).unwrap_err();
        assert_eq!(both.0.len(), 2);
    }

    #[test]
    fn a_cursor_sets_the_offset_and_excludes_an_explicit_one() {
        let page = PageRequest::with_cursor(Some(10), None, Some(cursor(40))).unwrap();
        assert_eq!(page.offset(), 40);
        assert_eq!(page.after(), Some(&cursor(40)));
        let err = PageRequest::with_cursor(None, Some(0), Some(cursor(40))).unwrap_err();
        assert_eq!(err.0[0].field, "cursor");
    }

    #[test]
    fn a_cursor_must_fit_the_order_key() {
        let page = PageRequest::with_cursor(None, None, Some(cursor(20))).unwrap();
        assert!(page.check_key(&[KeyKind::Int, KeyKind::Id]).is_ok());
        assert_eq!(page.check_key(BY_TIME_THEN_ID).unwrap_err().field, "cursor");
        assert!(page.check_key(&[KeyKind::Int]).is_err());
        assert!(PageRequest::default().check_key(BY_TIME_THEN_ID).is_ok());
    }

    #[test]
    fn split_cuts_the_extra_row_and_points_after_the_last_kept() {
        let page = PageRequest::new(Some(2), Some(4)).unwrap();
        assert_eq!(page.fetch(), 3);
        let key = |n: &i64| vec![KeyValue::Int(*n)];
        let (items, next) = page.split(vec![1, 2, 3], key);
        assert_eq!(items, vec![1, 2]);
        assert_eq!(
            next,
            Some(Cursor {
                position: 6,
                key: vec![KeyValue::Int(2)]
            })
        );
        assert_eq!(page.split(vec![1, 2], key), (vec![1, 2], None));
        assert_eq!(page.split(Vec::new(), key), (Vec::new(), None));
    }

    #[test]
    fn a_cursor_page_never_reads_its_total_off_the_rows() {
        let page = PageRequest::with_cursor(Some(10), None, Some(cursor(40))).unwrap();
        assert_eq!(page.total_if_last(3), None);
    }

    proptest::proptest! {
        /// Over lists of every length: a total read off the rows is the list's length, and
        /// it is read whenever the rows show the end (not full, and not empty past the start).
        #[test]
        fn a_total_read_off_the_last_page_is_the_lists_length(
            len in 0u64..400, limit in 1i64..=100, offset in 0i64..500
        ) {
            let page = PageRequest::new(Some(limit), Some(offset)).unwrap();
            let fetched = len.saturating_sub(offset as u64).min(page.fetch()) as usize;
            let total = page.total_if_last(fetched);
            if let Some(total) = total {
                proptest::prop_assert_eq!(total, len);
            }
            let shows_end = (fetched as u64) <= page.limit() && (fetched > 0 || offset == 0);
            proptest::prop_assert_eq!(total.is_some(), shows_end);
        }
    }
}
