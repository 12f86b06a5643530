//! Two dossier indexes (issue 16, item 10):
//! - `idx_dossier_updated` on `(updated_at, id)`: lists sorted by the last
//!   change (and its tie-break) read a page in order instead of sorting the
//!   table; the received and due orders use `idx_dossier_received` and
//!   `idx_dossier_due`;
//! - `idx_dossier_search_pending`, partial, on the ids of dossiers without
//!   a search text: the start-up backfill
//!   (`services::dossiers::search::backfill`) finds them, or finds none,
//!   without reading the table (once filled, the index is empty).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UPDATED: &str = "idx_dossier_updated";
const PENDING: &str = "idx_dossier_search_pending";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(UPDATED)
                .table(Dossier::Table)
                .col(Dossier::UpdatedAt)
                .col(Dossier::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(PENDING)
                .table(Dossier::Table)
                .col(Dossier::Id)
                .and_where(Expr::col(Dossier::SearchText).eq(""))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in [PENDING, UPDATED] {
            m.drop_index(Index::drop().name(name).table(Dossier::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Dossier {
    Table,
    UpdatedAt,
    Id,
    SearchText,
}
