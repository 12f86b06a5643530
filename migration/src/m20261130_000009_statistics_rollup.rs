//! The statistics rollup: counts (and rating answers) per local month,
//! settling agency, procedure and channel, kept by every transition (see
//! `services::rollup`); filled from existing dossiers at start.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DossierStat::Table)
                .col(string_len(DossierStat::Month, 7))
                .col(big_integer(DossierStat::SettlingAgencyId))
                .col(big_integer(DossierStat::ProcedureId))
                .col(string_len(DossierStat::Channel, 16))
                .col(big_integer(DossierStat::Received))
                .col(big_integer(DossierStat::Settled))
                .col(big_integer(DossierStat::Early))
                .col(big_integer(DossierStat::OnTime))
                .col(big_integer(DossierStat::Late))
                .col(big_integer(DossierStat::Refused))
                .col(big_integer(DossierStat::Withdrawn))
                .col(big_integer(DossierStat::Rated))
                .col(big_integer(DossierStat::VerySatisfied))
                .col(big_integer(DossierStat::Satisfied))
                .col(big_integer(DossierStat::NotSatisfied))
                .primary_key(
                    Index::create()
                        .col(DossierStat::Month)
                        .col(DossierStat::SettlingAgencyId)
                        .col(DossierStat::ProcedureId)
                        .col(DossierStat::Channel),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DossierStat::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DossierStat {
    Table,
    Month,
    SettlingAgencyId,
    ProcedureId,
    Channel,
    Received,
    Settled,
    Early,
    OnTime,
    Late,
    Refused,
    Withdrawn,
    Rated,
    VerySatisfied,
    Satisfied,
    NotSatisfied,
}
