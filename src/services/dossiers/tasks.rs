//! Consultations (xin ý kiến), verifications (xác minh) and inter-agency
//! tasks (liên thông): the work a dossier asks of someone besides its
//! handler.

use chrono::{DateTime, Utc};
use entity::dossier_task;
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::domain::lifecycle::TaskKind;
use crate::domain::transition::NewTask;
use crate::domain::Problem;
use crate::error::{AppError, AppResult};

pub(super) const TASK_OPEN: &str = "OPEN";
const TASK_DONE: &str = "DONE";

/// A dossier's consultations, verifications and inter-agency tasks.
pub async fn tasks_of(
    db: &impl ConnectionTrait,
    dossier_id: i64,
) -> AppResult<Vec<dossier_task::Model>> {
    tasks_of_many(db, &[dossier_id]).await
}

/// The tasks of several dossiers, in one query.
pub async fn tasks_of_many(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<Vec<dossier_task::Model>> {
    Ok(dossier_task::Entity::find()
        .filter(dossier_task::Column::DossierId.is_in(ids.iter().copied()))
        .order_by_asc(dossier_task::Column::Id)
        .all(db)
        .await?)
}

/// An open task of the dossier, of the kind the answer is for:
/// BAD_USER_INPUT on `taskId` when there is none, INVALID_TRANSITION when
/// it is already done.
pub(super) async fn open_task(
    db: &impl ConnectionTrait,
    dossier_id: i64,
    task_id: i64,
    kind: TaskKind,
) -> AppResult<dossier_task::Model> {
    let t = dossier_task::Entity::find_by_id(task_id)
        .one(db)
        .await?
        .filter(|t| t.dossier_id == dossier_id && t.kind == kind.as_str())
        .ok_or_else(|| AppError::bad_input("taskId", Problem::UnknownReference))?;
    if t.status != TASK_OPEN {
        return Err(AppError::InvalidTransition {
            vi: "Phần việc này đã hoàn thành".into(),
            en: "This task is already done".into(),
        });
    }
    Ok(t)
}

/// Inserts the planned tasks; their ids, in order.
pub(super) async fn insert(
    txn: &impl ConnectionTrait,
    dossier_id: i64,
    tasks: Vec<NewTask>,
    created_by: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(tasks.len());
    for t in tasks {
        let saved = dossier_task::ActiveModel {
            dossier_id: Set(dossier_id),
            kind: Set(t.kind.as_str().into()),
            agency_id: Set(t.agency_id),
            content: Set(t.content),
            deadline: Set(t.deadline),
            scheduled_at: Set(t.scheduled_at),
            place: Set(t.place),
            participants: Set(t.participants),
            status: Set(TASK_OPEN.into()),
            answer: Set(None),
            answered_by: Set(None),
            answered_at: Set(None),
            created_by: Set(created_by),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        ids.push(saved.id);
    }
    Ok(ids)
}

/// Records the answer to an open task; VERSION_CONFLICT when somebody
/// answered it first.
pub(super) async fn answer(
    txn: &impl ConnectionTrait,
    task_id: i64,
    text: String,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let done = dossier_task::Entity::update_many()
        .col_expr(dossier_task::Column::Status, Expr::value(TASK_DONE))
        .col_expr(dossier_task::Column::Answer, Expr::value(text))
        .col_expr(dossier_task::Column::AnsweredBy, Expr::value(by))
        .col_expr(dossier_task::Column::AnsweredAt, Expr::value(now))
        .filter(dossier_task::Column::Id.eq(task_id))
        .filter(dossier_task::Column::Status.eq(TASK_OPEN))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::VersionConflict);
    }
    Ok(())
}
