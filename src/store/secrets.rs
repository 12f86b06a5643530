//! Secrets the instances of a deployment share (`server_secret`).

use chrono::{DateTime, Utc};
use entity::server_secret::{self, Column as C};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect};

/// The secret called `name`, stored as `candidate` unless one is stored
/// already: of instances starting at once, the first insert wins and every
/// one reads back the same value.
pub async fn get_or_insert(
    conn: &impl ConnectionTrait,
    name: &str,
    candidate: &str,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let insert = Query::insert()
        .into_table(server_secret::Entity)
        .columns([C::Name, C::Value, C::CreatedAt])
        .values([name.into(), candidate.into(), now.into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::column(C::Name).do_nothing().to_owned())
        .to_owned();
    conn.execute(&insert).await?;
    get(conn, name)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("server_secret {name}")))
}

/// The secret called `name`, if one is stored.
pub async fn get(conn: &impl ConnectionTrait, name: &str) -> Result<Option<String>, DbErr> {
    server_secret::Entity::find_by_id(name.to_owned())
        .select_only()
        .column(C::Value)
        .into_tuple::<String>()
        .one(conn)
        .await
}
