//! The printable forms of a dossier (Circular 03/2025/TT-VPCP, Mẫu số
//! 01–06): who may print them, and the facts each is filled from — the
//! dossier, its history and the data the GraphQL fields show (`receipt`,
//! `controlSheet`, the history's events). `domain::forms` lays the page out.

use chrono::{DateTime, Utc};
use entity::{agency, dossier, dossier_event};
use sea_orm::EntityTrait;
use serde_json::Value;

use super::{attachments, catalogue, dossiers, Caller};
use crate::domain::catalogue::ProcedureContent;
use crate::domain::forms::{compose, Details, Facts, Form, Page};
use crate::domain::lifecycle::DossierAction;
use crate::domain::transition::SupplementItem;
use crate::error::{AppError, AppResult, Missing};
use crate::state::AppState;

/// Form `form` of dossier `id`, laid out for printing.
///
/// Errors: UNAUTHENTICATED without a session; NOT_FOUND (`Missing::Dossier`)
/// for a dossier the caller may not read (as `dossier(id)`); FORBIDDEN for
/// analysts and postal staff, who read no personal data (as attachments);
/// NOT_FOUND (`Missing::Form`) for a form the dossier has not been issued
/// (01 before reception, 02–05 without their event). An official's print
/// is audited as a read of the dossier (Decree 13/2023/NĐ-CP).
pub async fn page(st: &AppState, caller: &Caller<'_>, id: i64, form: Form) -> AppResult<Page> {
    let d = dossiers::visible(st, caller, id).await?;
    let actor = caller.signed_in()?;
    if actor.is_analyst_only() || actor.is_postal_only() {
        return Err(AppError::Forbidden);
    }
    // The procedure as the dossier was filed under it, read once: its name
    // heads every form, its components list the receipt.
    let content = catalogue::version_content(&st.db, d.procedure_id, d.procedure_version).await?;
    let details = details(st, &d, form, &content)
        .await?
        .ok_or(AppError::NotFound(Missing::Form))?;
    let issuer = match form {
        // The settling agency apologises and stops; the one-stop unit
        // receives, asks, refuses and keeps the control sheet.
        Form::Apology | Form::StopNotice => d.settling_agency_id,
        _ => d.receiving_agency_id,
    };
    let facts = facts(st, &d, issuer, content.name).await?;
    dossiers::audit_read(st, caller, &d).await?;
    Ok(compose(
        &facts,
        &details,
        st.clock.now(),
        st.config.calendar.tz,
    ))
}

async fn facts(
    st: &AppState,
    d: &dossier::Model,
    issuer: i64,
    procedure_name: String,
) -> AppResult<Facts> {
    let agency = agency::Entity::find_by_id(issuer)
        .one(&st.db)
        .await?
        .ok_or_else(|| AppError::internal("the dossier's agency is missing"))?;
    let parent = match agency.parent_id {
        Some(p) => agency::Entity::find_by_id(p).one(&st.db).await?,
        None => None,
    };
    Ok(Facts {
        code: d.code.clone(),
        public_url: st.config.public_url.clone(),
        procedure_name,
        applicant_name: d.applicant_name.clone(),
        applicant_address: d.applicant_address.clone(),
        applicant_phone: d.applicant_phone.clone(),
        parent_agency_name: parent.map(|p| p.name),
        agency_name: agency.name,
    })
}

/// The form's own facts, `None` when the dossier has not been issued it.
async fn details(
    st: &AppState,
    d: &dossier::Model,
    form: Form,
    content: &ProcedureContent,
) -> AppResult<Option<Details>> {
    if form == Form::Receipt {
        let (Some(received_at), Some(due_at)) = (d.received_at, d.due_at) else {
            return Ok(None);
        };
        let filed = attachments::of_dossiers(&st.db, &[d.id]).await?;
        return Ok(Some(Details::Receipt {
            received_at,
            due_at,
            components: dossiers::handed_in(content, d, &filed)?,
        }));
    }
    if form == Form::ControlSheet {
        if d.received_at.is_none() {
            return Ok(None);
        }
        let rows = dossiers::control_sheet(st, d).await?;
        return Ok(Some(Details::ControlSheet { rows }));
    }
    let action = match form {
        Form::SupplementRequest => DossierAction::RequestSupplement,
        Form::Refusal => DossierAction::Refuse,
        Form::Apology => DossierAction::IssueApology,
        _ => DossierAction::Stop,
    };
    // The latest one: a dossier asked twice prints the last request.
    let events = dossiers::events_of(&st.db, d.id, 0).await?;
    let Some(e) = events.iter().rev().find(|e| e.action == action.as_str()) else {
        return Ok(None);
    };
    Ok(Some(from_event(form, e)?))
}

/// A form's details from its history event (`data` and `note` as the
/// transition wrote them, `domain::transition`).
fn from_event(form: Form, e: &dossier_event::Model) -> AppResult<Details> {
    let data: Value = serde_json::from_str(&e.data).map_err(AppError::internal)?;
    let reason = e.note.clone().unwrap_or_default();
    let instant = |key: &str| -> Option<DateTime<Utc>> {
        data.get(key)
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let at = e.at;
    Ok(match form {
        Form::SupplementRequest => Details::SupplementRequest {
            at,
            items: supplement_items(&data),
        },
        Form::Refusal => Details::Refusal { at, reason },
        Form::Apology => Details::Apology {
            at,
            reason,
            previous_due_at: instant("previousDueAt"),
            new_due_at: instant("newDueAt"),
        },
        _ => Details::StopNotice { at, reason },
    })
}

/// `{"items": [{"component", "reason"}]}` of a REQUEST_SUPPLEMENT event.
fn supplement_items(data: &Value) -> Vec<SupplementItem> {
    let text = |i: &Value, k: &str| i.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    data.get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|i| SupplementItem {
                    component: text(i, "component"),
                    reason: text(i, "reason"),
                })
                .collect()
        })
        .unwrap_or_default()
}
