//! A list's order (its key), the window of one page in it, and where a deep page starts.

use super::{Db, DbResultExt, FromRow};
use domain::RepoError;
use domain::pagination::{KeyKind, KeyValue, Page, PageRequest};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement, WindowStatement};
use sea_orm::{ColumnTrait, ColumnType, EntityTrait, Order, QueryFilter, QueryOrder};
use sea_orm::{QuerySelect, QueryTrait, Select};

/// One part of a list's order key.
pub struct Key {
    column: Expr,
    /// Compared case-insensitively: `lower()` applied by the database to both sides, so the
    /// cursor's value sorts exactly as the stored ones do.
    lower: bool,
    /// The type of its values, where it is one a cursor can hold.
    kind: Option<KeyKind>,
}

impl Key {
    /// `table.column` of entity `E`, qualified so that joins leave it unambiguous.
    pub fn col<E: EntityTrait>(column: E::Column) -> Self {
        let kind = match column.def().get_column_type() {
            ColumnType::Uuid => Some(KeyKind::Id),
            ColumnType::BigInteger | ColumnType::Integer => Some(KeyKind::Int),
            ColumnType::TimestampWithTimeZone | ColumnType::Timestamp => Some(KeyKind::Time),
            ColumnType::String(_) | ColumnType::Text => Some(KeyKind::Text),
            _ => None,
        };
        Self {
            column: Expr::col((E::default(), column)),
            lower: false,
            kind,
        }
    }

    /// A text column of `E`, ordered case-insensitively.
    pub fn lower<E: EntityTrait>(column: E::Column) -> Self {
        Self {
            lower: true,
            kind: Some(KeyKind::Text),
            ..Self::col::<E>(column)
        }
    }

    /// What the order sorts by.
    fn sorted(&self) -> Expr {
        if self.lower {
            Func::lower(self.column.clone()).into()
        } else {
            self.column.clone()
        }
    }
}

/// Where a page's rows start: after a key (a cursor's, or an anchor's), then past `skip`
/// more rows.
struct Start {
    after: Option<Vec<KeyValue>>,
    skip: u64,
}

impl Start {
    /// Where `page` starts as the client asked for it.
    fn of(page: &PageRequest) -> Self {
        match page.after() {
            Some(cursor) => Self {
                after: Some(cursor.key.clone()),
                skip: 0,
            },
            None => Self {
                after: None,
                skip: page.offset(),
            },
        }
    }

    /// Whether the page's rows are the first its order yields from where it starts: a list
    /// then reads them whole in one statement. Past an offset that statement would build
    /// every skipped row (joins included), so such pages pick their ids first.
    fn skips_nothing(&self) -> bool {
        self.skip == 0
    }
}

/// A list's order: key parts in one direction, the last one the id, so the order is total
/// and a page can continue after any item (keyset pagination).
pub struct Keyset {
    keys: Vec<Key>,
    /// The column of the last key part.
    id: Expr,
    order: Order,
}

impl Keyset {
    /// Every this many rows of a list, the key of the row before is kept (an anchor), so a
    /// page at offset `n` seeks to the anchor below `n` and skips fewer than this many rows.
    const STRIDE: u64 = 100;
    /// Anchors kept at most per list and filter: pages deeper than the last one skip from it.
    const MAX_ANCHORS: u64 = 1000;

    /// Ascending by `sorted`, ties by `id`.
    pub fn asc(sorted: Vec<Key>, id: Key) -> Self {
        Self::new(sorted, id, Order::Asc)
    }

    /// Descending by `sorted`, ties by `id`.
    pub fn desc(sorted: Vec<Key>, id: Key) -> Self {
        Self::new(sorted, id, Order::Desc)
    }

    fn new(mut keys: Vec<Key>, id: Key, order: Order) -> Self {
        let id_column = id.column.clone();
        keys.push(id);
        Self {
            keys,
            id: id_column,
            order,
        }
    }

    /// Newest first by creation time, ties by id: the order of most lists.
    pub fn newest_first<E: EntityTrait>(created_at: E::Column, id: E::Column) -> Self {
        Self::desc(vec![Key::col::<E>(created_at)], Key::col::<E>(id))
    }

    /// Orders `query` by the key.
    fn order<E: EntityTrait>(&self, mut query: Select<E>) -> Select<E> {
        for key in &self.keys {
            query = query.order_by(key.sorted(), self.order.clone());
        }
        query
    }

    /// Where `page` of `query` (the list's rows, filtered, in this order) starts.
    ///
    /// A page at an offset of [`Keyset::STRIDE`] or more starts after the anchor below it
    /// and skips the rest, so the database walks fewer than `STRIDE` rows however deep the
    /// page is (an offset walks every row before it, and on a table not yet vacuumed reads
    /// each from the heap). The anchors are kept like list totals ([`Db::anchors`]): a write
    /// through this instance outdates them at once, another instance's within a second.
    async fn start<E: EntityTrait>(
        &self,
        db: &Db,
        query: &Select<E>,
        page: &PageRequest,
    ) -> Result<Start, RepoError> {
        let start = Start::of(page);
        let block = start.skip / Self::STRIDE;
        if start.after.is_some() || block == 0 {
            return Ok(start);
        }
        let Some((statement, kinds)) = self.anchors_query(query.clone()) else {
            return Ok(start);
        };
        let anchors = db.anchors(statement, kinds).await.db_err()?;
        let Some(last) = anchors.len().checked_sub(1) else {
            return Ok(start);
        };
        let at = usize::try_from(block - 1).unwrap_or(usize::MAX).min(last);
        Ok(Start {
            after: Some(anchors[at].clone()),
            skip: start.skip - (at as u64 + 1) * Self::STRIDE,
        })
    }

    /// The key of every [`Keyset::STRIDE`]th row of `query` in this order (the rows at
    /// positions `STRIDE - 1`, `2 * STRIDE - 1`, ...), with the kinds of its values; `None`
    /// when a key part has no kind a cursor can hold.
    fn anchors_query<E: EntityTrait>(
        &self,
        query: Select<E>,
    ) -> Option<(SelectStatement, Vec<KeyKind>)> {
        let kinds = self
            .keys
            .iter()
            .map(|k| k.kind)
            .collect::<Option<Vec<_>>>()?;
        let mut numbered = query.select_only().into_query();
        let mut window = WindowStatement::new();
        for (i, key) in self.keys.iter().enumerate() {
            numbered.expr_as(key.column.clone(), Alias::new(format!("k{i}")));
            window.order_by_expr(key.sorted(), self.order.clone());
            numbered.order_by_expr(key.sorted(), self.order.clone());
        }
        numbered.expr_window_as(Expr::cust("ROW_NUMBER()"), window, Alias::new("n"));
        // Only the rows the anchors reach are numbered, in the key's order: the database
        // walks them along the key's index and stops. Unbounded, PostgreSQL numbered every
        // row before filtering (a million products: 562 ms against 57 ms).
        numbered.limit(Self::STRIDE * Self::MAX_ANCHORS);
        let mut anchors = Query::select();
        for i in 0..self.keys.len() {
            anchors.column(Alias::new(format!("k{i}")));
        }
        anchors
            .from_subquery(numbered, Alias::new("numbered"))
            .and_where(Expr::cust(format!("n % {} = 0", Self::STRIDE)))
            .order_by(Alias::new("n"), Order::Asc)
            .limit(Self::MAX_ANCHORS);
        Some((anchors, kinds))
    }

    /// Orders `query` and restricts it to the rows from `start` on: those after its key (one
    /// row-value comparison, which an index on the key answers by seeking), past its skip;
    /// one row more than `page` holds, so [`PageRequest::split`] can tell whether another
    /// page follows. The caller checked a cursor against the key's shape.
    fn window<E: EntityTrait>(
        &self,
        query: Select<E>,
        start: &Start,
        page: &PageRequest,
    ) -> Select<E> {
        let query = self
            .after(query, start.after.as_deref())
            .limit(page.fetch());
        match start.skip {
            0 => query,
            skip => query.offset(skip),
        }
    }

    /// The page's rows of `all` through the page's ids, picked from `ids`: a skip then
    /// passes over index entries, not whole rows with their joins.
    fn ids_first<E: EntityTrait, F: EntityTrait>(
        &self,
        all: Select<E>,
        ids: Select<F>,
        start: &Start,
        page: &PageRequest,
    ) -> Select<E> {
        let page_ids = self.page_ids(ids, start, page);
        self.order(all.filter(Expr::expr(self.id.clone()).in_subquery(page_ids)))
    }

    /// The ids of `ids`' rows on the page from `start`.
    ///
    /// A skip shorter than [`Keyset::STRIDE`] (every anchored page, and offsets below the
    /// first anchor) is taken from the nearest `STRIDE` + page rows, a number written into
    /// the statement: PostgreSQL then sees what the statement costs whatever the skip, and
    /// plans it once per connection. With the skip's bound alone it cannot, and plans every
    /// call again (0.3 to 1 ms, more than the page itself).
    fn page_ids<F: EntityTrait>(
        &self,
        ids: Select<F>,
        start: &Start,
        page: &PageRequest,
    ) -> SelectStatement {
        let id = Alias::new("id");
        let ids = ids.select_only().expr_as(self.id.clone(), "id");
        if start.skip == 0 || start.skip >= Self::STRIDE {
            return self.window(ids, start, page).into_query();
        }
        let mut near = ids;
        for (i, key) in self.keys.iter().enumerate() {
            near = near.expr_as(key.sorted(), format!("k{i}"));
        }
        let near = self
            .after(near, start.after.as_deref())
            .limit(Self::STRIDE + page.fetch());
        let mut page_ids = Query::select();
        page_ids
            .column(id)
            .from_subquery(near.into_query(), Alias::new("near"));
        for i in 0..self.keys.len() {
            page_ids.order_by(Alias::new(format!("k{i}")), self.order.clone());
        }
        page_ids.limit(page.fetch()).offset(start.skip);
        page_ids
    }

    /// `query` in this order, from the row after `after` on.
    fn after<E: EntityTrait>(&self, query: Select<E>, after: Option<&[KeyValue]>) -> Select<E> {
        let query = self.order(query);
        let Some(after) = after else {
            return query;
        };
        let (mut columns, mut values) = (Vec::new(), Vec::new());
        for (key, value) in self.keys.iter().zip(after) {
            let value = match value {
                KeyValue::Int(v) => Expr::val(*v),
                KeyValue::Text(v) => Expr::val(v.clone()),
                KeyValue::Time(v) => Expr::val(*v),
                KeyValue::Id(v) => Expr::val(*v),
            };
            columns.push(key.sorted());
            values.push(if key.lower {
                Func::lower(value).into()
            } else {
                value
            });
        }
        let (columns, values) = (Expr::tuple(columns), Expr::tuple(values));
        query.filter(match self.order {
            Order::Desc => columns.lt(values),
            _ => columns.gt(values),
        })
    }
}

/// The page of `rows` (fetched through [`Keyset::window`]): cut to the page, each row
/// converted, and the cursor of the page after it made from the last row's `key`.
fn into_page<R, T>(
    rows: Vec<R>,
    total: u64,
    page: PageRequest,
    key: impl Fn(&R) -> Vec<KeyValue>,
    convert: impl FnMut(R) -> Result<T, RepoError>,
) -> Result<Page<T>, RepoError> {
    let (rows, next) = page.split(rows, key);
    Ok(Page {
        items: rows.into_iter().map(convert).collect::<Result<_, _>>()?,
        total,
        request: page,
        next,
    })
}

/// The total of the list `select` pages: read off the page when its `fetched` rows are the
/// list's last ([`PageRequest::total_if_last`]), else counted as [`Db::count`] decides. A
/// search's first page is usually its last too, and then costs one statement, not two.
async fn total_of<E>(
    db: &Db,
    select: Select<E>,
    page: &PageRequest,
    fetched: usize,
) -> Result<u64, RepoError>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    match page.total_if_last(fetched) {
        Some(total) => Ok(total),
        None => db.count(select).await.db_err(),
    }
}

/// A list as a repository states it: its rows, its order, and how a page's rows are read.
/// [`list`] does the rest, the same way for every list: where the page starts (cursor,
/// offset or anchor), the window or the ids first, the total, the page and its cursor.
pub struct Listing<E: EntityTrait, F: EntityTrait> {
    /// The list's rows, filtered, without joins: what is counted, anchored, and picked ids
    /// from.
    pub rows: Select<F>,
    /// The list's rows as a page shows them (joins included), filtered like `rows`.
    pub listed: Select<E>,
    /// `listed` without the filter: the rows of ids picked from `rows`.
    pub all: Select<E>,
    pub order: Keyset,
    /// Whether every page picks its ids first, not only pages past an offset (where
    /// `listed` with its joins would cost more than the ids and a second look-up).
    pub ids_first: bool,
}

impl<E: EntityTrait> Listing<E, E> {
    /// A list of one table's rows, read whole: `rows` in `order`.
    pub fn of(rows: Select<E>, order: Keyset) -> Self {
        Self {
            listed: rows.clone(),
            rows,
            all: E::find(),
            order,
            ids_first: false,
        }
    }
}

/// The page `page` of `listing`: its rows read as `R`, each converted, the total
/// ([`total_of`]), and the cursor of the page after it made from the last row's `key`. The
/// one way a repository lists anything.
pub async fn list<E, F, R, T>(
    db: &Db,
    listing: Listing<E, F>,
    page: PageRequest,
    key: impl Fn(&R) -> Vec<KeyValue>,
    convert: impl FnMut(R) -> Result<T, RepoError>,
) -> Result<Page<T>, RepoError>
where
    E: EntityTrait,
    F: EntityTrait,
    F::Model: Send + Sync,
    R: FromRow,
{
    let Listing {
        rows,
        listed,
        all,
        order,
        ids_first,
    } = listing;
    let start = order.start(db, &rows, &page).await?;
    let window = if start.skips_nothing() && !ids_first {
        order.window(listed, &start, &page)
    } else {
        order.ids_first(all, rows.clone(), &start, &page)
    };
    let fetched: Vec<R> = db.page_rows(&window).await.db_err()?;
    let total = total_of(db, rows, &page, fetched.len()).await?;
    into_page(fetched, total, page, key, convert)
}
