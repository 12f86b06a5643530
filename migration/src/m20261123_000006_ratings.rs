//! Satisfaction ratings (Hà Nam 30/2019 Art. 13): one per dossier.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Rating::Table)
                .col(big_pk_auto(Rating::Id))
                .col(big_integer_uniq(Rating::DossierId))
                .col(big_integer(Rating::AccountId))
                .col(big_integer(Rating::AgencyId))
                .col(big_integer(Rating::ProcedureId))
                .col(big_integer(Rating::FieldId))
                .col(string_len(Rating::ServiceUse, 16))
                .col(string_len(Rating::StaffAttitude, 16))
                .col(string_len(Rating::ProcessingTime, 16))
                .col(text_null(Rating::Comment))
                .col(timestamp_with_time_zone(Rating::RatedAt))
                .col(timestamp_with_time_zone_null(Rating::RevisedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Rating::Table, Rating::DossierId)
                        .to(Dossier::Table, Dossier::Id),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_rating_agency", Rating::AgencyId),
            ("idx_rating_procedure", Rating::ProcedureId),
            ("idx_rating_field", Rating::FieldId),
            ("idx_rating_rated_at", Rating::RatedAt),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Rating::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Rating::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Dossier {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Rating {
    Table,
    Id,
    DossierId,
    AccountId,
    AgencyId,
    ProcedureId,
    FieldId,
    ServiceUse,
    StaffAttitude,
    ProcessingTime,
    Comment,
    RatedAt,
    RevisedAt,
}
