//! Agency-tree queries: recursive CTEs that run on SQLite and PostgreSQL.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

fn placeholder(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "$1",
        _ => "?",
    }
}

/// The agency and its ancestors, nearest first. Empty when it does not exist.
pub async fn lineage(db: &impl ConnectionTrait, agency_id: i64) -> Result<Vec<i64>, DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "WITH RECURSIVE up(id, parent_id, depth) AS ( \
           SELECT id, parent_id, 0 FROM agency WHERE id = {p} \
           UNION ALL \
           SELECT a.id, a.parent_id, up.depth + 1 FROM agency a JOIN up ON a.id = up.parent_id \
           WHERE up.depth < 64 \
         ) SELECT id FROM up ORDER BY depth",
        p = placeholder(backend)
    );
    ids(
        db,
        Statement::from_sql_and_values(backend, sql, [Value::from(agency_id)]),
    )
    .await
}

/// The agency and everything below it.
pub async fn subtree(db: &impl ConnectionTrait, agency_id: i64) -> Result<Vec<i64>, DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "WITH RECURSIVE down(id, depth) AS ( \
           SELECT id, 0 FROM agency WHERE id = {p} \
           UNION ALL \
           SELECT a.id, down.depth + 1 FROM agency a JOIN down ON a.parent_id = down.id \
           WHERE down.depth < 64 \
         ) SELECT id FROM down ORDER BY id",
        p = placeholder(backend)
    );
    ids(
        db,
        Statement::from_sql_and_values(backend, sql, [Value::from(agency_id)]),
    )
    .await
}

async fn ids(db: &impl ConnectionTrait, stmt: Statement) -> Result<Vec<i64>, DbErr> {
    db.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect()
}
