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

/// What a kept text is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlKey {
    /// An entity's row by primary key.
    ById(TypeId),
    /// A repository's own statement, by a name unique across the repositories.
    Named(&'static str),
}

#[derive(Default)]
pub struct SqlTexts(RwLock<HashMap<SqlKey, String>>);

impl SqlTexts {
    /// The text kept for `key`, or `build`'s, kept from now on; a build that refuses keeps
    /// nothing. Texts differ per backend: one instance serves one database.
    pub fn try_get_or_build<E>(
        &self,
        key: SqlKey,
        build: impl FnOnce() -> Result<String, E>,
    ) -> Result<String, E> {
        // A panic while holding the lock cannot leave a half-written text behind: the map
        // is only ever inserted into whole.
        if let Some(sql) = self
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(sql.clone());
        }
        let sql = build()?;
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert_with(|| sql.clone());
        Ok(sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct A;
    struct B;

    fn a_key() -> SqlKey {
        SqlKey::ById(TypeId::of::<A>())
    }

    impl SqlTexts {
        fn get_or_build(&self, key: SqlKey, build: impl FnOnce() -> String) -> String {
            self.try_get_or_build(key, || Ok::<_, ()>(build()))
                .expect("never refused")
        }
    }

    #[test]
    fn a_text_is_built_once_per_key() {
        let texts = SqlTexts::default();
        let mut builds = 0;
        for _ in 0..3 {
            let sql = texts.get_or_build(a_key(), || {
                builds += 1;
                "SELECT a".to_owned()
            });
            assert_eq!(sql, "SELECT a");
        }
        assert_eq!(builds, 1);
        let other = texts.get_or_build(SqlKey::ById(TypeId::of::<B>()), || "SELECT b".to_owned());
        assert_eq!(other, "SELECT b");
        assert_eq!(
            texts.get_or_build(a_key(), || unreachable!("kept")),
            "SELECT a"
        );
    }

    #[test]
    fn a_refused_build_keeps_nothing() {
        let texts = SqlTexts::default();
        let key = SqlKey::Named("n");
        assert_eq!(
            texts.try_get_or_build(key, || Err::<String, _>("no")),
            Err("no")
        );
        assert_eq!(
            texts.get_or_build(key, || "SELECT n".to_owned()),
            "SELECT n"
        );
        assert_eq!(
            texts.try_get_or_build(key, || Err::<String, _>("kept already")),
            Ok("SELECT n".to_owned())
        );
    }
}
