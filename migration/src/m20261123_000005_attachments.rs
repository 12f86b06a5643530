//! Attachments: metadata in the database, content on disk under
//! MOTCUA_DATA_DIR, addressed by SHA-256.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Attachment::Table)
                .col(big_pk_auto(Attachment::Id))
                .col(big_integer(Attachment::DossierId))
                .col(string(Attachment::Component))
                .col(string(Attachment::Filename))
                .col(string_len(Attachment::ContentType, 128))
                .col(big_integer(Attachment::SizeBytes))
                .col(string_len(Attachment::Sha256, 64))
                .col(big_integer_null(Attachment::UploadedBy))
                .col(timestamp_with_time_zone(Attachment::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Attachment::Table, Attachment::DossierId)
                        .to(Dossier::Table, Dossier::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_attachment_dossier")
                .table(Attachment::Table)
                .col(Attachment::DossierId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Attachment::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Dossier {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Attachment {
    Table,
    Id,
    DossierId,
    Component,
    Filename,
    ContentType,
    SizeBytes,
    Sha256,
    UploadedBy,
    CreatedAt,
}
