//! The order of dossier lists and their keyset pages in both directions
//! (issue 16, item 10): officers sort by the time a dossier was received,
//! is due or last changed, oldest or newest first, and page forward
//! (`first`/`after`) or backward (`last`/`before`).
//!
//! A page is found by its position, never by an offset: the sort key's
//! value and the dossier's id (ties are broken by id, in the same
//! direction). A dossier without the time sorted by (not yet received, no
//! due date) sorts after every time: last when ascending, first when
//! descending, on both databases. The indexes `idx_dossier_received`,
//! `idx_dossier_due` and `idx_dossier_updated` serve the orders.

use chrono::{DateTime, Utc};
use entity::dossier;
use sea_orm::sea_query::{Alias, Condition, Expr, NullOrdering};
use sea_orm::{
    ColumnTrait, ConnectionTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
};

use super::super::Page;
use crate::error::AppResult;

/// What a dossier list is sorted by. `Created` (the default) is the id:
/// the order dossiers were created in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Created,
    Received,
    Due,
    Updated,
}

impl SortKey {
    /// The column sorted by, besides the id; none for `Created`.
    fn column(self) -> Option<dossier::Column> {
        match self {
            SortKey::Created => None,
            SortKey::Received => Some(dossier::Column::ReceivedAt),
            SortKey::Due => Some(dossier::Column::DueAt),
            SortKey::Updated => Some(dossier::Column::UpdatedAt),
        }
    }

    /// The dossier's place in this order.
    pub fn position_of(self, d: &dossier::Model) -> Position {
        let at = match self {
            SortKey::Created => None,
            SortKey::Received => d.received_at,
            SortKey::Due => d.due_at,
            SortKey::Updated => Some(d.updated_at),
        };
        Position { at, id: d.id }
    }
}

/// A dossier's place in a sorted list: the sorted time (none when the
/// dossier has none, or the list is in creation order) and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub at: Option<DateTime<Utc>>,
    pub id: i64,
}

/// A page of a dossier list: `size` dossiers in `key` order (`descending`:
/// newest first) strictly after `from` — or, `backward`, the `size`
/// dossiers just before `from` (the list's last ones without `from`),
/// still written in the list's order. `count`: whether the list's total
/// is wanted (a second statement, as costly as a search; the page's
/// `total` is 0 without it).
#[derive(Debug, Clone, Copy, Default)]
pub struct ListRequest {
    pub size: u64,
    pub key: SortKey,
    pub descending: bool,
    pub from: Option<Position>,
    pub backward: bool,
    pub count: bool,
}

/// The dossiers of `query` beyond `p` in the order walked (`descending`),
/// `p` itself included when `inclusive`. A missing time is later than
/// every time.
fn beyond(key: SortKey, p: Position, descending: bool, inclusive: bool) -> Condition {
    let id = dossier::Column::Id;
    let next_id = match (descending, inclusive) {
        (false, false) => id.gt(p.id),
        (false, true) => id.gte(p.id),
        (true, false) => id.lt(p.id),
        (true, true) => id.lte(p.id),
    };
    let Some(col) = key.column() else {
        return Condition::all().add(next_id);
    };
    let tie = |same| Condition::all().add(same).add(next_id.clone());
    match (p.at, descending) {
        (Some(at), false) => Condition::any()
            .add(col.gt(at))
            .add(col.is_null())
            .add(tie(col.eq(at))),
        (None, false) => tie(col.is_null()),
        (Some(at), true) => Condition::any().add(col.lt(at)).add(tie(col.eq(at))),
        (None, true) => Condition::any()
            .add(col.is_not_null())
            .add(tie(col.is_null())),
    }
}

/// The name of the total's column in `page_with_total`.
const TOTAL: &str = "motcua_total";

/// Runs `page` (`query` ordered, past its cursor, limited) over `query`'s
/// rows each carrying their count, in one statement:
/// `SELECT … FROM (SELECT dossier.*, COUNT(*) OVER () AS motcua_total FROM
/// dossier WHERE …) AS dossier WHERE <cursor> ORDER BY … LIMIT n`. The
/// window is computed over every row of `query` before the cursor's
/// condition applies (neither database moves a condition into a subquery
/// with a window function), so the total is the list's, not the page's.
/// The total is none when the page is empty.
async fn page_with_total(
    db: &impl ConnectionTrait,
    query: &Select<dossier::Entity>,
    page: Select<dossier::Entity>,
) -> AppResult<(Vec<dossier::Model>, Option<u64>)> {
    let mut rows = query.clone().into_query();
    rows.clear_order_by()
        .expr_as(Expr::cust("COUNT(*) OVER ()"), Alias::new(TOTAL));
    let mut outer = page.into_query();
    outer
        .expr(Expr::col(Alias::new(TOTAL)))
        .from_clear()
        .from_subquery(rows, Alias::new("dossier"));
    let found = db.query_all(&outer).await?;
    let mut total = None;
    let mut items = Vec::with_capacity(found.len());
    for row in found {
        total = Some(row.try_get::<i64>("", TOTAL)?.max(0) as u64);
        items.push(dossier::Model::from_query_result(&row, "")?);
    }
    Ok((items, total))
}

/// `query` in `key` order, `descending` or not, ties by id.
fn ordered(
    query: Select<dossier::Entity>,
    key: SortKey,
    descending: bool,
) -> Select<dossier::Entity> {
    let (order, nulls) = match descending {
        false => (Order::Asc, NullOrdering::Last),
        true => (Order::Desc, NullOrdering::First),
    };
    let query = match key.column() {
        Some(col) => query.order_by_with_nulls(col, order.clone(), nulls),
        None => query,
    };
    query.order_by(dossier::Column::Id, order)
}

/// Runs one page of `query` as `req` asks, with the list's total count
/// (when `req.count`) and whether dossiers lie before and after the page.
/// `query` may already be ordered (a search's order comes first); this
/// adds the list's order. `reads_all`: the page reads every row of
/// `query` anyway (a search sorts all its matches), so the total is
/// counted in the same statement rather than by a second one that would
/// find them all again.
pub async fn sorted_page(
    db: &impl ConnectionTrait,
    query: Select<dossier::Entity>,
    req: ListRequest,
    reads_all: bool,
) -> AppResult<Page<dossier::Model>> {
    // The order walked: the list's, reversed to read a page backward.
    let walk_desc = req.descending != req.backward;
    let mut q = ordered(query.clone(), req.key, walk_desc);
    if let Some(from) = req.from {
        q = q.filter(beyond(req.key, from, walk_desc, false));
    }
    let q = q.limit(req.size + 1);
    let (mut items, counted) = match req.count && reads_all {
        true => page_with_total(db, &query, q).await?,
        false => (q.all(db).await?, None),
    };
    let total = match (req.count, counted) {
        (_, Some(n)) => n,
        (true, None) => query.clone().count(db).await?,
        (false, None) => 0,
    };
    let more = items.len() as u64 > req.size;
    items.truncate(req.size as usize);
    // Whether anything lies on the cursor's other side (the cursor's own
    // dossier included): a page before a forward page, after a backward one.
    let behind = match req.from {
        Some(from) => query
            .filter(beyond(req.key, from, !walk_desc, true))
            .select_only()
            .column(dossier::Column::Id)
            .limit(1)
            .into_tuple::<i64>()
            .one(db)
            .await?
            .is_some(),
        None => false,
    };
    if req.backward {
        items.reverse();
    }
    let (has_previous, has_next) = match req.backward {
        false => (behind, more),
        true => (more, behind),
    };
    Ok(Page {
        items,
        has_next,
        has_previous,
        total,
    })
}
