//! Feedback and petitions (Đắk Lắk 04/2024 Art. 21): submitted online by
//! citizens or entered by officers, handled by the agency it concerns,
//! answered within 13 working days of its arrival, and optionally published.

use chrono::{DateTime, Utc};
use entity::{account, account_role, agency, feedback, procedure_agency};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::audit::{self, Entry};
use super::catalogue::{self, Lookup};
use super::notifications::{self, About, Recipient};
use super::{calendar, dossiers, page, Caller, Page, PageRequest};
use crate::domain::authz::{AccountKind, AgencyScope, Grant, Role};
use crate::domain::feedback::{
    self as rules, FeedbackChange, FeedbackChannel, FeedbackFacts, FeedbackKind, FeedbackPlan,
    FeedbackRefusal, FeedbackStatus, TEXT_MAX, TITLE_MAX,
};
use crate::domain::identity::{optional_text, required_text, Email, Phone};
use crate::domain::notification::{Facts, Template};
use crate::domain::text::search_words;
use crate::domain::Problem;
use crate::error::{stored_enum, AppError, AppResult, AtField, Missing};
use crate::state::AppState;
use crate::store;

/// What the feedback is about; every link is optional.
#[derive(Debug, Default, Clone)]
pub struct Links {
    pub agency_id: Option<i64>,
    pub procedure_id: Option<i64>,
    pub dossier_id: Option<i64>,
}

pub struct SubmitInput {
    pub kind: FeedbackKind,
    pub title: String,
    pub content: String,
    pub links: Links,
}

/// Feedback that arrived by e-mail, hotline, post or in person.
pub struct RecordInput {
    pub kind: FeedbackKind,
    pub channel: FeedbackChannel,
    pub arrived_at: DateTime<Utc>,
    pub sender_name: String,
    pub sender_phone: Option<String>,
    pub sender_email: Option<String>,
    pub sender_address: Option<String>,
    pub title: String,
    pub content: String,
    pub links: Links,
}

/// An action on feedback with its input (decided by `domain::feedback::plan`).
pub use crate::domain::feedback::FeedbackCommand as Command;

fn text(field: &str, s: &str, max: usize) -> AppResult<String> {
    required_text(s, max).at(field)
}

fn status_of(f: &feedback::Model) -> AppResult<FeedbackStatus> {
    stored_enum::<FeedbackStatus>(&f.status)
}

/// The agency that handles feedback: the one named, else the dossier's
/// settling agency, else the procedure's first implementing agency, else
/// the province's root agency (its people's committee).
async fn handling_agency(
    st: &AppState,
    caller: &Caller<'_>,
    links: &Links,
    sender: Option<i64>,
) -> AppResult<i64> {
    if let Some(d) = links.dossier_id {
        // A dossier the caller may not read does not exist for them: the
        // same answer as a missing one.
        let unknown = || AppError::bad_input("links.dossierId", Problem::UnknownReference);
        let dossier = dossiers::visible(st, caller, d)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => unknown(),
                other => other,
            })?;
        // A citizen links only their own dossier; an officer any they reach.
        let allowed = match sender {
            Some(account) => dossier.applicant_account_id == Some(account),
            None => true,
        };
        if !allowed {
            return Err(AppError::bad_input(
                "links.dossierId",
                Problem::UnknownReference,
            ));
        }
        if links.agency_id.is_none() {
            return Ok(dossier.settling_agency_id);
        }
    }
    if let Some(p) = links.procedure_id {
        catalogue::procedure(&st.db, Lookup::Id(p))
            .await
            .map_err(|_| AppError::bad_input("links.procedureId", Problem::UnknownReference))?;
        if links.agency_id.is_none() {
            if let Some(pa) = procedure_agency::Entity::find()
                .filter(procedure_agency::Column::ProcedureId.eq(p))
                .order_by_asc(procedure_agency::Column::AgencyId)
                .one(&st.db)
                .await?
            {
                return Ok(pa.agency_id);
            }
        }
    }
    if let Some(a) = links.agency_id {
        catalogue::agency(&st.db, Lookup::Id(a))
            .await
            .map_err(|_| AppError::bad_input("links.agencyId", Problem::UnknownReference))?;
        return Ok(a);
    }
    agency::Entity::find()
        .filter(agency::Column::ParentId.is_null())
        .order_by_asc(agency::Column::Id)
        .one(&st.db)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| AppError::internal("the province has no root agency"))
}

/// Writes new feedback and its audit record in one transaction.
async fn insert(
    st: &AppState,
    caller: &Caller<'_>,
    row: feedback::ActiveModel,
    operation: &str,
) -> AppResult<feedback::Model> {
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    let saved = row.insert(&txn).await?;
    let summary = json!({ "after": {
        "status": saved.status, "channel": saved.channel, "agencyId": saved.agency_id,
        "dueAt": saved.due_at, "lateEntry": saved.late_entry,
    } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new(operation, "feedback", saved.id, summary),
    )
    .await?;
    Ok(saved)
}

#[allow(clippy::too_many_arguments)]
fn new_row(
    kind: FeedbackKind,
    channel: FeedbackChannel,
    title: String,
    content: String,
    agency_id: i64,
    links: &Links,
    arrived_at: DateTime<Utc>,
    entered_at: DateTime<Utc>,
    entry_seconds: i64,
    due_at: DateTime<Utc>,
) -> feedback::ActiveModel {
    feedback::ActiveModel {
        kind: Set(kind.as_str().into()),
        channel: Set(channel.as_str().into()),
        title: Set(title),
        content: Set(content),
        agency_id: Set(agency_id),
        procedure_id: Set(links.procedure_id),
        dossier_id: Set(links.dossier_id),
        status: Set(FeedbackStatus::Received.as_str().into()),
        version: Set(1),
        handler_account_id: Set(None),
        arrived_at: Set(arrived_at),
        entered_at: Set(entered_at),
        entry_seconds: Set(entry_seconds),
        late_entry: Set(rules::late_entry(entry_seconds)),
        due_at: Set(due_at),
        answer: Set(None),
        answered_at: Set(None),
        answered_by: Set(None),
        reject_reason: Set(None),
        closed_at: Set(None),
        transferred_from_agency_id: Set(None),
        transfer_reason: Set(None),
        transferred_at: Set(None),
        published_at: Set(None),
        public_title: Set(None),
        public_content: Set(None),
        search_text: Set(None),
        created_at: Set(entered_at),
        updated_at: Set(entered_at),
        ..Default::default()
    }
}

/// The due instant: the configured working days after arrival.
async fn due(st: &AppState, arrived_at: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    let seconds =
        i64::from(st.config.feedback_due_working_days) * st.config.calendar.hours.seconds_per_day();
    calendar::add_working_time(st, arrived_at, seconds).await
}

/// A signed-in citizen or organisation sends feedback through the system.
pub async fn submit(
    st: &AppState,
    caller: &Caller<'_>,
    input: SubmitInput,
) -> AppResult<feedback::Model> {
    let actor = caller.signed_in()?;
    if actor.kind == AccountKind::Official {
        return Err(AppError::Forbidden);
    }
    let title = text("title", &input.title, TITLE_MAX)?;
    let content = text("content", &input.content, TEXT_MAX)?;
    let sender = account::Entity::find_by_id(actor.account_id)
        .one(&st.db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let agency_id = handling_agency(st, caller, &input.links, Some(sender.id)).await?;
    let now = st.clock.now();
    let mut row = new_row(
        input.kind,
        FeedbackChannel::Online,
        title,
        content,
        agency_id,
        &input.links,
        now,
        now,
        0,
        due(st, now).await?,
    );
    row.sender_account_id = Set(Some(sender.id));
    row.sender_name = Set(sender.full_name);
    row.sender_phone = Set(sender.phone);
    row.sender_email = Set(sender.email);
    row.sender_address = Set(None);
    insert(st, caller, row, "submitFeedback").await
}

/// A reception officer or procedure controller enters feedback that arrived
/// outside the system, with its arrival time; entries later than 8 working
/// hours after arrival are flagged.
pub async fn record(
    st: &AppState,
    caller: &Caller<'_>,
    input: RecordInput,
) -> AppResult<feedback::Model> {
    let actor = caller.signed_in()?;
    let grant: Grant = actor
        .grants
        .iter()
        .find(|g| rules::may_record(g.role) && g.agency_id.is_some())
        .copied()
        .ok_or(AppError::Forbidden)?;
    if input.channel == FeedbackChannel::Online {
        return Err(AppError::bad_input("channel", Problem::UnknownValue));
    }
    let now = st.clock.now();
    if input.arrived_at > now {
        return Err(AppError::bad_input(
            "arrivedAt",
            Problem::Invalid {
                vi: "Thời điểm tiếp nhận không được ở tương lai".into(),
                en: "The arrival time cannot be in the future".into(),
            },
        ));
    }
    let title = text("title", &input.title, TITLE_MAX)?;
    let content = text("content", &input.content, TEXT_MAX)?;
    let name = text("sender.name", &input.sender_name, 200)?;
    let phone = Phone::parse_optional(input.sender_phone.as_deref()).at("sender.phone")?;
    let email = Email::parse_optional(input.sender_email.as_deref()).at("sender.email")?;
    let address = optional_text(input.sender_address.as_deref(), 1_000).at("sender.address")?;
    let mut links = input.links;
    if links.agency_id.is_none() && links.dossier_id.is_none() && links.procedure_id.is_none() {
        // Addressed to the officer's own agency.
        links.agency_id = grant.agency_id;
    }
    let agency_id = handling_agency(st, caller, &links, None).await?;
    let entry_seconds = calendar::working_time_between(st, input.arrived_at, now).await?;
    let mut row = new_row(
        input.kind,
        input.channel,
        title,
        content,
        agency_id,
        &links,
        input.arrived_at,
        now,
        entry_seconds,
        due(st, input.arrived_at).await?,
    );
    row.sender_account_id = Set(None);
    row.sender_name = Set(name);
    row.sender_phone = Set(phone.map(|p| p.as_str().to_owned()));
    row.sender_email = Set(email.map(|e| e.as_str().to_owned()));
    row.sender_address = Set(address);
    row.entered_by = Set(Some(actor.account_id));
    insert(st, caller, row, "recordFeedback").await
}

async fn find(st: &AppState, id: i64) -> AppResult<feedback::Model> {
    feedback::Entity::find_by_id(id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound(Missing::Feedback))
}

/// Whether a handler-to-be works at the agency or below it.
async fn works_at(st: &AppState, account_id: i64, agency_id: i64) -> AppResult<bool> {
    let subtree = store::agencies::subtree(&st.db, agency_id).await?;
    let roles = account_role::Entity::find()
        .filter(account_role::Column::AccountId.eq(account_id))
        .all(&st.db)
        .await?;
    Ok(roles.iter().any(|r| {
        Role::parse(&r.role).is_some_and(|role| role.is_agency_bound())
            && r.agency_id.is_some_and(|a| subtree.contains(&a))
    }))
}

/// Takes an action on feedback, guarded by its version: the caller's access
/// is checked, the facts loaded, `domain::feedback::plan` decides, and the
/// plan is written with its audit record (and the sender's notification
/// when answered) in one transaction.
pub async fn act(
    st: &AppState,
    caller: &Caller<'_>,
    id: i64,
    expected_version: i32,
    cmd: Command,
) -> AppResult<feedback::Model> {
    let actor = caller.signed_in()?;
    let f = find(st, id).await?;
    let lineage = store::agencies::lineage(&st.db, f.agency_id).await?;
    let scope = AgencyScope { lineage: &lineage };
    if !rules::may_read(actor, scope, f.sender_account_id) {
        return Err(AppError::NotFound(Missing::Feedback));
    }
    if !rules::may_act(actor, cmd.action(), scope, f.handler_account_id) {
        return Err(AppError::Forbidden);
    }
    let facts = FeedbackFacts {
        status: status_of(&f)?,
        version: f.version,
        published: f.published_at.is_some(),
        agency_id: f.agency_id,
        due_at: f.due_at,
        title: &f.title,
        content: &f.content,
        answer: f.answer.as_deref(),
        handler_works_there: match &cmd {
            Command::Assign { handler_account_id } => {
                works_at(st, *handler_account_id, f.agency_id).await?
            }
            _ => false,
        },
        target_agency_exists: match &cmd {
            Command::Transfer { agency_id, .. } => {
                catalogue::agency(&st.db, Lookup::Id(*agency_id))
                    .await
                    .is_ok()
            }
            _ => false,
        },
    };
    let now = st.clock.now();
    let plan = rules::plan(&cmd, expected_version, &facts, now).map_err(refused)?;
    let (row, data) = changes(&plan, expected_version, actor.account_id, now);
    let txn = store::write_txn(&st.db).await?;
    let res = feedback::Entity::update_many()
        .set(row)
        .filter(feedback::Column::Id.eq(id))
        .filter(feedback::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::VersionConflict);
    }
    let saved = feedback::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal("feedback vanished"))?;
    let summary = json!({
        "before": { "status": plan.from.as_str(), "agencyId": f.agency_id },
        "after": { "status": plan.to.as_str(), "version": saved.version, "agencyId": saved.agency_id },
        "data": data,
    });
    if plan.notifies_sender() {
        notify_answered(&txn, now, &saved).await?;
    }
    audit::record(
        &txn,
        caller,
        now,
        Entry::new(cmd.operation(), "feedback", id, summary),
    )
    .await?;
    super::commit(st, txn).await?;
    Ok(saved)
}

/// A refusal of `domain::feedback::plan` as the API answers it.
fn refused(r: FeedbackRefusal) -> AppError {
    match r {
        FeedbackRefusal::VersionConflict => AppError::VersionConflict,
        FeedbackRefusal::NotNow { vi, en } => AppError::InvalidTransition { vi, en },
        FeedbackRefusal::Input { field, problem } => AppError::bad_input(field, problem),
    }
}

/// The row update a plan makes, and the audit record's `data`.
fn changes(
    plan: &FeedbackPlan,
    expected_version: i32,
    actor_account_id: i64,
    now: DateTime<Utc>,
) -> (feedback::ActiveModel, serde_json::Value) {
    let mut row = feedback::ActiveModel {
        status: Set(plan.to.as_str().into()),
        version: Set(expected_version + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    let mut data = json!({});
    match &plan.change {
        FeedbackChange::Assign { handler_account_id } => {
            row.handler_account_id = Set(Some(*handler_account_id));
            data = json!({ "handlerAccountId": handler_account_id });
        }
        FeedbackChange::Answer { answer, on_time } => {
            row.answer = Set(Some(answer.clone()));
            row.answered_at = Set(Some(now));
            row.answered_by = Set(Some(actor_account_id));
            row.closed_at = Set(Some(now));
            data = json!({ "onTime": on_time });
        }
        FeedbackChange::Transfer {
            from_agency_id,
            to_agency_id,
            reason,
        } => {
            row.agency_id = Set(*to_agency_id);
            row.transferred_from_agency_id = Set(Some(*from_agency_id));
            row.transfer_reason = Set(Some(reason.clone()));
            row.transferred_at = Set(Some(now));
            row.handler_account_id = Set(None);
            data = json!({ "fromAgencyId": from_agency_id, "toAgencyId": to_agency_id });
        }
        FeedbackChange::Reject { reason } => {
            row.reject_reason = Set(Some(reason.clone()));
            row.closed_at = Set(Some(now));
        }
        FeedbackChange::Publish {
            title,
            content,
            search_text,
        } => {
            row.search_text = Set(Some(search_text.clone()));
            row.public_title = Set(Some(title.clone()));
            row.public_content = Set(Some(content.clone()));
            row.published_at = Set(Some(now));
        }
    }
    (row, data)
}

/// Tells the sender their feedback was answered.
async fn notify_answered(
    txn: &impl sea_orm::ConnectionTrait,
    now: DateTime<Utc>,
    saved: &feedback::Model,
) -> AppResult<()> {
    let facts = Facts {
        applicant: saved.sender_name.clone(),
        title: Some(saved.title.clone()),
        ..Default::default()
    };
    let recipient = Recipient {
        account_id: saved.sender_account_id,
        email: saved.sender_email.clone(),
        phone: saved.sender_phone.clone(),
    };
    let about = About {
        dossier_id: None,
        feedback_id: Some(saved.id),
    };
    notifications::enqueue(
        txn,
        now,
        Template::FeedbackAnswered,
        &facts,
        &recipient,
        about,
    )
    .await
}

/// One feedback its sender or an official reaching its agency may read.
/// An official's read of the sender's details is audited.
pub async fn get(st: &AppState, caller: &Caller<'_>, id: i64) -> AppResult<feedback::Model> {
    let actor = caller.signed_in()?;
    let f = find(st, id).await?;
    let lineage = store::agencies::lineage(&st.db, f.agency_id).await?;
    if !rules::may_read(
        actor,
        AgencyScope { lineage: &lineage },
        f.sender_account_id,
    ) {
        return Err(AppError::NotFound(Missing::Feedback));
    }
    audit_read(st, caller, &[f.id]).await?;
    Ok(f)
}

/// Officials (not analysts, who see masked data) reading senders' details.
async fn audit_read(st: &AppState, caller: &Caller<'_>, ids: &[i64]) -> AppResult<()> {
    let Some(actor) = caller.actor else {
        return Ok(());
    };
    if actor.kind != AccountKind::Official || actor.is_analyst_only() || ids.is_empty() {
        return Ok(());
    }
    let txn = store::write_txn(&st.db).await?;
    audit::commit(
        txn,
        caller,
        st.clock.now(),
        Entry::new(
            "readFeedback",
            "feedback",
            ids.first().copied().unwrap_or_default(),
            json!({ "feedbackIds": ids }),
        ),
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct FeedbackFilter {
    pub statuses: Vec<FeedbackStatus>,
    pub kind: Option<FeedbackKind>,
    pub channel: Option<FeedbackChannel>,
    /// This agency and every agency below it.
    pub agency_id: Option<i64>,
    /// Open and past the due date (true), or open and not yet due (false).
    pub overdue: Option<bool>,
    pub late_entry: Option<bool>,
    pub handler_account_id: Option<i64>,
}

/// Feedback the caller may see: a citizen their own; an official what
/// reaches their agencies; province-wide roles all.
/// `personal`: whether the response shows the senders' details.
pub async fn list(
    st: &AppState,
    caller: &Caller<'_>,
    f: FeedbackFilter,
    req: PageRequest,
    personal: bool,
) -> AppResult<Page<feedback::Model>> {
    let actor = caller.signed_in()?;
    let mut q = feedback::Entity::find();
    if actor.kind != AccountKind::Official {
        q = q.filter(feedback::Column::SenderAccountId.eq(actor.account_id));
    } else if !actor.grants.iter().any(|g| g.role.is_province_wide()) {
        let mut reach = Vec::new();
        for g in actor
            .grants
            .iter()
            .filter(|g| g.role.reads_agency_records())
        {
            if let Some(a) = g.agency_id {
                reach.extend(store::agencies::subtree(&st.db, a).await?);
            }
        }
        q = q.filter(feedback::Column::AgencyId.is_in(reach));
    }
    if !f.statuses.is_empty() {
        q = q.filter(feedback::Column::Status.is_in(f.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(k) = f.kind {
        q = q.filter(feedback::Column::Kind.eq(k.as_str()));
    }
    if let Some(c) = f.channel {
        q = q.filter(feedback::Column::Channel.eq(c.as_str()));
    }
    if let Some(a) = f.agency_id {
        let ids = store::agencies::subtree(&st.db, a).await?;
        q = q.filter(feedback::Column::AgencyId.is_in(ids));
    }
    if let Some(overdue) = f.overdue {
        let now = st.clock.now();
        q = q.filter(feedback::Column::Status.is_in(FeedbackStatus::OPEN));
        q = if overdue {
            q.filter(feedback::Column::DueAt.lt(now))
        } else {
            q.filter(feedback::Column::DueAt.gte(now))
        };
    }
    if let Some(late) = f.late_entry {
        q = q.filter(feedback::Column::LateEntry.eq(late));
    }
    if let Some(h) = f.handler_account_id {
        q = q.filter(feedback::Column::HandlerAccountId.eq(h));
    }
    let found = page(&st.db, q, feedback::Column::Id, req).await?;
    if personal {
        let ids: Vec<i64> = found.items.iter().map(|f| f.id).collect();
        audit_read(st, caller, &ids).await?;
    }
    Ok(found)
}

/// Public: published answers, searchable without diacritics, newest first
/// by id order of the keyset.
pub async fn published(
    st: &AppState,
    search: Option<&str>,
    agency_id: Option<i64>,
    req: PageRequest,
) -> AppResult<Page<feedback::Model>> {
    let mut q = feedback::Entity::find().filter(feedback::Column::PublishedAt.is_not_null());
    if let Some(s) = search {
        let mut all = Condition::all();
        for word in search_words(s) {
            all = all.add(store::contains_word(feedback::Column::SearchText, &word));
        }
        q = q.filter(all);
    }
    if let Some(a) = agency_id {
        let ids = store::agencies::subtree(&st.db, a).await?;
        q = q.filter(feedback::Column::AgencyId.is_in(ids));
    }
    page(&st.db, q, feedback::Column::Id, req).await
}
