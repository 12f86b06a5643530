//! Dossiers: drafts, submission on every channel, and every transition of
//! the lifecycle. Each transition is one transaction that writes the new
//! status (guarded by the version the client saw), its history event, an
//! audit record and an outbox message — together or not at all.

use chrono::{DateTime, Utc};
use entity::{agency, dossier, dossier_event, dossier_task, outbox};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement, Value as DbValue,
};
use serde_json::{json, Value};

use super::audit::{self, Entry};
use super::catalogue::{self, Lookup};
use super::{
    accounts, calendar, documents, notifications, page, payments, rollup, Caller, Page, PageRequest,
};
use crate::app::AppState;
use crate::domain::authz::{covers, AccountKind, Action, AgencyScope, Grant, Role};
use crate::domain::calendar::Timeliness;
use crate::domain::catalogue::{AgencyKind, ProcedureContent, ProcedureStatus};
use crate::domain::identity::{
    applicant_id_number, is_applicants_account, optional_text, required_text, Email, Phone,
};
use crate::domain::lifecycle::{
    may, may_read, next_status, Channel, DossierAction, DossierStatus, Parties, PauseKind,
    ReturnMethod, TaskKind,
};
use crate::domain::Problem;
use crate::error::{AppError, AppResult};
use crate::store;

/// Reception, and transfer to the settling agency, within 8 working hours
/// (Thanh Hóa 17/2024 Art. 11; Đắk Lắk 04/2024 Art. 8).
pub const HANDOVER_LIMIT_SECONDS: i64 = 8 * 3600;

const REASON_MAX: usize = 2_000;

/// The applicant as written on the dossier.
#[derive(Debug, Clone, Default)]
pub struct ApplicantInput {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// One missing item of a supplement request, with its reason: all of them
/// in one request ("hướng dẫn một lần").
#[derive(Debug, Clone, serde::Serialize)]
pub struct SupplementItem {
    pub component: String,
    pub reason: String,
}

/// A transition and its arguments.
#[derive(Debug, Clone)]
pub enum Command {
    Update {
        form_data: Value,
    },
    Submit {
        idempotency_key: Option<String>,
    },
    Receive,
    RequestSupplement {
        items: Vec<SupplementItem>,
    },
    Supplement {
        form_data: Option<Value>,
    },
    Refuse {
        reason: String,
    },
    Transfer,
    AssignHandler {
        account_id: i64,
    },
    Pause {
        kind: PauseKind,
        reason: String,
    },
    Resume {
        note: Option<String>,
    },
    SubmitForApproval {
        note: Option<String>,
    },
    SendBack {
        reason: String,
    },
    Approve {
        note: Option<String>,
    },
    DeclareNotEligible {
        reason: String,
    },
    Stop {
        reason: String,
    },
    IssueApology {
        reason: String,
        new_due_at: DateTime<Utc>,
    },
    ReturnResult {
        method: ReturnMethod,
        tracking_number: Option<String>,
    },
    Withdraw {
        reason: Option<String>,
    },
    RequestConsultation {
        agency_id: i64,
        question: String,
        deadline: DateTime<Utc>,
    },
    AnswerConsultation {
        task_id: i64,
        answer: String,
    },
    ScheduleVerification {
        at: DateTime<Utc>,
        place: String,
        participants: String,
        content: String,
    },
    AssignInterAgency {
        tasks: Vec<InterAgencyTask>,
    },
    CompleteInterAgencyTask {
        task_id: i64,
        result: String,
    },
    RecordPostalDelivery(PostalDelivery),
}

/// The post's delivery of a result it was handed (BCCI).
#[derive(Debug, Clone)]
pub struct PostalDelivery {
    /// The parcel's number, as recorded when the result was returned by post.
    pub tracking_number: String,
    pub delivered_at: DateTime<Utc>,
    /// Who took the parcel.
    pub recipient: String,
}

impl PostalDelivery {
    /// This very delivery is already recorded on the dossier (a retry).
    fn is_recorded_on(&self, d: &dossier::Model) -> bool {
        d.delivered_at.map(|t| t.timestamp()) == Some(self.delivered_at.timestamp())
            && d.tracking_number.as_deref() == Some(self.tracking_number.trim())
            && d.delivery_recipient.as_deref() == Some(self.recipient.trim())
    }
}

impl Command {
    pub fn action(&self) -> DossierAction {
        use DossierAction as A;
        match self {
            Command::Update { .. } => A::Update,
            Command::Submit { .. } => A::Submit,
            Command::Receive => A::Receive,
            Command::RequestSupplement { .. } => A::RequestSupplement,
            Command::Supplement { .. } => A::Supplement,
            Command::Refuse { .. } => A::Refuse,
            Command::Transfer => A::Transfer,
            Command::AssignHandler { .. } => A::AssignHandler,
            Command::Pause { .. } => A::Pause,
            Command::Resume { .. } => A::Resume,
            Command::SubmitForApproval { .. } => A::SubmitForApproval,
            Command::SendBack { .. } => A::SendBack,
            Command::Approve { .. } => A::Approve,
            Command::DeclareNotEligible { .. } => A::DeclareNotEligible,
            Command::Stop { .. } => A::Stop,
            Command::IssueApology { .. } => A::IssueApology,
            Command::ReturnResult { .. } => A::ReturnResult,
            Command::Withdraw { .. } => A::Withdraw,
            Command::RequestConsultation { .. } => A::RequestConsultation,
            Command::AnswerConsultation { .. } => A::AnswerConsultation,
            Command::ScheduleVerification { .. } => A::ScheduleVerification,
            Command::AssignInterAgency { .. } => A::AssignInterAgency,
            Command::CompleteInterAgencyTask { .. } => A::CompleteInterAgencyTask,
            Command::RecordPostalDelivery(_) => A::RecordPostalDelivery,
        }
    }

    /// The operation's name in the API and the audit log.
    pub fn operation(&self) -> &'static str {
        match self {
            Command::Update { .. } => "updateDossier",
            Command::Submit { .. } => "submitDossier",
            Command::Receive => "receiveDossier",
            Command::RequestSupplement { .. } => "requestSupplement",
            Command::Supplement { .. } => "supplementDossier",
            Command::Refuse { .. } => "refuseDossier",
            Command::Transfer => "transferDossier",
            Command::AssignHandler { .. } => "assignHandler",
            Command::Pause { .. } => "pauseDossier",
            Command::Resume { .. } => "resumeDossier",
            Command::SubmitForApproval { .. } => "submitForApproval",
            Command::SendBack { .. } => "sendBackDossier",
            Command::Approve { .. } => "approveDossier",
            Command::DeclareNotEligible { .. } => "declareNotEligible",
            Command::Stop { .. } => "stopDossier",
            Command::IssueApology { .. } => "issueApology",
            Command::ReturnResult { .. } => "returnResult",
            Command::Withdraw { .. } => "withdrawDossier",
            Command::RequestConsultation { .. } => "requestConsultation",
            Command::AnswerConsultation { .. } => "answerConsultation",
            Command::ScheduleVerification { .. } => "scheduleVerification",
            Command::AssignInterAgency { .. } => "assignInterAgency",
            Command::CompleteInterAgencyTask { .. } => "completeInterAgencyTask",
            Command::RecordPostalDelivery(_) => "recordPostalDelivery",
        }
    }
}

fn reason(field: &str, s: &str) -> AppResult<String> {
    required_text(s, REASON_MAX).map_err(|p| AppError::bad_input(field, p))
}

fn note(s: Option<&str>) -> AppResult<Option<String>> {
    optional_text(s, REASON_MAX).map_err(|p| AppError::bad_input("note", p))
}

pub(crate) fn status_of(d: &dossier::Model) -> AppResult<DossierStatus> {
    DossierStatus::parse(&d.status).ok_or_else(|| AppError::internal("bad dossier status"))
}

fn pause_of(d: &dossier::Model) -> Option<PauseKind> {
    d.pause_kind.as_deref().and_then(PauseKind::parse)
}

fn invalid_transition(from: DossierStatus, action: DossierAction) -> AppError {
    AppError::InvalidTransition {
        vi: format!(
            "Không thể «{}» khi hồ sơ đang ở trạng thái «{}»",
            action.label_vi(),
            from.label_vi()
        ),
        en: format!(
            "Cannot {} a dossier that is {}",
            action.label_en().to_lowercase(),
            from.label_en().to_lowercase()
        ),
    }
}

/// The lineages a dossier's authorization needs.
struct Lineages {
    receiving: Vec<i64>,
    settling: Vec<i64>,
    /// Every agency asked to contribute, with its ancestors.
    consulted: Vec<i64>,
}

async fn lineages(st: &AppState, d: &dossier::Model) -> AppResult<Lineages> {
    let mut consulted = Vec::new();
    for t in tasks_of(&st.db, d.id).await? {
        if let Some(a) = t.agency_id {
            consulted.extend(store::agencies::lineage(&st.db, a).await?);
        }
    }
    consulted.sort_unstable();
    consulted.dedup();
    Ok(Lineages {
        receiving: store::agencies::lineage(&st.db, d.receiving_agency_id).await?,
        settling: store::agencies::lineage(&st.db, d.settling_agency_id).await?,
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
fn readable(actor: &crate::domain::authz::Actor, d: &dossier::Model, l: &Lineages) -> bool {
    DossierStatus::parse(&d.status).is_some_and(|s| may_read(actor, &parties(d, l), s))
}

/// A dossier and its lineages, for a signed-in caller who may read it
/// (`may_read`). A dossier the caller may not read answers exactly like
/// one that does not exist (DOMAIN.md: no existence oracle), and an
/// anonymous caller is UNAUTHENTICATED whether it exists or not. Every
/// operation that takes a dossier id starts here; FORBIDDEN is left for
/// readers who may not do the operation.
async fn visible_with_lineages(
    st: &AppState,
    caller: &Caller<'_>,
    id: i64,
) -> AppResult<(dossier::Model, Lineages)> {
    let actor = caller.signed_in()?;
    let d = dossier::Entity::find_by_id(id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound("dossier"))?;
    let l = lineages(st, &d).await?;
    if !readable(actor, &d, &l) {
        return Err(AppError::NotFound("dossier"));
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
    Ok(visible_with_lineages(st, caller, id).await?.0)
}

/// `domain::lifecycle::may_file_result` for a dossier.
pub(crate) async fn may_file_result(
    st: &AppState,
    actor: &crate::domain::authz::Actor,
    d: &dossier::Model,
) -> AppResult<bool> {
    let l = lineages(st, d).await?;
    Ok(crate::domain::lifecycle::may_file_result(
        actor,
        &parties(d, &l),
    ))
}

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

/// An open task of the dossier, of the kind the answer is for.
async fn open_task(
    st: &AppState,
    dossier_id: i64,
    task_id: i64,
    kind: TaskKind,
) -> AppResult<dossier_task::Model> {
    let t = dossier_task::Entity::find_by_id(task_id)
        .one(&st.db)
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

const TASK_OPEN: &str = "OPEN";
const TASK_DONE: &str = "DONE";

/// One agency's part of an inter-agency settlement.
#[derive(Debug, Clone)]
pub struct InterAgencyTask {
    pub agency_id: i64,
    pub task: String,
    pub deadline: DateTime<Utc>,
}

/// The one-stop unit that receives dossiers for an agency: its own one-stop
/// child, or the nearest ancestor's (the provincial centre for departments).
async fn receiving_unit_for(st: &AppState, agency_id: i64) -> AppResult<i64> {
    let lineage = store::agencies::lineage(&st.db, agency_id).await?;
    if let Some(own) = lineage.first() {
        let own = catalogue::agency(&st.db, Lookup::Id(*own)).await?;
        if own.kind == AgencyKind::OneStopUnit.as_str() {
            return Ok(own.id);
        }
    }
    for ancestor in &lineage {
        let unit = agency::Entity::find()
            .filter(agency::Column::ParentId.eq(*ancestor))
            .filter(agency::Column::Kind.eq(AgencyKind::OneStopUnit.as_str()))
            .filter(agency::Column::Active.eq(true))
            .order_by_asc(agency::Column::Id)
            .one(&st.db)
            .await?;
        if let Some(u) = unit {
            return Ok(u.id);
        }
    }
    Err(AppError::bad_input(
        "agencyId",
        Problem::Invalid {
            vi: "Không có Bộ phận Một cửa tiếp nhận hồ sơ cho cơ quan này".into(),
            en: "No one-stop unit receives dossiers for this agency".into(),
        },
    ))
}

/// The procedure (in force) and its current content; the settling agency
/// must implement it.
async fn procedure_for(
    st: &AppState,
    procedure_id: i64,
    agency_id: i64,
) -> AppResult<(entity::procedure::Model, ProcedureContent)> {
    let p = catalogue::procedure(st, Lookup::Id(procedure_id))
        .await
        .map_err(|_| AppError::bad_input("procedureId", Problem::UnknownReference))?;
    if p.status != ProcedureStatus::Active.as_str() {
        return Err(AppError::bad_input(
            "procedureId",
            Problem::Invalid {
                vi: "Thủ tục không còn được áp dụng".into(),
                en: "The procedure is not in force".into(),
            },
        ));
    }
    let content = catalogue::current_content(&st.db, &p).await?;
    if !content.agency_ids.contains(&agency_id) {
        return Err(AppError::bad_input(
            "agencyId",
            Problem::Invalid {
                vi: "Cơ quan này không thực hiện thủ tục đã chọn".into(),
                en: "This agency does not implement the procedure".into(),
            },
        ));
    }
    Ok((p, content))
}

/// E-form data is a JSON object; at submission its `components` list must
/// name every required component of the procedure version.
fn check_form(form: &Value, content: &ProcedureContent, complete: bool) -> AppResult<()> {
    let obj = form.as_object().ok_or_else(|| {
        AppError::bad_input(
            "formData",
            Problem::Invalid {
                vi: "Dữ liệu biểu mẫu phải là một đối tượng JSON".into(),
                en: "Form data must be a JSON object".into(),
            },
        )
    })?;
    if !complete {
        return Ok(());
    }
    let given: Vec<&str> = obj
        .get("components")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<&str> = content
        .components
        .iter()
        .filter(|c| c.required && !given.contains(&c.name.as_str()))
        .map(|c| c.name.as_str())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AppError::bad_input(
            "formData.components",
            Problem::Invalid {
                vi: format!("Thiếu thành phần hồ sơ bắt buộc: {}", missing.join("; ")),
                en: format!("Required components are missing: {}", missing.join("; ")),
            },
        ))
    }
}

fn clean_applicant(a: &ApplicantInput, year: i32) -> AppResult<ApplicantInput> {
    let at = |f: &'static str| move |p: Problem| AppError::bad_input(f, p);
    Ok(ApplicantInput {
        name: required_text(&a.name, 200).map_err(at("applicant.name"))?,
        id_number: match optional_text(a.id_number.as_deref(), 16)
            .map_err(at("applicant.idNumber"))?
        {
            Some(n) => Some(applicant_id_number(&n, year).map_err(at("applicant.idNumber"))?),
            None => None,
        },
        phone: match optional_text(a.phone.as_deref(), 20).map_err(at("applicant.phone"))? {
            Some(p) => Some(
                Phone::parse(&p)
                    .map_err(at("applicant.phone"))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        },
        email: match optional_text(a.email.as_deref(), 254).map_err(at("applicant.email"))? {
            Some(e) => Some(
                Email::parse(&e)
                    .map_err(at("applicant.email"))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        },
        address: optional_text(a.address.as_deref(), 500).map_err(at("applicant.address"))?,
    })
}

pub struct DraftInput {
    pub procedure_id: i64,
    /// The settling agency: one of the procedure's implementing agencies.
    pub agency_id: i64,
    pub form_data: Value,
    pub address: Option<String>,
}

/// A citizen or organisation starts a dossier; the applicant's details are
/// copied from the account.
pub async fn create_draft(
    st: &AppState,
    caller: &Caller<'_>,
    input: DraftInput,
) -> AppResult<dossier::Model> {
    let actor = caller.signed_in()?;
    if actor.kind == AccountKind::Official {
        return Err(AppError::Forbidden);
    }
    let (p, content) = procedure_for(st, input.procedure_id, input.agency_id).await?;
    check_form(&input.form_data, &content, false)?;
    let me = accounts::me(st, caller.actor).await?.account;
    let receiving = receiving_unit_for(st, input.agency_id).await?;
    let applicant = ApplicantInput {
        name: me.full_name.clone(),
        id_number: me.citizen_id.clone().or(me.tax_code.clone()),
        phone: me.phone.clone(),
        email: me.email.clone(),
        address: optional_text(input.address.as_deref(), 500)
            .map_err(|p| AppError::bad_input("address", p))?,
    };
    insert(
        st,
        caller,
        NewDossier {
            procedure: &p,
            applicant_account_id: Some(me.id),
            applicant,
            channel: Channel::Online,
            status: DossierStatus::Draft,
            receiving_agency_id: receiving,
            settling_agency_id: input.agency_id,
            form_data: input.form_data,
            acting_as: None,
            operation: "createDossier",
            action: DossierAction::Create,
        },
    )
    .await
}

pub struct IntakeInput {
    pub procedure_id: i64,
    pub agency_id: i64,
    pub applicant: ApplicantInput,
    /// The applicant's account, when they have one (their dossier then shows
    /// in myDossiers): linked only when its verified identity is the
    /// applicant's ID number or tax code.
    pub applicant_account_id: Option<i64>,
    pub form_data: Value,
}

/// The officer's grant of a role, for intake at their own unit.
fn grant_of(caller: &Caller<'_>, role: Role) -> AppResult<Grant> {
    let actor = caller.signed_in()?;
    actor
        .grants
        .iter()
        .find(|g| g.role == role && g.agency_id.is_some())
        .copied()
        .ok_or(AppError::Forbidden)
}

/// A reception officer registers a dossier handed in at the counter: it is
/// received at once, at the officer's one-stop unit (Decree 118/2025: any of
/// the province's units receives, whatever the boundary).
pub async fn register_counter(
    st: &AppState,
    caller: &Caller<'_>,
    input: IntakeInput,
    return_immediately: bool,
) -> AppResult<dossier::Model> {
    let grant = grant_of(caller, Role::ReceptionOfficer)?;
    let unit = grant.agency_id.ok_or(AppError::Forbidden)?;
    if return_immediately {
        let (_, content) = procedure_for(st, input.procedure_id, input.agency_id).await?;
        if content.processing_time.working_hours() != 0 {
            return Err(AppError::bad_input(
                "returnImmediately",
                Problem::Invalid {
                    vi: "Chỉ thủ tục trả ngay (thời hạn 0) mới trả kết quả ngay tại quầy".into(),
                    en: "Only procedures with no processing time are returned at once".into(),
                },
            ));
        }
    }
    let d = intake(
        st,
        caller,
        input,
        Channel::Direct,
        unit,
        grant,
        "registerCounterDossier",
    )
    .await?;
    // Reception in its own transaction, through the same path as online
    // dossiers: code, due date, receipt.
    let received = apply(st, caller, d.id, d.version, Command::Receive).await?;
    if return_immediately {
        return settle_at_counter(st, caller, grant, received).await;
    }
    Ok(received)
}

/// "Trả ngay": an immediate procedure goes from reception to RETURNED in one
/// counter operation, and the history still shows every step (Đắk Lắk
/// 04/2024 on immediate-return procedures).
async fn settle_at_counter(
    st: &AppState,
    caller: &Caller<'_>,
    grant: Grant,
    d: dossier::Model,
) -> AppResult<dossier::Model> {
    use DossierStatus as S;
    let now = st.clock.now();
    let due = d.legal_due_at.unwrap_or(now);
    let timeliness =
        calendar::with_calendar(st, &st.db, due.min(now), |c| c.classify(due, now)).await?;
    let steps = [
        (DossierAction::Transfer, S::Received, S::Processing),
        (DossierAction::Approve, S::Processing, S::ResultReady),
        (DossierAction::ReturnResult, S::ResultReady, S::Returned),
    ];
    let txn = store::write_txn(&st.db).await?;
    let mut current = d;
    for (action, from, to) in steps {
        let mut row = dossier::ActiveModel {
            status: Set(to.as_str().into()),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        };
        let data = match action {
            DossierAction::Transfer => {
                row.transferred_at = Set(Some(now));
                row.transfer_seconds = Set(Some(0));
                json!({ "transferWorkingSeconds": 0, "transferWithinLimit": true })
            }
            DossierAction::Approve => {
                row.settled_at = Set(Some(now));
                row.timeliness = Set(Some(timeliness.as_str().into()));
                json!({ "timeliness": timeliness.as_str() })
            }
            _ => {
                row.returned_at = Set(Some(now));
                row.return_method = Set(Some(ReturnMethod::Counter.as_str().into()));
                json!({ "method": ReturnMethod::Counter.as_str(), "immediate": true })
            }
        };
        let res = dossier::Entity::update_many()
            .set(row)
            .filter(dossier::Column::Id.eq(current.id))
            .filter(dossier::Column::Version.eq(current.version))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(AppError::VersionConflict);
        }
        current = dossier::Entity::find_by_id(current.id)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::internal("dossier vanished"))?;
        let event = EventRecord {
            action,
            from: Some(from),
            to,
            grant: Some(grant),
            note: None,
            data,
        };
        record(
            &txn,
            st,
            caller,
            now,
            &current,
            &event,
            "registerCounterDossier",
        )
        .await?;
    }
    txn.commit().await?;
    st.outbox_committed();
    Ok(current)
}

/// Postal staff register a dossier sent by post; it waits for reception at
/// the unit that receives for the settling agency.
pub async fn register_postal(
    st: &AppState,
    caller: &Caller<'_>,
    input: IntakeInput,
) -> AppResult<dossier::Model> {
    let grant = grant_of(caller, Role::PostalStaff)?;
    let unit = receiving_unit_for(st, input.agency_id).await?;
    intake(
        st,
        caller,
        input,
        Channel::Postal,
        unit,
        grant,
        "registerPostalDossier",
    )
    .await
}

async fn intake(
    st: &AppState,
    caller: &Caller<'_>,
    input: IntakeInput,
    channel: Channel,
    receiving: i64,
    grant: Grant,
    operation: &'static str,
) -> AppResult<dossier::Model> {
    let (p, content) = procedure_for(st, input.procedure_id, input.agency_id).await?;
    check_form(&input.form_data, &content, true)?;
    let year = chrono::Datelike::year(&st.clock.now());
    let applicant = clean_applicant(&input.applicant, year)?;
    if let Some(a) = input.applicant_account_id {
        check_applicant_account(st, a, applicant.id_number.as_deref()).await?;
    }
    insert(
        st,
        caller,
        NewDossier {
            procedure: &p,
            applicant_account_id: input.applicant_account_id,
            applicant,
            channel,
            status: DossierStatus::Submitted,
            receiving_agency_id: receiving,
            settling_agency_id: input.agency_id,
            form_data: input.form_data,
            acting_as: Some(grant),
            operation,
            action: DossierAction::Submit,
        },
    )
    .await
}

/// An account may be linked to a dossier entered on someone's behalf only
/// when it is the applicant's own (`identity::is_applicants_account`):
/// otherwise a stranger's dossier (name, ID number, phone, address, e-form)
/// would show in that account's myDossiers, and it could withdraw it. An id
/// that names no account answers the same, so that the check tells nothing
/// about which accounts exist.
async fn check_applicant_account(
    st: &AppState,
    account_id: i64,
    applicant_id_number: Option<&str>,
) -> AppResult<()> {
    let account = entity::account::Entity::find_by_id(account_id)
        .one(&st.db)
        .await?;
    let own = account.is_some_and(|a| {
        AccountKind::parse(&a.kind).is_some_and(|kind| {
            is_applicants_account(
                kind,
                a.citizen_id.as_deref(),
                a.tax_code.as_deref(),
                applicant_id_number,
            )
        })
    });
    if own {
        Ok(())
    } else {
        Err(AppError::bad_input(
            "applicantAccountId",
            Problem::Invalid {
                vi: "Không có tài khoản nào mang số định danh (mã số thuế) của người nộp hồ sơ với mã tài khoản này".into(),
                en: "No account with this id carries the applicant's ID number (or tax code)".into(),
            },
        ))
    }
}

struct NewDossier<'a> {
    procedure: &'a entity::procedure::Model,
    applicant_account_id: Option<i64>,
    applicant: ApplicantInput,
    channel: Channel,
    status: DossierStatus,
    receiving_agency_id: i64,
    settling_agency_id: i64,
    form_data: Value,
    acting_as: Option<Grant>,
    operation: &'static str,
    action: DossierAction,
}

impl NewDossier<'_> {
    /// Who entered it for the applicant: the acting official, if any.
    fn registrar(&self, caller: &Caller<'_>) -> Option<i64> {
        self.acting_as.and(caller.actor.map(|a| a.account_id))
    }
}

/// Inserts a dossier with its first history event, audit and outbox rows.
async fn insert(
    st: &AppState,
    caller: &Caller<'_>,
    n: NewDossier<'_>,
) -> AppResult<dossier::Model> {
    let now = st.clock.now();
    let registrar = n.registrar(caller);
    let txn = store::write_txn(&st.db).await?;
    let d = dossier::ActiveModel {
        registered_by_account_id: Set(registrar),
        code: Set(None),
        procedure_id: Set(n.procedure.id),
        procedure_version: Set(n.procedure.current_version),
        applicant_account_id: Set(n.applicant_account_id),
        applicant_name: Set(n.applicant.name),
        applicant_id_number: Set(n.applicant.id_number),
        applicant_phone: Set(n.applicant.phone),
        applicant_email: Set(n.applicant.email),
        applicant_address: Set(n.applicant.address),
        channel: Set(n.channel.as_str().into()),
        status: Set(n.status.as_str().into()),
        pause_kind: Set(None),
        version: Set(1),
        receiving_agency_id: Set(n.receiving_agency_id),
        settling_agency_id: Set(n.settling_agency_id),
        handler_account_id: Set(None),
        form_data: Set(n.form_data.to_string()),
        idempotency_key: Set(None),
        submitted_at: Set((n.status == DossierStatus::Submitted).then_some(now)),
        paused_seconds: Set(0),
        supplement_requests: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let event = EventRecord {
        action: n.action,
        from: None,
        to: n.status,
        grant: n.acting_as,
        note: None,
        data: json!({ "channel": n.channel.as_str() }),
    };
    record(&txn, st, caller, now, &d, &event, n.operation).await?;
    txn.commit().await?;
    st.outbox_committed();
    Ok(d)
}

/// A history event about to be written.
struct EventRecord {
    action: DossierAction,
    from: Option<DossierStatus>,
    to: DossierStatus,
    grant: Option<Grant>,
    note: Option<String>,
    data: Value,
}

/// Writes the history event (seq = the dossier's new version), the audit
/// record and the outbox message, inside the transaction.
async fn record(
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
    let payload = json!({
        "dossierId": d.id,
        "code": d.code,
        "seq": d.version,
        "action": e.action.as_str(),
        "fromStatus": e.from.map(|s| s.as_str()),
        "toStatus": e.to.as_str(),
        "nationalStatusCode": e.to.national_code(pause_of(d)),
        "dueAt": d.due_at,
        "actorRole": role.map(|r| r.as_str()),
        "actorAgencyId": agency,
        "receivingAgencyId": d.receiving_agency_id,
        "settlingAgencyId": d.settling_agency_id,
        "applicantAccountId": d.applicant_account_id,
        "at": now,
    });
    outbox::ActiveModel {
        topic: Set("dossier".into()),
        dossier_id: Set(Some(d.id)),
        seq: Set(Some(d.version)),
        payload: Set(payload.to_string()),
        created_at: Set(now),
        published_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    rollup::on_transition(txn, st, d, e.action, e.from, e.to, now).await?;
    notifications::on_transition(txn, st, now, d, e.action, e.note.as_deref()).await
}

/// The next code of the day at a receiving unit: an upsert that increments
/// the counter under the transaction's lock, so concurrent receptions get
/// distinct numbers and a number is never reused.
async fn next_code(
    txn: &impl ConnectionTrait,
    st: &AppState,
    unit: &agency::Model,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let day = now
        .with_timezone(&st.config.calendar.tz)
        .format("%y%m%d")
        .to_string();
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO dossier_code_counter (agency_id, day, last) VALUES ($1, $2, 1) \
             ON CONFLICT (agency_id, day) DO UPDATE SET last = dossier_code_counter.last + 1 RETURNING last"
        }
        _ => {
            "INSERT INTO dossier_code_counter (agency_id, day, last) VALUES (?, ?, 1) \
             ON CONFLICT (agency_id, day) DO UPDATE SET last = dossier_code_counter.last + 1 RETURNING last"
        }
    };
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [DbValue::from(unit.id), DbValue::from(day.clone())],
        ))
        .await?
        .ok_or_else(|| AppError::internal("code counter returned nothing"))?;
    let n: i32 = row.try_get("", "last")?;
    Ok(format!("{}-{}-{:04}", unit.code, day, n))
}

/// Takes one transition. The order of refusals: nobody signed in
/// (UNAUTHENTICATED), a dossier the caller may not read (NOT_FOUND, as for a
/// missing one), who (FORBIDDEN), the task named (BAD_USER_INPUT, looked at
/// only after authorization), then the version the client saw
/// (VERSION_CONFLICT), then the status (INVALID_TRANSITION), then the other
/// arguments (BAD_USER_INPUT).
pub async fn apply(
    st: &AppState,
    caller: &Caller<'_>,
    id: i64,
    expected_version: i32,
    cmd: Command,
) -> AppResult<dossier::Model> {
    let (d, mut l) = visible_with_lineages(st, caller, id).await?;
    let action = cmd.action();
    // A retried submission with the same key returns the same dossier.
    if let Command::Submit {
        idempotency_key: Some(key),
    } = &cmd
    {
        let mine = caller
            .actor
            .is_some_and(|a| d.applicant_account_id == Some(a.account_id));
        if mine && d.idempotency_key.as_deref() == Some(key.as_str()) {
            return Ok(d);
        }
    }
    let mut grant = may(caller.actor, action, &parties(&d, &l))?;
    // An answer comes from the agency that was asked, not from any of them:
    // the task is looked at once the caller is known to be one of them.
    let answering = match &cmd {
        Command::AnswerConsultation { task_id, .. } => {
            Some(open_task(st, id, *task_id, TaskKind::Consultation).await?)
        }
        Command::CompleteInterAgencyTask { task_id, .. } => {
            Some(open_task(st, id, *task_id, TaskKind::InterAgency).await?)
        }
        _ => None,
    };
    if let Some(t) = &answering {
        l.consulted = match t.agency_id {
            Some(a) => store::agencies::lineage(&st.db, a).await?,
            None => Vec::new(),
        };
        grant = may(caller.actor, action, &parties(&d, &l))?;
    }
    if let Command::RecordPostalDelivery(delivery) = &cmd {
        // A retry of the delivery already recorded returns the dossier.
        if delivery.is_recorded_on(&d) {
            return Ok(d);
        }
    }
    if d.version != expected_version {
        return Err(AppError::VersionConflict);
    }
    let from = status_of(&d)?;
    let to =
        next_status(from, action, pause_of(&d)).ok_or_else(|| invalid_transition(from, action))?;
    let now = st.clock.now();
    // The version the dossier was submitted under, not today's.
    let content = catalogue::version_content(&st.db, d.procedure_id, d.procedure_version).await?;
    match &cmd {
        // At the counter the officer takes the fee with the dossier.
        Command::Receive if d.channel != Channel::Direct.as_str() => {
            check_fees_paid(st, &d, &content, true).await?
        }
        Command::ReturnResult { method, .. } => {
            check_fees_paid(st, &d, &content, false).await?;
            let (_, _, result_file) = super::attachments::files_of(&st.db, d.id).await?;
            if *method == ReturnMethod::Online && !result_file {
                return Err(AppError::InvalidTransition {
                    vi: "Chưa có bản điện tử của kết quả để trả trực tuyến".into(),
                    en: "There is no electronic copy of the result to return online".into(),
                });
            }
        }
        _ => {}
    }

    let mut row = dossier::ActiveModel {
        status: Set(to.as_str().into()),
        version: Set(expected_version + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    let mut event_note: Option<String> = None;
    let mut data = json!({});
    let mut needs_code = false;
    let mut new_tasks: Vec<dossier_task::ActiveModel> = Vec::new();
    let mut answered: Option<(i64, String)> = None;
    match &cmd {
        Command::Update { form_data } => {
            check_form(form_data, &content, false)?;
            row.form_data = Set(form_data.to_string());
        }
        Command::Submit { idempotency_key } => {
            let form: Value = serde_json::from_str(&d.form_data).map_err(AppError::internal)?;
            check_form(&form, &content, true)?;
            let key = match idempotency_key.as_deref() {
                Some(k) => Some(
                    required_text(k, 128).map_err(|p| AppError::bad_input("idempotencyKey", p))?,
                ),
                None => None,
            };
            row.idempotency_key = Set(key);
            row.submitted_at = Set(Some(now));
        }
        Command::Receive => {
            needs_code = true;
            let cutoff = st.config.calendar.same_day_cutoff;
            let hours = content.processing_time.working_hours();
            let submitted = d.submitted_at;
            let (due, reception) =
                calendar::with_calendar(st, &st.db, submitted.unwrap_or(now).min(now), |c| {
                    (
                        c.due(now, hours, content.within_day, cutoff),
                        submitted.map(|s| c.seconds_between(s, now)),
                    )
                })
                .await?;
            row.received_at = Set(Some(now));
            row.due_at = Set(Some(due));
            row.legal_due_at = Set(Some(due));
            row.reception_seconds = Set(reception);
            data = json!({
                "receipt": {
                    "dueAt": due,
                    "processingHours": hours,
                    "components": content.components.iter().map(|c| json!({ "name": c.name, "originals": c.originals, "copies": c.copies })).collect::<Vec<_>>(),
                },
                "receptionWorkingSeconds": reception,
                "receptionWithinLimit": reception.map(|s| s <= HANDOVER_LIMIT_SECONDS),
            });
        }
        Command::RequestSupplement { items } => {
            if items.is_empty() {
                return Err(AppError::bad_input("items", Problem::Required));
            }
            let mut clean = Vec::with_capacity(items.len());
            for (i, it) in items.iter().enumerate() {
                clean.push(SupplementItem {
                    component: reason(&format!("items.{i}.component"), &it.component)?,
                    reason: reason(&format!("items.{i}.reason"), &it.reason)?,
                });
            }
            row.supplement_requests = Set(d.supplement_requests + 1);
            data = json!({ "items": clean });
        }
        Command::Supplement { form_data } => {
            if let Some(f) = form_data {
                check_form(f, &content, from == DossierStatus::NeedsSupplement)?;
                row.form_data = Set(f.to_string());
            }
            if from == DossierStatus::NeedsSupplement {
                // The 8-working-hour reception clock restarts.
                row.submitted_at = Set(Some(now));
            } else {
                data = end_pause(st, &d, now, &mut row).await?;
            }
        }
        Command::Refuse { reason: r } => event_note = Some(reason("reason", r)?),
        Command::Transfer => {
            let received = d.received_at.unwrap_or(now);
            let secs =
                calendar::with_calendar(st, &st.db, received, |c| c.seconds_between(received, now))
                    .await?;
            row.transferred_at = Set(Some(now));
            row.transfer_seconds = Set(Some(secs));
            data = json!({ "transferWorkingSeconds": secs, "transferWithinLimit": secs <= HANDOVER_LIMIT_SECONDS });
        }
        Command::AssignHandler { account_id } => {
            let grants = accounts::grants_of(&st.db, *account_id).await?;
            let scope = AgencyScope {
                lineage: &l.settling,
            };
            let fit = grants.iter().any(|g| {
                matches!(g.role, Role::Specialist | Role::AgencyLeader)
                    && g.agency_id.is_some()
                    && covers(g, scope)
            });
            if !fit {
                return Err(AppError::bad_input(
                    "handlerAccountId",
                    Problem::Invalid {
                        vi: "Người được phân công phải là chuyên viên của cơ quan giải quyết"
                            .into(),
                        en: "The handler must be a specialist of the settling agency".into(),
                    },
                ));
            }
            row.handler_account_id = Set(Some(*account_id));
            data = json!({ "handlerAccountId": account_id });
        }
        Command::Pause { kind, reason: r } => {
            event_note = Some(reason("reason", r)?);
            row.paused_at = Set(Some(now));
            row.pause_kind = Set(Some(kind.as_str().into()));
            if *kind == PauseKind::Supplement {
                // Asked for a supplement again, during processing: the
                // evaluation counts every request (Decision 766).
                row.supplement_requests = Set(d.supplement_requests + 1);
            }
            data = json!({ "pauseKind": kind.as_str() });
        }
        Command::Resume { note: n } => {
            event_note = note(n.as_deref())?;
            data = end_pause(st, &d, now, &mut row).await?;
        }
        Command::SubmitForApproval { note: n } | Command::Approve { note: n } => {
            event_note = note(n.as_deref())?;
        }
        Command::SendBack { reason: r } | Command::Stop { reason: r } => {
            event_note = Some(reason("reason", r)?)
        }
        Command::DeclareNotEligible { reason: r } => event_note = Some(reason("reason", r)?),
        Command::IssueApology {
            reason: r,
            new_due_at,
        } => {
            event_note = Some(reason("reason", r)?);
            let due = d.due_at.unwrap_or(now);
            if now >= due {
                return Err(AppError::InvalidTransition {
                    vi: "Văn bản xin lỗi phải được ký trước khi hồ sơ quá hạn".into(),
                    en: "The apology must be signed before the due date passes".into(),
                });
            }
            if *new_due_at <= due {
                return Err(AppError::bad_input(
                    "newDueAt",
                    Problem::Invalid {
                        vi: "Ngày hẹn mới phải sau ngày hẹn hiện tại".into(),
                        en: "The new due date must be after the current one".into(),
                    },
                ));
            }
            row.due_at = Set(Some(*new_due_at));
            data = json!({ "previousDueAt": due, "newDueAt": new_due_at });
        }
        Command::ReturnResult {
            method,
            tracking_number,
        } => {
            let tracking = optional_text(tracking_number.as_deref(), 64)
                .map_err(|p| AppError::bad_input("trackingNumber", p))?;
            if *method == ReturnMethod::Post && tracking.is_none() {
                return Err(AppError::bad_input("trackingNumber", Problem::Required));
            }
            row.returned_at = Set(Some(now));
            row.return_method = Set(Some(method.as_str().into()));
            row.tracking_number = Set(tracking.clone());
            data = json!({ "method": method.as_str(), "trackingNumber": tracking });
        }
        Command::Withdraw { reason: r } => event_note = note(r.as_deref())?,
        Command::RequestConsultation {
            agency_id,
            question,
            deadline,
        } => {
            let q = reason("question", question)?;
            check_task_agency(st, "agencyId", *agency_id, d.settling_agency_id).await?;
            if *deadline <= now {
                return Err(AppError::bad_input("deadline", past_deadline()));
            }
            new_tasks.push(new_task(
                &d,
                TaskKind::Consultation,
                Some(*agency_id),
                q,
                Some(*deadline),
                caller,
                now,
            ));
            data = json!({ "agencyId": agency_id, "deadline": deadline });
        }
        Command::ScheduleVerification {
            at,
            place,
            participants,
            content: c,
        } => {
            let mut t = new_task(
                &d,
                TaskKind::Verification,
                None,
                reason("content", c)?,
                None,
                caller,
                now,
            );
            t.scheduled_at = Set(Some(*at));
            t.place = Set(Some(reason("place", place)?));
            t.participants = Set(Some(reason("participants", participants)?));
            new_tasks.push(t);
            data = json!({ "at": at, "place": place, "participants": participants });
        }
        Command::AssignInterAgency { tasks } => {
            if tasks.is_empty() {
                return Err(AppError::bad_input("tasks", Problem::Required));
            }
            let mut summary = Vec::new();
            for (i, t) in tasks.iter().enumerate() {
                check_task_agency(
                    st,
                    &format!("tasks.{i}.agencyId"),
                    t.agency_id,
                    d.settling_agency_id,
                )
                .await?;
                if t.deadline <= now {
                    return Err(AppError::bad_input(
                        format!("tasks.{i}.deadline"),
                        past_deadline(),
                    ));
                }
                let task = reason(&format!("tasks.{i}.task"), &t.task)?;
                summary
                    .push(json!({ "agencyId": t.agency_id, "task": task, "deadline": t.deadline }));
                new_tasks.push(new_task(
                    &d,
                    TaskKind::InterAgency,
                    Some(t.agency_id),
                    task,
                    Some(t.deadline),
                    caller,
                    now,
                ));
            }
            data = json!({ "leadAgencyId": d.settling_agency_id, "tasks": summary });
        }
        Command::RecordPostalDelivery(p) => {
            data = record_delivery(&d, p, now, &mut row)?;
        }
        Command::AnswerConsultation { answer, .. }
        | Command::CompleteInterAgencyTask { result: answer, .. } => {
            let text = reason("answer", answer)?;
            if let Some(t) = &answering {
                let on_time = t.deadline.is_none_or(|dl| now <= dl);
                data = json!({ "taskId": t.id, "onTime": on_time });
                answered = Some((t.id, text));
            }
        }
    }
    if to.is_settled() && d.settled_at.is_none() {
        let legal_due = d.legal_due_at.unwrap_or(now);
        let t: Timeliness = calendar::with_calendar(st, &st.db, legal_due.min(now), |c| {
            c.classify(legal_due, now)
        })
        .await?;
        row.settled_at = Set(Some(now));
        row.timeliness = Set(Some(t.as_str().into()));
        data["timeliness"] = json!(t.as_str());
    }

    let txn = store::write_txn(&st.db).await?;
    if needs_code {
        let unit = catalogue::agency(&st.db, Lookup::Id(d.receiving_agency_id)).await?;
        row.code = Set(Some(next_code(&txn, st, &unit, now).await?));
    }
    let res = dossier::Entity::update_many()
        .set(row)
        .filter(dossier::Column::Id.eq(id))
        .filter(dossier::Column::Version.eq(expected_version))
        .exec(&txn)
        .await
        .map_err(|e| store::unique_violation(e, &[("idempotency_key", "idempotencyKey")]))?;
    if res.rows_affected != 1 {
        return Err(AppError::VersionConflict);
    }
    for t in new_tasks {
        let saved = t.insert(&txn).await?;
        data["taskIds"] = match data.get("taskIds") {
            Some(Value::Array(ids)) => {
                Value::Array(ids.iter().cloned().chain([json!(saved.id)]).collect())
            }
            _ => json!([saved.id]),
        };
    }
    if let Some((task_id, text)) = answered {
        let done = dossier_task::Entity::update_many()
            .col_expr(dossier_task::Column::Status, Expr::value(TASK_DONE))
            .col_expr(dossier_task::Column::Answer, Expr::value(text))
            .col_expr(
                dossier_task::Column::AnsweredBy,
                Expr::value(caller.actor.map(|a| a.account_id)),
            )
            .col_expr(dossier_task::Column::AnsweredAt, Expr::value(now))
            .filter(dossier_task::Column::Id.eq(task_id))
            .filter(dossier_task::Column::Status.eq(TASK_OPEN))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            return Err(AppError::VersionConflict);
        }
    }
    let updated = dossier::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal("dossier vanished"))?;
    if action == DossierAction::ReturnResult {
        // The result goes into the applicant's data store.
        let issuer = catalogue::agency(&st.db, Lookup::Id(d.settling_agency_id)).await?;
        let today = calendar::today(st);
        let saved = documents::save_results(
            &txn,
            &updated,
            &content.result_document,
            &issuer.name,
            now,
            today,
        )
        .await?;
        data["savedToDataStore"] = json!(saved);
    }
    if let (Some(code), true) = (&updated.code, needs_code) {
        data["receipt"]["code"] = json!(code);
    }
    let event = EventRecord {
        action,
        from: Some(from),
        to,
        grant,
        note: event_note,
        data,
    };
    record(&txn, st, caller, now, &updated, &event, cmd.operation()).await?;
    txn.commit().await?;
    st.outbox_committed();
    Ok(updated)
}

/// Checks a postal delivery against the parcel the unit handed the post,
/// and writes it.
fn record_delivery(
    d: &dossier::Model,
    p: &PostalDelivery,
    now: DateTime<Utc>,
    row: &mut dossier::ActiveModel,
) -> AppResult<Value> {
    if d.return_method.as_deref() != Some(ReturnMethod::Post.as_str()) {
        return Err(AppError::InvalidTransition {
            vi: "Kết quả của hồ sơ này không được gửi qua bưu chính".into(),
            en: "This dossier's result was not sent by post".into(),
        });
    }
    if d.delivered_at.is_some() {
        return Err(AppError::InvalidTransition {
            vi: "Việc phát kết quả qua bưu chính đã được ghi nhận".into(),
            en: "The postal delivery is already recorded".into(),
        });
    }
    let tracking = required_text(&p.tracking_number, 64)
        .map_err(|e| AppError::bad_input("trackingNumber", e))?;
    if d.tracking_number.as_deref() != Some(tracking.as_str()) {
        return Err(AppError::bad_input(
            "trackingNumber",
            Problem::Invalid {
                vi: "Không phải số hiệu bưu gửi đã dùng để gửi kết quả".into(),
                en: "Not the tracking number the result was sent with".into(),
            },
        ));
    }
    let recipient =
        required_text(&p.recipient, 200).map_err(|e| AppError::bad_input("recipient", e))?;
    let sent = d.returned_at.unwrap_or(now);
    if p.delivered_at > now || p.delivered_at < sent {
        return Err(AppError::bad_input(
            "deliveredAt",
            Problem::Invalid {
                vi: "Thời điểm phát phải sau khi gửi kết quả và không ở tương lai".into(),
                en: "The delivery must be after the result was sent and not in the future".into(),
            },
        ));
    }
    row.delivered_at = Set(Some(p.delivered_at));
    row.delivery_recipient = Set(Some(recipient.clone()));
    Ok(json!({ "trackingNumber": tracking, "deliveredAt": p.delivered_at, "recipient": recipient }))
}

/// Refuses a step its procedure says must wait for the fees.
async fn check_fees_paid(
    st: &AppState,
    d: &dossier::Model,
    content: &crate::domain::catalogue::ProcedureContent,
    reception: bool,
) -> AppResult<()> {
    use crate::domain::payment::PaymentDue;
    if !PaymentDue::blocks(content.payment_due, reception) {
        return Ok(());
    }
    let owed =
        payments::fees(content, &payments::of_dossiers(&st.db, &[d.id]).await?).outstanding_vnd;
    if owed > 0 {
        return Err(AppError::InvalidTransition {
            vi: format!("Hồ sơ chưa nộp đủ phí, lệ phí (còn thiếu {owed} đồng)"),
            en: format!("The fees are not paid ({owed} VND owed)"),
        });
    }
    Ok(())
}

fn past_deadline() -> Problem {
    Problem::Invalid {
        vi: "Thời hạn phải ở tương lai".into(),
        en: "The deadline must be in the future".into(),
    }
}

/// A consulted or participating agency: exists, and is not the settling one.
async fn check_task_agency(
    st: &AppState,
    field: &str,
    agency_id: i64,
    settling: i64,
) -> AppResult<()> {
    if agency_id == settling
        || agency::Entity::find_by_id(agency_id)
            .one(&st.db)
            .await?
            .is_none()
    {
        return Err(AppError::bad_input(field, Problem::UnknownReference));
    }
    Ok(())
}

fn new_task(
    d: &dossier::Model,
    kind: TaskKind,
    agency_id: Option<i64>,
    content: String,
    deadline: Option<DateTime<Utc>>,
    caller: &Caller<'_>,
    now: DateTime<Utc>,
) -> dossier_task::ActiveModel {
    dossier_task::ActiveModel {
        dossier_id: Set(d.id),
        kind: Set(kind.as_str().into()),
        agency_id: Set(agency_id),
        content: Set(content),
        deadline: Set(deadline),
        scheduled_at: Set(None),
        place: Set(None),
        participants: Set(None),
        status: Set(TASK_OPEN.into()),
        answer: Set(None),
        answered_by: Set(None),
        answered_at: Set(None),
        created_by: Set(caller.actor.map(|a| a.account_id)),
        created_at: Set(now),
        ..Default::default()
    }
}

/// Ends a pause: the paused working time is added to the pause total and
/// moves both due dates (the clock stops while the applicant supplements or
/// pays).
async fn end_pause(
    st: &AppState,
    d: &dossier::Model,
    now: DateTime<Utc>,
    row: &mut dossier::ActiveModel,
) -> AppResult<Value> {
    let paused_at = d.paused_at.unwrap_or(now);
    let (due, legal) = (d.due_at, d.legal_due_at);
    let (secs, new_due, new_legal) = calendar::with_calendar(st, &st.db, paused_at, |c| {
        let secs = c.seconds_between(paused_at, now);
        // A pause that took no working time leaves the dates as they were
        // (adding zero would move an end-of-day instant to the next
        // morning: the same working instant, another date on the receipt).
        let moved = |x: DateTime<Utc>| if secs == 0 { x } else { c.add_seconds(x, secs) };
        (secs, due.map(moved), legal.map(moved))
    })
    .await?;
    row.paused_at = Set(None);
    row.pause_kind = Set(None);
    row.paused_seconds = Set(d.paused_seconds + secs);
    row.due_at = Set(new_due);
    row.legal_due_at = Set(new_legal);
    Ok(json!({ "pausedWorkingSeconds": secs, "dueAt": new_due }))
}

// ------------------------------------------------------------------ reads

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
        };
        rows(&content.internal_process, &timeline, cal)
    })
    .await
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

/// The dossier's current version if the actor may follow its events (read
/// it); no audit, as events carry no personal data.
pub async fn may_follow(
    st: &AppState,
    actor: &crate::domain::authz::Actor,
    id: i64,
) -> AppResult<Option<i32>> {
    let Some(d) = dossier::Entity::find_by_id(id).one(&st.db).await? else {
        return Ok(None);
    };
    let l = lineages(st, &d).await?;
    Ok(readable(actor, &d, &l).then_some(d.version))
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
        .ok_or(AppError::NotFound("dossier"))?;
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
        let now = st.clock.now();
        let txn = store::write_txn(&st.db).await?;
        audit::commit(
            txn,
            caller,
            now,
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

/// Dossiers the caller may see, filtered, in id order.
/// `personal`: whether the response shows the applicants' personal data.
pub async fn list(
    st: &AppState,
    caller: &Caller<'_>,
    f: DossierFilter,
    req: PageRequest,
    personal: bool,
) -> AppResult<Page<dossier::Model>> {
    let actor = caller.signed_in()?;
    if f.applicant_id_number.is_some() {
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
    let id_number = optional_text(f.applicant_id_number.as_deref(), 16)
        .map_err(|p| AppError::bad_input("filter.applicantIdNumber", p))?;
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
    let found = page(&st.db, q, dossier::Column::Id, req).await?;
    audit_listed(st, caller, personal, &found).await?;
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

/// What waits for the caller: receptions, transfers and returns at their
/// one-stop unit; processing at their agency; approvals for leaders;
/// deliveries for postal staff.
pub async fn work_queue(
    st: &AppState,
    caller: &Caller<'_>,
    req: PageRequest,
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
            any = any.add(
                dossier::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(dossier_task::Column::DossierId)
                        .from(dossier_task::Entity)
                        .and_where(dossier_task::Column::Status.eq(TASK_OPEN))
                        .and_where(dossier_task::Column::AgencyId.is_in(ids))
                        .to_owned(),
                ),
            );
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
            total: 0,
        });
    }
    let found = page(
        &st.db,
        dossier::Entity::find().filter(any),
        dossier::Column::Id,
        req,
    )
    .await?;
    audit_listed(st, caller, personal, &found).await?;
    Ok(found)
}

/// What anyone may learn about a dossier from its code and the applicant's
/// ID number or phone (Hà Nam 30/2019 Art. 12, Đắk Lắk 04/2024 Art. 12).
pub struct Tracking {
    pub dossier: dossier::Model,
    pub procedure_name: String,
}

/// Public lookup. A wrong code and a wrong ID answer the same NOT_FOUND;
/// lookups are throttled per client address, per code and per identifier.
pub async fn track(
    st: &AppState,
    caller: &Caller<'_>,
    code: &str,
    id_or_phone: &str,
) -> AppResult<Tracking> {
    accounts::throttle_lookup(st, caller.client_addr, code, id_or_phone).await?;
    let d = dossier::Entity::find()
        .filter(dossier::Column::Code.eq(code.trim()))
        .one(&st.db)
        .await?;
    let key = id_or_phone.trim();
    let phone = Phone::parse(key).ok().map(|p| p.as_str().to_owned());
    let matches = d.as_ref().is_some_and(|d| {
        !key.is_empty()
            && (d.applicant_id_number.as_deref() == Some(key)
                || (phone.is_some() && d.applicant_phone == phone))
    });
    let d = match d {
        Some(d) if matches => d,
        _ => return Err(AppError::NotFound("dossier")),
    };
    let p = catalogue::procedure(st, Lookup::Id(d.procedure_id)).await?;
    Ok(Tracking {
        dossier: d,
        procedure_name: p.name,
    })
}

/// Keeps the last `keep` characters: "0905123456" → "*******456".
pub fn mask_tail(s: &str, keep: usize) -> String {
    let n = s.chars().count();
    s.chars()
        .enumerate()
        .map(|(i, c)| if i + keep < n { '*' } else { c })
        .collect()
}

/// "an.nguyen@x.vn" → "a***@x.vn".
pub fn mask_email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => mask_tail(s, 0),
    }
}

/// "Nguyễn Văn An" → "Nguyễn V** A*": the family name, then each other
/// word's first letter.
pub fn mask_name(name: &str) -> String {
    let mut words = name.split_whitespace();
    let mut out = words.next().unwrap_or_default().to_owned();
    for w in words {
        let mut chars = w.chars();
        if let Some(first) = chars.next() {
            out.push(' ');
            out.push(first);
            out.extend(chars.map(|_| '*'));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask_name;

    #[test]
    fn names_are_masked_after_the_family_name() {
        assert_eq!(mask_name("Nguyễn Văn An"), "Nguyễn V** A*");
        assert_eq!(mask_name("Lê"), "Lê");
        assert_eq!(mask_name("Trần  Thị   Bình"), "Trần T** B***");
    }

    #[test]
    fn numbers_and_addresses_are_masked() {
        use super::{mask_email, mask_tail};
        assert_eq!(mask_tail("0905123456", 3), "*******456");
        assert_eq!(mask_tail("12", 3), "12");
        assert_eq!(mask_email("an.nguyen@x.vn"), "a***@x.vn");
    }
}
