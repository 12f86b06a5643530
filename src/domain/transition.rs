//! One transition of a dossier, decided without I/O. The service loads the
//! `Facts` (the dossier, its procedure version, fees owed, the task being
//! answered…), `plan` decides, and the service writes the `Plan`: the new
//! column values, the tasks, the history event's note and data.
//!
//! The order of refusals, after authorization: the version the client saw
//! (`Refusal::Stale`), then the status (`Refusal::State`), then what the
//! status needs (fees paid, an electronic result), then the arguments
//! (`Refusal::Input`).

use chrono::{DateTime, NaiveTime, Utc};
use serde_json::{json, Value};

use super::authz::{covers, AgencyScope, Grant, Role};
use super::calendar::{Calendar, Timeliness};
use super::catalogue::ProcedureContent;
use super::identity::{optional_text, required_text};
use super::lifecycle::{
    next_status, Channel, DossierAction, DossierStatus, PauseKind, ReturnMethod, TaskKind,
    HANDOVER_LIMIT_SECONDS,
};
use super::payment::PaymentDue;
use super::Problem;

/// The longest reason, note, question or answer, in characters.
pub const REASON_MAX: usize = 2_000;

/// The longest idempotency key, in characters.
pub const IDEMPOTENCY_KEY_MAX: usize = 128;

/// The longest postal tracking number, in characters.
pub const TRACKING_NUMBER_MAX: usize = 64;

/// One missing item of a supplement request, with its reason: all of them
/// in one request ("hướng dẫn một lần", Decree 61/2018 Art. 15).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SupplementItem {
    pub component: String,
    pub reason: String,
}

/// One agency's part of an inter-agency settlement.
#[derive(Debug, Clone, PartialEq)]
pub struct InterAgencyTask {
    pub agency_id: i64,
    pub task: String,
    pub deadline: DateTime<Utc>,
}

/// The post's delivery of a result it was handed (BCCI).
#[derive(Debug, Clone, PartialEq)]
pub struct PostalDelivery {
    /// The parcel's number, as recorded when the result was returned by post.
    pub tracking_number: String,
    pub delivered_at: DateTime<Utc>,
    /// Who took the parcel.
    pub recipient: String,
}

/// A transition and its arguments.
#[derive(Debug, Clone, PartialEq)]
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

impl Command {
    /// The history action this command records.
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

    /// The operation's name in the API and the audit log
    /// (`DossierAction::operation`).
    pub fn operation(&self) -> &'static str {
        self.action().operation()
    }

    /// The task an answer is for, and the kind it must be.
    pub fn answered_task(&self) -> Option<(i64, TaskKind)> {
        match self {
            Command::AnswerConsultation { task_id, .. } => Some((*task_id, TaskKind::Consultation)),
            Command::CompleteInterAgencyTask { task_id, .. } => {
                Some((*task_id, TaskKind::InterAgency))
            }
            _ => None,
        }
    }

    /// The agencies the command asks to contribute.
    pub fn named_agencies(&self) -> Vec<i64> {
        match self {
            Command::RequestConsultation { agency_id, .. } => vec![*agency_id],
            Command::AssignInterAgency { tasks } => tasks.iter().map(|t| t.agency_id).collect(),
            _ => Vec::new(),
        }
    }

    /// The account an assignment names.
    pub fn named_handler(&self) -> Option<i64> {
        match self {
            Command::AssignHandler { account_id } => Some(*account_id),
            _ => None,
        }
    }

    /// This command was already carried out on the dossier and is being
    /// retried: a submission with the key it was submitted with, by its
    /// applicant, or the very postal delivery already recorded. The retry
    /// answers the dossier as it is.
    pub fn is_retry(&self, d: &Facts<'_>, caller_account_id: Option<i64>) -> bool {
        match self {
            Command::Submit {
                idempotency_key: Some(key),
            } => {
                caller_account_id.is_some()
                    && d.applicant_account_id == caller_account_id
                    && d.idempotency_key == Some(key.as_str())
            }
            Command::RecordPostalDelivery(p) => {
                d.delivered_at.map(|t| t.timestamp()) == Some(p.delivered_at.timestamp())
                    && d.tracking_number == Some(p.tracking_number.trim())
                    && d.delivery_recipient == Some(p.recipient.trim())
            }
            _ => false,
        }
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The dossier changed since the client read it (VERSION_CONFLICT).
    Stale,
    /// Not possible in the dossier's state (INVALID_TRANSITION).
    State { vi: String, en: String },
    /// An argument is wrong (BAD_USER_INPUT on `field`).
    Input { field: String, problem: Problem },
}

impl Refusal {
    fn state(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Refusal::State {
            vi: vi.into(),
            en: en.into(),
        }
    }

    fn input(field: impl Into<String>, problem: Problem) -> Self {
        Refusal::Input {
            field: field.into(),
            problem,
        }
    }

    fn invalid(field: impl Into<String>, vi: &str, en: &str) -> Self {
        Refusal::input(
            field,
            Problem::Invalid {
                vi: vi.into(),
                en: en.into(),
            },
        )
    }

    /// The action is not possible from this status.
    pub fn transition(from: DossierStatus, action: DossierAction) -> Self {
        Refusal::state(
            format!(
                "Không thể «{}» khi hồ sơ đang ở trạng thái «{}»",
                action.label_vi(),
                from.label_vi()
            ),
            format!(
                "Cannot {} a dossier that is {}",
                action.label_en().to_lowercase(),
                from.label_en().to_lowercase()
            ),
        )
    }
}

/// A required text argument, trimmed, at most `REASON_MAX` characters.
fn reason(field: &str, s: &str) -> Result<String, Refusal> {
    required_text(s, REASON_MAX).map_err(|p| Refusal::input(field, p))
}

/// An optional note, trimmed; blank is none.
fn note(s: Option<&str>) -> Result<Option<String>, Refusal> {
    optional_text(s, REASON_MAX).map_err(|p| Refusal::input("note", p))
}

/// The open task an answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenTask {
    pub id: i64,
    pub deadline: Option<DateTime<Utc>>,
}

/// What the service loaded for a transition.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub status: DossierStatus,
    pub pause: Option<PauseKind>,
    pub version: i32,
    pub channel: Channel,
    pub applicant_account_id: Option<i64>,
    pub idempotency_key: Option<&'a str>,
    /// The e-form as saved.
    pub form: &'a Value,
    /// The components with a file (loaded for submission and supplements).
    pub filed: &'a [String],
    pub submitted_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub paused_at: Option<DateTime<Utc>>,
    pub paused_seconds: i64,
    pub due_at: Option<DateTime<Utc>>,
    pub legal_due_at: Option<DateTime<Utc>>,
    pub settled_at: Option<DateTime<Utc>>,
    pub supplement_requests: i32,
    pub return_method: Option<ReturnMethod>,
    pub returned_at: Option<DateTime<Utc>>,
    pub tracking_number: Option<&'a str>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub delivery_recipient: Option<&'a str>,
    pub settling_agency_id: i64,
    /// The settling agency and its ancestors.
    pub settling_lineage: &'a [i64],
    /// The procedure version the dossier was submitted under.
    pub content: &'a ProcedureContent,
    /// Fees still owed, in VND.
    pub fees_owed_vnd: i64,
    /// An electronic copy of the result is filed.
    pub has_electronic_result: bool,
    /// The grants of the account an assignment names.
    pub handler_grants: &'a [Grant],
    /// Which of the agencies the command names exist.
    pub known_agencies: &'a [i64],
    /// The open task an answer is for (checked by the service, which found
    /// it open and of the right kind).
    pub task: Option<OpenTask>,
    /// "Giải quyết trong ngày": received after this local time, due at the
    /// end of the next working day.
    pub same_day_cutoff: NaiveTime,
}

impl Facts<'_> {
    /// The earliest instant a transition's working-time arithmetic reads:
    /// the calendar must hold the exceptions from there on.
    pub fn calendar_from(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        [
            self.submitted_at,
            self.received_at,
            self.paused_at,
            self.legal_due_at,
        ]
        .into_iter()
        .flatten()
        .fold(now, DateTime::min)
    }
}

/// A task to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub kind: TaskKind,
    pub agency_id: Option<i64>,
    pub content: String,
    pub deadline: Option<DateTime<Utc>>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub place: Option<String>,
    pub participants: Option<String>,
}

/// The new values of the dossier's columns; `None` leaves one as it is,
/// `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    pub form_data: Option<Value>,
    pub idempotency_key: Option<Option<String>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub legal_due_at: Option<Option<DateTime<Utc>>>,
    /// Working seconds from submission to reception.
    pub reception_seconds: Option<Option<i64>>,
    pub supplement_requests: Option<i32>,
    pub transferred_at: Option<DateTime<Utc>>,
    /// Working seconds from reception to transfer.
    pub transfer_seconds: Option<i64>,
    pub handler_account_id: Option<i64>,
    pub paused_at: Option<Option<DateTime<Utc>>>,
    pub pause_kind: Option<Option<PauseKind>>,
    /// Total working seconds paused.
    pub paused_seconds: Option<i64>,
    pub returned_at: Option<DateTime<Utc>>,
    pub return_method: Option<ReturnMethod>,
    pub tracking_number: Option<Option<String>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub delivery_recipient: Option<String>,
    pub settled_at: Option<DateTime<Utc>>,
    pub timeliness: Option<Timeliness>,
}

/// What a transition writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub action: DossierAction,
    pub from: DossierStatus,
    pub to: DossierStatus,
    pub changes: Changes,
    /// Reception: the dossier gets its code (the unit's daily sequence).
    pub assigns_code: bool,
    pub tasks: Vec<NewTask>,
    /// The answer to the open task (`Facts::task`).
    pub answer: Option<String>,
    /// The history event's note.
    pub note: Option<String>,
    /// The history event's data.
    pub data: Value,
    /// The result goes into the applicant's data store.
    pub saves_result: bool,
}

impl Plan {
    fn new(action: DossierAction, from: DossierStatus, to: DossierStatus) -> Self {
        Plan {
            action,
            from,
            to,
            changes: Changes::default(),
            assigns_code: false,
            tasks: Vec::new(),
            answer: None,
            note: None,
            data: json!({}),
            saves_result: action == DossierAction::ReturnResult,
        }
    }
}

/// Decides one transition: refusals in the order of the module comment,
/// then the plan. `expected_version` is the version the client saw.
pub fn plan(
    cmd: &Command,
    d: &Facts<'_>,
    expected_version: i32,
    now: DateTime<Utc>,
    cal: &Calendar<'_>,
) -> Result<Plan, Refusal> {
    if d.version != expected_version {
        return Err(Refusal::Stale);
    }
    let action = cmd.action();
    let to = next_status(d.status, action, d.pause)
        .ok_or_else(|| Refusal::transition(d.status, action))?;
    preconditions(cmd, d)?;
    let mut p = Plan::new(action, d.status, to);
    decide(cmd, d, now, cal, &mut p)?;
    if to.is_settled() && d.settled_at.is_none() {
        let legal_due = d.legal_due_at.unwrap_or(now);
        let t = cal.classify(legal_due, now);
        p.changes.settled_at = Some(now);
        p.changes.timeliness = Some(t);
        p.data["timeliness"] = json!(t.as_str());
    }
    Ok(p)
}

/// What the status needs besides the arguments: fees paid where the
/// procedure says so (at the counter too: the officer takes them with the
/// dossier, in the registration's operation), and an electronic result to
/// return online.
fn preconditions(cmd: &Command, d: &Facts<'_>) -> Result<(), Refusal> {
    let owed = |reception: bool| match PaymentDue::unpaid(
        d.content.payment_due,
        reception,
        d.fees_owed_vnd,
    ) {
        Some((vi, en)) => Err(Refusal::state(vi, en)),
        None => Ok(()),
    };
    match cmd {
        Command::Receive => owed(true),
        Command::ReturnResult { method, .. } => {
            owed(false)?;
            if *method == ReturnMethod::Online && !d.has_electronic_result {
                return Err(Refusal::state(
                    "Chưa có bản điện tử của kết quả để trả trực tuyến",
                    "There is no electronic copy of the result to return online",
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The per-command part of `plan`.
fn decide(
    cmd: &Command,
    d: &Facts<'_>,
    now: DateTime<Utc>,
    cal: &Calendar<'_>,
    p: &mut Plan,
) -> Result<(), Refusal> {
    match cmd {
        Command::Update { form_data } => {
            check_form(form_data, d, false)?;
            p.changes.form_data = Some(form_data.clone());
        }
        Command::Submit { idempotency_key } => {
            check_form(d.form, d, true)?;
            let key = match idempotency_key.as_deref() {
                Some(k) => Some(
                    required_text(k, IDEMPOTENCY_KEY_MAX)
                        .map_err(|e| Refusal::input("idempotencyKey", e))?,
                ),
                None => None,
            };
            p.changes.idempotency_key = Some(key);
            p.changes.submitted_at = Some(now);
        }
        Command::Receive => receive(d, now, cal, p),
        Command::RequestSupplement { items } => request_supplement(items, d, p)?,
        Command::Supplement { form_data } => supplement(form_data.as_ref(), d, now, cal, p)?,
        Command::Transfer => {
            let received = d.received_at.unwrap_or(now);
            let secs = cal.seconds_between(received, now);
            p.changes.transferred_at = Some(now);
            p.changes.transfer_seconds = Some(secs);
            p.data = json!({ "transferWorkingSeconds": secs, "transferWithinLimit": secs <= HANDOVER_LIMIT_SECONDS });
        }
        Command::AssignHandler { account_id } => assign_handler(*account_id, d, p)?,
        Command::Pause { kind, reason: r } => {
            p.note = Some(reason("reason", r)?);
            p.changes.paused_at = Some(Some(now));
            p.changes.pause_kind = Some(Some(*kind));
            if *kind == PauseKind::Supplement {
                // Asked for a supplement again, during processing: the
                // evaluation counts every request (Decision 766/QĐ-TTg).
                p.changes.supplement_requests = Some(d.supplement_requests + 1);
            }
            p.data = json!({ "pauseKind": kind.as_str() });
        }
        Command::Resume { note: n } => {
            p.note = note(n.as_deref())?;
            end_pause(d, now, cal, p);
        }
        Command::SubmitForApproval { note: n }
        | Command::Approve { note: n }
        | Command::Withdraw { reason: n } => p.note = note(n.as_deref())?,
        Command::Refuse { reason: r }
        | Command::SendBack { reason: r }
        | Command::Stop { reason: r }
        | Command::DeclareNotEligible { reason: r } => p.note = Some(reason("reason", r)?),
        Command::IssueApology {
            reason: r,
            new_due_at,
        } => {
            p.note = Some(reason("reason", r)?);
            issue_apology(*new_due_at, d, now, p)?;
        }
        Command::ReturnResult {
            method,
            tracking_number,
        } => return_result(*method, tracking_number.as_deref(), now, p)?,
        Command::RequestConsultation {
            agency_id,
            question,
            deadline,
        } => {
            let q = reason("question", question)?;
            check_task_agency("agencyId", *agency_id, d)?;
            check_deadline("deadline", *deadline, now)?;
            p.tasks.push(task(
                TaskKind::Consultation,
                Some(*agency_id),
                q,
                Some(*deadline),
            ));
            p.data = json!({ "agencyId": agency_id, "deadline": deadline });
        }
        Command::ScheduleVerification {
            at,
            place,
            participants,
            content,
        } => {
            let mut t = task(
                TaskKind::Verification,
                None,
                reason("content", content)?,
                None,
            );
            t.scheduled_at = Some(*at);
            t.place = Some(reason("place", place)?);
            t.participants = Some(reason("participants", participants)?);
            p.tasks.push(t);
            p.data = json!({ "at": at, "place": place, "participants": participants });
        }
        Command::AssignInterAgency { tasks } => assign_inter_agency(tasks, d, now, p)?,
        Command::AnswerConsultation { answer, .. }
        | Command::CompleteInterAgencyTask { result: answer, .. } => {
            let text = reason("answer", answer)?;
            if let Some(t) = d.task {
                let on_time = t.deadline.is_none_or(|dl| now <= dl);
                p.data = json!({ "taskId": t.id, "onTime": on_time });
                p.answer = Some(text);
            }
        }
        Command::RecordPostalDelivery(delivery) => record_delivery(delivery, d, now, p)?,
    }
    Ok(())
}

/// Reception: the code, the due date (ngày hẹn trả) from the procedure
/// version's processing time, the receipt, and the working time since
/// submission against the 8-working-hour limit (Thanh Hóa 17/2024 Art. 11).
fn receive(d: &Facts<'_>, now: DateTime<Utc>, cal: &Calendar<'_>, p: &mut Plan) {
    let content = d.content;
    let hours = content.processing_time.working_hours();
    let due = cal.due(now, hours, content.within_day, d.same_day_cutoff);
    let reception = d.submitted_at.map(|s| cal.seconds_between(s, now));
    p.assigns_code = true;
    p.changes.received_at = Some(now);
    p.changes.due_at = Some(Some(due));
    p.changes.legal_due_at = Some(Some(due));
    p.changes.reception_seconds = Some(reception);
    p.data = json!({
        "receipt": {
            "dueAt": due,
            "processingHours": hours,
            "components": content.components.iter().map(|c| json!({ "name": c.name, "originals": c.originals, "copies": c.copies })).collect::<Vec<_>>(),
        },
        "receptionWorkingSeconds": reception,
        "receptionWithinLimit": reception.map(|s| s <= HANDOVER_LIMIT_SECONDS),
    });
}

/// Every missing item at once, each with its reason; the request is
/// counted for the evaluation (Decision 766/QĐ-TTg).
fn request_supplement(
    items: &[SupplementItem],
    d: &Facts<'_>,
    p: &mut Plan,
) -> Result<(), Refusal> {
    if items.is_empty() {
        return Err(Refusal::input("items", Problem::Required));
    }
    let mut clean = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        clean.push(SupplementItem {
            component: reason(&format!("items.{i}.component"), &it.component)?,
            reason: reason(&format!("items.{i}.reason"), &it.reason)?,
        });
    }
    p.changes.supplement_requests = Some(d.supplement_requests + 1);
    p.data = json!({ "items": clean });
    Ok(())
}

/// The applicant supplements: before reception the e-form must then be
/// complete and the 8-working-hour reception clock restarts; during
/// processing the pause ends.
fn supplement(
    form_data: Option<&Value>,
    d: &Facts<'_>,
    now: DateTime<Utc>,
    cal: &Calendar<'_>,
    p: &mut Plan,
) -> Result<(), Refusal> {
    let before_reception = d.status == DossierStatus::NeedsSupplement;
    if let Some(f) = form_data {
        check_form(f, d, before_reception)?;
        p.changes.form_data = Some(f.clone());
    }
    if before_reception {
        p.changes.submitted_at = Some(now);
    } else {
        end_pause(d, now, cal, p);
    }
    Ok(())
}

/// The handler must be a specialist or leader of the settling agency.
fn assign_handler(account_id: i64, d: &Facts<'_>, p: &mut Plan) -> Result<(), Refusal> {
    let scope = AgencyScope {
        lineage: d.settling_lineage,
    };
    let fit = d.handler_grants.iter().any(|g| {
        matches!(g.role, Role::Specialist | Role::AgencyLeader)
            && g.agency_id.is_some()
            && covers(g, scope)
    });
    if !fit {
        return Err(Refusal::invalid(
            "handlerAccountId",
            "Người được phân công phải là chuyên viên của cơ quan giải quyết",
            "The handler must be a specialist of the settling agency",
        ));
    }
    p.changes.handler_account_id = Some(account_id);
    p.data = json!({ "handlerAccountId": account_id });
    Ok(())
}

/// The apology (văn bản xin lỗi) must be signed before the due date passes,
/// and sets a later one (Decision 766; Đắk Lắk 04/2024 Art. 21). Only the
/// date shown to the applicant moves: statistics still judge by the legal
/// one.
fn issue_apology(
    new_due_at: DateTime<Utc>,
    d: &Facts<'_>,
    now: DateTime<Utc>,
    p: &mut Plan,
) -> Result<(), Refusal> {
    let due = d.due_at.unwrap_or(now);
    if now >= due {
        return Err(Refusal::state(
            "Văn bản xin lỗi phải được ký trước khi hồ sơ quá hạn",
            "The apology must be signed before the due date passes",
        ));
    }
    if new_due_at <= due {
        return Err(Refusal::invalid(
            "newDueAt",
            "Ngày hẹn mới phải sau ngày hẹn hiện tại",
            "The new due date must be after the current one",
        ));
    }
    p.changes.due_at = Some(Some(new_due_at));
    p.data = json!({ "previousDueAt": due, "newDueAt": new_due_at });
    Ok(())
}

/// A result sent by post needs its parcel's tracking number.
fn return_result(
    method: ReturnMethod,
    tracking_number: Option<&str>,
    now: DateTime<Utc>,
    p: &mut Plan,
) -> Result<(), Refusal> {
    let tracking = optional_text(tracking_number, TRACKING_NUMBER_MAX)
        .map_err(|e| Refusal::input("trackingNumber", e))?;
    if method == ReturnMethod::Post && tracking.is_none() {
        return Err(Refusal::input("trackingNumber", Problem::Required));
    }
    p.changes.returned_at = Some(now);
    p.changes.return_method = Some(method);
    p.changes.tracking_number = Some(tracking.clone());
    p.data = json!({ "method": method.as_str(), "trackingNumber": tracking });
    Ok(())
}

fn assign_inter_agency(
    tasks: &[InterAgencyTask],
    d: &Facts<'_>,
    now: DateTime<Utc>,
    p: &mut Plan,
) -> Result<(), Refusal> {
    if tasks.is_empty() {
        return Err(Refusal::input("tasks", Problem::Required));
    }
    let mut summary = Vec::new();
    for (i, t) in tasks.iter().enumerate() {
        check_task_agency(&format!("tasks.{i}.agencyId"), t.agency_id, d)?;
        check_deadline(&format!("tasks.{i}.deadline"), t.deadline, now)?;
        let text = reason(&format!("tasks.{i}.task"), &t.task)?;
        summary.push(json!({ "agencyId": t.agency_id, "task": text, "deadline": t.deadline }));
        p.tasks.push(task(
            TaskKind::InterAgency,
            Some(t.agency_id),
            text,
            Some(t.deadline),
        ));
    }
    p.data = json!({ "leadAgencyId": d.settling_agency_id, "tasks": summary });
    Ok(())
}

/// Checks a postal delivery against the parcel the unit handed the post.
fn record_delivery(
    delivery: &PostalDelivery,
    d: &Facts<'_>,
    now: DateTime<Utc>,
    p: &mut Plan,
) -> Result<(), Refusal> {
    if d.return_method != Some(ReturnMethod::Post) {
        return Err(Refusal::state(
            "Kết quả của hồ sơ này không được gửi qua bưu chính",
            "This dossier's result was not sent by post",
        ));
    }
    if d.delivered_at.is_some() {
        return Err(Refusal::state(
            "Việc phát kết quả qua bưu chính đã được ghi nhận",
            "The postal delivery is already recorded",
        ));
    }
    let tracking = required_text(&delivery.tracking_number, TRACKING_NUMBER_MAX)
        .map_err(|e| Refusal::input("trackingNumber", e))?;
    if d.tracking_number != Some(tracking.as_str()) {
        return Err(Refusal::invalid(
            "trackingNumber",
            "Không phải số hiệu bưu gửi đã dùng để gửi kết quả",
            "Not the tracking number the result was sent with",
        ));
    }
    let recipient =
        required_text(&delivery.recipient, 200).map_err(|e| Refusal::input("recipient", e))?;
    let sent = d.returned_at.unwrap_or(now);
    if delivery.delivered_at > now || delivery.delivered_at < sent {
        return Err(Refusal::invalid(
            "deliveredAt",
            "Thời điểm phát phải sau khi gửi kết quả và không ở tương lai",
            "The delivery must be after the result was sent and not in the future",
        ));
    }
    p.changes.delivered_at = Some(delivery.delivered_at);
    p.changes.delivery_recipient = Some(recipient.clone());
    p.data = json!({ "trackingNumber": tracking, "deliveredAt": delivery.delivered_at, "recipient": recipient });
    Ok(())
}

/// Ends a pause: the paused working time is added to the pause total and
/// moves both due dates (the clock stops while the applicant supplements or
/// pays). A pause that took no working time leaves the dates as they were
/// (adding zero would move an end-of-day instant to the next morning: the
/// same working instant, another date on the receipt).
fn end_pause(d: &Facts<'_>, now: DateTime<Utc>, cal: &Calendar<'_>, p: &mut Plan) {
    let paused_at = d.paused_at.unwrap_or(now);
    let secs = cal.seconds_between(paused_at, now);
    let moved = |x: DateTime<Utc>| {
        if secs == 0 {
            x
        } else {
            cal.add_seconds(x, secs)
        }
    };
    let (due, legal) = (d.due_at.map(moved), d.legal_due_at.map(moved));
    p.changes.paused_at = Some(None);
    p.changes.pause_kind = Some(None);
    p.changes.paused_seconds = Some(d.paused_seconds + secs);
    p.changes.due_at = Some(due);
    p.changes.legal_due_at = Some(legal);
    p.data = json!({ "pausedWorkingSeconds": secs, "dueAt": due });
}

/// A consulted or participating agency exists and is not the settling one.
fn check_task_agency(field: &str, agency_id: i64, d: &Facts<'_>) -> Result<(), Refusal> {
    if agency_id == d.settling_agency_id || !d.known_agencies.contains(&agency_id) {
        return Err(Refusal::input(field, Problem::UnknownReference));
    }
    Ok(())
}

fn check_deadline(field: &str, deadline: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Refusal> {
    if deadline <= now {
        return Err(Refusal::invalid(
            field,
            "Thời hạn phải ở tương lai",
            "The deadline must be in the future",
        ));
    }
    Ok(())
}

fn task(
    kind: TaskKind,
    agency_id: Option<i64>,
    content: String,
    deadline: Option<DateTime<Utc>>,
) -> NewTask {
    NewTask {
        kind,
        agency_id,
        content,
        deadline,
        scheduled_at: None,
        place: None,
        participants: None,
    }
}

/// `ProcedureContent::check_form` as a refusal, with the dossier's files.
fn check_form(form: &Value, d: &Facts<'_>, complete: bool) -> Result<(), Refusal> {
    d.content
        .check_form(form, d.filed, complete)
        .map_err(|(field, problem)| Refusal::Input { field, problem })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::TimeZone;

    use super::*;
    use crate::domain::calendar::WorkingHours;
    use crate::domain::catalogue::tests::sample;
    use crate::domain::catalogue::Component;

    /// Tuesday 2027-03-02, 09:00 in Hà Nội.
    fn now() -> DateTime<Utc> {
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2027, 3, 2, 9, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn hours(h: i64) -> chrono::Duration {
        chrono::Duration::hours(h)
    }

    fn with_required_component() -> ProcedureContent {
        let mut c = sample();
        c.components = vec![Component {
            name: "Tờ khai".into(),
            originals: 1,
            copies: 0,
            required: true,
            form_template: None,
            data_store_document_type: None,
        }];
        c
    }

    fn facts<'a>(
        status: DossierStatus,
        content: &'a ProcedureContent,
        form: &'a Value,
    ) -> Facts<'a> {
        Facts {
            status,
            pause: None,
            version: 3,
            channel: Channel::Online,
            applicant_account_id: Some(7),
            idempotency_key: None,
            form,
            filed: &[],
            submitted_at: Some(now() - hours(30)),
            received_at: Some(now() - hours(26)),
            paused_at: None,
            paused_seconds: 0,
            due_at: Some(now() + hours(48)),
            legal_due_at: Some(now() + hours(48)),
            settled_at: None,
            supplement_requests: 0,
            return_method: None,
            returned_at: None,
            tracking_number: None,
            delivered_at: None,
            delivery_recipient: None,
            settling_agency_id: 10,
            settling_lineage: &[10, 1],
            content,
            fees_owed_vnd: 0,
            has_electronic_result: false,
            handler_grants: &[],
            known_agencies: &[],
            task: None,
            same_day_cutoff: NaiveTime::from_hms_opt(15, 0, 0).unwrap(),
        }
    }

    fn decide(cmd: &Command, d: &Facts<'_>) -> Result<Plan, Refusal> {
        let exceptions = BTreeMap::new();
        let working = WorkingHours::default();
        let cal = Calendar {
            tz: chrono_tz::Asia::Ho_Chi_Minh,
            hours: &working,
            exceptions: &exceptions,
        };
        plan(cmd, d, d.version, now(), &cal)
    }

    fn field_of(r: Result<Plan, Refusal>) -> String {
        match r {
            Err(Refusal::Input { field, .. }) => field,
            other => panic!("expected an input refusal, got {other:?}"),
        }
    }

    fn apology(new_due_at: DateTime<Utc>) -> Command {
        Command::IssueApology {
            reason: "Chờ xác minh".into(),
            new_due_at,
        }
    }

    #[test]
    fn the_apology_must_precede_the_due_date() {
        let (c, form) = (sample(), json!({}));
        let mut d = facts(DossierStatus::Processing, &c, &form);
        d.due_at = Some(now() - hours(1));
        assert!(matches!(
            decide(&apology(now() + hours(72)), &d),
            Err(Refusal::State { .. })
        ));
    }

    #[test]
    fn the_apology_moves_only_the_date_shown_to_a_later_one() {
        let (c, form) = (sample(), json!({}));
        let d = facts(DossierStatus::Processing, &c, &form);
        assert_eq!(
            field_of(decide(&apology(now() + hours(48)), &d)),
            "newDueAt"
        );
        let p = decide(&apology(now() + hours(72)), &d).unwrap();
        assert_eq!(p.changes.due_at, Some(Some(now() + hours(72))));
        assert_eq!(p.changes.legal_due_at, None);
        assert_eq!(p.note.as_deref(), Some("Chờ xác minh"));
    }

    #[test]
    fn a_result_sent_by_post_needs_its_tracking_number() {
        let (c, form) = (sample(), json!({}));
        let d = facts(DossierStatus::ResultReady, &c, &form);
        let by_post = |n: Option<&str>| Command::ReturnResult {
            method: ReturnMethod::Post,
            tracking_number: n.map(Into::into),
        };
        assert_eq!(field_of(decide(&by_post(Some("  ")), &d)), "trackingNumber");
        let p = decide(&by_post(Some(" EE123VN ")), &d).unwrap();
        assert_eq!(p.changes.tracking_number, Some(Some("EE123VN".into())));
        assert!(p.saves_result);
        assert_eq!(p.to, DossierStatus::Returned);
    }

    #[test]
    fn an_online_return_needs_an_electronic_result() {
        let (c, form) = (sample(), json!({}));
        let mut d = facts(DossierStatus::ResultReady, &c, &form);
        let online = Command::ReturnResult {
            method: ReturnMethod::Online,
            tracking_number: None,
        };
        assert!(matches!(decide(&online, &d), Err(Refusal::State { .. })));
        d.has_electronic_result = true;
        assert!(decide(&online, &d).is_ok());
    }

    #[test]
    fn fees_due_before_reception_block_it_on_every_channel() {
        let mut c = sample();
        c.payment_due = Some(PaymentDue::BeforeReception);
        let form = json!({});
        let mut d = facts(DossierStatus::Submitted, &c, &form);
        d.fees_owed_vnd = 200_000;
        for channel in [Channel::Online, Channel::Postal, Channel::Direct] {
            d.channel = channel;
            assert!(
                matches!(decide(&Command::Receive, &d), Err(Refusal::State { en, .. }) if en.contains("200000")),
                "{channel:?}"
            );
        }
        // Taken at the counter with the dossier: received.
        d.fees_owed_vnd = 0;
        let p = decide(&Command::Receive, &d).unwrap();
        assert!(p.assigns_code);
        assert_eq!(p.changes.due_at, p.changes.legal_due_at);
    }

    /// Unless the procedure says otherwise, fees are due before the return
    /// (DOMAIN "Fees"): an unpaid dossier is received but not returned;
    /// AFTER_RETURN lets it go out with the fee owed.
    #[test]
    fn fees_are_due_before_the_return_unless_the_procedure_says_otherwise() {
        let mut c = sample();
        let form = json!({});
        let counter = Command::ReturnResult {
            method: ReturnMethod::Counter,
            tracking_number: None,
        };
        for (due, refused) in [
            (None, true),
            (Some(PaymentDue::BeforeReturn), true),
            (Some(PaymentDue::BeforeReception), true),
            (Some(PaymentDue::AfterReturn), false),
        ] {
            c.payment_due = due;
            let mut d = facts(DossierStatus::ResultReady, &c, &form);
            d.fees_owed_vnd = 150_000;
            let got = decide(&counter, &d);
            assert_eq!(
                matches!(&got, Err(Refusal::State { en, .. }) if en.contains("150000")),
                refused,
                "{due:?}"
            );
            d.fees_owed_vnd = 0;
            assert!(decide(&counter, &d).is_ok(), "{due:?} paid");
            if due.is_none() {
                let mut d = facts(DossierStatus::Submitted, &c, &form);
                d.fees_owed_vnd = 150_000;
                assert!(decide(&Command::Receive, &d).is_ok(), "received unpaid");
            }
        }
    }

    #[test]
    fn a_supplement_before_reception_restarts_the_reception_clock() {
        let c = with_required_component();
        let form = json!({});
        let d = facts(DossierStatus::NeedsSupplement, &c, &form);
        let incomplete = Command::Supplement {
            form_data: Some(json!({ "components": [] })),
        };
        assert_eq!(field_of(decide(&incomplete, &d)), "formData.components");
        let complete = Command::Supplement {
            form_data: Some(json!({ "components": [{ "name": "Tờ khai" }] })),
        };
        let p = decide(&complete, &d).unwrap();
        assert_eq!(p.changes.submitted_at, Some(now()));
        assert_eq!(p.to, DossierStatus::Submitted);
    }

    #[test]
    fn a_supplement_during_processing_ends_the_pause_and_moves_both_dates() {
        let (c, form) = (sample(), json!({}));
        let mut d = facts(DossierStatus::Paused, &c, &form);
        d.pause = Some(PauseKind::Supplement);
        d.paused_at = Some(now() - hours(1));
        let p = decide(&Command::Supplement { form_data: None }, &d).unwrap();
        assert_eq!(p.changes.submitted_at, None);
        assert_eq!(p.changes.paused_seconds, Some(3_600));
        assert_eq!(p.changes.pause_kind, Some(None));
        assert_eq!(p.changes.due_at, Some(Some(now() + hours(49))));
        assert_eq!(p.changes.legal_due_at, Some(Some(now() + hours(49))));
    }

    #[test]
    fn every_supplement_request_is_counted() {
        let (c, form) = (sample(), json!({}));
        let mut d = facts(DossierStatus::Submitted, &c, &form);
        d.supplement_requests = 1;
        let ask = Command::RequestSupplement {
            items: vec![SupplementItem {
                component: "Tờ khai".into(),
                reason: "Thiếu chữ ký".into(),
            }],
        };
        assert_eq!(
            decide(&ask, &d).unwrap().changes.supplement_requests,
            Some(2)
        );
        let empty = Command::RequestSupplement { items: vec![] };
        assert_eq!(field_of(decide(&empty, &d)), "items");
        let mut d = facts(DossierStatus::Processing, &c, &form);
        d.supplement_requests = 2;
        let pause = |kind| Command::Pause {
            kind,
            reason: "Thiếu giấy tờ".into(),
        };
        let supplement = decide(&pause(PauseKind::Supplement), &d).unwrap();
        assert_eq!(supplement.changes.supplement_requests, Some(3));
        let fees = decide(&pause(PauseKind::FinancialObligation), &d).unwrap();
        assert_eq!(fees.changes.supplement_requests, None);
    }

    #[test]
    fn submission_needs_every_required_component() {
        let c = with_required_component();
        let empty = json!({});
        let submit = Command::Submit {
            idempotency_key: Some(" k-1 ".into()),
        };
        let d = facts(DossierStatus::Draft, &c, &empty);
        assert_eq!(field_of(decide(&submit, &d)), "formData.components");
        let full = json!({ "components": [{ "name": "Tờ khai" }] });
        let d = facts(DossierStatus::Draft, &c, &full);
        let p = decide(&submit, &d).unwrap();
        assert_eq!(p.changes.idempotency_key, Some(Some("k-1".into())));
        assert_eq!(p.changes.submitted_at, Some(now()));
    }

    #[test]
    fn a_stale_version_is_refused_before_the_status() {
        let (c, form) = (sample(), json!({}));
        let d = facts(DossierStatus::Returned, &c, &form);
        let exceptions = BTreeMap::new();
        let working = WorkingHours::default();
        let cal = Calendar {
            tz: chrono_tz::Asia::Ho_Chi_Minh,
            hours: &working,
            exceptions: &exceptions,
        };
        assert_eq!(
            plan(&Command::Receive, &d, 2, now(), &cal),
            Err(Refusal::Stale)
        );
        assert!(matches!(
            decide(&Command::Receive, &d),
            Err(Refusal::State { .. })
        ));
    }

    #[test]
    fn settling_classifies_the_timeliness_against_the_legal_due_date() {
        let (c, form) = (sample(), json!({}));
        let mut d = facts(DossierStatus::AwaitingApproval, &c, &form);
        let approve = Command::Approve { note: None };
        assert_eq!(
            decide(&approve, &d).unwrap().changes.timeliness,
            Some(Timeliness::Early)
        );
        d.legal_due_at = Some(now() - hours(1));
        let late = decide(&approve, &d).unwrap();
        assert_eq!(late.changes.timeliness, Some(Timeliness::Late));
        assert_eq!(late.data["timeliness"], "LATE");
    }

    #[test]
    fn the_handler_must_work_at_the_settling_agency() {
        let (c, form) = (sample(), json!({}));
        let mut d = facts(DossierStatus::Processing, &c, &form);
        let assign = Command::AssignHandler { account_id: 9 };
        let elsewhere = [Grant {
            role: Role::Specialist,
            agency_id: Some(99),
        }];
        d.handler_grants = &elsewhere;
        assert_eq!(field_of(decide(&assign, &d)), "handlerAccountId");
        let here = [Grant {
            role: Role::Specialist,
            agency_id: Some(10),
        }];
        d.handler_grants = &here;
        assert_eq!(
            decide(&assign, &d).unwrap().changes.handler_account_id,
            Some(9)
        );
    }

    #[test]
    fn consulted_agencies_exist_and_are_not_the_settling_one() {
        let (c, form) = (sample(), json!({}));
        let mut d = facts(DossierStatus::Processing, &c, &form);
        let ask = |agency_id| Command::RequestConsultation {
            agency_id,
            question: "Ý kiến?".into(),
            deadline: now() + hours(24),
        };
        assert_eq!(field_of(decide(&ask(10), &d)), "agencyId");
        assert_eq!(field_of(decide(&ask(11), &d)), "agencyId");
        d.known_agencies = &[11];
        assert_eq!(decide(&ask(11), &d).unwrap().tasks.len(), 1);
    }

    #[test]
    fn retries_are_recognised() {
        let (c, form) = (sample(), json!({}));
        let mut d = facts(DossierStatus::Submitted, &c, &form);
        d.idempotency_key = Some("k");
        let submit = Command::Submit {
            idempotency_key: Some("k".into()),
        };
        assert!(submit.is_retry(&d, Some(7)));
        assert!(!submit.is_retry(&d, Some(8)));
        assert!(!submit.is_retry(&d, None));
    }

    #[test]
    fn every_action_has_one_operation_name() {
        let mut names: Vec<_> = DossierAction::ALL.iter().map(|a| a.operation()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DossierAction::ALL.len());
    }
}
