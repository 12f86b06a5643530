//! Ratings: the applicant rates a settled dossier once and may revise it for
//! seven days; summaries are public and counted by the database.

use chrono::{DateTime, Utc};
use entity::{procedure, rating};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select,
    Set,
};
use serde_json::json;

use super::audit::{self, Entry};
use super::rollup::{self, Delta, M};
use super::{dossiers, Caller};
use crate::domain::lifecycle::DossierStatus;
use crate::domain::rating::{
    plan, RatingCriterion, RatingFacts, RatingLevel, RatingPlan, RatingRefusal,
};
use crate::error::{stored_enum, AppError, AppResult};
use crate::state::AppState;
use crate::store;
use sea_orm::prelude::Expr;

pub struct RatingInput {
    pub service_use: RatingLevel,
    pub staff_attitude: RatingLevel,
    pub processing_time: RatingLevel,
    pub comment: Option<String>,
}

/// The applicant rates (or, within seven days, revises) a dossier.
pub async fn rate(
    st: &AppState,
    caller: &Caller<'_>,
    dossier_id: i64,
    input: RatingInput,
) -> AppResult<rating::Model> {
    let actor = caller.signed_in()?;
    let d = dossiers::visible(st, caller, dossier_id).await?;
    let now = st.clock.now();
    let existing = rating::Entity::find()
        .filter(rating::Column::DossierId.eq(dossier_id))
        .one(&st.db)
        .await?;
    let facts = RatingFacts {
        by_applicant: d.applicant_account_id == Some(actor.account_id),
        status: stored_enum::<DossierStatus>(&d.status)?,
        rated_at: existing.as_ref().map(|r| r.rated_at),
    };
    let RatingPlan { comment, .. } = plan(facts, input.comment.as_deref(), now).map_err(refused)?;
    let levels = [
        input.service_use.as_str(),
        input.staff_attitude.as_str(),
        input.processing_time.as_str(),
    ];
    let txn = store::write_txn(&st.db).await?;
    let (saved, operation) = match existing {
        Some(r) => {
            // The answers move in the statistics: the old ones out, the
            // new in, in the month of the first rating.
            let moved = Delta::answers([&r.service_use, &r.staff_attitude, &r.processing_time], -1)
                .plus(Delta::answers(levels, 1));
            rollup::add(&txn, st, &d, r.rated_at, moved).await?;
            // Guarded by the answers read: a concurrent revision loses.
            let done = rating::Entity::update_many()
                .col_expr(rating::Column::ServiceUse, Expr::value(levels[0]))
                .col_expr(rating::Column::StaffAttitude, Expr::value(levels[1]))
                .col_expr(rating::Column::ProcessingTime, Expr::value(levels[2]))
                .col_expr(rating::Column::Comment, Expr::value(comment))
                .col_expr(rating::Column::RevisedAt, Expr::value(Some(now)))
                .filter(rating::Column::Id.eq(r.id))
                .filter(rating::Column::ServiceUse.eq(r.service_use.as_str()))
                .filter(rating::Column::StaffAttitude.eq(r.staff_attitude.as_str()))
                .filter(rating::Column::ProcessingTime.eq(r.processing_time.as_str()))
                .filter(match r.revised_at {
                    Some(t) => rating::Column::RevisedAt.eq(t),
                    None => rating::Column::RevisedAt.is_null(),
                })
                .exec(&txn)
                .await?;
            if done.rows_affected != 1 {
                return Err(AppError::VersionConflict);
            }
            let saved = rating::Entity::find_by_id(r.id)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::internal("rating vanished"))?;
            (saved, "reviseRating")
        }
        None => {
            let p = procedure::Entity::find_by_id(d.procedure_id)
                .one(&st.db)
                .await?
                .ok_or_else(|| AppError::internal("procedure missing"))?;
            let row = rating::ActiveModel {
                dossier_id: Set(d.id),
                account_id: Set(actor.account_id),
                agency_id: Set(d.settling_agency_id),
                procedure_id: Set(d.procedure_id),
                field_id: Set(p.field_id),
                service_use: Set(input.service_use.as_str().into()),
                staff_attitude: Set(input.staff_attitude.as_str().into()),
                processing_time: Set(input.processing_time.as_str().into()),
                comment: Set(comment),
                rated_at: Set(now),
                revised_at: Set(None),
                ..Default::default()
            };
            // A concurrent first rating loses on the unique dossier id.
            let saved = row.insert(&txn).await.map_err(|e| match e.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::VersionConflict,
                _ => AppError::from(e),
            })?;
            let given = Delta::answers(levels, 1).with(M::Rated, 1);
            rollup::add(&txn, st, &d, now, given).await?;
            (saved, "rateDossier")
        }
    };
    let summary = json!({ "after": {
        "serviceUse": saved.service_use, "staffAttitude": saved.staff_attitude, "processingTime": saved.processing_time,
    } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new(operation, "dossier", d.id, summary),
    )
    .await?;
    Ok(saved)
}

/// A refusal of `domain::rating::plan` as the API answers it.
fn refused(r: RatingRefusal) -> AppError {
    match r {
        RatingRefusal::NotApplicant => AppError::Forbidden,
        RatingRefusal::Comment(p) => AppError::bad_input("comment", p),
        RatingRefusal::NotRatable | RatingRefusal::RevisionClosed => {
            let (vi, en) = r.explain();
            AppError::InvalidTransition {
                vi: vi.into(),
                en: en.into(),
            }
        }
    }
}

/// The ratings of several dossiers, in one query.
pub async fn of_dossiers(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<Vec<rating::Model>> {
    Ok(rating::Entity::find()
        .filter(rating::Column::DossierId.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

#[derive(Debug, Default, Clone)]
pub struct SummaryFilter {
    /// This agency and every agency below it.
    pub agency_id: Option<i64>,
    pub procedure_id: Option<i64>,
    pub field_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Counts per criterion and level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub total: i64,
    pub counts: Vec<(RatingCriterion, Vec<(RatingLevel, i64)>)>,
}

/// Public rating summary, counted by the database (GROUP BY per criterion).
pub async fn summary(st: &AppState, f: SummaryFilter) -> AppResult<Summary> {
    let mut base: Select<rating::Entity> = rating::Entity::find();
    if let Some(a) = f.agency_id {
        let ids = store::agencies::subtree(&st.db, a).await?;
        base = base.filter(rating::Column::AgencyId.is_in(ids));
    }
    if let Some(p) = f.procedure_id {
        base = base.filter(rating::Column::ProcedureId.eq(p));
    }
    if let Some(x) = f.field_id {
        base = base.filter(rating::Column::FieldId.eq(x));
    }
    if let Some(from) = f.from {
        base = base.filter(rating::Column::RatedAt.gte(from));
    }
    if let Some(to) = f.to {
        base = base.filter(rating::Column::RatedAt.lt(to));
    }
    let mut counts = Vec::new();
    let mut total = 0;
    for criterion in RatingCriterion::ALL {
        let column = match criterion {
            RatingCriterion::ServiceUse => rating::Column::ServiceUse,
            RatingCriterion::StaffAttitude => rating::Column::StaffAttitude,
            RatingCriterion::ProcessingTime => rating::Column::ProcessingTime,
        };
        let rows: Vec<(String, i64)> = base
            .clone()
            .select_only()
            .column(column)
            .column_as(rating::Column::Id.count(), "n")
            .group_by(column)
            .into_tuple()
            .all(&st.db)
            .await?;
        total = rows.iter().map(|r| r.1).sum();
        let per_level = RatingLevel::ALL
            .iter()
            .map(|l| {
                (
                    *l,
                    rows.iter()
                        .find(|r| r.0 == l.as_str())
                        .map(|r| r.1)
                        .unwrap_or(0),
                )
            })
            .collect();
        counts.push((*criterion, per_level));
    }
    Ok(Summary { total, counts })
}
