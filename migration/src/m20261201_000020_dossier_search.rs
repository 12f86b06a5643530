//! Officers find dossiers by the applicant's name, phone, the code or any
//! fragment of them, without diacritics (issue 16, item 10). Each dossier
//! keeps its folded search text (`search_text`: code, applicant name, phone
//! digits, e-mail; written by the server, `domain::text::dossier_search_text`),
//! and a search looks for a phrase anywhere in it, served by trigrams:
//!
//! - PostgreSQL: `pg_trgm` and a GIN index on `search_text`
//!   (`gin_trgm_ops`), which serves `search_text LIKE '%phrase%'`.
//! - SQLite: an FTS5 table with the trigram tokenizer (SQLite ≥ 3.34) over
//!   `dossier.search_text` (external content), kept in step by triggers;
//!   a search is `MATCH '"phrase"'`, a substring match.
//!
//! Existing rows get their text at the server's next start
//! (`services::dossiers::search::backfill`): folding is Rust code, not SQL.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: [&str; 5] = [
    "CREATE VIRTUAL TABLE dossier_search USING fts5(search_text, content='dossier', content_rowid='id', tokenize='trigram')",
    "INSERT INTO dossier_search(dossier_search) VALUES ('rebuild')",
    "CREATE TRIGGER dossier_search_ai AFTER INSERT ON dossier BEGIN \
     INSERT INTO dossier_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER dossier_search_ad AFTER DELETE ON dossier BEGIN \
     INSERT INTO dossier_search(dossier_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER dossier_search_au AFTER UPDATE OF search_text ON dossier BEGIN \
     INSERT INTO dossier_search(dossier_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); \
     INSERT INTO dossier_search(rowid, search_text) VALUES (new.id, new.search_text); END",
];
const SQLITE_DOWN: [&str; 4] = [
    "DROP TRIGGER IF EXISTS dossier_search_au",
    "DROP TRIGGER IF EXISTS dossier_search_ad",
    "DROP TRIGGER IF EXISTS dossier_search_ai",
    "DROP TABLE IF EXISTS dossier_search",
];
// pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may
// create it.
const POSTGRES_UP: [&str; 2] = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX idx_dossier_search ON dossier USING gin (search_text gin_trgm_ops)",
];
const POSTGRES_DOWN: [&str; 1] = ["DROP INDEX IF EXISTS idx_dossier_search"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Dossier::Table)
                .add_column(
                    ColumnDef::new(Dossier::SearchText)
                        .text()
                        .not_null()
                        .default(""),
                )
                .to_owned(),
        )
        .await?;
        run(m, &POSTGRES_UP, &SQLITE_UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, &POSTGRES_DOWN, &SQLITE_DOWN).await?;
        m.alter_table(
            Table::alter()
                .table(Dossier::Table)
                .drop_column(Dossier::SearchText)
                .to_owned(),
        )
        .await
    }
}

/// Runs the backend's statements in order.
async fn run(m: &SchemaManager<'_>, postgres: &[&str], sqlite: &[&str]) -> Result<(), DbErr> {
    let statements = match m.get_database_backend() {
        DatabaseBackend::Postgres => postgres,
        _ => sqlite,
    };
    for sql in statements {
        m.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

#[derive(DeriveIden)]
enum Dossier {
    Table,
    SearchText,
}
