//! Dossier lists sorted by their last change (issue 16, item 10): an index
//! on `(updated_at, id)`, the order and its tie-break, so that a page of
//! the newest or oldest changes reads its rows in order instead of sorting
//! the table. The received and due orders use `idx_dossier_received` and
//! `idx_dossier_due`.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_dossier_updated";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(INDEX)
                .table(Dossier::Table)
                .col(Dossier::UpdatedAt)
                .col(Dossier::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(INDEX).table(Dossier::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Dossier {
    Table,
    UpdatedAt,
    Id,
}
