//! The citizen's data store (kho dữ liệu; Quảng Ngãi 34/2023 Art. 10),
//! fees and payments (Hà Nam 30/2019 Art. 10.2.c–d), and the notification
//! outbox with its deliveries.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Document::Table)
                .col(big_pk_auto(Document::Id))
                .col(big_integer(Document::AccountId))
                .col(string_len(Document::DocType, 200))
                .col(string_len_null(Document::Number, 100))
                .col(string_len_null(Document::Issuer, 300))
                .col(date_null(Document::IssuedOn))
                .col(date_null(Document::ValidUntil))
                .col(string_len(Document::Filename, 200))
                .col(string_len(Document::ContentType, 64))
                .col(big_integer(Document::SizeBytes))
                .col(string_len(Document::Sha256, 64))
                .col(string_len(Document::Source, 16))
                .col(big_integer_null(Document::SourceDossierId))
                .col(timestamp_with_time_zone(Document::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Document::Table, Document::AccountId)
                        .to(Account::Table, Account::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_document_account")
                .table(Document::Table)
                .col(Document::AccountId)
                .to_owned(),
        )
        .await?;

        // A file is a component's or the result's; a component may come
        // from the data store (its id kept, without a foreign key: the
        // stored copy may be deleted, the dossier keeps its own reference).
        m.alter_table(
            Table::alter()
                .table(Attachment::Table)
                .add_column(string_len(Attachment::Kind, 16).default("COMPONENT"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Attachment::Table)
                .add_column(big_integer_null(Attachment::DocumentId))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Payment::Table)
                .col(big_pk_auto(Payment::Id))
                .col(big_integer(Payment::DossierId))
                .col(string_len_uniq(Payment::Reference, 40))
                .col(string_len(Payment::Method, 16))
                .col(big_integer(Payment::AmountVnd))
                .col(string_len(Payment::Status, 16))
                .col(string_len_null(Payment::GatewayTxnId, 100).unique_key())
                .col(string_len_null(Payment::ExternalRef, 100))
                .col(string_len_null(Payment::ReceiptNumber, 32).unique_key())
                .col(big_integer_null(Payment::CreatedBy))
                .col(big_integer_null(Payment::RecordedBy))
                .col(timestamp_with_time_zone(Payment::CreatedAt))
                .col(timestamp_with_time_zone_null(Payment::PaidAt))
                .col(timestamp_with_time_zone_null(Payment::RefundedAt))
                .col(text_null(Payment::RefundReason))
                .col(big_integer_null(Payment::RefundedBy))
                .foreign_key(
                    ForeignKey::create()
                        .from(Payment::Table, Payment::DossierId)
                        .to(Dossier::Table, Dossier::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_payment_dossier")
                .table(Payment::Table)
                .col(Payment::DossierId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Notification::Table)
                .col(big_pk_auto(Notification::Id))
                .col(big_integer_null(Notification::AccountId))
                .col(big_integer_null(Notification::DossierId))
                .col(big_integer_null(Notification::FeedbackId))
                .col(string_len(Notification::Template, 32))
                .col(string_len(Notification::Subject, 300))
                .col(text(Notification::Body))
                .col(timestamp_with_time_zone(Notification::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notification_account")
                .table(Notification::Table)
                .col(Notification::AccountId)
                .col(Notification::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Delivery::Table)
                .col(big_pk_auto(Delivery::Id))
                .col(big_integer(Delivery::NotificationId))
                .col(string_len(Delivery::Channel, 8))
                .col(string_len(Delivery::Recipient, 254))
                .col(string_len(Delivery::Status, 16))
                .col(integer(Delivery::Attempts))
                .col(timestamp_with_time_zone(Delivery::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Delivery::LeaseUntil))
                .col(text_null(Delivery::LastError))
                .col(timestamp_with_time_zone_null(Delivery::SentAt))
                .col(timestamp_with_time_zone(Delivery::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Delivery::Table, Delivery::NotificationId)
                        .to(Notification::Table, Notification::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_delivery_due")
                .table(Delivery::Table)
                .col(Delivery::Status)
                .col(Delivery::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_delivery_notification")
                .table(Delivery::Table)
                .col(Delivery::NotificationId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [Delivery::Table.into_iden(), Notification::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.drop_table(Table::drop().table(Payment::Table).to_owned())
            .await?;
        for c in [Attachment::DocumentId, Attachment::Kind] {
            m.alter_table(
                Table::alter()
                    .table(Attachment::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(Document::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Dossier {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Attachment {
    Table,
    Kind,
    DocumentId,
}

#[derive(DeriveIden)]
enum Document {
    Table,
    Id,
    AccountId,
    DocType,
    Number,
    Issuer,
    IssuedOn,
    ValidUntil,
    Filename,
    ContentType,
    SizeBytes,
    Sha256,
    Source,
    SourceDossierId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Payment {
    Table,
    Id,
    DossierId,
    Reference,
    Method,
    AmountVnd,
    Status,
    GatewayTxnId,
    ExternalRef,
    ReceiptNumber,
    CreatedBy,
    RecordedBy,
    CreatedAt,
    PaidAt,
    RefundedAt,
    RefundReason,
    RefundedBy,
}

#[derive(DeriveIden)]
enum Notification {
    Table,
    Id,
    AccountId,
    DossierId,
    FeedbackId,
    Template,
    Subject,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Delivery {
    Table,
    Id,
    NotificationId,
    Channel,
    Recipient,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    SentAt,
    CreatedAt,
}
