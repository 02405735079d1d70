//! Statement texts built once and kept.
//!
//! SeaORM builds a query's SQL again on every call: the column list, the quoting, the
//! placeholders. For a read by primary key that building (and dropping the query it was
//! built from) was a fifth of the instructions a whole request cost the server (callgrind,
//! product by id). A text whose shape never changes is built on first use and reused, with
//! only its values bound per call.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

#[derive(Default)]
pub struct SqlTexts(RwLock<HashMap<TypeId, String>>);

impl SqlTexts {
    /// The text kept for `key`, or `build`'s, kept from now on. Texts differ per backend:
    /// one instance serves one database.
    pub fn get_or_build(&self, key: TypeId, build: impl FnOnce() -> String) -> String {
        // A panic while holding the lock cannot leave a half-written text behind: the map
        // is only ever inserted into whole.
        if let Some(sql) = self
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return sql.clone();
        }
        let sql = build();
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert_with(|| sql.clone());
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct A;
    struct B;

    #[test]
    fn a_text_is_built_once_per_key() {
        let texts = SqlTexts::default();
        let mut builds = 0;
        for _ in 0..3 {
            let sql = texts.get_or_build(TypeId::of::<A>(), || {
                builds += 1;
                "SELECT a".to_owned()
            });
            assert_eq!(sql, "SELECT a");
        }
        assert_eq!(builds, 1);
        let other = texts.get_or_build(TypeId::of::<B>(), || "SELECT b".to_owned());
        assert_eq!(other, "SELECT b");
        assert_eq!(
            texts.get_or_build(TypeId::of::<A>(), || unreachable!("kept")),
            "SELECT a"
        );
    }
}
