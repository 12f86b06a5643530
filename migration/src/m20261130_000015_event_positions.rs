//! The live events' cursor: every outbox row gets a position when the relay
//! sequences it, in the order rows become visible, so that a client resumes
//! from the last position it heard and an instance reads the rows in order.
//! The parties are copied out of the payload, so that an account's or an
//! agency's events after a position are read through an index.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column at a time.
        for column in [
            Outbox::Position,
            Outbox::ApplicantAccountId,
            Outbox::ReceivingAgencyId,
            Outbox::SettlingAgencyId,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(big_integer_null(column))
                    .to_owned(),
            )
            .await?;
        }
        // Rows already published keep their order; the parties are the
        // dossier's now (an older row may name an agency it has left).
        let db = m.get_connection();
        db.execute_unprepared("UPDATE outbox SET position = id WHERE published_at IS NOT NULL")
            .await?;
        db.execute_unprepared(
            "UPDATE outbox SET \
               applicant_account_id = (SELECT applicant_account_id FROM dossier WHERE dossier.id = outbox.dossier_id), \
               receiving_agency_id = (SELECT receiving_agency_id FROM dossier WHERE dossier.id = outbox.dossier_id), \
               settling_agency_id = (SELECT settling_agency_id FROM dossier WHERE dossier.id = outbox.dossier_id) \
             WHERE dossier_id IS NOT NULL",
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_outbox_position")
                .table(Outbox::Table)
                .col(Outbox::Position)
                .unique()
                .to_owned(),
        )
        .await?;
        for (name, column) in [
            ("idx_outbox_applicant_position", Outbox::ApplicantAccountId),
            ("idx_outbox_receiving_position", Outbox::ReceivingAgencyId),
            ("idx_outbox_settling_position", Outbox::SettlingAgencyId),
            ("idx_outbox_dossier_position", Outbox::DossierId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Outbox::Table)
                    .col(column)
                    .col(Outbox::Position)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "idx_outbox_dossier_position",
            "idx_outbox_settling_position",
            "idx_outbox_receiving_position",
            "idx_outbox_applicant_position",
            "uq_outbox_position",
        ] {
            m.drop_index(Index::drop().name(name).table(Outbox::Table).to_owned())
                .await?;
        }
        for column in [
            Outbox::SettlingAgencyId,
            Outbox::ReceivingAgencyId,
            Outbox::ApplicantAccountId,
            Outbox::Position,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Position,
    DossierId,
    ApplicantAccountId,
    ReceivingAgencyId,
    SettlingAgencyId,
}
