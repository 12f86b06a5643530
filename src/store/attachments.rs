//! Attachment queries that are more than one sea-orm call.

use entity::attachment::{self, Column as X};
use sea_orm::sea_query::{Alias, CaseStatement, Expr, ExprTrait, Func, Query};
use sea_orm::{ConnectionTrait, DbErr};

use crate::domain::documents::AttachmentKind;
use crate::domain::rollup::Files;

/// What files a dossier has (a component, a component from the data store,
/// a result), in one query on the caller's connection or transaction.
pub async fn files_of(conn: &impl ConnectionTrait, dossier_id: i64) -> Result<Files, DbErr> {
    let count = |cond: Expr| -> Expr {
        Func::cast_as(
            Func::sum(CaseStatement::new().case(cond, 1).finally(0)),
            Alias::new("BIGINT"),
        )
        .into()
    };
    let component = || Expr::col(X::Kind).eq(AttachmentKind::Component.as_str());
    let q = Query::select()
        .expr_as(count(component()), Alias::new("component"))
        .expr_as(
            count(component().and(Expr::col(X::DocumentId).is_not_null())),
            Alias::new("reused"),
        )
        .expr_as(
            count(Expr::col(X::Kind).eq(AttachmentKind::Result.as_str())),
            Alias::new("result"),
        )
        .from(attachment::Entity)
        .and_where(Expr::col(X::DossierId).eq(dossier_id))
        .to_owned();
    let row = conn.query_one(&q).await?;
    let has = |c: &str| -> Result<bool, DbErr> {
        Ok(match &row {
            Some(r) => r.try_get::<Option<i64>>("", c)?.unwrap_or(0) > 0,
            None => false,
        })
    };
    Ok(Files {
        component: has("component")?,
        reused: has("reused")?,
        result: has("result")?,
    })
}

/// The components a dossier has a file for (its applicant's files, not the
/// result), each once.
pub async fn filed_components(
    conn: &impl ConnectionTrait,
    dossier_id: i64,
) -> Result<Vec<String>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    attachment::Entity::find()
        .select_only()
        .column(X::Component)
        .distinct()
        .filter(X::DossierId.eq(dossier_id))
        .filter(X::Kind.eq(AttachmentKind::Component.as_str()))
        .into_tuple()
        .all(conn)
        .await
}
