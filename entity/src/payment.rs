use sea_orm::entity::prelude::*;

/// A payment of a dossier's fees: online through the gateway (PENDING until
/// its signed callback), or recorded by an officer at the counter, by bank
/// transfer or by post. Refunded when the agency cannot deliver.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub dossier_id: i64,
    /// What the gateway is told and calls back with.
    #[sea_orm(unique)]
    pub reference: String,
    pub method: String,
    pub amount_vnd: i64,
    /// PENDING, PAID or REFUNDED.
    pub status: String,
    /// The gateway's transaction id: a callback is applied once per id.
    #[sea_orm(unique)]
    pub gateway_txn_id: Option<String>,
    /// The counter slip, transfer or postal reference an officer recorded.
    pub external_ref: Option<String>,
    #[sea_orm(unique)]
    pub receipt_number: Option<String>,
    pub created_by: Option<i64>,
    pub recorded_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub refunded_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub refund_reason: Option<String>,
    pub refunded_by: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
