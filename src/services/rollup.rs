//! The statistics rollup: per local month, settling agency, procedure and
//! channel, the counts the public statistics and the agency evaluation
//! need — received, settled (early, on time, late, on time under Decision
//! 766), refused, withdrawn, ratings and their answers, reception within 8
//! working hours, files and reused documents, results returned with their
//! electronic copy, fees paid (online). Every change adds to it in its own
//! transaction, so a year's figures sum a few thousand rows instead of
//! scanning millions of dossiers. Statistics and evaluation periods are
//! whole months (a year, a quarter or a month): a month is the finest
//! bucket needed.
//!
//! What a change adds is decided by `domain::rollup`; `store::stats`
//! writes it.

use chrono::{DateTime, Utc};
use entity::dossier;
use sea_orm::ConnectionTrait;

use crate::domain::calendar::Timeliness;
use crate::domain::documents::AttachmentKind;
use crate::domain::lifecycle::HANDOVER_LIMIT_SECONDS;
use crate::domain::lifecycle::{Channel, DossierAction, DossierStatus};
use crate::domain::rollup::{self as decide, DossierFacts, Files, LocalMonths};
pub use crate::domain::rollup::{Delta, M};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store;

/// The local month of an instant, as the rollup keys it ("2026-11").
pub fn month_of(st: &AppState, at: DateTime<Utc>) -> String {
    decide::month_of(st.config.calendar.tz, at)
}

fn facts(d: &dossier::Model) -> DossierFacts {
    DossierFacts {
        online: d.channel == Channel::Online.as_str(),
        reception_seconds: d.reception_seconds,
        settled: d.settled_at.is_some(),
        timeliness: d.timeliness.as_deref().and_then(Timeliness::parse),
        supplement_requests: d.supplement_requests,
    }
}

/// A transition's counts, on `conn` (the transition's transaction); `d` is
/// the dossier as it is after it.
pub async fn on_transition(
    conn: &impl ConnectionTrait,
    st: &AppState,
    d: &dossier::Model,
    action: DossierAction,
    from: Option<DossierStatus>,
    to: DossierStatus,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let files = if decide::needs_files(action, to) {
        store::attachments::files_of(conn, d.id).await?
    } else {
        Files::default()
    };
    let delta = decide::deltas(action, from, to, &facts(d), files, HANDOVER_LIMIT_SECONDS);
    add(conn, st, d, at, delta).await
}

/// A file attached to a dossier already received: the first component
/// file (and the first reused document) counts in the month it was
/// received. Call before inserting the attachment, on its transaction.
pub async fn on_attachment(
    conn: &impl ConnectionTrait,
    st: &AppState,
    d: &dossier::Model,
    kind: AttachmentKind,
    from_data_store: bool,
) -> AppResult<()> {
    let Some(received) = d.received_at else {
        return Ok(()); // counted at reception
    };
    if kind != AttachmentKind::Component {
        return Ok(()); // results are counted at return
    }
    let files = store::attachments::files_of(conn, d.id).await?;
    let online = d.channel == Channel::Online.as_str();
    let delta = decide::attachment(kind, from_data_store, online, files);
    add(conn, st, d, received, delta).await
}

/// Adds to the row of `d`'s agency, procedure and channel in the month of
/// `at`, on `conn` (the caller's transaction).
pub async fn add(
    conn: &impl ConnectionTrait,
    st: &AppState,
    d: &dossier::Model,
    at: DateTime<Utc>,
    delta: Delta,
) -> AppResult<()> {
    let key = store::stats::Key {
        month: month_of(st, at),
        settling_agency_id: d.settling_agency_id,
        procedure_id: d.procedure_id,
        channel: d.channel.clone(),
    };
    store::stats::add(conn, &key, &delta).await?;
    Ok(())
}

/// Rebuilds the rollup from the dossiers, in one transaction: after a bulk
/// import, or at start when it is empty but dossiers exist (a database
/// from before the rollup). Months are the calendar zone's, summer time
/// included.
pub async fn rebuild(st: &AppState) -> AppResult<()> {
    let txn = store::write_txn(&st.db).await?;
    let months = match store::stats::counted_span(&txn).await? {
        Some((from, to)) => LocalMonths::covering(st.config.calendar.tz, from, to),
        None => LocalMonths::default(),
    };
    store::stats::rebuild(&txn, &months, HANDOVER_LIMIT_SECONDS).await?;
    txn.commit().await?;
    Ok(())
}

/// At start: fills an empty rollup when dossiers already exist.
pub async fn backfill_if_empty(st: &AppState) -> AppResult<bool> {
    if !store::stats::is_empty(&st.db).await? {
        return Ok(false);
    }
    if !store::stats::any_counted_dossier(&st.db).await? {
        return Ok(false);
    }
    rebuild(st).await?;
    Ok(true)
}
