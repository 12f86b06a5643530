//! The queries of backups (`motcua backup`, `motcua verify-backup`): a
//! consistent snapshot of the embedded database while the server writes,
//! and what a backup is checked against — the applied migrations, each
//! table's row count, the stored files the rows reference — plus the
//! scratch databases a PostgreSQL dump is restored into.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use entity::{attachment, audit_head, document};
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, LikeExpr, Query};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QuerySelect, RuntimeErr,
    SqlxSqliteConnector, Statement,
};

/// Writes a consistent copy of the SQLite database `db` to the new file
/// `target` (`VACUUM INTO`: one read transaction, so concurrent writers go
/// on and the copy holds exactly the transactions committed before it
/// began). The copy is compacted and not in WAL mode: a single file.
/// Fails if `target` exists and is not empty.
pub async fn snapshot_into(db: &DatabaseConnection, target: &Path) -> Result<(), DbErr> {
    let target = target
        .to_str()
        .ok_or_else(|| DbErr::Custom(format!("{} is not UTF-8", target.display())))?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [target.into()],
    ))
    .await?;
    Ok(())
}

/// Opens the SQLite database of `url` (`sqlite:…`) as it is: never
/// created, its journal mode unchanged. One connection.
pub async fn open_sqlite(url: &str) -> Result<DatabaseConnection, DbErr> {
    let options = SqliteConnectOptions::from_str(url).map_err(conn_err)?;
    open(options).await
}

/// Opens a SQLite database file (a snapshot) as it is, read-only when
/// asked: never created, its journal mode unchanged. One connection.
pub async fn open_sqlite_file(path: &Path, read_only: bool) -> Result<DatabaseConnection, DbErr> {
    open(
        SqliteConnectOptions::new()
            .filename(path)
            .read_only(read_only),
    )
    .await
}

async fn open(options: SqliteConnectOptions) -> Result<DatabaseConnection, DbErr> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.create_if_missing(false))
        .await
        .map_err(conn_err)?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

fn conn_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(e.into()))
}

/// SQLite's own check of a database file (`PRAGMA integrity_check`): the
/// problems it reports, none when the file is sound.
pub async fn sqlite_problems(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await?;
    let mut problems = Vec::new();
    for row in rows {
        let line: String = row.try_get_by_index(0)?;
        if line != "ok" {
            problems.push(line);
        }
    }
    Ok(problems)
}

/// The names of the migrations applied to `db`, oldest first, read without
/// writing. Fails (naming it) when `db` has a migration this binary does not
/// know — a database of a newer motcua.
pub async fn applied_migrations(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    Ok(Migrator::get_applied_migrations_read_only(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// Every table of the database (PostgreSQL: of the `public` schema) with
/// its number of rows, by name.
pub async fn row_counts(db: &impl ConnectionTrait) -> Result<BTreeMap<String, i64>, DbErr> {
    let name = Alias::new("name");
    let tables = match db.get_database_backend() {
        DbBackend::Sqlite => Query::select()
            .expr_as(Expr::col(Alias::new("name")), name.clone())
            .from(Alias::new("sqlite_master"))
            .and_where(Expr::col(Alias::new("type")).eq("table"))
            .and_where(
                Expr::col(Alias::new("name")).not_like(LikeExpr::new("sqlite\\_%").escape('\\')),
            )
            .to_owned(),
        _ => Query::select()
            .expr_as(Expr::col(Alias::new("table_name")), name.clone())
            .from((Alias::new("information_schema"), Alias::new("tables")))
            .and_where(Expr::col(Alias::new("table_schema")).eq("public"))
            .and_where(Expr::col(Alias::new("table_type")).eq("BASE TABLE"))
            .to_owned(),
    };
    let mut counts = BTreeMap::new();
    for row in db.query_all(&tables).await? {
        let table: String = row.try_get("", "name")?;
        let count = Query::select()
            .expr_as(Expr::col(Asterisk).count(), Alias::new("n"))
            .from(Alias::new(table.as_str()))
            .to_owned();
        let n: i64 = match db.query_one(&count).await? {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        counts.insert(table, n);
    }
    Ok(counts)
}

/// The SHA-256 digests (lowercase hex) of the stored files the database
/// references: attachments' and data-store documents'. Each is a file's
/// name under the data directory.
pub async fn referenced_files(db: &impl ConnectionTrait) -> Result<BTreeSet<String>, DbErr> {
    let mut digests: BTreeSet<String> = attachment::Entity::find()
        .select_only()
        .column(attachment::Column::Sha256)
        .distinct()
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let documents: Vec<String> = document::Entity::find()
        .select_only()
        .column(document::Column::Sha256)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    digests.extend(documents);
    Ok(digests)
}

/// The audit chain's head: the last record's id and hash. None in a
/// database without one (not a motcua database).
pub async fn audit_head(db: &impl ConnectionTrait) -> Result<Option<(i64, String)>, DbErr> {
    Ok(audit_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .map(|h| (h.last_id, h.last_hash)))
}

/// Creates an empty PostgreSQL database. `name` is ours (letters, digits,
/// `_`), never a user's input.
pub async fn create_database(server: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
    server
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .map(|_| ())
}

/// Drops a PostgreSQL database, disconnecting whoever is still in it.
pub async fn drop_database(server: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
    server
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .map(|_| ())
}
