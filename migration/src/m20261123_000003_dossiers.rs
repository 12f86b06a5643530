//! Dossiers, their ordered history, the daily code counters and the
//! transactional outbox.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Dossier::Table)
                .col(big_pk_auto(Dossier::Id))
                .col(string_len_null(Dossier::Code, 48).unique_key())
                .col(big_integer(Dossier::ProcedureId))
                .col(integer(Dossier::ProcedureVersion))
                .col(big_integer_null(Dossier::ApplicantAccountId))
                .col(string(Dossier::ApplicantName))
                .col(string_len_null(Dossier::ApplicantIdNumber, 16))
                .col(string_len_null(Dossier::ApplicantPhone, 16))
                .col(string_null(Dossier::ApplicantEmail))
                .col(string_null(Dossier::ApplicantAddress))
                .col(string_len(Dossier::Channel, 16))
                .col(string_len(Dossier::Status, 24))
                .col(string_len_null(Dossier::PauseKind, 24))
                .col(integer(Dossier::Version))
                .col(big_integer(Dossier::ReceivingAgencyId))
                .col(big_integer(Dossier::SettlingAgencyId))
                .col(big_integer_null(Dossier::HandlerAccountId))
                .col(text(Dossier::FormData))
                .col(string_len_null(Dossier::IdempotencyKey, 128))
                .col(timestamp_with_time_zone_null(Dossier::SubmittedAt))
                .col(timestamp_with_time_zone_null(Dossier::ReceivedAt))
                .col(timestamp_with_time_zone_null(Dossier::TransferredAt))
                .col(timestamp_with_time_zone_null(Dossier::DueAt))
                .col(timestamp_with_time_zone_null(Dossier::LegalDueAt))
                .col(timestamp_with_time_zone_null(Dossier::PausedAt))
                .col(big_integer(Dossier::PausedSeconds))
                .col(integer(Dossier::SupplementRequests))
                .col(big_integer_null(Dossier::ReceptionSeconds))
                .col(big_integer_null(Dossier::TransferSeconds))
                .col(timestamp_with_time_zone_null(Dossier::SettledAt))
                .col(string_len_null(Dossier::Timeliness, 16))
                .col(timestamp_with_time_zone_null(Dossier::ReturnedAt))
                .col(string_len_null(Dossier::ReturnMethod, 16))
                .col(string_len_null(Dossier::TrackingNumber, 64))
                .col(timestamp_with_time_zone(Dossier::CreatedAt))
                .col(timestamp_with_time_zone(Dossier::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Dossier::Table, Dossier::ProcedureId)
                        .to(Procedure::Table, Procedure::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Dossier::Table, Dossier::ReceivingAgencyId)
                        .to(Agency::Table, Agency::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Dossier::Table, Dossier::SettlingAgencyId)
                        .to(Agency::Table, Agency::Id),
                )
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("idx_dossier_status", vec![Dossier::Status]),
            (
                "idx_dossier_receiving",
                vec![Dossier::ReceivingAgencyId, Dossier::Status],
            ),
            (
                "idx_dossier_settling",
                vec![Dossier::SettlingAgencyId, Dossier::Status],
            ),
            ("idx_dossier_procedure", vec![Dossier::ProcedureId]),
            ("idx_dossier_applicant", vec![Dossier::ApplicantAccountId]),
            (
                "idx_dossier_applicant_id_number",
                vec![Dossier::ApplicantIdNumber],
            ),
            ("idx_dossier_due", vec![Dossier::DueAt]),
            ("idx_dossier_submitted", vec![Dossier::SubmittedAt]),
            ("idx_dossier_received", vec![Dossier::ReceivedAt]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Dossier::Table);
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx).await?;
        }
        m.create_index(
            Index::create()
                .name("uq_dossier_idempotency")
                .table(Dossier::Table)
                .col(Dossier::ApplicantAccountId)
                .col(Dossier::IdempotencyKey)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DossierEvent::Table)
                .col(big_pk_auto(DossierEvent::Id))
                .col(big_integer(DossierEvent::DossierId))
                .col(integer(DossierEvent::Seq))
                .col(string_len(DossierEvent::Action, 32))
                .col(string_len_null(DossierEvent::FromStatus, 24))
                .col(string_len(DossierEvent::ToStatus, 24))
                .col(big_integer_null(DossierEvent::ActorAccountId))
                .col(string_len_null(DossierEvent::ActorRole, 32))
                .col(big_integer_null(DossierEvent::ActorAgencyId))
                .col(text_null(DossierEvent::Note))
                .col(text(DossierEvent::Data))
                .col(timestamp_with_time_zone(DossierEvent::At))
                .foreign_key(
                    ForeignKey::create()
                        .from(DossierEvent::Table, DossierEvent::DossierId)
                        .to(Dossier::Table, Dossier::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_dossier_event_seq")
                .table(DossierEvent::Table)
                .col(DossierEvent::DossierId)
                .col(DossierEvent::Seq)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DossierCodeCounter::Table)
                .col(big_integer(DossierCodeCounter::AgencyId))
                .col(string_len(DossierCodeCounter::Day, 8))
                .col(integer(DossierCodeCounter::Last))
                .primary_key(
                    Index::create()
                        .col(DossierCodeCounter::AgencyId)
                        .col(DossierCodeCounter::Day),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(big_pk_auto(Outbox::Id))
                .col(string_len(Outbox::Topic, 64))
                .col(big_integer_null(Outbox::DossierId))
                .col(integer_null(Outbox::Seq))
                .col(text(Outbox::Payload))
                .col(timestamp_with_time_zone(Outbox::CreatedAt))
                .col(timestamp_with_time_zone_null(Outbox::PublishedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_unpublished")
                .table(Outbox::Table)
                .col(Outbox::PublishedAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Outbox::Table.into_iden(),
            DossierCodeCounter::Table.into_iden(),
            DossierEvent::Table.into_iden(),
            Dossier::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Agency {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Procedure {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Dossier {
    Table,
    Id,
    Code,
    ProcedureId,
    ProcedureVersion,
    ApplicantAccountId,
    ApplicantName,
    ApplicantIdNumber,
    ApplicantPhone,
    ApplicantEmail,
    ApplicantAddress,
    Channel,
    Status,
    PauseKind,
    Version,
    ReceivingAgencyId,
    SettlingAgencyId,
    HandlerAccountId,
    FormData,
    IdempotencyKey,
    SubmittedAt,
    ReceivedAt,
    TransferredAt,
    DueAt,
    LegalDueAt,
    PausedAt,
    PausedSeconds,
    SupplementRequests,
    ReceptionSeconds,
    TransferSeconds,
    SettledAt,
    Timeliness,
    ReturnedAt,
    ReturnMethod,
    TrackingNumber,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum DossierEvent {
    Table,
    Id,
    DossierId,
    Seq,
    Action,
    FromStatus,
    ToStatus,
    ActorAccountId,
    ActorRole,
    ActorAgencyId,
    Note,
    Data,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum DossierCodeCounter {
    Table,
    AgencyId,
    Day,
    Last,
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    Topic,
    DossierId,
    Seq,
    Payload,
    CreatedAt,
    PublishedAt,
}
