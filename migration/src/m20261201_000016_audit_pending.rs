//! Audit records are written without taking the chain's head: each
//! operation inserts its record into `audit_pending` inside its own
//! transaction, and one sealer at a time (holding `audit_head`'s row) moves
//! the committed records into the hash chain (`audit_log`) in batches. Writers
//! no longer queue behind each other on the head row (issue 15).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditPending::Table)
                .col(big_pk_auto(AuditPending::Id))
                .col(timestamp_with_time_zone(AuditPending::At))
                .col(big_integer_null(AuditPending::ActorAccountId))
                .col(string_len_null(AuditPending::ActorRole, 32))
                .col(big_integer_null(AuditPending::ActorAgencyId))
                .col(string_len(AuditPending::Operation, 64))
                .col(string_len(AuditPending::TargetType, 32))
                .col(string_len(AuditPending::TargetId, 64))
                .col(text(AuditPending::Summary))
                .col(string_len(AuditPending::RequestId, 64))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditPending::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditPending {
    Table,
    Id,
    At,
    ActorAccountId,
    ActorRole,
    ActorAgencyId,
    Operation,
    TargetType,
    TargetId,
    Summary,
    RequestId,
}
