//! The dossiers open now, counted by the public statistics on every call
//! (in progress, not yet due / overdue, per agency, procedure or channel),
//! are read from one index that holds every column those counts use: an
//! index-only scan of the open statuses' range instead of reading most of
//! the table's pages at a million dossiers (issue 15). It starts with the
//! status, so it replaces `idx_dossier_status`.
//!
//! The specialists' work queue (settling agency, status, unassigned or
//! theirs) is likewise counted from the settling agency's index alone, which
//! now holds the handler too.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_dossier_open_stock";
const REPLACED: &str = "idx_dossier_status";
const SETTLING: &str = "idx_dossier_settling";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(NAME)
                .table(Dossier::Table)
                .col(Dossier::Status)
                .col(Dossier::SettlingAgencyId)
                .col(Dossier::ProcedureId)
                .col(Dossier::Channel)
                .col(Dossier::ReceivedAt)
                .col(Dossier::DueAt)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name(REPLACED)
                .table(Dossier::Table)
                .to_owned(),
        )
        .await?;
        settling_index(m, true).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        settling_index(m, false).await?;
        m.create_index(
            Index::create()
                .name(REPLACED)
                .table(Dossier::Table)
                .col(Dossier::Status)
                .to_owned(),
        )
        .await?;
        m.drop_index(Index::drop().name(NAME).table(Dossier::Table).to_owned())
            .await
    }
}

/// `idx_dossier_settling` on (settling agency, status), with the handler
/// when `with_handler`.
async fn settling_index(m: &SchemaManager<'_>, with_handler: bool) -> Result<(), DbErr> {
    m.drop_index(
        Index::drop()
            .name(SETTLING)
            .table(Dossier::Table)
            .to_owned(),
    )
    .await?;
    let mut index = Index::create();
    index
        .name(SETTLING)
        .table(Dossier::Table)
        .col(Dossier::SettlingAgencyId)
        .col(Dossier::Status);
    if with_handler {
        index.col(Dossier::HandlerAccountId);
    }
    m.create_index(index.to_owned()).await
}

#[derive(DeriveIden)]
enum Dossier {
    HandlerAccountId,
    Table,
    Status,
    SettlingAgencyId,
    ProcedureId,
    Channel,
    ReceivedAt,
    DueAt,
}
