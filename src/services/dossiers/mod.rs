//! Dossiers: drafts, intake on every channel, every transition of the
//! lifecycle, the officer's lists, and public tracking. Split by job:
//!
//! - `intake`: createDossier, registerCounterDossier, registerPostalDossier;
//! - `transitions`: one transition as one transaction (`apply`), or inside a
//!   caller's (`apply_in`): load the facts, `domain::transition::plan`
//!   decides, write the plan with its history event, audit record, outbox
//!   message, rollup and notifications — together or not at all;
//! - `tasks`: consultations, verifications, inter-agency tasks;
//! - `queries`: one dossier, lists, the work queue, history, control sheet;
//! - `tracking`: the public lookup by code and ID number or phone;
//! - `search`: officers' search by name, phone, code or e-mail phrases.
//!
//! Every operation that takes a dossier id starts at `visible`: a dossier
//! the caller may not read answers exactly like one that does not exist.

mod intake;
mod order;
mod queries;
pub mod search;
mod tasks;
mod tracking;
mod transitions;

use entity::dossier;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::Caller;
use crate::domain::authz::{Actor, AgencyScope};
use crate::domain::lifecycle::{may_read, DossierStatus, Parties, PauseKind, ReturnMethod};
use crate::error::{stored_enum, AppError, AppResult, Missing};
use crate::state::AppState;
use crate::store;

pub use crate::domain::applicant::Applicant as ApplicantInput;
pub use crate::domain::transition::{Command, InterAgencyTask, PostalDelivery, SupplementItem};
pub use intake::{
    create_draft, register_counter, register_postal, CounterPayment, DraftInput, IntakeInput,
};
pub use order::{ListRequest, Position, SortKey};
pub(crate) use queries::audit_read;
pub use queries::{
    control_sheet, events, events_of, events_of_many, get, get_by_code, handed_in, list,
    may_follow, work_queue, DossierFilter,
};
pub use tasks::{tasks_of, tasks_of_many};
pub use tracking::{track, Tracking};
pub use transitions::{apply, apply_in};

/// A stored dossier's status.
pub(crate) fn status_of(d: &dossier::Model) -> AppResult<DossierStatus> {
    stored_enum::<DossierStatus>(&d.status)
}

fn pause_of(d: &dossier::Model) -> Option<PauseKind> {
    d.pause_kind.as_deref().and_then(PauseKind::parse)
}

/// The lineages a dossier's authorization needs.
struct Lineages {
    receiving: Vec<i64>,
    settling: Vec<i64>,
    /// Every agency asked to contribute, with its ancestors.
    consulted: Vec<i64>,
}

async fn lineages(db: &impl ConnectionTrait, d: &dossier::Model) -> AppResult<Lineages> {
    let mut consulted = Vec::new();
    for t in tasks_of(db, d.id).await? {
        if let Some(a) = t.agency_id {
            consulted.extend(store::agencies::lineage(db, a).await?);
        }
    }
    consulted.sort_unstable();
    consulted.dedup();
    Ok(Lineages {
        receiving: store::agencies::lineage(db, d.receiving_agency_id).await?,
        settling: store::agencies::lineage(db, d.settling_agency_id).await?,
        consulted,
    })
}

fn parties<'a>(d: &dossier::Model, l: &'a Lineages) -> Parties<'a> {
    Parties {
        applicant_account_id: d.applicant_account_id,
        handler_account_id: d.handler_account_id,
        registered_by_account_id: d.registered_by_account_id,
        by_post: d.return_method.as_deref() == Some(ReturnMethod::Post.as_str()),
        receiving: AgencyScope {
            lineage: &l.receiving,
        },
        settling: AgencyScope {
            lineage: &l.settling,
        },
        consulted: AgencyScope {
            lineage: &l.consulted,
        },
    }
}

/// `domain::lifecycle::may_read` for a stored dossier.
fn readable(actor: &Actor, d: &dossier::Model, l: &Lineages) -> bool {
    DossierStatus::parse(&d.status).is_some_and(|s| may_read(actor, &parties(d, l), s))
}

/// A dossier and its lineages, for a signed-in caller who may read it
/// (`may_read`), read through `db` (the operation's transaction when it
/// has one). A dossier the caller may not read answers exactly like one
/// that does not exist (DOMAIN.md: no existence oracle), and an anonymous
/// caller is UNAUTHENTICATED whether it exists or not. FORBIDDEN is left
/// for readers who may not do the operation.
async fn visible_with_lineages(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    id: i64,
) -> AppResult<(dossier::Model, Lineages)> {
    let actor = caller.signed_in()?;
    let d = dossier::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound(Missing::Dossier))?;
    let l = lineages(db, &d).await?;
    if !readable(actor, &d, &l) {
        return Err(AppError::NotFound(Missing::Dossier));
    }
    Ok((d, l))
}

/// `visible_with_lineages` for the other use cases taking a dossier id
/// (attachments, payments, ratings, documents, feedback links).
pub(crate) async fn visible(
    st: &AppState,
    caller: &Caller<'_>,
    id: i64,
) -> AppResult<dossier::Model> {
    Ok(visible_with_lineages(&st.db, caller, id).await?.0)
}

/// `domain::lifecycle::may_file_result` for a dossier.
pub(crate) async fn may_file_result(
    st: &AppState,
    actor: &Actor,
    d: &dossier::Model,
) -> AppResult<bool> {
    let l = lineages(&st.db, d).await?;
    Ok(crate::domain::lifecycle::may_file_result(
        actor,
        &parties(d, &l),
    ))
}
