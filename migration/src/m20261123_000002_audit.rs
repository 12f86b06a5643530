//! The append-only, hash-chained audit log. `audit_head` holds the chain's
//! last hash in one row: updating it inside each writing transaction
//! serialises audit writers, so the chain never forks.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(big_pk_auto(AuditLog::Id))
                .col(timestamp_with_time_zone(AuditLog::At))
                .col(big_integer_null(AuditLog::ActorAccountId))
                .col(string_len_null(AuditLog::ActorRole, 32))
                .col(big_integer_null(AuditLog::ActorAgencyId))
                .col(string_len(AuditLog::Operation, 64))
                .col(string_len(AuditLog::TargetType, 32))
                .col(string_len(AuditLog::TargetId, 64))
                .col(text(AuditLog::Summary))
                .col(string_len(AuditLog::RequestId, 64))
                .col(string_len(AuditLog::PrevHash, 64))
                .col(string_len(AuditLog::Hash, 64))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_audit_actor", AuditLog::ActorAccountId),
            ("idx_audit_target", AuditLog::TargetId),
            ("idx_audit_at", AuditLog::At),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(AuditLog::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(AuditHead::Table)
                .col(integer(AuditHead::Id).primary_key())
                .col(big_integer(AuditHead::LastId))
                .col(string_len(AuditHead::LastHash, 64))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(AuditHead::Table)
                .columns([AuditHead::Id, AuditHead::LastId, AuditHead::LastHash])
                .values_panic([1.into(), 0i64.into(), GENESIS.into()])
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditHead::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}

/// The hash the first record chains to.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
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
    PrevHash,
    Hash,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditHead {
    Table,
    Id,
    LastId,
    LastHash,
}
