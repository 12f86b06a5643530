//! Dossiers in GraphQL: the record, its history, the queries, public
//! tracking, and one mutation per lifecycle transition.

use super::input::{Chars, Items, JsonBound, Moment, SearchText};
use super::time::Time;
use async_graphql::{Context, InputObject, Json, Object, Result, SimpleObject, ID};
use entity::{dossier, dossier_event};
use serde_json::Value;

use super::catalogue::{connection_by, Agency, CountedConnection, Procedure};
use super::context::{encode_position, list_request, parse_id, parse_opt_id, ContextExt};
use super::enums::{
    Channel, DossierAction, DossierStatus, PauseKind, ReturnMethod, Role, TaskKind, Timeliness,
};
use super::loaders::{
    AgencyId, AttachmentsOf, HistoryOf, ProcedureId, RatingOf, TasksOf, VersionKey,
};
use crate::domain::calendar as dcal;
use crate::domain::lifecycle as dl;
use crate::domain::lifecycle::HANDOVER_LIMIT_SECONDS;
use crate::domain::masking::{mask_email, mask_name, mask_tail};
use crate::error::{stored_enum, AppError};
use crate::services::dossiers::{self as svc, Command};

fn status(d: &dossier::Model) -> Result<dl::DossierStatus, AppError> {
    stored_enum::<dl::DossierStatus>(&d.status)
}

/// Hồ sơ.
pub struct Dossier(pub dossier::Model);

/// Người nộp hồ sơ, as written on the dossier.
#[derive(SimpleObject)]
pub struct Applicant {
    pub name: String,
    /// Số định danh cá nhân or tax code.
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// Giấy tiếp nhận hồ sơ và hẹn trả kết quả (form 01).
#[derive(SimpleObject)]
pub struct Receipt {
    pub code: String,
    pub received_at: Time,
    /// Ngày hẹn trả kết quả.
    pub due_at: Time,
    pub procedure_name: String,
    pub applicant_name: String,
    /// The components received: those the e-form names and those with a
    /// file, in the procedure's order (not every component it knows).
    pub components: Vec<String>,
}

#[Object]
impl Dossier {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// Mã hồ sơ: `<agency code>-<yymmdd>-<seq>`, from reception on.
    async fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }
    /// Pass as `expectedVersion` to any transition; it is also the
    /// sequence number of the latest history event.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn status(&self) -> Result<DossierStatus> {
        Ok(status(&self.0)?.into())
    }
    async fn status_label(&self, ctx: &Context<'_>) -> Result<&'static str> {
        let s = status(&self.0)?;
        Ok(ctx.label(s.label_vi(), s.label_en()))
    }
    /// The national public-service portal's status code (1–10).
    async fn national_status_code(&self) -> Result<Option<i32>> {
        let pause = self.0.pause_kind.as_deref().and_then(dl::PauseKind::parse);
        Ok(status(&self.0)?.national_code(pause).map(i32::from))
    }
    async fn pause_kind(&self) -> Option<PauseKind> {
        self.0
            .pause_kind
            .as_deref()
            .and_then(dl::PauseKind::parse)
            .map(Into::into)
    }
    async fn channel(&self) -> Result<Channel> {
        Ok(stored_enum::<dl::Channel>(&self.0.channel)?.into())
    }
    /// `channel` in the caller's language ("Trực tuyến").
    async fn channel_label(&self, ctx: &Context<'_>) -> Result<&'static str> {
        let c = stored_enum::<dl::Channel>(&self.0.channel)?;
        Ok(ctx.label(c.label_vi(), c.label_en()))
    }
    async fn procedure(&self, ctx: &Context<'_>) -> Result<Option<Procedure>> {
        Ok(ctx
            .loaders()?
            .load_one(ProcedureId(self.0.procedure_id))
            .await?
            .map(Procedure))
    }
    /// The procedure version the dossier was submitted under.
    async fn procedure_version(&self) -> i32 {
        self.0.procedure_version
    }
    /// The applicant; masked for analysts; for postal staff only the name,
    /// phone and address a delivery needs.
    async fn applicant(&self, ctx: &Context<'_>) -> Applicant {
        let d = &self.0;
        if ctx.delivery_only() {
            return Applicant {
                name: d.applicant_name.clone(),
                id_number: None,
                phone: d.applicant_phone.clone(),
                email: None,
                address: d.applicant_address.clone(),
            };
        }
        if ctx.masked() {
            return Applicant {
                name: mask_name(&d.applicant_name),
                id_number: d.applicant_id_number.as_deref().map(|v| mask_tail(v, 3)),
                phone: d.applicant_phone.as_deref().map(|v| mask_tail(v, 3)),
                email: d.applicant_email.as_deref().map(mask_email),
                address: d.applicant_address.as_ref().map(|_| "***".to_owned()),
            };
        }
        Applicant {
            name: d.applicant_name.clone(),
            id_number: d.applicant_id_number.clone(),
            phone: d.applicant_phone.clone(),
            email: d.applicant_email.clone(),
            address: d.applicant_address.clone(),
        }
    }
    /// The one-stop unit that receives and returns.
    async fn receiving_agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        Ok(ctx
            .loaders()?
            .load_one(AgencyId(self.0.receiving_agency_id))
            .await?
            .map(Agency))
    }
    /// The agency that settles.
    async fn settling_agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        Ok(ctx
            .loaders()?
            .load_one(AgencyId(self.0.settling_agency_id))
            .await?
            .map(Agency))
    }
    /// The assigned handler (not shown to postal staff).
    async fn handler_account_id(&self, ctx: &Context<'_>) -> Option<ID> {
        if ctx.delivery_only() {
            return None;
        }
        self.0.handler_account_id.map(Into::into)
    }
    /// The e-form; withheld (`{"masked": true}`) from analysts (it holds
    /// personal data) and from postal staff (delivery does not need it).
    async fn form_data(&self, ctx: &Context<'_>) -> Result<Json<Value>> {
        if ctx.masked() || ctx.delivery_only() {
            return Ok(Json(serde_json::json!({ "masked": true })));
        }
        Ok(Json(serde_json::from_str(&self.0.form_data)?))
    }
    async fn submitted_at(&self) -> Option<Time> {
        self.0.submitted_at.map(Time)
    }
    async fn received_at(&self) -> Option<Time> {
        self.0.received_at.map(Time)
    }
    async fn transferred_at(&self) -> Option<Time> {
        self.0.transferred_at.map(Time)
    }
    /// Ngày hẹn trả: moved by pauses and by an apology's new date.
    async fn due_at(&self) -> Option<Time> {
        self.0.due_at.map(Time)
    }
    /// The due instant statistics judge by: moved by pauses, not by apologies.
    async fn legal_due_at(&self) -> Option<Time> {
        self.0.legal_due_at.map(Time)
    }
    /// Working time spent paused (the citizen's supplement or payment).
    async fn paused_working_hours(&self) -> f64 {
        self.0.paused_seconds as f64 / 3600.0
    }
    /// How many times a supplement was requested.
    async fn supplement_requests(&self) -> i32 {
        self.0.supplement_requests
    }
    /// Received within 8 working hours of submission (online and postal).
    async fn reception_within_limit(&self) -> Option<bool> {
        self.0
            .reception_seconds
            .map(|s| s <= HANDOVER_LIMIT_SECONDS)
    }
    /// Transferred to the settling agency within 8 working hours of reception.
    async fn transfer_within_limit(&self) -> Option<bool> {
        self.0.transfer_seconds.map(|s| s <= HANDOVER_LIMIT_SECONDS)
    }
    async fn settled_at(&self) -> Option<Time> {
        self.0.settled_at.map(Time)
    }
    /// EARLY / ON_TIME / LATE against the legal due date, once settled.
    async fn timeliness(&self) -> Option<Timeliness> {
        self.0
            .timeliness
            .as_deref()
            .and_then(dcal::Timeliness::parse)
            .map(Into::into)
    }
    /// `timeliness` in the caller's language ("Trước hạn").
    async fn timeliness_label(&self, ctx: &Context<'_>) -> Option<&'static str> {
        let t = dcal::Timeliness::parse(self.0.timeliness.as_deref()?)?;
        Some(ctx.label(t.label_vi(), t.label_en()))
    }
    async fn returned_at(&self) -> Option<Time> {
        self.0.returned_at.map(Time)
    }
    async fn return_method(&self) -> Option<ReturnMethod> {
        self.0
            .return_method
            .as_deref()
            .and_then(dl::ReturnMethod::parse)
            .map(Into::into)
    }
    /// The parcel's number when the result went by post.
    async fn tracking_number(&self) -> Option<&str> {
        self.0.tracking_number.as_deref()
    }
    /// When the post delivered the result (recordPostalDelivery).
    async fn delivered_at(&self) -> Option<Time> {
        self.0.delivered_at.map(Time)
    }
    /// Who took the parcel; withheld from analysts.
    async fn delivery_recipient(&self, ctx: &Context<'_>) -> Option<&str> {
        if ctx.masked() {
            return None;
        }
        self.0.delivery_recipient.as_deref()
    }
    /// The receipt (form 01), once received.
    async fn receipt(&self, ctx: &Context<'_>) -> Result<Option<Receipt>> {
        let (Some(code), Some(received_at), Some(due_at)) =
            (&self.0.code, self.0.received_at, self.0.due_at)
        else {
            return Ok(None);
        };
        let loaders = ctx.loaders()?;
        let v = loaders
            .load_one(VersionKey(self.0.procedure_id, self.0.procedure_version))
            .await?
            .ok_or_else(|| AppError::internal("procedure version missing"))?;
        let attachments = loaders
            .load_one(AttachmentsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(Some(Receipt {
            code: code.clone(),
            received_at: received_at.into(),
            due_at: due_at.into(),
            procedure_name: v.content.name.clone(),
            applicant_name: if ctx.masked() {
                mask_name(&self.0.applicant_name)
            } else {
                self.0.applicant_name.clone()
            },
            components: svc::handed_in(&v.content, &self.0, &attachments)?,
        }))
    }
    /// The processing control sheet (form 06): each internal step against
    /// its share of the processing time.
    /// Not shown to postal staff.
    #[graphql(complexity = "10 * child_complexity")]
    async fn control_sheet(&self, ctx: &Context<'_>) -> Result<Vec<ControlSheetRow>> {
        if ctx.delivery_only() {
            return Ok(Vec::new());
        }
        let rows = svc::control_sheet(ctx.state()?, &self.0).await?;
        Ok(rows
            .into_iter()
            .map(|r| ControlSheetRow {
                steps: r.steps,
                role: r.role.into(),
                allotted_hours: r.allotted_seconds as f64 / 3600.0,
                started_at: r.started_at.map(Time),
                due_at: r.due_at.map(Time),
                finished_at: r.finished_at.map(Time),
                timeliness: r.timeliness.map(Into::into),
            })
            .collect())
    }
    /// The applicant's satisfaction rating, once given (not shown to postal
    /// staff).
    async fn rating(&self, ctx: &Context<'_>) -> Result<Option<super::ratings::Rating>> {
        if ctx.delivery_only() {
            return Ok(None);
        }
        Ok(ctx
            .loaders()?
            .load_one(RatingOf(self.0.id))
            .await?
            .map(super::ratings::Rating))
    }
    /// Files attached, per component (none shown to postal staff).
    #[graphql(complexity = "20 * child_complexity")]
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        if ctx.delivery_only() {
            return Ok(Vec::new());
        }
        let rows = ctx
            .loaders()?
            .load_one(AttachmentsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Attachment).collect())
    }
    /// The fees of the procedure version it was submitted under, against
    /// its payments.
    #[graphql(complexity = "5 * child_complexity")]
    async fn fees(&self, ctx: &Context<'_>) -> Result<super::payments::DossierFees> {
        super::payments::fees_of(ctx, &self.0).await
    }
    /// Its payments, refunds and receipts (not shown to postal staff).
    #[graphql(complexity = "20 * child_complexity")]
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<super::payments::Payment>> {
        if ctx.delivery_only() {
            return Ok(Vec::new());
        }
        let rows = super::payments::payments_of(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(super::payments::Payment).collect())
    }
    /// Consultations, verification visits and inter-agency tasks (not shown
    /// to postal staff).
    #[graphql(complexity = "20 * child_complexity")]
    async fn tasks(&self, ctx: &Context<'_>) -> Result<Vec<DossierTask>> {
        if ctx.delivery_only() {
            return Ok(Vec::new());
        }
        let rows = ctx
            .loaders()?
            .load_one(TasksOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(DossierTask).collect())
    }
    /// The history, oldest first.
    #[graphql(complexity = "30 * child_complexity")]
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<DossierEvent>> {
        let rows = ctx
            .loaders()?
            .load_one(HistoryOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(DossierEvent).collect())
    }
    async fn created_at(&self) -> Time {
        self.0.created_at.into()
    }
    /// Its last change: its creation or the last step of its history (what
    /// `orderBy: {field: UPDATED_AT}` sorts by).
    async fn updated_at(&self) -> Time {
        self.0.updated_at.into()
    }
}

/// One step of a dossier's history.
pub struct DossierEvent(pub dossier_event::Model);

#[Object]
impl DossierEvent {
    /// 1, 2, 3 … without gaps; equals the dossier's version after the step.
    async fn seq(&self) -> i32 {
        self.0.seq
    }
    async fn action(&self) -> Option<DossierAction> {
        dl::DossierAction::parse(&self.0.action).map(Into::into)
    }
    async fn action_label(&self, ctx: &Context<'_>) -> Option<&'static str> {
        dl::DossierAction::parse(&self.0.action).map(|a| ctx.label(a.label_vi(), a.label_en()))
    }
    async fn from_status(&self) -> Option<DossierStatus> {
        self.0
            .from_status
            .as_deref()
            .and_then(dl::DossierStatus::parse)
            .map(Into::into)
    }
    async fn to_status(&self) -> Option<DossierStatus> {
        dl::DossierStatus::parse(&self.0.to_status).map(Into::into)
    }
    async fn actor_account_id(&self) -> Option<ID> {
        self.0.actor_account_id.map(Into::into)
    }
    async fn actor_role(&self) -> Option<Role> {
        self.0
            .actor_role
            .as_deref()
            .and_then(crate::domain::authz::Role::parse)
            .map(Into::into)
    }
    async fn actor_agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        match self.0.actor_agency_id {
            Some(id) => Ok(ctx.loaders()?.load_one(AgencyId(id)).await?.map(Agency)),
            None => Ok(None),
        }
    }
    /// Withheld from analysts and postal staff.
    async fn note(&self, ctx: &Context<'_>) -> Option<&str> {
        ctx.free_text(self.0.note.as_deref())
    }
    /// Details: supplement items, the receipt, a new due date …; withheld
    /// from analysts and postal staff (`{"masked": true}`).
    async fn data(&self, ctx: &Context<'_>) -> Result<Json<Value>> {
        if ctx.masked() || ctx.delivery_only() {
            return Ok(Json(serde_json::json!({ "masked": true })));
        }
        let mut data = serde_json::from_str(&self.0.data)?;
        super::time::localise(&mut data);
        Ok(Json(data))
    }
    async fn at(&self) -> Time {
        self.0.at.into()
    }
}

/// A consultation (xin ý kiến), verification visit (xác minh) or
/// inter-agency task (liên thông).
pub struct DossierTask(pub entity::dossier_task::Model);

#[Object]
impl DossierTask {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> Option<TaskKind> {
        dl::TaskKind::parse(&self.0.kind).map(Into::into)
    }
    /// The agency asked; none for a verification visit.
    async fn agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        match self.0.agency_id {
            Some(id) => Ok(ctx.loaders()?.load_one(AgencyId(id)).await?.map(Agency)),
            None => Ok(None),
        }
    }
    /// The question, the verification's content, or the task; withheld
    /// from analysts.
    async fn content(&self, ctx: &Context<'_>) -> Option<&str> {
        ctx.free_text(Some(&self.0.content))
    }
    async fn deadline(&self) -> Option<Time> {
        self.0.deadline.map(Time)
    }
    async fn scheduled_at(&self) -> Option<Time> {
        self.0.scheduled_at.map(Time)
    }
    async fn place(&self, ctx: &Context<'_>) -> Option<&str> {
        ctx.free_text(self.0.place.as_deref())
    }
    async fn participants(&self, ctx: &Context<'_>) -> Option<&str> {
        ctx.free_text(self.0.participants.as_deref())
    }
    /// OPEN or DONE.
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn answer(&self, ctx: &Context<'_>) -> Option<&str> {
        ctx.free_text(self.0.answer.as_deref())
    }
    async fn answered_at(&self) -> Option<Time> {
        self.0.answered_at.map(Time)
    }
    /// Answered by the deadline (null while open or without one).
    async fn answered_on_time(&self) -> Option<bool> {
        match (self.0.answered_at, self.0.deadline) {
            (Some(a), Some(d)) => Some(a <= d),
            _ => None,
        }
    }
    async fn created_at(&self) -> Time {
        self.0.created_at.into()
    }
}

/// A file attached to a dossier. Download it from `downloadUrl` with the
/// same Authorization header.
pub struct Attachment(pub entity::attachment::Model);

#[Object]
impl Attachment {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn component(&self) -> &str {
        &self.0.component
    }
    /// Withheld from analysts (a file name may name its owner).
    async fn filename(&self, ctx: &Context<'_>) -> Option<&str> {
        ctx.free_text(Some(&self.0.filename))
    }
    /// As recognised from the content, not as claimed by the client.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    async fn download_url(&self) -> String {
        format!("/attachments/{}", self.0.id)
    }
    /// A component's file or the result's.
    async fn kind(&self) -> Result<super::enums::AttachmentKind> {
        Ok(stored_enum::<crate::domain::documents::AttachmentKind>(&self.0.kind)?.into())
    }
    /// Taken from the applicant's data store rather than uploaded.
    async fn from_data_store(&self) -> bool {
        self.0.document_id.is_some()
    }
    async fn created_at(&self) -> Time {
        self.0.created_at.into()
    }
}

/// One row of the processing control sheet: consecutive internal steps of
/// one role.
#[derive(SimpleObject)]
pub struct ControlSheetRow {
    pub steps: Vec<String>,
    pub role: Role,
    /// The steps' share of the processing time.
    pub allotted_hours: f64,
    pub started_at: Option<Time>,
    pub due_at: Option<Time>,
    pub finished_at: Option<Time>,
    /// EARLY / ON_TIME / LATE once finished.
    pub timeliness: Option<Timeliness>,
}

/// What the public sees of a dossier: nothing more.
#[derive(SimpleObject)]
pub struct TrackedDossier {
    pub code: String,
    pub procedure_name: String,
    /// Masked: "Nguyễn V** A*".
    pub applicant_name: String,
    pub status: DossierStatus,
    pub status_label: &'static str,
    pub submitted_at: Option<Time>,
    pub received_at: Option<Time>,
    pub due_at: Option<Time>,
    pub settled_at: Option<Time>,
    pub returned_at: Option<Time>,
}

/// What a dossier list is sorted by; ties go by creation order, in the
/// same direction.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum DossierOrderField {
    /// When the dossier was created (the default).
    #[default]
    CreatedAt,
    /// Ngày tiếp nhận; dossiers not yet received sort after every time.
    ReceivedAt,
    /// Ngày hẹn trả kết quả; dossiers without one sort after every time.
    DueAt,
    /// Its last change.
    UpdatedAt,
}

impl From<DossierOrderField> for svc::SortKey {
    fn from(f: DossierOrderField) -> Self {
        match f {
            DossierOrderField::CreatedAt => svc::SortKey::Created,
            DossierOrderField::ReceivedAt => svc::SortKey::Received,
            DossierOrderField::DueAt => svc::SortKey::Due,
            DossierOrderField::UpdatedAt => svc::SortKey::Updated,
        }
    }
}

/// Oldest (`ASC`) or newest (`DESC`) first.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum OrderDirection {
    #[default]
    Asc,
    Desc,
}

/// The order of a dossier list. A page's cursors belong to its order: a
/// cursor used with another field is BAD_USER_INPUT (`after`/`before`).
#[derive(InputObject, Default, Clone, Copy)]
pub struct DossierOrder {
    #[graphql(default)]
    pub field: DossierOrderField,
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// Page arguments of a dossier list, with its order, as the service takes
/// them.
fn dossier_page(
    ctx: &Context<'_>,
    order: Option<DossierOrder>,
    forward: (Option<i32>, Option<&str>),
    backward: (Option<i32>, Option<&str>),
) -> Result<svc::ListRequest> {
    let order = order.unwrap_or_default();
    // The total costs a second statement: counted only when selected.
    let count = ctx.look_ahead().field("totalCount").exists();
    Ok(list_request(
        &ctx.state()?.config.graphql,
        (
            order.field.into(),
            order.direction == OrderDirection::Desc,
            count,
        ),
        forward,
        backward,
    )?)
}

/// A dossier page as a connection, each cursor its dossier's position in
/// the list's order.
fn dossier_connection(
    page: crate::services::Page<dossier::Model>,
    key: svc::SortKey,
) -> CountedConnection<Dossier> {
    connection_by(page, |d| encode_position(key, key.position_of(d)), Dossier)
}

#[derive(InputObject, Default)]
pub struct DossierFilter {
    /// At most 100 items.
    #[graphql(validator(custom = "Items(\"filter.statuses\", 100)"))]
    pub statuses: Option<Vec<DossierStatus>>,
    /// Received or settled at this agency.
    pub agency_id: Option<ID>,
    pub procedure_id: Option<ID>,
    pub channel: Option<Channel>,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"filter.submittedFrom\")"))]
    pub submitted_from: Option<Time>,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"filter.submittedTo\")"))]
    pub submitted_to: Option<Time>,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"filter.receivedFrom\")"))]
    pub received_from: Option<Time>,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"filter.receivedTo\")"))]
    pub received_to: Option<Time>,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"filter.dueFrom\")"))]
    pub due_from: Option<Time>,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"filter.dueTo\")"))]
    pub due_to: Option<Time>,
    /// Open dossiers past (true) or not yet past (false) their due date.
    pub overdue: Option<bool>,
    /// The applicant's ID number or tax code (the search is audited). Not
    /// for analysts, who may not single a person out: FORBIDDEN.
    /// At most 16 characters.
    #[graphql(validator(custom = "Chars::new(\"filter.applicantIdNumber\", 16)"))]
    pub applicant_id_number: Option<String>,
    /// A phrase found anywhere, in order, in the dossier's code, the
    /// applicant's name, phone or e-mail; any case, with or without
    /// diacritics ("nguyen van an" finds "Nguyễn Văn An"); digits typed
    /// apart by spaces or dots are joined ("0905 777.888"). At least 3
    /// characters (BAD_USER_INPUT, field `filter.search`). The search is
    /// audited; not for analysts: FORBIDDEN.
    /// At most 200 characters and 10 words.
    #[graphql(validator(custom = "SearchText(\"filter.search\")"))]
    pub search: Option<String>,
    pub handler_account_id: Option<ID>,
}

impl DossierFilter {
    fn into_service(self, mine_only: bool) -> Result<svc::DossierFilter, AppError> {
        Ok(svc::DossierFilter {
            statuses: self
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            agency_id: parse_opt_id("filter.agencyId", self.agency_id.as_ref())?,
            procedure_id: parse_opt_id("filter.procedureId", self.procedure_id.as_ref())?,
            channel: self.channel.map(Into::into),
            submitted_from: self.submitted_from.map(|t| t.0),
            submitted_to: self.submitted_to.map(|t| t.0),
            received_from: self.received_from.map(|t| t.0),
            received_to: self.received_to.map(|t| t.0),
            due_from: self.due_from.map(|t| t.0),
            due_to: self.due_to.map(|t| t.0),
            overdue: self.overdue,
            applicant_id_number: self.applicant_id_number,
            search: self.search,
            mine_only,
            handler_account_id: parse_opt_id(
                "filter.handlerAccountId",
                self.handler_account_id.as_ref(),
            )?,
        })
    }
}

/// Whether a connection's selection shows the applicants' personal data.
fn shows_applicant(ctx: &Context<'_>) -> bool {
    ctx.look_ahead()
        .field("edges")
        .field("node")
        .field("applicant")
        .exists()
}

#[derive(Default)]
pub struct DossierQuery;

#[Object]
impl DossierQuery {
    /// One dossier the caller may see.
    async fn dossier(&self, ctx: &Context<'_>, id: ID) -> Result<Dossier> {
        let id = parse_id("id", &id)?;
        Ok(Dossier(svc::get(ctx.state()?, &ctx.caller()?, id).await?))
    }

    /// One dossier by its code, scoped like `dossier`.
    async fn dossier_by_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"code\", 100)")
        )]
        code: String,
    ) -> Result<Dossier> {
        Ok(Dossier(
            svc::get_by_code(ctx.state()?, &ctx.caller()?, &code).await?,
        ))
    }

    /// Dossiers the caller may see: their own (citizens), their agencies'
    /// (officials), all (province-wide roles); paged forward or backward in
    /// `orderBy`'s order.
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity + 1")]
    #[allow(clippy::too_many_arguments)]
    async fn dossiers(
        &self,
        ctx: &Context<'_>,
        filter: Option<DossierFilter>,
        #[graphql(desc = "The list's order; by creation, oldest first, when not given.")]
        order_by: Option<DossierOrder>,
        #[graphql(
            desc = "At most this many dossiers after `after` (20 when neither `last` nor `before` is given)."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"after\", 100)")
        )]
        after: Option<String>,
        #[graphql(
            desc = "At most this many dossiers just before `before` (the list's last ones without it); not with `first`/`after`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"before\", 100)")
        )]
        before: Option<String>,
    ) -> Result<CountedConnection<Dossier>> {
        let req = dossier_page(
            ctx,
            order_by,
            (first, after.as_deref()),
            (last, before.as_deref()),
        )?;
        let f = filter.unwrap_or_default().into_service(false)?;
        let page = svc::list(ctx.state()?, &ctx.caller()?, f, req, shows_applicant(ctx)).await?;
        Ok(dossier_connection(page, req.key))
    }

    /// The signed-in applicant's own dossiers, paged like `dossiers`.
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity + 1")]
    #[allow(clippy::too_many_arguments)]
    async fn my_dossiers(
        &self,
        ctx: &Context<'_>,
        filter: Option<DossierFilter>,
        #[graphql(desc = "The list's order; by creation, oldest first, when not given.")]
        order_by: Option<DossierOrder>,
        #[graphql(
            desc = "At most this many dossiers after `after` (20 when neither `last` nor `before` is given)."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"after\", 100)")
        )]
        after: Option<String>,
        #[graphql(
            desc = "At most this many dossiers just before `before` (the list's last ones without it); not with `first`/`after`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"before\", 100)")
        )]
        before: Option<String>,
    ) -> Result<CountedConnection<Dossier>> {
        let req = dossier_page(
            ctx,
            order_by,
            (first, after.as_deref()),
            (last, before.as_deref()),
        )?;
        let f = filter.unwrap_or_default().into_service(true)?;
        let page = svc::list(ctx.state()?, &ctx.caller()?, f, req, shows_applicant(ctx)).await?;
        Ok(dossier_connection(page, req.key))
    }

    /// What waits for the caller's roles at the caller's agencies, paged
    /// like `dossiers` (`orderBy: {field: DUE_AT}` puts the most urgent
    /// first).
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn work_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The list's order; by creation, oldest first, when not given.")]
        order_by: Option<DossierOrder>,
        #[graphql(
            desc = "At most this many dossiers after `after` (20 when neither `last` nor `before` is given)."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"after\", 100)")
        )]
        after: Option<String>,
        #[graphql(
            desc = "At most this many dossiers just before `before` (the list's last ones without it); not with `first`/`after`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"before\", 100)")
        )]
        before: Option<String>,
    ) -> Result<CountedConnection<Dossier>> {
        let req = dossier_page(
            ctx,
            order_by,
            (first, after.as_deref()),
            (last, before.as_deref()),
        )?;
        let page = svc::work_queue(ctx.state()?, &ctx.caller()?, req, shows_applicant(ctx)).await?;
        Ok(dossier_connection(page, req.key))
    }

    /// The history after a sequence number: how a subscriber catches up
    /// after a reconnect.
    #[graphql(complexity = "30 * child_complexity")]
    async fn dossier_events(
        &self,
        ctx: &Context<'_>,
        dossier_id: ID,
        #[graphql(default)] after_sequence: i32,
    ) -> Result<Vec<DossierEvent>> {
        let id = parse_id("dossierId", &dossier_id)?;
        let rows = svc::events(ctx.state()?, &ctx.caller()?, id, after_sequence).await?;
        Ok(rows.into_iter().map(DossierEvent).collect())
    }

    /// Public: look a dossier up by its code and the applicant's ID number
    /// or phone. A wrong code and a wrong ID answer alike; rate limited.
    async fn track_dossier(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"code\", 100)")
        )]
        code: String,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"idNumberOrPhone\", 100)")
        )]
        id_number_or_phone: String,
    ) -> Result<TrackedDossier> {
        let d = svc::track(ctx.state()?, &ctx.caller()?, &code, &id_number_or_phone).await?;
        let s = stored_enum::<dl::DossierStatus>(&d.status)?;
        Ok(TrackedDossier {
            code: d.code.unwrap_or_default(),
            procedure_name: d.procedure_name,
            applicant_name: mask_name(&d.applicant_name),
            status: s.into(),
            status_label: ctx.label(s.label_vi(), s.label_en()),
            submitted_at: d.submitted_at.map(Time),
            received_at: d.received_at.map(Time),
            due_at: d.due_at.map(Time),
            settled_at: d.settled_at.map(Time),
            returned_at: d.returned_at.map(Time),
        })
    }
}

#[derive(InputObject)]
pub struct CreateDossierInput {
    pub procedure_id: ID,
    /// The settling agency: one of the procedure's implementing agencies.
    pub agency_id: ID,
    /// E-form data: a JSON object whose `components` list names the
    /// components provided (`[{"name": "…"}]`).
    /// At most 8 levels deep and 100,000 characters.
    #[graphql(validator(custom = "JsonBound(\"formData\")"))]
    pub form_data: Json<Value>,
    /// At most 500 characters.
    #[graphql(validator(custom = "Chars::new(\"address\", 500)"))]
    pub address: Option<String>,
}

#[derive(InputObject)]
pub struct ApplicantInput {
    /// At most 200 characters.
    #[graphql(validator(custom = "Chars::new(\"name\", 200)"))]
    pub name: String,
    /// The citizen ID number (12 digits) or, for an organisation, its tax
    /// code. At most 16 characters.
    #[graphql(validator(custom = "Chars::new(\"idNumber\", 16)"))]
    pub id_number: Option<String>,
    /// At most 20 characters.
    #[graphql(validator(custom = "Chars::new(\"phone\", 20)"))]
    pub phone: Option<String>,
    /// At most 254 characters.
    #[graphql(validator(custom = "Chars::new(\"email\", 254)"))]
    pub email: Option<String>,
    /// At most 500 characters.
    #[graphql(validator(custom = "Chars::new(\"address\", 500)"))]
    pub address: Option<String>,
}

/// A fee taken at the counter with the dossier it is for.
#[derive(InputObject)]
pub struct CounterPaymentInput {
    /// COUNTER, BANK_TRANSFER or POSTAL.
    pub method: super::enums::PaymentMethod,
    /// Exactly what is owed, in VND.
    pub amount_vnd: i64,
    /// The counter slip or transfer reference (required for a bank
    /// transfer). At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"reference\", 100)"))]
    pub reference: Option<String>,
}

#[derive(InputObject)]
pub struct IntakeInput {
    pub procedure_id: ID,
    pub agency_id: ID,
    pub applicant: ApplicantInput,
    /// The applicant's own account, when they have one: linked only when
    /// its verified identity (a citizen's ID number, an organisation's tax
    /// code) is `applicant.idNumber`; otherwise BAD_USER_INPUT, the same as
    /// for an id that names no account.
    pub applicant_account_id: Option<ID>,
    /// At most 8 levels deep and 100,000 characters.
    #[graphql(validator(custom = "JsonBound(\"formData\")"))]
    pub form_data: Json<Value>,
}

impl IntakeInput {
    fn into_service(self, idempotency_key: Option<String>) -> Result<svc::IntakeInput, AppError> {
        Ok(svc::IntakeInput {
            procedure_id: parse_id("procedureId", &self.procedure_id)?,
            agency_id: parse_id("agencyId", &self.agency_id)?,
            applicant: svc::ApplicantInput {
                name: self.applicant.name,
                id_number: self.applicant.id_number,
                phone: self.applicant.phone,
                email: self.applicant.email,
                address: self.applicant.address,
            },
            applicant_account_id: parse_opt_id(
                "applicantAccountId",
                self.applicant_account_id.as_ref(),
            )?,
            form_data: self.form_data.0,
            idempotency_key,
        })
    }
}

/// A verification visit (xác minh, thẩm tra thực địa).
#[derive(InputObject)]
pub struct VerificationInput {
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"at\")"))]
    pub at: Time,
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"place\", 300)"))]
    pub place: String,
    /// At most 4000 characters.
    #[graphql(validator(custom = "Chars::new(\"participants\", 4000)"))]
    pub participants: String,
    /// What is verified.
    /// At most 4000 characters.
    #[graphql(validator(custom = "Chars::new(\"content\", 4000)"))]
    pub content: String,
}

/// One agency's part in an inter-agency settlement.
#[derive(InputObject)]
pub struct InterAgencyTaskInput {
    pub agency_id: ID,
    /// At most 4000 characters.
    #[graphql(validator(custom = "Chars::new(\"task\", 4000)"))]
    pub task: String,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"deadline\")"))]
    pub deadline: Time,
}

/// One missing or faulty item, with the reason.
#[derive(InputObject)]
pub struct SupplementItemInput {
    /// A component's name. At most 500 characters.
    #[graphql(validator(
        custom = "Chars::new(\"component\", crate::domain::catalogue::NAME_MAX)"
    ))]
    pub component: String,
    /// At most 4000 characters.
    #[graphql(validator(custom = "Chars::new(\"reason\", 4000)"))]
    pub reason: String,
}

#[derive(Default)]
pub struct DossierMutation;

async fn act(ctx: &Context<'_>, id: ID, expected_version: i32, cmd: Command) -> Result<Dossier> {
    let id = parse_id("id", &id)?;
    Ok(Dossier(
        svc::apply(ctx.state()?, &ctx.caller()?, id, expected_version, cmd).await?,
    ))
}

#[Object]
impl DossierMutation {
    /// Applicant: start a dossier (DRAFT).
    async fn create_dossier(
        &self,
        ctx: &Context<'_>,
        input: CreateDossierInput,
        #[graphql(
            desc = "At most 100 characters. A retry with the same key answers the dossier it created; a key used for another dossier is BAD_USER_INPUT.",
            validator(custom = "Chars::new(\"idempotencyKey\", 100)")
        )]
        idempotency_key: Option<String>,
    ) -> Result<Dossier> {
        let input = svc::DraftInput {
            procedure_id: parse_id("procedureId", &input.procedure_id)?,
            agency_id: parse_id("agencyId", &input.agency_id)?,
            form_data: input.form_data.0,
            address: input.address,
            idempotency_key,
        };
        Ok(Dossier(
            svc::create_draft(ctx.state()?, &ctx.caller()?, input).await?,
        ))
    }

    /// Applicant: edit a draft.
    async fn update_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 8 levels deep and 100,000 characters.",
            validator(custom = "JsonBound(\"formData\")")
        )]
        form_data: Json<Value>,
    ) -> Result<Dossier> {
        act(
            ctx,
            id,
            expected_version,
            Command::Update {
                form_data: form_data.0,
            },
        )
        .await
    }

    /// Applicant: submit online. A retry with the same idempotency key
    /// returns the same dossier.
    async fn submit_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"idempotencyKey\", 100)")
        )]
        idempotency_key: Option<String>,
    ) -> Result<Dossier> {
        act(
            ctx,
            id,
            expected_version,
            Command::Submit { idempotency_key },
        )
        .await
    }

    /// Reception officer: a dossier handed in at the counter, received at
    /// once. `feePayment` records the fee taken with it (exactly what is
    /// owed; errors on `feePayment.*` as recordPayment's). `returnImmediately`
    /// settles and returns an immediate (0-hour) procedure in the same
    /// operation; the history shows every step. Its fees are due before the
    /// return unless the procedure says otherwise: unpaid, the operation is
    /// INVALID_TRANSITION and registers nothing.
    async fn register_counter_dossier(
        &self,
        ctx: &Context<'_>,
        input: IntakeInput,
        #[graphql(default)] return_immediately: bool,
        fee_payment: Option<CounterPaymentInput>,
        #[graphql(
            desc = "At most 100 characters. A retry with the same key answers the dossier it created; a key used for another dossier is BAD_USER_INPUT.",
            validator(custom = "Chars::new(\"idempotencyKey\", 100)")
        )]
        idempotency_key: Option<String>,
    ) -> Result<Dossier> {
        let input = input.into_service(idempotency_key)?;
        let payment = fee_payment.map(|p| svc::CounterPayment {
            method: p.method.into(),
            amount_vnd: p.amount_vnd,
            reference: p.reference,
        });
        Ok(Dossier(
            svc::register_counter(
                ctx.state()?,
                &ctx.caller()?,
                input,
                return_immediately,
                payment,
            )
            .await?,
        ))
    }

    /// Postal staff: a dossier sent by post, waiting for reception.
    async fn register_postal_dossier(
        &self,
        ctx: &Context<'_>,
        input: IntakeInput,
        #[graphql(
            desc = "At most 100 characters. A retry with the same key answers the dossier it created; a key used for another dossier is BAD_USER_INPUT.",
            validator(custom = "Chars::new(\"idempotencyKey\", 100)")
        )]
        idempotency_key: Option<String>,
    ) -> Result<Dossier> {
        let input = input.into_service(idempotency_key)?;
        Ok(Dossier(
            svc::register_postal(ctx.state()?, &ctx.caller()?, input).await?,
        ))
    }

    /// Reception officer: receive; assigns the code and the due date.
    async fn receive_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> Result<Dossier> {
        act(ctx, id, expected_version, Command::Receive).await
    }

    /// Reception officer: ask for every missing item at once.
    async fn request_supplement(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 100 items.",
            validator(custom = "Items(\"items\", 100)")
        )]
        items: Vec<SupplementItemInput>,
    ) -> Result<Dossier> {
        let items = items
            .into_iter()
            .map(|i| svc::SupplementItem {
                component: i.component,
                reason: i.reason,
            })
            .collect();
        act(
            ctx,
            id,
            expected_version,
            Command::RequestSupplement { items },
        )
        .await
    }

    /// Applicant: supplement (after a request, or during a supplement pause).
    async fn supplement_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 8 levels deep and 100,000 characters.",
            validator(custom = "JsonBound(\"formData\")")
        )]
        form_data: Option<Json<Value>>,
    ) -> Result<Dossier> {
        act(
            ctx,
            id,
            expected_version,
            Command::Supplement {
                form_data: form_data.map(|f| f.0),
            },
        )
        .await
    }

    /// Reception officer: refuse, with the reason (form 03).
    async fn refuse_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"reason\", 4000)")
        )]
        reason: String,
    ) -> Result<Dossier> {
        act(ctx, id, expected_version, Command::Refuse { reason }).await
    }

    /// Reception officer: hand over to the settling agency.
    async fn transfer_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> Result<Dossier> {
        act(ctx, id, expected_version, Command::Transfer).await
    }

    /// Leader: assign a specialist.
    async fn assign_handler(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        handler_account_id: ID,
    ) -> Result<Dossier> {
        let account_id = parse_id("handlerAccountId", &handler_account_id)?;
        act(
            ctx,
            id,
            expected_version,
            Command::AssignHandler { account_id },
        )
        .await
    }

    /// Specialist: pause for the applicant's supplement or a financial obligation.
    async fn pause_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        kind: PauseKind,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"reason\", 4000)")
        )]
        reason: String,
    ) -> Result<Dossier> {
        act(
            ctx,
            id,
            expected_version,
            Command::Pause {
                kind: kind.into(),
                reason,
            },
        )
        .await
    }

    /// Specialist: resume; the due date moves by the paused working time.
    async fn resume_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"note\", 4000)")
        )]
        note: Option<String>,
    ) -> Result<Dossier> {
        act(ctx, id, expected_version, Command::Resume { note }).await
    }

    /// Specialist: propose the result to the leader.
    async fn submit_for_approval(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"note\", 4000)")
        )]
        note: Option<String>,
    ) -> Result<Dossier> {
        act(
            ctx,
            id,
            expected_version,
            Command::SubmitForApproval { note },
        )
        .await
    }

    /// Leader: send back for more processing.
    async fn send_back_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"reason\", 4000)")
        )]
        reason: String,
    ) -> Result<Dossier> {
        act(ctx, id, expected_version, Command::SendBack { reason }).await
    }

    /// Leader: approve; the dossier is settled and classified.
    async fn approve_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"note\", 4000)")
        )]
        note: Option<String>,
    ) -> Result<Dossier> {
        act(ctx, id, expected_version, Command::Approve { note }).await
    }

    /// Specialist or leader: not eligible, with the reasoned document.
    async fn declare_not_eligible(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"reason\", 4000)")
        )]
        reason: String,
    ) -> Result<Dossier> {
        act(
            ctx,
            id,
            expected_version,
            Command::DeclareNotEligible { reason },
        )
        .await
    }

    /// Leader: stop processing, with a reasoned notice (form 05).
    async fn stop_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"reason\", 4000)")
        )]
        reason: String,
    ) -> Result<Dossier> {
        act(ctx, id, expected_version, Command::Stop { reason }).await
    }

    /// Leader: apology and extension (form 04), before the due date passes.
    async fn issue_apology(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"reason\", 4000)")
        )]
        reason: String,
        #[graphql(
            desc = "Between the years 1900 and 2200.",
            validator(custom = "Moment(\"newDueAt\")")
        )]
        new_due_at: Time,
    ) -> Result<Dossier> {
        act(
            ctx,
            id,
            expected_version,
            Command::IssueApology {
                reason,
                new_due_at: new_due_at.0,
            },
        )
        .await
    }

    /// Reception officer: hand the result over (counter, post with a
    /// tracking number, or online).
    async fn return_result(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        method: ReturnMethod,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"trackingNumber\", 100)")
        )]
        tracking_number: Option<String>,
    ) -> Result<Dossier> {
        act(
            ctx,
            id,
            expected_version,
            Command::ReturnResult {
                method: method.into(),
                tracking_number,
            },
        )
        .await
    }

    /// Specialist or leader: ask another agency's opinion, with a deadline.
    async fn request_consultation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        agency_id: ID,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"question\", 4000)")
        )]
        question: String,
        #[graphql(
            desc = "Between the years 1900 and 2200.",
            validator(custom = "Moment(\"deadline\")")
        )]
        deadline: Time,
    ) -> Result<Dossier> {
        let agency_id = parse_id("agencyId", &agency_id)?;
        act(
            ctx,
            id,
            expected_version,
            Command::RequestConsultation {
                agency_id,
                question,
                deadline: deadline.0,
            },
        )
        .await
    }

    /// An official of the consulted agency: answer.
    async fn answer_consultation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        task_id: ID,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"answer\", 4000)")
        )]
        answer: String,
    ) -> Result<Dossier> {
        let task_id = parse_id("taskId", &task_id)?;
        act(
            ctx,
            id,
            expected_version,
            Command::AnswerConsultation { task_id, answer },
        )
        .await
    }

    /// Specialist or leader: schedule a verification visit (Đắk Lắk 04/2024).
    async fn schedule_verification(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: VerificationInput,
    ) -> Result<Dossier> {
        let cmd = Command::ScheduleVerification {
            at: input.at.0,
            place: input.place,
            participants: input.participants,
            content: input.content,
        };
        act(ctx, id, expected_version, cmd).await
    }

    /// Specialist or leader of the lead (settling) agency: share the work
    /// with other agencies, same level or across levels, each with a task
    /// and a deadline.
    async fn assign_inter_agency(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 100 items.",
            validator(custom = "Items(\"tasks\", 100)")
        )]
        tasks: Vec<InterAgencyTaskInput>,
    ) -> Result<Dossier> {
        let tasks = tasks
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                Ok(svc::InterAgencyTask {
                    agency_id: parse_id(&format!("tasks.{i}.agencyId"), &t.agency_id)?,
                    task: t.task,
                    deadline: t.deadline.0,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        act(
            ctx,
            id,
            expected_version,
            Command::AssignInterAgency { tasks },
        )
        .await
    }

    /// An official of a participating agency: its part is done.
    async fn complete_inter_agency_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        task_id: ID,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"result\", 4000)")
        )]
        result: String,
    ) -> Result<Dossier> {
        let task_id = parse_id("taskId", &task_id)?;
        act(
            ctx,
            id,
            expected_version,
            Command::CompleteInterAgencyTask { task_id, result },
        )
        .await
    }

    /// Attach a file (GraphQL multipart request) to a dossier component: the
    /// applicant while preparing or supplementing, the reception officer at
    /// the counter. PDF, PNG or JPEG, within MOTCUA_UPLOAD_MAX_BYTES.
    async fn upload_attachment(
        &self,
        ctx: &Context<'_>,
        dossier_id: ID,
        #[graphql(
            desc = "A component's name, exactly as the procedure gives it. At most 500 characters.",
            validator(custom = "Chars::new(\"component\", crate::domain::catalogue::NAME_MAX)")
        )]
        component: String,
        file: async_graphql::Upload,
    ) -> Result<Attachment> {
        let id = parse_id("dossierId", &dossier_id)?;
        let upload = super::documents::upload_of(ctx, &file)?;
        let saved = crate::services::attachments::attach(
            ctx.state()?,
            &ctx.caller()?,
            id,
            &component,
            upload,
        )
        .await?;
        Ok(Attachment(saved))
    }

    /// Postal staff of the unit that handed the result to the post: record
    /// its delivery to the applicant. The tracking number must be the one
    /// the result was returned with; repeating the same delivery returns
    /// the dossier unchanged.
    async fn record_postal_delivery(
        &self,
        ctx: &Context<'_>,
        dossier_id: ID,
        expected_version: i32,
        #[graphql(
            desc = "The parcel's number (số hiệu bưu gửi). At most 64 characters.",
            validator(custom = "Chars::new(\"trackingNumber\", 64)")
        )]
        tracking_number: String,
        #[graphql(
            desc = "When the applicant took the parcel: after it was sent, not in the future.",
            validator(custom = "Moment(\"deliveredAt\")")
        )]
        delivered_at: Time,
        #[graphql(
            desc = "Who took the parcel. At most 200 characters.",
            validator(custom = "Chars::new(\"recipient\", 200)")
        )]
        recipient: String,
    ) -> Result<Dossier> {
        let cmd = Command::RecordPostalDelivery(svc::PostalDelivery {
            tracking_number,
            delivered_at: delivered_at.0,
            recipient,
        });
        let id = parse_id("dossierId", &dossier_id)?;
        Ok(Dossier(
            svc::apply(ctx.state()?, &ctx.caller()?, id, expected_version, cmd).await?,
        ))
    }

    /// Applicant: withdraw, any time before the result.
    async fn withdraw_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"reason\", 4000)")
        )]
        reason: Option<String>,
    ) -> Result<Dossier> {
        act(ctx, id, expected_version, Command::Withdraw { reason }).await
    }
}
