//! A list page's `LIMIT`/`OFFSET` written into its SQL on PostgreSQL (see
//! [`Db::page_rows`](super::Db::page_rows)).

use sea_orm::{Statement, Value};

/// `statement` with each `LIMIT $n` not followed by a non-zero `OFFSET $m` written as
/// numbers (PostgreSQL's numbered placeholders). A deeper page keeps both parameters: its
/// offsets vary, and a plan made for the actual one beats a generic plan on skewed data
/// (a post with most of the comments). The values stay bound: PostgreSQL accepts typed
/// parameters a statement does not use, and the other placeholders keep their numbers.
pub(super) fn inline_page_bounds(mut statement: Statement) -> Statement {
    const LIMIT: &str = " LIMIT ";
    const OFFSET: &str = " OFFSET ";
    let Some(values) = &statement.values else {
        return statement;
    };
    // The bound at the start of `text` (`$n`, n counted from 1), and the length of `$n`.
    let bound = |text: &str| -> Option<(u64, usize)> {
        let digits = text.strip_prefix('$')?;
        let len = digits.bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = digits[..len].parse().ok()?;
        match values.0.get(n.checked_sub(1)?)? {
            Value::BigUnsigned(Some(v)) => Some((*v, len + 1)),
            _ => None,
        }
    };
    let mut sql = String::with_capacity(statement.sql.len());
    let mut rest = statement.sql.as_str();
    while let Some(at) = rest.find(LIMIT) {
        let after_keyword = at + LIMIT.len();
        sql.push_str(&rest[..after_keyword]);
        rest = &rest[after_keyword..];
        let Some((limit, limit_len)) = bound(rest) else {
            continue;
        };
        let tail = &rest[limit_len..];
        let offset = tail.strip_prefix(OFFSET).map(|t| (t, bound(t)));
        match offset {
            None => {
                sql.push_str(&limit.to_string());
                rest = tail;
            }
            Some((after, Some((0, offset_len)))) => {
                sql.push_str(&format!("{limit}{OFFSET}0"));
                rest = &after[offset_len..];
            }
            Some(_) => {}
        }
    }
    sql.push_str(rest);
    statement.sql = sql;
    statement
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::products::{Column, Entity};
    use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

    fn page_of_ids(offset: u64) -> Statement {
        let ids = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::Category.eq("grocery"))
            .limit(21)
            .offset(offset)
            .into_query();
        Entity::find()
            .filter(Column::Id.in_subquery(ids))
            .build(DbBackend::Postgres)
    }

    #[test]
    fn a_first_page_has_its_bounds_written_in() {
        let statement = inline_page_bounds(page_of_ids(0));
        assert!(
            statement
                .sql
                .contains(r#""category" = $1 LIMIT 21 OFFSET 0)"#),
            "{}",
            statement.sql
        );
        // The other placeholders keep their numbers and every value stays bound.
        assert_eq!(statement.values.map(|v| v.0.len()), Some(3));
    }

    #[test]
    fn a_deeper_page_keeps_its_parameters() {
        let statement = inline_page_bounds(page_of_ids(40));
        assert!(
            statement
                .sql
                .contains(r#""category" = $1 LIMIT $2 OFFSET $3)"#),
            "{}",
            statement.sql
        );
    }

    #[test]
    fn a_limit_without_offset_is_written_in() {
        let statement = inline_page_bounds(
            Entity::find()
                .filter(Column::Name.gt("m"))
                .limit(21)
                .build(DbBackend::Postgres),
        );
        assert!(
            statement.sql.ends_with(r#""name" > $1 LIMIT 21"#),
            "{}",
            statement.sql
        );
    }

    #[test]
    fn a_statement_without_bounds_is_left_alone() {
        let statement = Entity::find()
            .filter(Column::Name.eq(" LIMIT $1"))
            .build(DbBackend::Postgres);
        let sql = statement.sql.clone();
        assert_eq!(inline_page_bounds(statement).sql, sql);
    }
}
