//! Who registered a dossier on the applicant's behalf (postal staff see the
//! dossiers they registered), and the postal delivery of a result
//! (`recordPostalDelivery`). Existing counter and postal dossiers take
//! their registrar from their first history event.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite alters one at a time.
        for column in [
            big_integer_null(Dossier::RegisteredByAccountId),
            timestamp_with_time_zone_null(Dossier::DeliveredAt),
            string_len_null(Dossier::DeliveryRecipient, 200),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Dossier::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("idx_dossier_registered_by")
                .table(Dossier::Table)
                .col(Dossier::RegisteredByAccountId)
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE dossier SET registered_by_account_id = \
                 (SELECT e.actor_account_id FROM dossier_event e \
                  WHERE e.dossier_id = dossier.id AND e.seq = 1) \
                 WHERE channel <> 'ONLINE'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_dossier_registered_by")
                .table(Dossier::Table)
                .to_owned(),
        )
        .await?;
        for c in [
            Dossier::RegisteredByAccountId,
            Dossier::DeliveredAt,
            Dossier::DeliveryRecipient,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Dossier::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Dossier {
    Table,
    RegisteredByAccountId,
    DeliveredAt,
    DeliveryRecipient,
}
