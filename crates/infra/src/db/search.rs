//! `q`: a case-insensitive substring in any of a list's searched columns.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{Condition, DbBackend, EntityTrait, IdenStatic};

/// Rows of `E` where any of `cols` contains `needle`, case-insensitively.
///
/// On SQLite a needle of 3 characters or more is looked up in the table's FTS5 trigram
/// index (migration 21: `{table}_fts` over the same columns) instead of scanning with
/// `LIKE`; a shorter one has no trigram to look up and scans. PostgreSQL's `pg_trgm`
/// indexes serve the `LIKE` itself.
pub fn any_contains<E: EntityTrait>(
    backend: DbBackend,
    cols: &[E::Column],
    needle: &str,
) -> Condition {
    if backend == DbBackend::Sqlite && needle.chars().count() >= 3 {
        let table = E::default().table_name().to_owned();
        let names: Vec<String> = cols.iter().map(|c| c.as_str().to_owned()).collect();
        // An FTS5 string is a phrase of its characters, `"` doubled: trigram tokenizes it
        // into consecutive trigrams, which is a substring match. `{a b}:` limits it to those
        // columns.
        let phrase = format!(
            "{{{}}} : \"{}\"",
            names.join(" "),
            needle.replace('"', "\"\"")
        );
        return Condition::all().add(Expr::cust_with_values(
            format!(
                "\"{table}\".rowid IN (SELECT rowid FROM \"{table}_fts\" WHERE \"{table}_fts\" MATCH ?)"
            ),
            [phrase],
        ));
    }
    let pattern = contains_pattern(needle);
    cols.iter().fold(Condition::any(), |any, col| {
        any.add(
            Expr::expr(Func::lower(Expr::col((E::default(), *col))))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    })
}

/// A `LIKE` pattern matching `needle` anywhere, lower-cased, with wildcards escaped.
fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("Ab"), "%ab%");
        assert_eq!(contains_pattern("50%_x\\"), "%50\\%\\_x\\\\%");
    }
}
