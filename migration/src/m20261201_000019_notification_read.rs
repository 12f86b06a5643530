//! Notifications read and unread for the mobile app (issue 16): when the
//! account marked each one read, and an index that counts the unread ones of
//! an account without reading its history.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_notification_unread";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Notification::Table)
                .add_column(
                    ColumnDef::new(Notification::ReadAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(INDEX)
                .table(Notification::Table)
                .col(Notification::AccountId)
                .col(Notification::ReadAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(INDEX)
                .table(Notification::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Notification::Table)
                .drop_column(Notification::ReadAt)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Notification {
    Table,
    AccountId,
    ReadAt,
}
