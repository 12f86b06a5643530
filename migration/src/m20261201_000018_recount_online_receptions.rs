//! Reception within 8 working hours judges online dossiers only (Thanh Hóa
//! Art. 11.1.a, DOMAIN.md's settled reading; issue 16): until now the rollup
//! also counted counter dossiers, received as they were registered, as
//! received in no time. The rollup is emptied here, and the server rebuilds
//! it from the dossiers at its next start (`services::rollup::backfill_if_empty`),
//! with the corrected rule. Nothing is lost: the rollup is derived data.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.exec_stmt(Query::delete().from_table(DossierStat::Table).to_owned())
            .await
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // The rollup is rebuilt at start either way.
        Ok(())
    }
}

#[derive(DeriveIden)]
enum DossierStat {
    Table,
}
