//! The agency evaluation's inputs join the statistics rollup (see
//! `services::rollup`). The rollup is emptied here and rebuilt from the
//! dossiers at the next start.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [DossierStat; 9] = [
    DossierStat::OnTime766,
    DossierStat::ReceptionChecked,
    DossierStat::ReceptionWithin,
    DossierStat::WithComponentFile,
    DossierStat::OnlineReused,
    DossierStat::Returned,
    DossierStat::ReturnedWithFile,
    DossierStat::Paid,
    DossierStat::PaidOnline,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite alters one at a time.
        for c in COLUMNS {
            m.alter_table(
                Table::alter()
                    .table(DossierStat::Table)
                    .add_column(big_integer(c).default(0))
                    .to_owned(),
            )
            .await?;
        }
        m.get_connection()
            .execute_unprepared("DELETE FROM dossier_stat")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in COLUMNS {
            m.alter_table(
                Table::alter()
                    .table(DossierStat::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum DossierStat {
    Table,
    #[sea_orm(iden = "on_time_766")]
    OnTime766,
    ReceptionChecked,
    ReceptionWithin,
    WithComponentFile,
    OnlineReused,
    Returned,
    ReturnedWithFile,
    Paid,
    PaidOnline,
}
