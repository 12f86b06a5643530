//! What a dossier's creation asked for, as its idempotency key's retry
//! must ask again (issue 16, adversary findings): a SHA-256 of the
//! operation and its arguments. A key reused for another applicant,
//! procedure, fee or immediate return was answered with the first dossier
//! as if it were the retry. Dossiers created before have none (a retry of
//! theirs is judged by its creator and channel, as before).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Dossier::Table)
                .add_column(string_len_null(Dossier::CreationRequest, 64))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Dossier::Table)
                .drop_column(Dossier::CreationRequest)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Dossier {
    Table,
    CreationRequest,
}
