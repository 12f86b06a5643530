//! The database: connecting, migrating, and the queries that are more than
//! one sea-orm call. Maps database errors that mean bad input (a unique
//! violation) to field errors; everything else is `INTERNAL`.

pub mod agencies;
pub mod attachments;
pub mod backlog;
/// Snapshots, row counts and referenced files, for `motcua backup`.
pub mod backup;
pub mod codes;
/// Secrets every instance shares (the payment callback key).
pub mod secrets;
pub mod statistics;
pub mod stats;
/// Attempt counters (sign-in, tracking, registration) in Redis or memory.
pub mod throttle;

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::domain::Problem;
use crate::error::AppError;

/// Opens the pool. SQLite gets WAL, a busy timeout and foreign keys, so that
/// concurrent requests queue for the single writer instead of failing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    open(url, false, DEFAULT_POOL).await
}

/// `connect` with a PostgreSQL pool of `pool_size` connections (the
/// server's MOTCUA_DB_POOL_SIZE).
pub async fn connect_pool(url: &str, pool_size: u32) -> Result<DatabaseConnection, DbErr> {
    open(url, false, pool_size).await
}

/// A PostgreSQL pool's connections when nobody says otherwise.
const DEFAULT_POOL: u32 = 20;

/// Opens an existing database to read it (the command line's look-ups): a
/// SQLite file is opened read-only and never created, whatever its URL's
/// `mode`.
pub async fn connect_existing(url: &str) -> Result<DatabaseConnection, DbErr> {
    open(url, true, DEFAULT_POOL).await
}

tokio::task_local! {
    /// The statements run so far by the request this task serves.
    static STATEMENTS: Arc<AtomicU32>;
}

/// Runs `f` counting the SQL statements it runs (through any pool opened
/// here), readable inside with `statements_so_far`. The HTTP handlers count
/// each GraphQL request; the loaders' batches count into their request's.
pub async fn counting<F: Future>(count: Arc<AtomicU32>, f: F) -> F::Output {
    STATEMENTS.scope(count, f).await
}

/// Runs `f` counting its statements, into the counter already in scope if
/// any (a test's probe), else into a new one.
pub async fn counted<F: Future>(f: F) -> F::Output {
    match statement_counter() {
        Some(_) => f.await,
        None => counting(Arc::default(), f).await,
    }
}

/// The counter of the request this task serves, to hand to a task it spawns.
pub fn statement_counter() -> Option<Arc<AtomicU32>> {
    STATEMENTS.try_with(Arc::clone).ok()
}

/// The statements this task's request has run so far (None outside
/// `counting`).
pub fn statements_so_far() -> Option<u32> {
    STATEMENTS.try_with(|c| c.load(Ordering::Relaxed)).ok()
}

/// Connections idle longer than this are pinged before use (a server,
/// proxy or firewall may have dropped them); busy ones are not: a ping
/// before every statement was a round trip per statement (issue 15).
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

async fn open(url: &str, read_only: bool, pool: u32) -> Result<DatabaseConnection, DbErr> {
    let mut db = open_pool(url, read_only, pool).await?;
    db.set_metric_callback(|_| {
        let _ = STATEMENTS.try_with(|c| c.fetch_add(1, Ordering::Relaxed));
    });
    Ok(db)
}

async fn open_pool(url: &str, read_only: bool, pool: u32) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(10))
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
    if url.starts_with("sqlite:") {
        opts.max_connections(8).map_sqlx_sqlite_opts(move |o| {
            let o = o
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            if read_only {
                o.read_only(true).create_if_missing(false)
            } else {
                o
            }
        });
    } else {
        opts.max_connections(pool);
        return Database::connect(opts).await;
    }
    // A new SQLite file is switched to WAL by its first connection, which
    // needs an exclusive lock the busy timeout does not wait for: processes
    // opening one new file at once retry instead of failing.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match Database::connect(opts.clone()).await {
            Err(e) if is_busy(&e) && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            done => return done,
        }
    }
}

/// Whether SQLite refused for a lock another connection holds (SQLITE_BUSY).
fn is_busy(e: &DbErr) -> bool {
    e.to_string().contains("database is locked")
}

/// Begins a transaction that will write. On SQLite it takes the write lock at
/// BEGIN (IMMEDIATE), so that concurrent writers queue on the busy timeout
/// instead of failing when a read lock cannot be upgraded.
pub async fn write_txn(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Serialises the transactions that take the same `(scope, key)` until
/// they end: on PostgreSQL a transaction-level advisory lock (the key
/// hashed to 64 bits); on SQLite nothing more is needed, as a write
/// transaction already holds the one write lock from BEGIN.
pub async fn lock(conn: &impl ConnectionTrait, scope: &str, key: &str) -> Result<(), DbErr> {
    use sha2::{Digest, Sha256};
    if conn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let digest = Sha256::digest(format!("{scope}\u{0}{key}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let id = i64::from_be_bytes(first);
    conn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [id.into()],
    ))
    .await?;
    Ok(())
}

/// Applies every pending migration, all in one transaction. Processes
/// starting at once on one empty database take turns (SQLite: the write
/// lock taken at BEGIN; PostgreSQL: a transaction-level advisory lock), so
/// one migrates and the others then find nothing to do — without it, one
/// died on a table or catalogue entry the other had just created.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = write_txn(db).await?;
    lock(&txn, "migrations", "").await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// A unique constraint as each database reports its violation: PostgreSQL
/// by name (`<table>_<column>_key` for a column's own UNIQUE), SQLite by
/// its table and columns ("UNIQUE constraint failed: t.a, t.b").
#[derive(Debug, Clone, Copy)]
pub struct Unique {
    pub name: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

impl Unique {
    /// Whether a unique-violation message is about this constraint.
    pub fn is_named_in(&self, detail: &str) -> bool {
        if detail.contains(&format!("\"{}\"", self.name)) {
            return true;
        }
        let listed = self
            .columns
            .iter()
            .map(|c| format!("{}.{c}", self.table))
            .collect::<Vec<_>>()
            .join(", ");
        detail
            .split("UNIQUE constraint failed: ")
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .is_some_and(|rest| rest.trim() == listed)
    }
}

/// A column's own UNIQUE: PostgreSQL names it `<table>_<column>_key`.
macro_rules! column_unique {
    ($table:literal, $column:literal) => {
        Unique {
            name: concat!($table, "_", $column, "_key"),
            table: $table,
            columns: &[$column],
        }
    };
}

pub const AGENCY_CODE: Unique = column_unique!("agency", "code");
pub const SECTOR_CODE: Unique = column_unique!("sector", "code");
pub const FIELD_CODE: Unique = column_unique!("field", "code");
pub const PROCEDURE_CODE: Unique = column_unique!("procedure", "code");
pub const ACCOUNT_CITIZEN_ID: Unique = column_unique!("account", "citizen_id");
pub const ACCOUNT_TAX_CODE: Unique = column_unique!("account", "tax_code");
pub const ACCOUNT_EMAIL: Unique = column_unique!("account", "email");
pub const ACCOUNT_EXTERNAL_ID: Unique = column_unique!("account", "external_id");
pub const PAYMENT_GATEWAY_TXN: Unique = column_unique!("payment", "gateway_txn_id");

/// One applicant's idempotency keys (submitDossier).
pub const DOSSIER_SUBMISSION_KEY: Unique = Unique {
    name: "uq_dossier_idempotency",
    table: "dossier",
    columns: &["applicant_account_id", "idempotency_key"],
};

/// The keys of dossier creation: createDossier, registerCounterDossier,
/// registerPostalDossier.
pub const DOSSIER_CREATION_KEY: Unique = Unique {
    name: "uq_dossier_creation_key",
    table: "dossier",
    columns: &["creation_key"],
};

/// Turns a unique violation into `BAD_USER_INPUT` (`AlreadyTaken`) on the
/// API field of the constraint violated; anything else is `INTERNAL`.
pub fn unique_violation(e: DbErr, constraints: &[(Unique, &str)]) -> AppError {
    if let Some(SqlErr::UniqueConstraintViolation(detail)) = e.sql_err() {
        for (constraint, field) in constraints {
            if constraint.is_named_in(&detail) {
                return AppError::bad_input(*field, Problem::AlreadyTaken);
            }
        }
    }
    AppError::from(e)
}

/// `column LIKE '%word%'` with the word's `%`, `_` and `\` taken literally:
/// a user's search text is never a pattern.
pub fn contains_word(column: impl sea_orm::ColumnTrait, word: &str) -> sea_orm::sea_query::Expr {
    use crate::domain::text::{like_contains, LIKE_ESCAPE};
    use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
    Expr::col(column.as_column_ref()).like(LikeExpr::new(like_contains(word)).escape(LIKE_ESCAPE))
}

/// The pool's connections now: (open, idle, the configured maximum).
pub fn pool_use(db: &DatabaseConnection) -> (u32, usize, u32) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
        _ => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_are_recognised_by_name_or_by_their_columns() {
        let pg = "duplicate key value violates unique constraint \"uq_dossier_idempotency\"";
        let sqlite =
            "UNIQUE constraint failed: dossier.applicant_account_id, dossier.idempotency_key";
        assert!(DOSSIER_SUBMISSION_KEY.is_named_in(pg));
        assert!(DOSSIER_SUBMISSION_KEY.is_named_in(sqlite));
        assert!(!DOSSIER_CREATION_KEY.is_named_in(pg));
        assert!(!DOSSIER_CREATION_KEY.is_named_in(sqlite));
        assert!(DOSSIER_CREATION_KEY.is_named_in("UNIQUE constraint failed: dossier.creation_key"));
        // A column's own constraint: "email" is not "external_id", and
        // "account_email_key" is not "account_email_keys".
        let pg = "duplicate key value violates unique constraint \"account_email_key\"";
        assert!(ACCOUNT_EMAIL.is_named_in(pg));
        assert!(!ACCOUNT_EXTERNAL_ID.is_named_in(pg));
        assert!(ACCOUNT_EMAIL.is_named_in("UNIQUE constraint failed: account.email"));
        assert!(!ACCOUNT_EMAIL.is_named_in("UNIQUE constraint failed: account.email_verified"));
    }
}
