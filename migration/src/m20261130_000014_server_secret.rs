//! Secrets every instance of a deployment must share, kept in the database
//! they share: the payment gateway's callback key (unless
//! MOTCUA_PAYMENT_SECRET is set). One row per secret, written once.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ServerSecret::Table)
                .col(string_len(ServerSecret::Name, 64).primary_key())
                .col(text(ServerSecret::Value))
                .col(timestamp_with_time_zone(ServerSecret::CreatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ServerSecret::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ServerSecret {
    Table,
    Name,
    Value,
    CreatedAt,
}
