//! The idempotency key of a dossier's creation (createDossier,
//! registerCounterDossier, registerPostalDossier): a client that retries
//! after a lost answer gets the dossier it created, not a second one.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Dossier::Table)
                .add_column(string_len_null(Dossier::CreationKey, 128))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_dossier_creation_key")
                .table(Dossier::Table)
                .col(Dossier::CreationKey)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("uq_dossier_creation_key")
                .table(Dossier::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Dossier::Table)
                .drop_column(Dossier::CreationKey)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Dossier {
    Table,
    CreationKey,
}
