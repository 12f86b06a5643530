//! Agency-tree queries: recursive CTEs built with sea-query, the same
//! statement on SQLite and PostgreSQL.

use entity::agency::{self, Column as A};
use sea_orm::sea_query::{
    Alias, CommonTableExpression, Expr, ExprTrait, Order, Query, SelectStatement, UnionType,
    WithClause,
};
use sea_orm::{ConnectionTrait, DbErr};

/// How deep a walk goes: a guard against a cycle in bad data.
const MAX_DEPTH: i32 = 64;

/// The agency and its ancestors, nearest first. Empty when it does not exist.
pub async fn lineage(db: &impl ConnectionTrait, agency_id: i64) -> Result<Vec<i64>, DbErr> {
    walk(db, agency_id, Direction::Up).await
}

/// The agency and everything below it, by id. Empty when it does not exist.
pub async fn subtree(db: &impl ConnectionTrait, agency_id: i64) -> Result<Vec<i64>, DbErr> {
    walk(db, agency_id, Direction::Down).await
}

#[derive(Clone, Copy)]
enum Direction {
    /// To the parent: `a.id = t.parent_id`.
    Up,
    /// To the children: `a.parent_id = t.id`.
    Down,
}

/// `WITH RECURSIVE t(id, parent_id, depth) AS (start UNION ALL step)
/// SELECT id FROM t`, nearest first going up, by id going down.
async fn walk(
    db: &impl ConnectionTrait,
    agency_id: i64,
    dir: Direction,
) -> Result<Vec<i64>, DbErr> {
    let t = Alias::new("t");
    let a = Alias::new("a");
    let depth = Alias::new("depth");
    let start = Query::select()
        .column(A::Id)
        .column(A::ParentId)
        .expr(Expr::val(0))
        .from(agency::Entity)
        .and_where(Expr::col(A::Id).eq(agency_id))
        .to_owned();
    let join_on = match dir {
        Direction::Up => Expr::col((a.clone(), A::Id)).equals((t.clone(), A::ParentId)),
        Direction::Down => Expr::col((a.clone(), A::ParentId)).equals((t.clone(), A::Id)),
    };
    let step: SelectStatement = Query::select()
        .column((a.clone(), A::Id))
        .column((a.clone(), A::ParentId))
        .expr(Expr::col((t.clone(), depth.clone())).add(1))
        .from_as(agency::Entity, a.clone())
        .inner_join(t.clone(), join_on)
        .and_where(Expr::col((t.clone(), depth.clone())).lt(MAX_DEPTH))
        .to_owned();
    let cte = CommonTableExpression::new()
        .query(start.clone().union(UnionType::All, step).to_owned())
        .columns([Alias::new("id"), Alias::new("parent_id"), depth.clone()])
        .table_name(t.clone())
        .to_owned();
    let order = match dir {
        Direction::Up => Expr::col(depth),
        Direction::Down => Expr::col(Alias::new("id")),
    };
    let select = Query::select()
        .column(Alias::new("id"))
        .from(t)
        .order_by_expr(order, Order::Asc)
        .to_owned();
    let stmt = WithClause::new()
        .recursive(true)
        .cte(cte)
        .to_owned()
        .query(select);
    db.query_all(&stmt)
        .await?
        .iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect()
}
