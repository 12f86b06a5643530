use sea_orm::entity::prelude::*;

/// The statistics rollup: counts per local month ("2026-11"), settling
/// agency, procedure and channel. Every transition adds to it; public
/// statistics and the agency evaluation sum it.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier_stat")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub settling_agency_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub procedure_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    pub received: i64,
    pub settled: i64,
    pub early: i64,
    pub on_time: i64,
    pub late: i64,
    pub refused: i64,
    pub withdrawn: i64,
    pub rated: i64,
    pub very_satisfied: i64,
    pub satisfied: i64,
    pub not_satisfied: i64,
    #[sea_orm(column_name = "on_time_766")]
    pub on_time_766: i64,
    pub reception_checked: i64,
    pub reception_within: i64,
    pub with_component_file: i64,
    pub online_reused: i64,
    pub returned: i64,
    pub returned_with_file: i64,
    pub paid: i64,
    pub paid_online: i64,
}

impl ActiveModelBehavior for ActiveModel {}
