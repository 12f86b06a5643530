//! Reading dossiers: one dossier, its history and control sheet, the
//! filtered lists and the officer's work queue. Officials' reads of
//! personal data are audited (Decree 13/2023/NĐ-CP).

use chrono::{DateTime, Utc};
use entity::{dossier, dossier_event, dossier_task};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use super::super::audit::{self, Entry};
use super::super::{calendar, catalogue, Caller, Page};
use super::order::{sorted_page, ListRequest, SortKey};
use super::tasks::TASK_OPEN;
use super::{lineages, readable, search, visible};
use crate::domain::authz::{AccountKind, Action, Grant, Role};
use crate::domain::identity::optional_text;
use crate::domain::lifecycle::{Channel, DossierAction, DossierStatus, ReturnMethod};
use crate::domain::text::dossier_search_phrase;
use crate::error::{AppError, AppResult, AtField, Missing};
use crate::state::AppState;
use crate::store;

/// The processing control sheet (form 06) of a dossier, from its history.
pub async fn control_sheet(
    st: &AppState,
    d: &dossier::Model,
) -> AppResult<Vec<crate::domain::control_sheet::Row>> {
    use crate::domain::control_sheet::{rows, Phase, Timeline};
    let content = catalogue::version_content(&st.db, d.procedure_id, d.procedure_version).await?;
    let events = events_of(&st.db, d.id, 0).await?;
    let last_of = |a: DossierAction| {
        events
            .iter()
            .rev()
            .find(|e| e.action == a.as_str())
            .map(|e| e.at)
    };
    let proposed = last_of(DossierAction::SubmitForApproval);
    let approved = last_of(DossierAction::Approve);
    let not_eligible = last_of(DossierAction::DeclareNotEligible);
    let returned = last_of(DossierAction::ReturnResult);
    let now = st.clock.now();
    let start = d.received_at.unwrap_or(now);
    calendar::with_calendar(st, &st.db, start.min(now), |cal| {
        // A pause still open counts up to now.
        let open_pause = d
            .paused_at
            .map(|p| cal.seconds_between(p, now))
            .unwrap_or(0);
        let timeline = Timeline {
            reception: Phase {
                started: d.received_at,
                finished: d.transferred_at,
                paused_seconds: 0,
            },
            handling: Phase {
                started: d.transferred_at,
                finished: proposed.or(not_eligible),
                paused_seconds: d.paused_seconds + open_pause,
            },
            approval: Phase {
                started: proposed,
                finished: approved.or(not_eligible.filter(|n| proposed.is_some_and(|p| *n > p))),
                paused_seconds: 0,
            },
            returning: Phase {
                started: d.settled_at,
                finished: returned,
                paused_seconds: 0,
            },
        };
        rows(&content.internal_process, &timeline, cal)
    })
    .await
}

/// The names of the components a receipt (form 01, Circular 03/2025/TT-VPCP)
/// lists: those the e-form names and those with a file among
/// `attachments` (the dossier's), in the procedure's order. INTERNAL when
/// the stored e-form is not JSON.
pub fn handed_in(
    content: &crate::domain::catalogue::ProcedureContent,
    d: &dossier::Model,
    attachments: &[entity::attachment::Model],
) -> AppResult<Vec<String>> {
    let filed: Vec<String> = attachments
        .iter()
        .filter(|a| a.kind == crate::domain::documents::AttachmentKind::Component.as_str())
        .map(|a| a.component.clone())
        .collect();
    let form: Value = serde_json::from_str(&d.form_data).map_err(AppError::internal)?;
    Ok(content
        .handed_in(&form, &filed)
        .into_iter()
        .map(|c| c.name.clone())
        .collect())
}

/// A dossier the caller may read. Officials' reads of personal data are
/// audited (Decree 13/2023/NĐ-CP).
pub async fn get(st: &AppState, caller: &Caller<'_>, id: i64) -> AppResult<dossier::Model> {
    let d = visible(st, caller, id).await?;
    audit_read(st, caller, &d).await?;
    Ok(d)
}

/// Records an official's read of a dossier's personal data.
pub(crate) async fn audit_read(
    st: &AppState,
    caller: &Caller<'_>,
    d: &dossier::Model,
) -> AppResult<()> {
    audit_official_read(st, caller, "readDossier", &d.id.to_string(), json!({})).await
}

/// The dossier, if the actor may follow its events (read it); no audit, as
/// events carry no personal data.
pub async fn may_follow(
    st: &AppState,
    actor: &crate::domain::authz::Actor,
    id: i64,
) -> AppResult<Option<dossier::Model>> {
    let Some(d) = dossier::Entity::find_by_id(id).one(&st.db).await? else {
        return Ok(None);
    };
    let l = lineages(&st.db, &d).await?;
    Ok(readable(actor, &d, &l).then_some(d))
}

pub async fn get_by_code(
    st: &AppState,
    caller: &Caller<'_>,
    code: &str,
) -> AppResult<dossier::Model> {
    // Signed in first: an anonymous caller learns nothing of which codes exist.
    caller.signed_in()?;
    let d = dossier::Entity::find()
        .filter(dossier::Column::Code.eq(code.trim()))
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound(Missing::Dossier))?;
    get(st, caller, d.id).await
}

async fn audit_official_read(
    st: &AppState,
    caller: &Caller<'_>,
    operation: &str,
    target: &str,
    summary: Value,
) -> AppResult<()> {
    if caller
        .actor
        .is_some_and(|a| a.kind == AccountKind::Official)
    {
        // One INSERT, committed alone: the read happened.
        audit::record(
            &st.db,
            caller,
            st.clock.now(),
            Entry::new(operation, "dossier", target, summary),
        )
        .await?;
    }
    Ok(())
}

/// The history, in order, from after `after_seq` (0 for all).
pub async fn events(
    st: &AppState,
    caller: &Caller<'_>,
    id: i64,
    after_seq: i32,
) -> AppResult<Vec<dossier_event::Model>> {
    visible(st, caller, id).await?;
    events_of(&st.db, id, after_seq).await
}

pub async fn events_of(
    db: &impl ConnectionTrait,
    id: i64,
    after_seq: i32,
) -> AppResult<Vec<dossier_event::Model>> {
    Ok(dossier_event::Entity::find()
        .filter(dossier_event::Column::DossierId.eq(id))
        .filter(dossier_event::Column::Seq.gt(after_seq))
        .order_by_asc(dossier_event::Column::Seq)
        .all(db)
        .await?)
}

/// The whole histories of several dossiers, in one query.
pub async fn events_of_many(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<Vec<dossier_event::Model>> {
    Ok(dossier_event::Entity::find()
        .filter(dossier_event::Column::DossierId.is_in(ids.iter().copied()))
        .order_by_asc(dossier_event::Column::DossierId)
        .order_by_asc(dossier_event::Column::Seq)
        .all(db)
        .await?)
}

#[derive(Debug, Default, Clone)]
pub struct DossierFilter {
    pub statuses: Vec<DossierStatus>,
    pub agency_id: Option<i64>,
    pub procedure_id: Option<i64>,
    pub channel: Option<Channel>,
    pub submitted_from: Option<DateTime<Utc>>,
    pub submitted_to: Option<DateTime<Utc>>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
    pub due_from: Option<DateTime<Utc>>,
    pub due_to: Option<DateTime<Utc>>,
    pub overdue: Option<bool>,
    pub applicant_id_number: Option<String>,
    /// A phrase of the code, applicant's name, phone or e-mail, any case,
    /// with or without diacritics (`search::contains`); audited, not for
    /// analysts.
    pub search: Option<String>,
    pub mine_only: bool,
    pub handler_account_id: Option<i64>,
}

/// The agencies an official's grants reach (each grant's subtree); postal
/// staff reach no agency's dossiers as such (`postal_reach`).
async fn reach(st: &AppState, grants: &[Grant]) -> AppResult<Vec<i64>> {
    let mut ids = Vec::new();
    for g in grants.iter().filter(|g| g.role.reads_agency_records()) {
        if let Some(a) = g.agency_id {
            ids.extend(store::agencies::subtree(&st.db, a).await?);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// What postal staff see (`lifecycle::may_read`): the dossiers they
/// registered, and those their unit handed to the post.
async fn postal_reach(
    st: &AppState,
    actor: &crate::domain::authz::Actor,
) -> AppResult<Option<Condition>> {
    let mut any = Condition::any();
    let mut postal = false;
    for g in actor.grants.iter().filter(|g| g.role == Role::PostalStaff) {
        postal = true;
        if let Some(a) = g.agency_id {
            let units = store::agencies::subtree(&st.db, a).await?;
            any = any.add(
                Condition::all()
                    .add(dossier::Column::ReturnMethod.eq(ReturnMethod::Post.as_str()))
                    .add(dossier::Column::ReceivingAgencyId.is_in(units)),
            );
        }
    }
    if !postal {
        return Ok(None);
    }
    Ok(Some(any.add(
        dossier::Column::RegisteredByAccountId.eq(actor.account_id),
    )))
}

/// Dossiers the caller may see, filtered, one page in `req`'s order.
/// `personal`: whether the response shows the applicants' personal data.
pub async fn list(
    st: &AppState,
    caller: &Caller<'_>,
    f: DossierFilter,
    req: ListRequest,
    personal: bool,
) -> AppResult<Page<dossier::Model>> {
    let actor = caller.signed_in()?;
    if f.applicant_id_number.is_some() || f.search.is_some() {
        // Analysts may not single a person out.
        caller.authorize(Action::SearchPersonalData)?;
    }
    let mut q = dossier::Entity::find();
    let province_wide = actor.grants.iter().any(|g| g.role.is_province_wide());
    if f.mine_only || actor.kind != AccountKind::Official {
        q = q.filter(dossier::Column::ApplicantAccountId.eq(actor.account_id));
    } else {
        // Drafts are their applicants' alone.
        q = q.filter(dossier::Column::Status.ne(DossierStatus::Draft.as_str()));
        if !province_wide {
            let ids = reach(st, &actor.grants).await?;
            let mut scope = Condition::any()
                .add(dossier::Column::ReceivingAgencyId.is_in(ids.clone()))
                .add(dossier::Column::SettlingAgencyId.is_in(ids));
            if let Some(postal) = postal_reach(st, actor).await? {
                scope = scope.add(postal);
            }
            q = q.filter(scope);
        }
    }
    if !f.statuses.is_empty() {
        q = q.filter(dossier::Column::Status.is_in(f.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(a) = f.agency_id {
        q = q.filter(
            Condition::any()
                .add(dossier::Column::ReceivingAgencyId.eq(a))
                .add(dossier::Column::SettlingAgencyId.eq(a)),
        );
    }
    if let Some(p) = f.procedure_id {
        q = q.filter(dossier::Column::ProcedureId.eq(p));
    }
    if let Some(c) = f.channel {
        q = q.filter(dossier::Column::Channel.eq(c.as_str()));
    }
    if let Some(h) = f.handler_account_id {
        q = q.filter(dossier::Column::HandlerAccountId.eq(h));
    }
    let ranges = [
        (
            dossier::Column::SubmittedAt,
            f.submitted_from,
            f.submitted_to,
        ),
        (dossier::Column::ReceivedAt, f.received_from, f.received_to),
        (dossier::Column::DueAt, f.due_from, f.due_to),
    ];
    for (col, from, to) in ranges {
        if let Some(x) = from {
            q = q.filter(col.gte(x));
        }
        if let Some(x) = to {
            q = q.filter(col.lt(x));
        }
    }
    if let Some(overdue) = f.overdue {
        let now = st.clock.now();
        let open = [
            DossierStatus::Received,
            DossierStatus::Processing,
            DossierStatus::Paused,
            DossierStatus::AwaitingApproval,
        ]
        .map(DossierStatus::as_str);
        q = q.filter(dossier::Column::Status.is_in(open));
        q = if overdue {
            q.filter(dossier::Column::DueAt.lt(now))
        } else {
            q.filter(dossier::Column::DueAt.gte(now))
        };
    }
    let id_number =
        optional_text(f.applicant_id_number.as_deref(), 16).at("filter.applicantIdNumber")?;
    if let Some(n) = id_number.as_deref() {
        q = q.filter(dossier::Column::ApplicantIdNumber.eq(n));
        audit_official_read(
            st,
            caller,
            "searchDossiersByIdNumber",
            "-",
            json!({ "idNumber": n }),
        )
        .await?;
    }
    let phrase = match f.search.as_deref() {
        Some(t) => Some(dossier_search_phrase(t).at("filter.search")?),
        None => None,
    };
    if let Some(phrase) = &phrase {
        let backend = st.db.get_database_backend();
        q = q.filter(search::contains(backend, phrase));
        if req.key == SortKey::Created {
            q = search::order_for_search(backend, q, req.descending != req.backward);
        }
    }
    // A search reads all its matches to sort them: it counts them in the
    // same statement.
    let found = sorted_page(&st.db, q, req, phrase.is_some()).await?;
    match phrase {
        // One record of the search: its phrase, and the dossiers shown
        // when the answer shows applicants.
        Some(phrase) => {
            let mut summary = json!({ "search": phrase });
            if personal && !found.items.is_empty() {
                let ids: Vec<i64> = found.items.iter().map(|d| d.id).collect();
                summary["dossierIds"] = json!(ids);
            }
            audit_official_read(st, caller, "searchDossiers", "-", summary).await?;
        }
        None => audit_listed(st, caller, personal, &found).await?,
    }
    Ok(found)
}

/// A list that shows applicants' personal data to an official is audited
/// once, naming the dossiers shown.
async fn audit_listed(
    st: &AppState,
    caller: &Caller<'_>,
    personal: bool,
    found: &Page<dossier::Model>,
) -> AppResult<()> {
    if personal && !found.items.is_empty() {
        let ids: Vec<i64> = found.items.iter().map(|d| d.id).collect();
        audit_official_read(
            st,
            caller,
            "listDossiers",
            "-",
            json!({ "dossierIds": ids }),
        )
        .await?;
    }
    Ok(())
}

/// The dossiers with a consultation or inter-agency task open at one of
/// `agencies`. On PostgreSQL the ids are read once into an array
/// (`id = ANY(ARRAY(…))`, an init plan), so that the queue's OR of this and
/// the agency filters is served by the primary key and the agency indexes
/// (a BitmapOr); `id IN (subquery)` made every page and count a scan of the
/// whole table (issue 15). SQLite's OR optimisation already uses both.
fn asked_of(st: &AppState, agencies: Vec<i64>) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, Query, SubQueryStatement};
    let open_tasks = Query::select()
        .column(dossier_task::Column::DossierId)
        .from(dossier_task::Entity)
        .and_where(dossier_task::Column::Status.eq(TASK_OPEN))
        .and_where(dossier_task::Column::AgencyId.is_in(agencies))
        .to_owned();
    match st.db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => Expr::cust_with_exprs(
            "$1 = ANY(ARRAY($2))",
            [
                Expr::col((dossier::Entity, dossier::Column::Id)),
                Expr::SubQuery(None, Box::new(SubQueryStatement::from(open_tasks))),
            ],
        ),
        _ => dossier::Column::Id.in_subquery(open_tasks),
    }
}

/// What waits for the caller: receptions, transfers and returns at their
/// one-stop unit; processing at their agency; approvals for leaders;
/// deliveries for postal staff.
pub async fn work_queue(
    st: &AppState,
    caller: &Caller<'_>,
    req: ListRequest,
    personal: bool,
) -> AppResult<Page<dossier::Model>> {
    let actor = caller.signed_in()?;
    let mut any = Condition::any();
    for g in &actor.grants {
        let Some(agency) = g.agency_id else { continue };
        let ids = store::agencies::subtree(&st.db, agency).await?;
        let statuses: &[DossierStatus] = match g.role {
            Role::ReceptionOfficer => &[
                DossierStatus::Submitted,
                DossierStatus::Received,
                DossierStatus::ResultReady,
            ],
            Role::Specialist => &[DossierStatus::Processing],
            Role::AgencyLeader => &[DossierStatus::AwaitingApproval, DossierStatus::Processing],
            Role::PostalStaff => {
                // Results handed to the post at their unit, not yet delivered.
                any = any.add(
                    Condition::all()
                        .add(dossier::Column::ReceivingAgencyId.is_in(ids))
                        .add(dossier::Column::Status.eq(DossierStatus::Returned.as_str()))
                        .add(dossier::Column::ReturnMethod.eq(ReturnMethod::Post.as_str()))
                        .add(dossier::Column::DeliveredAt.is_null()),
                );
                continue;
            }
            _ => &[],
        };
        if statuses.is_empty() {
            continue;
        }
        let column = if g.role == Role::ReceptionOfficer {
            dossier::Column::ReceivingAgencyId
        } else {
            dossier::Column::SettlingAgencyId
        };
        let mut c = Condition::all()
            .add(column.is_in(ids.clone()))
            .add(dossier::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
        if matches!(g.role, Role::Specialist | Role::AgencyLeader) {
            // Consultations and inter-agency tasks asked of this agency.
            any = any.add(asked_of(st, ids.clone()));
        }
        if g.role == Role::Specialist {
            c = c.add(
                Condition::any()
                    .add(dossier::Column::HandlerAccountId.is_null())
                    .add(dossier::Column::HandlerAccountId.eq(actor.account_id)),
            );
        }
        any = any.add(c);
    }
    if any.is_empty() {
        return Ok(Page {
            items: vec![],
            has_next: false,
            has_previous: false,
            total: 0,
        });
    }
    let found = sorted_page(&st.db, dossier::Entity::find().filter(any), req, false).await?;
    audit_listed(st, caller, personal, &found).await?;
    Ok(found)
}
