//! Feedback and petitions (phản ánh, kiến nghị; Đắk Lắk 04/2024 Art. 21).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Feedback::Table)
                .col(big_pk_auto(Feedback::Id))
                .col(string_len(Feedback::Kind, 16))
                .col(string_len(Feedback::Channel, 16))
                .col(string_len(Feedback::Title, 500))
                .col(text(Feedback::Content))
                .col(big_integer_null(Feedback::SenderAccountId))
                .col(string_len(Feedback::SenderName, 200))
                .col(string_len_null(Feedback::SenderPhone, 32))
                .col(string_len_null(Feedback::SenderEmail, 254))
                .col(text_null(Feedback::SenderAddress))
                .col(big_integer(Feedback::AgencyId))
                .col(big_integer_null(Feedback::ProcedureId))
                .col(big_integer_null(Feedback::DossierId))
                .col(string_len(Feedback::Status, 16))
                .col(integer(Feedback::Version))
                .col(big_integer_null(Feedback::HandlerAccountId))
                .col(timestamp_with_time_zone(Feedback::ArrivedAt))
                .col(timestamp_with_time_zone(Feedback::EnteredAt))
                .col(big_integer_null(Feedback::EnteredBy))
                .col(big_integer(Feedback::EntrySeconds))
                .col(boolean(Feedback::LateEntry))
                .col(timestamp_with_time_zone(Feedback::DueAt))
                .col(text_null(Feedback::Answer))
                .col(timestamp_with_time_zone_null(Feedback::AnsweredAt))
                .col(big_integer_null(Feedback::AnsweredBy))
                .col(text_null(Feedback::RejectReason))
                .col(timestamp_with_time_zone_null(Feedback::ClosedAt))
                .col(big_integer_null(Feedback::TransferredFromAgencyId))
                .col(text_null(Feedback::TransferReason))
                .col(timestamp_with_time_zone_null(Feedback::TransferredAt))
                .col(timestamp_with_time_zone_null(Feedback::PublishedAt))
                .col(string_len_null(Feedback::PublicTitle, 500))
                .col(text_null(Feedback::PublicContent))
                .col(text_null(Feedback::SearchText))
                .col(timestamp_with_time_zone(Feedback::CreatedAt))
                .col(timestamp_with_time_zone(Feedback::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Feedback::Table, Feedback::AgencyId)
                        .to(Agency::Table, Agency::Id),
                )
                .to_owned(),
        )
        .await?;
        let indexes: [(&str, &[Feedback]); 5] = [
            (
                "idx_feedback_agency_status",
                &[Feedback::AgencyId, Feedback::Status],
            ),
            (
                "idx_feedback_status_due",
                &[Feedback::Status, Feedback::DueAt],
            ),
            ("idx_feedback_sender", &[Feedback::SenderAccountId]),
            ("idx_feedback_published", &[Feedback::PublishedAt]),
            ("idx_feedback_due", &[Feedback::DueAt]),
        ];
        for (name, cols) in indexes {
            let mut idx = Index::create();
            idx.name(name).table(Feedback::Table);
            for c in cols {
                idx.col(*c);
            }
            m.create_index(idx.to_owned()).await?;
        }
        // Statistics select the dossiers a period touches: received or
        // settled in it, refused or withdrawn in it, or open now.
        for (name, cols) in [
            ("idx_dossier_settled", vec![Dossier::SettledAt]),
            (
                "idx_dossier_status_updated",
                vec![Dossier::Status, Dossier::UpdatedAt],
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Dossier::Table);
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_dossier_settled", "idx_dossier_status_updated"] {
            m.drop_index(Index::drop().name(name).table(Dossier::Table).to_owned())
                .await?;
        }
        m.drop_table(Table::drop().table(Feedback::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Agency {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Dossier {
    Table,
    SettledAt,
    Status,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Feedback {
    Table,
    Id,
    Kind,
    Channel,
    Title,
    Content,
    SenderAccountId,
    SenderName,
    SenderPhone,
    SenderEmail,
    SenderAddress,
    AgencyId,
    ProcedureId,
    DossierId,
    Status,
    Version,
    HandlerAccountId,
    ArrivedAt,
    EnteredAt,
    EnteredBy,
    EntrySeconds,
    LateEntry,
    DueAt,
    Answer,
    AnsweredAt,
    AnsweredBy,
    RejectReason,
    ClosedAt,
    TransferredFromAgencyId,
    TransferReason,
    TransferredAt,
    PublishedAt,
    PublicTitle,
    PublicContent,
    SearchText,
    CreatedAt,
    UpdatedAt,
}
