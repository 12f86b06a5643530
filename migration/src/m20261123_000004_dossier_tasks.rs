//! Work a dossier asks of others: consultations, verification visits and
//! inter-agency tasks, each with its agency and deadline.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DossierTask::Table)
                .col(big_pk_auto(DossierTask::Id))
                .col(big_integer(DossierTask::DossierId))
                .col(string_len(DossierTask::Kind, 24))
                .col(big_integer_null(DossierTask::AgencyId))
                .col(text(DossierTask::Content))
                .col(timestamp_with_time_zone_null(DossierTask::Deadline))
                .col(timestamp_with_time_zone_null(DossierTask::ScheduledAt))
                .col(string_null(DossierTask::Place))
                .col(text_null(DossierTask::Participants))
                .col(string_len(DossierTask::Status, 16))
                .col(text_null(DossierTask::Answer))
                .col(big_integer_null(DossierTask::AnsweredBy))
                .col(timestamp_with_time_zone_null(DossierTask::AnsweredAt))
                .col(big_integer_null(DossierTask::CreatedBy))
                .col(timestamp_with_time_zone(DossierTask::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DossierTask::Table, DossierTask::DossierId)
                        .to(Dossier::Table, Dossier::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_dossier_task_dossier")
                .table(DossierTask::Table)
                .col(DossierTask::DossierId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_dossier_task_agency")
                .table(DossierTask::Table)
                .col(DossierTask::AgencyId)
                .col(DossierTask::Status)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DossierTask::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Dossier {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum DossierTask {
    Table,
    Id,
    DossierId,
    Kind,
    AgencyId,
    Content,
    Deadline,
    ScheduledAt,
    Place,
    Participants,
    Status,
    Answer,
    AnsweredBy,
    AnsweredAt,
    CreatedBy,
    CreatedAt,
}
