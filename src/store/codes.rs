//! Daily dossier code numbers (`dossier_code_counter`).

use entity::dossier_code_counter::{self, Column as C};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};

/// The next number of `agency_id`'s dossier codes on local `day`
/// ("yymmdd"): 1 for the day's first, then 2, 3 … One upsert that
/// increments and returns the counter, so concurrent receptions in other
/// transactions never get the same number. Run it in the transaction that
/// saves the code.
pub async fn next(conn: &impl ConnectionTrait, agency_id: i64, day: &str) -> Result<i32, DbErr> {
    let stmt = Query::insert()
        .into_table(dossier_code_counter::Entity)
        .columns([C::AgencyId, C::Day, C::Last])
        .values([agency_id.into(), day.into(), 1.into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::columns([C::AgencyId, C::Day])
                .value(
                    C::Last,
                    Expr::col((dossier_code_counter::Entity, C::Last)).add(1),
                )
                .to_owned(),
        )
        .returning_col(C::Last)
        .to_owned();
    let row = conn
        .query_one(&stmt)
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    row.try_get("", "last")
}
