//! One transition of a dossier: load the facts, let
//! `domain::transition::plan` decide, write the plan. `apply` is one
//! transaction; `apply_in` runs inside a caller's, so that an operation of
//! several steps (registerCounterDossier) is still one.

use chrono::{DateTime, Utc};
use entity::{agency, dossier, dossier_event};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};

use super::super::audit::{self, Entry};
use super::super::{accounts, calendar, catalogue, documents, notifications, payments, rollup};
use super::super::{Caller, WriteTxn};
use super::{pause_of, status_of, tasks, visible_with_lineages, Lineages};
use crate::domain::authz::Grant;
use crate::domain::catalogue::ProcedureContent;
use crate::domain::lifecycle::{may, Channel, DossierAction, DossierStatus, ReturnMethod};
use crate::domain::text::dossier_search_text;
use crate::domain::transition::{plan, Changes, Command, Facts, OpenTask, Plan};
use crate::error::{stored_enum, AppError, AppResult, Missing};
use crate::state::AppState;
use crate::store;

/// Takes one transition, in its own transaction. The order of refusals:
/// nobody signed in (UNAUTHENTICATED), a dossier the caller may not read
/// (NOT_FOUND, as for a missing one), who (FORBIDDEN), the task named
/// (BAD_USER_INPUT, looked at only after authorization), then the version
/// the client saw (VERSION_CONFLICT), then the status
/// (INVALID_TRANSITION), then the other arguments (BAD_USER_INPUT). A retry
/// of a submission with its key, or of the delivery already recorded,
/// answers the dossier as it is.
pub async fn apply(
    st: &AppState,
    caller: &Caller<'_>,
    id: i64,
    expected_version: i32,
    cmd: Command,
) -> AppResult<dossier::Model> {
    let txn = WriteTxn::begin(st).await?;
    let d = apply_in(
        &*txn,
        st,
        caller,
        id,
        expected_version,
        &cmd,
        st.clock.now(),
    )
    .await?;
    txn.commit().await?;
    Ok(d)
}

/// `apply` inside the caller's transaction, at the operation's instant
/// `now` (every step of one operation is taken at the same instant).
pub async fn apply_in(
    txn: &impl ConnectionTrait,
    st: &AppState,
    caller: &Caller<'_>,
    id: i64,
    expected_version: i32,
    cmd: &Command,
    now: DateTime<Utc>,
) -> AppResult<dossier::Model> {
    let (d, mut l) = visible_with_lineages(txn, caller, id).await?;
    let action = cmd.action();
    let mut grant = may(caller.actor, action, &super::parties(&d, &l))?;
    // An answer comes from the agency that was asked, not from any of them:
    // the task is looked at once the caller is known to be one of them.
    let task = match cmd.answered_task() {
        Some((task_id, kind)) => Some(tasks::open_task(txn, id, task_id, kind).await?),
        None => None,
    };
    if let Some(t) = &task {
        l.consulted = match t.agency_id {
            Some(a) => store::agencies::lineage(txn, a).await?,
            None => Vec::new(),
        };
        grant = may(caller.actor, action, &super::parties(&d, &l))?;
    }
    // The version the dossier was submitted under, not today's.
    let content = catalogue::version_content(txn, d.procedure_id, d.procedure_version).await?;
    let loaded = Loaded::load(txn, &d, cmd, &content).await?;
    let facts = loaded.facts(
        st,
        &d,
        &l,
        &content,
        task.as_ref().map(|t| OpenTask {
            id: t.id,
            deadline: t.deadline,
        }),
    )?;
    if cmd.is_retry(&facts, caller.actor.map(|a| a.account_id)) {
        return Ok(d);
    }
    let from = facts.calendar_from(now);
    let decided = calendar::with_calendar(st, txn, from, |cal| {
        plan(cmd, &facts, expected_version, now, cal)
    })
    .await??;
    let written = Written {
        before: &d,
        expected_version,
        grant,
        task_id: task.as_ref().map(|t| t.id),
        content: &content,
        operation: cmd.operation(),
    };
    written.write(txn, st, caller, decided, now).await
}

/// What `Facts` borrow, loaded for the command at hand only.
struct Loaded {
    form: Value,
    filed: Vec<String>,
    status: DossierStatus,
    fees_owed_vnd: i64,
    has_electronic_result: bool,
    handler_grants: Vec<Grant>,
    known_agencies: Vec<i64>,
}

impl Loaded {
    async fn load(
        txn: &impl ConnectionTrait,
        d: &dossier::Model,
        cmd: &Command,
        content: &ProcedureContent,
    ) -> AppResult<Loaded> {
        let form = match cmd {
            Command::Submit { .. } => {
                serde_json::from_str(&d.form_data).map_err(AppError::internal)?
            }
            _ => Value::Null,
        };
        // The files are the truth of what was handed in.
        let filed = match cmd {
            Command::Submit { .. } | Command::Supplement { .. } => {
                store::attachments::filed_components(txn, d.id).await?
            }
            _ => Vec::new(),
        };
        let fees_owed_vnd = match cmd {
            Command::Receive | Command::ReturnResult { .. } => {
                let paid = payments::of_dossiers(txn, &[d.id]).await?;
                payments::fees(content, &paid).outstanding_vnd
            }
            _ => 0,
        };
        let has_electronic_result = match cmd {
            Command::ReturnResult { .. } => super::super::attachments::files_of(txn, d.id).await?.2,
            _ => false,
        };
        let handler_grants = match cmd.named_handler() {
            Some(a) => accounts::grants_of(txn, a).await?,
            None => Vec::new(),
        };
        let named = cmd.named_agencies();
        let known_agencies = if named.is_empty() {
            Vec::new()
        } else {
            agency::Entity::find()
                .filter(agency::Column::Id.is_in(named))
                .all(txn)
                .await?
                .into_iter()
                .map(|a| a.id)
                .collect()
        };
        Ok(Loaded {
            form,
            filed,
            status: status_of(d)?,
            fees_owed_vnd,
            has_electronic_result,
            handler_grants,
            known_agencies,
        })
    }

    fn facts<'a>(
        &'a self,
        st: &AppState,
        d: &'a dossier::Model,
        l: &'a Lineages,
        content: &'a ProcedureContent,
        task: Option<OpenTask>,
    ) -> AppResult<Facts<'a>> {
        let channel = stored_enum::<Channel>(&d.channel)?;
        Ok(Facts {
            status: self.status,
            pause: pause_of(d),
            version: d.version,
            channel,
            applicant_account_id: d.applicant_account_id,
            idempotency_key: d.idempotency_key.as_deref(),
            form: &self.form,
            filed: &self.filed,
            submitted_at: d.submitted_at,
            received_at: d.received_at,
            paused_at: d.paused_at,
            paused_seconds: d.paused_seconds,
            due_at: d.due_at,
            legal_due_at: d.legal_due_at,
            settled_at: d.settled_at,
            supplement_requests: d.supplement_requests,
            return_method: d.return_method.as_deref().and_then(ReturnMethod::parse),
            returned_at: d.returned_at,
            tracking_number: d.tracking_number.as_deref(),
            delivered_at: d.delivered_at,
            delivery_recipient: d.delivery_recipient.as_deref(),
            settling_agency_id: d.settling_agency_id,
            settling_lineage: &l.settling,
            content,
            fees_owed_vnd: self.fees_owed_vnd,
            has_electronic_result: self.has_electronic_result,
            handler_grants: &self.handler_grants,
            known_agencies: &self.known_agencies,
            task,
            same_day_cutoff: st.config.calendar.same_day_cutoff,
        })
    }
}

/// A decided transition about to be written.
struct Written<'a> {
    before: &'a dossier::Model,
    expected_version: i32,
    grant: Option<Grant>,
    /// The open task answered.
    task_id: Option<i64>,
    content: &'a ProcedureContent,
    operation: &'static str,
}

impl Written<'_> {
    async fn write(
        self,
        txn: &impl ConnectionTrait,
        st: &AppState,
        caller: &Caller<'_>,
        p: Plan,
        now: DateTime<Utc>,
    ) -> AppResult<dossier::Model> {
        let id = self.before.id;
        let mut row = row_of(&p.changes);
        row.status = Set(p.to.as_str().into());
        row.version = Set(self.expected_version + 1);
        row.updated_at = Set(now);
        let mut data = p.data;
        if p.assigns_code {
            let code = next_code(txn, st, self.before.receiving_agency_id, now).await?;
            data["receipt"]["code"] = json!(code);
            let b = &self.before;
            row.search_text = Set(dossier_search_text(
                Some(&code),
                &b.applicant_name,
                b.applicant_phone.as_deref(),
                b.applicant_email.as_deref(),
            ));
            row.code = Set(Some(code));
        }
        // The row as written comes back with the update (RETURNING).
        let updated = dossier::Entity::update_many()
            .set(row)
            .filter(dossier::Column::Id.eq(id))
            .filter(dossier::Column::Version.eq(self.expected_version))
            .exec_with_returning(txn)
            .await
            .map_err(|e| {
                store::unique_violation(e, &[(store::DOSSIER_SUBMISSION_KEY, "idempotencyKey")])
            })?
            .pop()
            .ok_or(AppError::VersionConflict)?;
        let by = caller.actor.map(|a| a.account_id);
        if !p.tasks.is_empty() {
            data["taskIds"] = json!(tasks::insert(txn, id, p.tasks, by, now).await?);
        }
        if let (Some(task_id), Some(text)) = (self.task_id, p.answer) {
            tasks::answer(txn, task_id, text, by, now).await?;
        }
        if p.saves_result {
            // The result goes into the applicant's data store.
            let issuer = agency_named(txn, self.before.settling_agency_id).await?;
            let today = calendar::today(st);
            let saved = documents::save_results(
                txn,
                &updated,
                self.content
                    .result_document_type
                    .as_deref()
                    .unwrap_or(&self.content.result_document),
                &issuer.name,
                now,
                today,
            )
            .await?;
            data["savedToDataStore"] = json!(saved);
        }
        let event = EventRecord {
            action: p.action,
            from: Some(p.from),
            to: p.to,
            grant: self.grant,
            note: p.note,
            data,
        };
        record(txn, st, caller, now, &updated, &event, self.operation).await?;
        Ok(updated)
    }
}

/// The plan's column values as an update.
fn row_of(c: &Changes) -> dossier::ActiveModel {
    fn set<T: Clone + Into<sea_orm::Value>>(v: &Option<T>) -> sea_orm::ActiveValue<T> {
        match v {
            Some(v) => Set(v.clone()),
            None => sea_orm::ActiveValue::NotSet,
        }
    }
    fn set_opt<T, S>(v: &Option<Option<T>>, f: impl Fn(&T) -> S) -> sea_orm::ActiveValue<Option<S>>
    where
        Option<S>: Into<sea_orm::Value>,
    {
        match v {
            Some(v) => Set(v.as_ref().map(f)),
            None => sea_orm::ActiveValue::NotSet,
        }
    }
    let text = |s: &'static str| s.to_owned();
    dossier::ActiveModel {
        form_data: set(&c.form_data.as_ref().map(Value::to_string)),
        idempotency_key: set_opt(&c.idempotency_key, String::clone),
        submitted_at: set(&c.submitted_at.map(Some)),
        received_at: set(&c.received_at.map(Some)),
        due_at: set_opt(&c.due_at, |t| *t),
        legal_due_at: set_opt(&c.legal_due_at, |t| *t),
        reception_seconds: set_opt(&c.reception_seconds, |s| *s),
        supplement_requests: set(&c.supplement_requests),
        transferred_at: set(&c.transferred_at.map(Some)),
        transfer_seconds: set(&c.transfer_seconds.map(Some)),
        handler_account_id: set(&c.handler_account_id.map(Some)),
        paused_at: set_opt(&c.paused_at, |t| *t),
        pause_kind: set_opt(&c.pause_kind, |k| text(k.as_str())),
        paused_seconds: set(&c.paused_seconds),
        returned_at: set(&c.returned_at.map(Some)),
        return_method: set(&c.return_method.map(|m| Some(text(m.as_str())))),
        tracking_number: set_opt(&c.tracking_number, String::clone),
        delivered_at: set(&c.delivered_at.map(Some)),
        delivery_recipient: set(&c.delivery_recipient.clone().map(Some)),
        settled_at: set(&c.settled_at.map(Some)),
        timeliness: set(&c.timeliness.map(|t| Some(text(t.as_str())))),
        ..Default::default()
    }
}

pub(super) async fn find(txn: &impl ConnectionTrait, id: i64) -> AppResult<dossier::Model> {
    dossier::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("dossier vanished"))
}

async fn agency_named(txn: &impl ConnectionTrait, id: i64) -> AppResult<agency::Model> {
    agency::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound(Missing::Agency))
}

/// A history event about to be written.
pub(super) struct EventRecord {
    pub action: DossierAction,
    pub from: Option<DossierStatus>,
    pub to: DossierStatus,
    pub grant: Option<Grant>,
    pub note: Option<String>,
    pub data: Value,
}

/// Writes the history event (seq = the dossier's new version), the audit
/// record, the outbox message, the statistics rollup and the applicant's
/// notifications, inside the transaction.
pub(super) async fn record(
    txn: &impl ConnectionTrait,
    st: &AppState,
    caller: &Caller<'_>,
    now: DateTime<Utc>,
    d: &dossier::Model,
    e: &EventRecord,
    operation: &str,
) -> AppResult<()> {
    let actor_account = caller.actor.map(|a| a.account_id);
    let (role, agency) = match (e.grant, caller.actor) {
        (Some(g), _) => (Some(g.role), g.agency_id),
        (None, Some(a)) => (a.primary_role(), None),
        (None, None) => (None, None),
    };
    dossier_event::ActiveModel {
        dossier_id: Set(d.id),
        seq: Set(d.version),
        action: Set(e.action.as_str().into()),
        from_status: Set(e.from.map(|s| s.as_str().to_owned())),
        to_status: Set(e.to.as_str().into()),
        actor_account_id: Set(actor_account),
        actor_role: Set(role.map(|r| r.as_str().to_owned())),
        actor_agency_id: Set(agency),
        note: Set(e.note.clone()),
        data: Set(e.data.to_string()),
        at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let summary = json!({
        "before": e.from.map(|s| json!({ "status": s.as_str() })),
        "after": { "status": e.to.as_str(), "version": d.version, "code": d.code },
    });
    let mut entry = Entry::new(operation, "dossier", d.id, summary);
    entry.acting_as = role.map(|r| (r, agency));
    audit::record(txn, caller, now, entry).await?;
    // What subscribers may see: no personal data.
    let live = crate::events::LiveEvent {
        position: 0,
        dossier_id: d.id,
        code: d.code.clone(),
        seq: d.version,
        action: e.action.as_str().into(),
        from_status: e.from.map(|s| s.as_str().to_owned()),
        to_status: e.to.as_str().into(),
        national_status_code: e.to.national_code(pause_of(d)),
        due_at: d.due_at,
        actor_role: role.map(|r| r.as_str().to_owned()),
        actor_agency_id: agency,
        receiving_agency_id: d.receiving_agency_id,
        settling_agency_id: d.settling_agency_id,
        applicant_account_id: d.applicant_account_id,
        at: now,
    };
    crate::events::record(txn, &live).await?;
    notifications::on_transition(txn, st, now, d, e.action, e.note.as_deref()).await?;
    // Last: the rollup's row is shared by every dossier of its month,
    // agency, procedure and channel, and stays locked until the commit.
    rollup::on_transition(txn, st, d, e.action, e.from, e.to, now).await
}

/// The next code of the day at a receiving unit: an upsert that increments
/// the counter under the transaction's lock, so concurrent receptions get
/// distinct numbers and a number is never reused. Receptions at one unit
/// queue on its counter row from here to their commit. It is taken on the
/// transaction's own connection: a transaction that waited for a second
/// pooled connection could wait for ever once every connection is held by
/// a transaction doing the same (issue 15's bench found it at 32 clients).
async fn next_code(
    txn: &impl ConnectionTrait,
    st: &AppState,
    unit_id: i64,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let unit = agency_named(txn, unit_id).await?;
    let day = now
        .with_timezone(&st.config.calendar.tz)
        .format("%y%m%d")
        .to_string();
    let n = store::codes::next(txn, unit.id, &day).await?;
    Ok(format!("{}-{}-{:04}", unit.code, day, n))
}
