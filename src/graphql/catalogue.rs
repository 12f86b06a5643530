//! The catalogue in GraphQL: agencies, sectors, fields and procedures.

use super::input::{Chars, Items, SearchText};
use super::time::Time;
use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use entity::{agency, field, procedure, sector};

use super::context::{encode_cursor, page_request, parse_id, parse_opt_id, ContextExt};
use super::enums::{
    AgencyKind, AgencyLevel, EnumLabel, OnlineServiceLevel, ProcedureStatus, ProcessingUnit, Role,
    SubmissionMethod,
};
use super::loaders::{AgencyId, FieldId, LoadedVersion, SectorId, VersionKey};
use crate::domain::catalogue as dc;
use crate::error::AppError;
use crate::services::{catalogue as svc, Page};

/// Extra fields of every connection.
#[derive(SimpleObject)]
pub struct Counted {
    /// How many items match the filter, over all pages.
    pub total_count: u64,
}

pub type CountedConnection<T> = Connection<String, T, Counted, EmptyFields>;

/// Turns a service page into a Relay connection.
pub fn connection<M, T>(
    page: Page<M>,
    id: impl Fn(&M) -> i64,
    wrap: impl Fn(M) -> T,
) -> CountedConnection<T>
where
    T: async_graphql::OutputType,
{
    connection_by(page, |m| encode_cursor(id(m)), wrap)
}

/// Like `connection`, each edge's cursor written by `cursor`.
pub fn connection_by<M, T>(
    page: Page<M>,
    cursor: impl Fn(&M) -> String,
    wrap: impl Fn(M) -> T,
) -> CountedConnection<T>
where
    T: async_graphql::OutputType,
{
    let mut c = Connection::with_additional_fields(
        page.has_previous,
        page.has_next,
        Counted {
            total_count: page.total,
        },
    );
    c.edges.extend(
        page.items
            .into_iter()
            .map(|m| Edge::new(cursor(&m), wrap(m))),
    );
    c
}

fn parse_domain<T>(
    field: &str,
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, AppError> {
    parse(value).ok_or_else(|| AppError::internal(format!("stored {field} {value:?} is not valid")))
}

// ------------------------------------------------------------------ Agency

/// Cơ quan: a node of the agency tree.
pub struct Agency(pub agency::Model);

#[Object]
impl Agency {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// National agency code (QCVN 102:2016), e.g. `000.00.12.H56`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn short_name(&self) -> Option<&str> {
        self.0.short_name.as_deref()
    }
    async fn level(&self) -> Result<AgencyLevel> {
        Ok(parse_domain("level", &self.0.level, dc::AgencyLevel::parse)?.into())
    }
    /// The level's label in the caller's language.
    async fn level_label(&self, ctx: &Context<'_>) -> Result<&'static str> {
        let l = parse_domain("level", &self.0.level, dc::AgencyLevel::parse)?;
        Ok(ctx.label(l.label_vi(), l.label_en()))
    }
    async fn kind(&self) -> Result<AgencyKind> {
        Ok(parse_domain("kind", &self.0.kind, dc::AgencyKind::parse)?.into())
    }
    async fn kind_label(&self, ctx: &Context<'_>) -> Result<&'static str> {
        let k = parse_domain("kind", &self.0.kind, dc::AgencyKind::parse)?;
        Ok(ctx.label(k.label_vi(), k.label_en()))
    }
    /// False for agencies kept for history (e.g. districts before 1 July 2025).
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn hotline(&self) -> Option<&str> {
        self.0.hotline.as_deref()
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        match self.0.parent_id {
            Some(p) => Ok(ctx.loaders()?.load_one(AgencyId(p)).await?.map(Agency)),
            None => Ok(None),
        }
    }
    /// The agencies directly under this one.
    #[graphql(complexity = "20 * child_complexity")]
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Agency>> {
        let req = page_request(
            &ctx.state()?.config.graphql,
            Some(ctx.state()?.config.graphql.max_page_size as i32),
            None,
        )?;
        let mut all = Vec::new();
        let mut req = req;
        // Children are few (a department's divisions, a ward's desk), but
        // page through them rather than trust that.
        loop {
            let page = svc::list_agencies(
                ctx.state()?,
                svc::AgencyFilter {
                    parent_id: Some(self.0.id),
                    ..Default::default()
                },
                req,
            )
            .await?;
            let last = page.items.last().map(|a| a.id);
            all.extend(page.items.into_iter().map(Agency));
            match (page.has_next, last) {
                (true, Some(id)) => req.after = Some(id),
                _ => break,
            }
        }
        Ok(all)
    }
    async fn created_at(&self) -> Time {
        self.0.created_at.into()
    }
    async fn updated_at(&self) -> Time {
        self.0.updated_at.into()
    }
}

// ----------------------------------------------------- Sector and Field

/// Ngành.
pub struct Sector(pub sector::Model);

#[Object]
impl Sector {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    #[graphql(complexity = "50 * child_complexity")]
    async fn fields(&self, ctx: &Context<'_>) -> Result<Vec<Field>> {
        Ok(svc::fields(ctx.state()?, Some(self.0.id))
            .await?
            .into_iter()
            .map(Field)
            .collect())
    }
}

/// Lĩnh vực.
pub struct Field(pub field::Model);

#[Object]
impl Field {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn sector(&self, ctx: &Context<'_>) -> Result<Option<Sector>> {
        Ok(ctx
            .loaders()?
            .load_one(SectorId(self.0.sector_id))
            .await?
            .map(Sector))
    }
}

// ------------------------------------------------------------- Procedure

/// Thủ tục hành chính: identity, status and the current version's summary;
/// the full record is in `current` and `versions`.
pub struct Procedure(pub procedure::Model);

#[Object]
impl Procedure {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// Mã TTHC, e.g. `1.004227`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> Result<ProcedureStatus> {
        Ok(parse_domain("status", &self.0.status, dc::ProcedureStatus::parse)?.into())
    }
    async fn status_label(&self, ctx: &Context<'_>) -> Result<&'static str> {
        let s = parse_domain("status", &self.0.status, dc::ProcedureStatus::parse)?;
        Ok(ctx.label(s.label_vi(), s.label_en()))
    }
    async fn online_service_level(&self) -> Result<OnlineServiceLevel> {
        Ok(parse_domain(
            "online level",
            &self.0.online_service_level,
            dc::OnlineServiceLevel::parse,
        )?
        .into())
    }
    /// Processing time of the current version in working hours (8 a day).
    async fn processing_hours(&self) -> i32 {
        self.0.processing_hours
    }
    async fn sector(&self, ctx: &Context<'_>) -> Result<Option<Sector>> {
        Ok(ctx
            .loaders()?
            .load_one(SectorId(self.0.sector_id))
            .await?
            .map(Sector))
    }
    async fn field(&self, ctx: &Context<'_>) -> Result<Option<Field>> {
        Ok(ctx
            .loaders()?
            .load_one(FieldId(self.0.field_id))
            .await?
            .map(Field))
    }
    /// The current version's number; pass it as `expectedVersion` to edit.
    async fn current_version(&self) -> i32 {
        self.0.current_version
    }
    /// The current version's full record.
    async fn current(&self, ctx: &Context<'_>) -> Result<ProcedureVersion> {
        let v = ctx
            .loaders()?
            .load_one(VersionKey(self.0.id, self.0.current_version))
            .await?
            .ok_or_else(|| AppError::internal("current version missing"))?;
        Ok(ProcedureVersion(v))
    }
    /// Every version, oldest first.
    #[graphql(complexity = "5 * child_complexity")]
    async fn versions(&self, ctx: &Context<'_>) -> Result<Vec<ProcedureVersion>> {
        svc::versions(ctx.state()?, self.0.id)
            .await?
            .into_iter()
            .map(|row| {
                let content = Arc::new(svc::content_of(&row)?);
                Ok(ProcedureVersion(LoadedVersion { row, content }))
            })
            .collect()
    }
    async fn version(&self, ctx: &Context<'_>, number: i32) -> Result<Option<ProcedureVersion>> {
        Ok(ctx
            .loaders()?
            .load_one(VersionKey(self.0.id, number))
            .await?
            .map(ProcedureVersion))
    }
    async fn created_at(&self) -> Time {
        self.0.created_at.into()
    }
    async fn updated_at(&self) -> Time {
        self.0.updated_at.into()
    }
}

/// One published version of a procedure: everything the regulations require
/// to be public.
pub struct ProcedureVersion(pub LoadedVersion);

impl ProcedureVersion {
    fn c(&self) -> &dc::ProcedureContent {
        &self.0.content
    }
}

#[Object]
impl ProcedureVersion {
    async fn version_no(&self) -> i32 {
        self.0.row.version_no
    }
    /// Quyết định công bố.
    async fn decision_ref(&self) -> Option<&str> {
        self.0.row.decision_ref.as_deref()
    }
    async fn note(&self) -> Option<&str> {
        self.0.row.note.as_deref()
    }
    async fn created_at(&self) -> Time {
        self.0.row.created_at.into()
    }
    async fn name(&self) -> &str {
        &self.c().name
    }
    async fn sector(&self, ctx: &Context<'_>) -> Result<Option<Sector>> {
        Ok(ctx
            .loaders()?
            .load_one(SectorId(self.c().sector_id))
            .await?
            .map(Sector))
    }
    async fn field(&self, ctx: &Context<'_>) -> Result<Option<Field>> {
        Ok(ctx
            .loaders()?
            .load_one(FieldId(self.c().field_id))
            .await?
            .map(Field))
    }
    /// Cấp thực hiện.
    async fn levels(&self) -> Vec<AgencyLevel> {
        self.c().levels.iter().map(|l| (*l).into()).collect()
    }
    /// Cơ quan thực hiện.
    #[graphql(complexity = "10 * child_complexity")]
    async fn agencies(&self, ctx: &Context<'_>) -> Result<Vec<Agency>> {
        let keys = self.c().agency_ids.iter().map(|id| AgencyId(*id));
        let found = ctx.loaders()?.load_many(keys).await?;
        Ok(self
            .c()
            .agency_ids
            .iter()
            .filter_map(|id| found.get(&AgencyId(*id)).cloned().map(Agency))
            .collect())
    }
    async fn online_service_level(&self) -> OnlineServiceLevel {
        self.c().online_service_level.into()
    }
    /// Mức độ 1–4 under the superseded classification, for history.
    async fn legacy_online_level(&self) -> Option<i32> {
        self.c().legacy_online_level.map(i32::from)
    }
    /// Thời hạn giải quyết.
    async fn processing_time(&self) -> ProcessingTime {
        self.c().processing_time.into()
    }
    /// "Giải quyết trong ngày".
    async fn within_day(&self) -> bool {
        self.c().within_day
    }
    /// Trình tự thực hiện.
    async fn steps(&self) -> &[String] {
        &self.c().steps
    }
    /// Cách thức thực hiện.
    async fn methods(&self) -> Vec<MethodInfo> {
        self.c().methods.iter().cloned().map(Into::into).collect()
    }
    /// Thành phần hồ sơ.
    async fn components(&self) -> Vec<Component> {
        self.c()
            .components
            .iter()
            .cloned()
            .map(Into::into)
            .collect()
    }
    /// Đối tượng thực hiện.
    async fn subjects(&self) -> &[String] {
        &self.c().subjects
    }
    /// Kết quả thực hiện.
    async fn result_document(&self) -> &str {
        &self.c().result_document
    }
    /// The data-store document type of the result (e.g. `GIAY_KHAI_SINH`),
    /// which the copy saved into the applicant's store carries.
    async fn result_document_type(&self) -> Option<&str> {
        self.c().result_document_type.as_deref()
    }
    /// Phí, lệ phí.
    async fn fees(&self) -> Vec<FeeLine> {
        self.c().fees.iter().cloned().map(Into::into).collect()
    }
    async fn total_fee_vnd(&self) -> i64 {
        self.c().fees.iter().map(|f| f.amount_vnd).sum()
    }

    /// When the fees are due: as the procedure says, else BEFORE_RETURN;
    /// null when the procedure has no fee.
    async fn payment_due(&self) -> Option<super::enums::PaymentDue> {
        self.c().fees_due().map(Into::into)
    }
    /// Yêu cầu, điều kiện.
    async fn conditions(&self) -> Option<&str> {
        self.c().conditions.as_deref()
    }
    /// Căn cứ pháp lý.
    async fn legal_basis(&self) -> &[String] {
        &self.c().legal_basis
    }
    /// Quy trình nội bộ: ordered steps with their share of the time.
    async fn internal_process(&self) -> Vec<ProcessStep> {
        self.c()
            .internal_process
            .iter()
            .cloned()
            .map(Into::into)
            .collect()
    }
}

/// Thời hạn giải quyết.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ProcessingTimeInput")]
pub struct ProcessingTime {
    pub amount: u32,
    pub unit: ProcessingUnit,
    /// The same in working hours (8 to a working day); output only.
    #[graphql(skip_input)]
    pub working_hours: u32,
}

impl From<dc::ProcessingTime> for ProcessingTime {
    fn from(p: dc::ProcessingTime) -> Self {
        ProcessingTime {
            amount: p.amount,
            unit: p.unit.into(),
            working_hours: p.working_hours(),
        }
    }
}

#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "MethodInfoInput")]
pub struct MethodInfo {
    pub method: SubmissionMethod,
    /// At most 4000 characters.
    #[graphql(validator(custom = "Chars::new(\"description\", 4000)"))]
    pub description: Option<String>,
}

impl From<dc::MethodInfo> for MethodInfo {
    fn from(m: dc::MethodInfo) -> Self {
        MethodInfo {
            method: m.method.into(),
            description: m.description,
        }
    }
}

/// Thành phần hồ sơ.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ComponentInput")]
pub struct Component {
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"name\", 300)"))]
    pub name: String,
    /// Số bản chính.
    pub originals: u32,
    /// Số bản sao.
    pub copies: u32,
    pub required: bool,
    /// Mẫu đơn, tờ khai.
    /// At most 500 characters.
    #[graphql(validator(custom = "Chars::new(\"formTemplate\", 500)"))]
    pub form_template: Option<String>,
    /// The data-store document type that can satisfy this component.
    /// At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"dataStoreDocumentType\", 100)"))]
    pub data_store_document_type: Option<String>,
}

impl From<dc::Component> for Component {
    fn from(c: dc::Component) -> Self {
        Component {
            name: c.name,
            originals: c.originals,
            copies: c.copies,
            required: c.required,
            form_template: c.form_template,
            data_store_document_type: c.data_store_document_type,
        }
    }
}

/// Phí, lệ phí: one line, in VND.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "FeeLineInput")]
pub struct FeeLine {
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"name\", 300)"))]
    pub name: String,
    pub amount_vnd: i64,
}

impl From<dc::FeeLine> for FeeLine {
    fn from(f: dc::FeeLine) -> Self {
        FeeLine {
            name: f.name,
            amount_vnd: f.amount_vnd,
        }
    }
}

/// One step of the internal process.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ProcessStepInput")]
pub struct ProcessStep {
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"name\", 300)"))]
    pub name: String,
    pub role: Role,
    pub working_hours: u32,
}

impl From<dc::ProcessStep> for ProcessStep {
    fn from(s: dc::ProcessStep) -> Self {
        ProcessStep {
            name: s.name,
            role: s.role.into(),
            working_hours: s.working_hours,
        }
    }
}

// ------------------------------------------------------------------ inputs

#[derive(InputObject)]
pub struct AgencyFilter {
    /// Only the agencies directly under this one.
    pub parent_id: Option<ID>,
    /// Only the roots of the tree.
    #[graphql(default)]
    pub roots_only: bool,
    pub level: Option<AgencyLevel>,
    pub kind: Option<AgencyKind>,
    pub active: Option<bool>,
    /// Words of the name or code, with or without diacritics.
    /// At most 200 characters and 10 words.
    #[graphql(validator(custom = "SearchText(\"text\")"))]
    pub text: Option<String>,
}

#[derive(InputObject)]
pub struct ProcedureFilter {
    /// Words of the name or code, with or without diacritics, any case.
    /// At most 200 characters and 10 words.
    #[graphql(validator(custom = "SearchText(\"text\")"))]
    pub text: Option<String>,
    pub sector_id: Option<ID>,
    pub field_id: Option<ID>,
    /// Procedures this agency implements.
    pub agency_id: Option<ID>,
    pub level: Option<AgencyLevel>,
    pub online_service_level: Option<OnlineServiceLevel>,
    pub status: Option<ProcedureStatus>,
}

#[derive(InputObject)]
pub struct AgencyInput {
    pub parent_id: Option<ID>,
    /// At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"code\", 100)"))]
    pub code: String,
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"name\", 300)"))]
    pub name: String,
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"shortName\", 300)"))]
    pub short_name: Option<String>,
    pub level: AgencyLevel,
    pub kind: AgencyKind,
    #[graphql(default = true)]
    pub active: bool,
    /// At most 500 characters.
    #[graphql(validator(custom = "Chars::new(\"address\", 500)"))]
    pub address: Option<String>,
    /// At most 20 characters.
    #[graphql(validator(custom = "Chars::new(\"phone\", 20)"))]
    pub phone: Option<String>,
    /// At most 254 characters.
    #[graphql(validator(custom = "Chars::new(\"email\", 254)"))]
    pub email: Option<String>,
    /// At most 20 characters.
    #[graphql(validator(custom = "Chars::new(\"hotline\", 20)"))]
    pub hotline: Option<String>,
}

impl AgencyInput {
    fn into_service(self) -> Result<svc::AgencyInput, AppError> {
        Ok(svc::AgencyInput {
            parent_id: parse_opt_id("parentId", self.parent_id.as_ref())?,
            code: self.code,
            name: self.name,
            short_name: self.short_name,
            level: self.level.into(),
            kind: self.kind.into(),
            active: self.active,
            address: self.address,
            phone: self.phone,
            email: self.email,
            hotline: self.hotline,
        })
    }
}

/// The whole record of a procedure version.
#[derive(InputObject)]
pub struct ProcedureContentInput {
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"name\", 300)"))]
    pub name: String,
    pub sector_id: ID,
    pub field_id: ID,
    /// At most 100 items.
    #[graphql(validator(custom = "Items(\"levels\", 100)"))]
    pub levels: Vec<AgencyLevel>,
    /// At most 100 items.
    #[graphql(validator(custom = "Items(\"agencyIds\", 100)"))]
    pub agency_ids: Vec<ID>,
    pub online_service_level: OnlineServiceLevel,
    pub legacy_online_level: Option<u8>,
    pub processing_time: ProcessingTime,
    #[graphql(default)]
    pub within_day: bool,
    /// At most 4000 characters each, and 100 items.
    #[graphql(default)]
    #[graphql(validator(list, max_items = 100, custom = "Chars::new(\"steps\", 4000)"))]
    pub steps: Vec<String>,
    /// At most 100 items.
    #[graphql(validator(custom = "Items(\"methods\", 100)"))]
    pub methods: Vec<MethodInfo>,
    /// At most 100 items.
    #[graphql(default)]
    #[graphql(validator(custom = "Items(\"components\", 100)"))]
    pub components: Vec<Component>,
    /// At most 4000 characters each, and 100 items.
    #[graphql(default)]
    #[graphql(validator(list, max_items = 100, custom = "Chars::new(\"subjects\", 4000)"))]
    pub subjects: Vec<String>,
    /// At most 500 characters.
    #[graphql(validator(custom = "Chars::new(\"resultDocument\", 500)"))]
    pub result_document: String,
    /// The result's data-store document type code. At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"resultDocumentType\", 100)"))]
    pub result_document_type: Option<String>,
    /// At most 100 items.
    #[graphql(default)]
    #[graphql(validator(custom = "Items(\"fees\", 100)"))]
    pub fees: Vec<FeeLine>,
    /// When the fees are due; none: before the result is returned
    /// (BEFORE_RETURN).
    pub payment_due: Option<super::enums::PaymentDue>,
    /// At most 4000 characters.
    #[graphql(validator(custom = "Chars::new(\"conditions\", 4000)"))]
    pub conditions: Option<String>,
    /// At most 4000 characters each, and 100 items.
    #[graphql(default)]
    #[graphql(validator(list, max_items = 100, custom = "Chars::new(\"legalBasis\", 4000)"))]
    pub legal_basis: Vec<String>,
    /// At most 100 items.
    #[graphql(default)]
    #[graphql(validator(custom = "Items(\"internalProcess\", 100)"))]
    pub internal_process: Vec<ProcessStep>,
}

impl ProcedureContentInput {
    fn into_domain(self) -> Result<dc::ProcedureContent, AppError> {
        Ok(dc::ProcedureContent {
            name: self.name,
            sector_id: parse_id("content.sectorId", &self.sector_id)?,
            field_id: parse_id("content.fieldId", &self.field_id)?,
            levels: self.levels.into_iter().map(Into::into).collect(),
            agency_ids: self
                .agency_ids
                .iter()
                .map(|id| parse_id("content.agencyIds", id))
                .collect::<Result<_, _>>()?,
            online_service_level: self.online_service_level.into(),
            legacy_online_level: self.legacy_online_level,
            processing_time: dc::ProcessingTime {
                amount: self.processing_time.amount,
                unit: self.processing_time.unit.into(),
            },
            within_day: self.within_day,
            steps: self.steps,
            methods: self
                .methods
                .into_iter()
                .map(|m| dc::MethodInfo {
                    method: m.method.into(),
                    description: m.description,
                })
                .collect(),
            components: self
                .components
                .into_iter()
                .map(|c| dc::Component {
                    name: c.name,
                    originals: c.originals,
                    copies: c.copies,
                    required: c.required,
                    form_template: c.form_template,
                    data_store_document_type: c.data_store_document_type,
                })
                .collect(),
            subjects: self.subjects,
            result_document: self.result_document,
            result_document_type: self.result_document_type,
            fees: self
                .fees
                .into_iter()
                .map(|f| dc::FeeLine {
                    name: f.name,
                    amount_vnd: f.amount_vnd,
                })
                .collect(),
            payment_due: self.payment_due.map(Into::into),
            conditions: self.conditions,
            legal_basis: self.legal_basis,
            internal_process: self
                .internal_process
                .into_iter()
                .map(|s| dc::ProcessStep {
                    name: s.name,
                    role: s.role.into(),
                    working_hours: s.working_hours,
                })
                .collect(),
        })
    }
}

// ------------------------------------------------------------ query, mutation

/// `id` or `code`, one of them required.
fn lookup<'a>(id: Option<&ID>, code: Option<&'a str>) -> Result<svc::Lookup<'a>, AppError> {
    match (id, code) {
        (Some(id), _) => Ok(svc::Lookup::Id(parse_id("id", id)?)),
        (None, Some(code)) => Ok(svc::Lookup::Code(code)),
        (None, None) => Err(AppError::bad_input("id", crate::domain::Problem::Required)),
    }
}

#[derive(Default)]
pub struct CatalogueQuery;

#[Object]
impl CatalogueQuery {
    /// Agencies, filtered, in a cursor connection.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn agencies(
        &self,
        ctx: &Context<'_>,
        filter: Option<AgencyFilter>,
        first: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"after\", 100)")
        )]
        after: Option<String>,
    ) -> Result<CountedConnection<Agency>> {
        let req = page_request(&ctx.state()?.config.graphql, first, after.as_deref())?;
        let f = match filter {
            Some(f) => svc::AgencyFilter {
                parent_id: parse_opt_id("filter.parentId", f.parent_id.as_ref())?,
                roots_only: f.roots_only,
                level: f.level.map(Into::into),
                kind: f.kind.map(Into::into),
                active: f.active,
                text: f.text,
            },
            None => svc::AgencyFilter::default(),
        };
        let page = svc::list_agencies(ctx.state()?, f, req).await?;
        Ok(connection(page, |a| a.id, Agency))
    }

    /// One agency by id or by national code.
    async fn agency(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"code\", 100)")
        )]
        code: Option<String>,
    ) -> Result<Agency> {
        let by = lookup(id.as_ref(), code.as_deref())?;
        Ok(Agency(svc::agency(&ctx.state()?.db, by).await?))
    }

    /// Ngành, each with its fields.
    #[graphql(complexity = "20 * child_complexity")]
    async fn sectors(&self, ctx: &Context<'_>) -> Result<Vec<Sector>> {
        Ok(svc::sectors(ctx.state()?)
            .await?
            .into_iter()
            .map(Sector)
            .collect())
    }

    /// Lĩnh vực, optionally of one sector.
    #[graphql(complexity = "200 * child_complexity")]
    async fn fields(&self, ctx: &Context<'_>, sector_id: Option<ID>) -> Result<Vec<Field>> {
        let sector = parse_opt_id("sectorId", sector_id.as_ref())?;
        Ok(svc::fields(ctx.state()?, sector)
            .await?
            .into_iter()
            .map(Field)
            .collect())
    }

    /// Procedures, searched and filtered, in a cursor connection.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn procedures(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProcedureFilter>,
        first: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"after\", 100)")
        )]
        after: Option<String>,
    ) -> Result<CountedConnection<Procedure>> {
        let req = page_request(&ctx.state()?.config.graphql, first, after.as_deref())?;
        let f = match filter {
            Some(f) => svc::ProcedureFilter {
                text: f.text,
                sector_id: parse_opt_id("filter.sectorId", f.sector_id.as_ref())?,
                field_id: parse_opt_id("filter.fieldId", f.field_id.as_ref())?,
                agency_id: parse_opt_id("filter.agencyId", f.agency_id.as_ref())?,
                level: f.level.map(Into::into),
                online_service_level: f.online_service_level.map(Into::into),
                status: f.status.map(Into::into),
            },
            None => svc::ProcedureFilter::default(),
        };
        let page = svc::search_procedures(ctx.state()?, f, req).await?;
        Ok(connection(page, |p| p.id, Procedure))
    }

    /// One procedure by id or by its national code (mã TTHC).
    async fn procedure(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"code\", 100)")
        )]
        code: Option<String>,
    ) -> Result<Procedure> {
        let by = lookup(id.as_ref(), code.as_deref())?;
        Ok(Procedure(svc::procedure(&ctx.state()?.db, by).await?))
    }

    /// Vietnamese and English labels of every enumeration's values.
    #[graphql(complexity = "100 * child_complexity")]
    async fn enum_labels(
        &self,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"enumName\", 100)")
        )]
        enum_name: Option<String>,
    ) -> Vec<EnumLabel> {
        super::enums::all_labels()
            .into_iter()
            .filter(|l| enum_name.as_deref().is_none_or(|n| n == l.enum_name))
            .collect()
    }
}

#[derive(Default)]
pub struct CatalogueMutation;

#[derive(InputObject)]
pub struct CreateProcedureInput {
    /// Mã TTHC.
    /// At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"code\", 100)"))]
    pub code: String,
    pub content: ProcedureContentInput,
    /// Quyết định công bố.
    /// At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"decisionRef\", 100)"))]
    pub decision_ref: Option<String>,
    /// At most 4000 characters.
    #[graphql(validator(custom = "Chars::new(\"note\", 4000)"))]
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateProcedureInput {
    pub content: ProcedureContentInput,
    /// At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"decisionRef\", 100)"))]
    pub decision_ref: Option<String>,
    /// At most 4000 characters.
    #[graphql(validator(custom = "Chars::new(\"note\", 4000)"))]
    pub note: Option<String>,
}

#[Object]
impl CatalogueMutation {
    /// ADMIN: add an agency to the tree.
    async fn create_agency(&self, ctx: &Context<'_>, input: AgencyInput) -> Result<Agency> {
        let input = input.into_service()?;
        Ok(Agency(
            svc::create_agency(ctx.state()?, &ctx.caller()?, input).await?,
        ))
    }

    /// ADMIN: edit an agency (moving it must not make a cycle).
    async fn update_agency(&self, ctx: &Context<'_>, id: ID, input: AgencyInput) -> Result<Agency> {
        let id = parse_id("id", &id)?;
        let input = input.into_service()?;
        Ok(Agency(
            svc::update_agency(ctx.state()?, &ctx.caller()?, id, input).await?,
        ))
    }

    /// ADMIN: add a sector (ngành).
    async fn create_sector(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"code\", 100)")
        )]
        code: String,
        #[graphql(
            desc = "At most 300 characters.",
            validator(custom = "Chars::new(\"name\", 300)")
        )]
        name: String,
    ) -> Result<Sector> {
        Ok(Sector(
            svc::create_sector(ctx.state()?, &ctx.caller()?, &code, &name).await?,
        ))
    }

    /// ADMIN: add a field (lĩnh vực) to a sector.
    async fn create_field(
        &self,
        ctx: &Context<'_>,
        sector_id: ID,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"code\", 100)")
        )]
        code: String,
        #[graphql(
            desc = "At most 300 characters.",
            validator(custom = "Chars::new(\"name\", 300)")
        )]
        name: String,
    ) -> Result<Field> {
        let sector_id = parse_id("sectorId", &sector_id)?;
        Ok(Field(
            svc::create_field(ctx.state()?, &ctx.caller()?, sector_id, &code, &name).await?,
        ))
    }

    /// ADMIN: publish a new procedure (version 1).
    async fn create_procedure(
        &self,
        ctx: &Context<'_>,
        input: CreateProcedureInput,
    ) -> Result<Procedure> {
        let content = input.content.into_domain()?;
        let publication = svc::Publication {
            decision_ref: input.decision_ref,
            note: input.note,
        };
        Ok(Procedure(
            svc::create_procedure(
                ctx.state()?,
                &ctx.caller()?,
                &input.code,
                content,
                publication,
            )
            .await?,
        ))
    }

    /// ADMIN: edit a procedure, making a new version. `expectedVersion` is
    /// the `currentVersion` the editor saw.
    async fn update_procedure(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateProcedureInput,
    ) -> Result<Procedure> {
        let id = parse_id("id", &id)?;
        let content = input.content.into_domain()?;
        let publication = svc::Publication {
            decision_ref: input.decision_ref,
            note: input.note,
        };
        Ok(Procedure(
            svc::update_procedure(
                ctx.state()?,
                &ctx.caller()?,
                id,
                expected_version,
                content,
                publication,
            )
            .await?,
        ))
    }

    /// ADMIN: suspend an active procedure.
    async fn suspend_procedure(&self, ctx: &Context<'_>, id: ID) -> Result<Procedure> {
        set_status(ctx, id, dc::ProcedureStatus::Suspended).await
    }

    /// ADMIN: put a suspended procedure back in force.
    async fn resume_procedure(&self, ctx: &Context<'_>, id: ID) -> Result<Procedure> {
        set_status(ctx, id, dc::ProcedureStatus::Active).await
    }

    /// ADMIN: abolish a procedure, for good.
    async fn abolish_procedure(&self, ctx: &Context<'_>, id: ID) -> Result<Procedure> {
        set_status(ctx, id, dc::ProcedureStatus::Abolished).await
    }
}

async fn set_status(ctx: &Context<'_>, id: ID, status: dc::ProcedureStatus) -> Result<Procedure> {
    let id = parse_id("id", &id)?;
    Ok(Procedure(
        svc::set_procedure_status(ctx.state()?, &ctx.caller()?, id, status).await?,
    ))
}
