//! The catalogue: the agency tree, sectors and fields, and versioned
//! procedures with diacritics-insensitive search.

use entity::{agency, field, procedure, procedure_agency, procedure_version, sector};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::{Condition, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::audit::{self, Entry};
use super::{page, Caller, Page, PageRequest};
use crate::domain::authz::Action;
use crate::domain::catalogue::{
    AgencyKind, AgencyLevel, OnlineServiceLevel, ProcedureContent, ProcedureStatus,
};
use crate::domain::identity::{optional_text, required_text};
use crate::domain::identity::{Email, Phone};
use crate::domain::text::{fold, search_words};
use crate::domain::Problem;
use crate::error::{stored_enum, AppError, AppResult, AtField, Missing};
use crate::state::AppState;
use crate::store;

const NAME_MAX: usize = 300;
const CODE_MAX: usize = 32;

// ---------------------------------------------------------------- agencies

#[derive(Debug, Default, Clone)]
pub struct AgencyFilter {
    pub parent_id: Option<i64>,
    pub roots_only: bool,
    pub level: Option<AgencyLevel>,
    pub kind: Option<AgencyKind>,
    pub active: Option<bool>,
    pub text: Option<String>,
}

pub async fn list_agencies(
    st: &AppState,
    f: AgencyFilter,
    req: PageRequest,
) -> AppResult<Page<agency::Model>> {
    let mut q = agency::Entity::find();
    if let Some(p) = f.parent_id {
        q = q.filter(agency::Column::ParentId.eq(p));
    }
    if f.roots_only {
        q = q.filter(agency::Column::ParentId.is_null());
    }
    if let Some(l) = f.level {
        q = q.filter(agency::Column::Level.eq(l.as_str()));
    }
    if let Some(k) = f.kind {
        q = q.filter(agency::Column::Kind.eq(k.as_str()));
    }
    if let Some(a) = f.active {
        q = q.filter(agency::Column::Active.eq(a));
    }
    if let Some(t) = f.text.as_deref() {
        for word in search_words(t) {
            q = q.filter(
                Condition::any()
                    .add(store::contains_word(agency::Column::NameSearch, &word))
                    .add(store::contains_word(agency::Column::Code, &word)),
            );
        }
    }
    page(&st.db, q, agency::Column::Id, req).await
}

/// How a single agency or procedure is named: by id or by its national code.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    Id(i64),
    Code(&'a str),
}

/// One agency, read on `db` (the caller's transaction, if it holds one);
/// `NOT_FOUND` when there is none.
pub async fn agency(db: &impl ConnectionTrait, by: Lookup<'_>) -> AppResult<agency::Model> {
    let q = match by {
        Lookup::Id(id) => agency::Entity::find_by_id(id),
        Lookup::Code(code) => agency::Entity::find().filter(agency::Column::Code.eq(code.trim())),
    };
    q.one(db).await?.ok_or(AppError::NotFound(Missing::Agency))
}

pub async fn agencies_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<Vec<agency::Model>> {
    Ok(agency::Entity::find()
        .filter(agency::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub struct AgencyInput {
    pub parent_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub level: AgencyLevel,
    pub kind: AgencyKind,
    pub active: bool,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub hotline: Option<String>,
}

struct CleanAgency {
    code: String,
    name: String,
    short_name: Option<String>,
    address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    hotline: Option<String>,
}

fn clean_agency(i: &AgencyInput) -> AppResult<CleanAgency> {
    Ok(CleanAgency {
        code: required_text(&i.code, CODE_MAX).at("code")?,
        name: required_text(&i.name, NAME_MAX).at("name")?,
        short_name: optional_text(i.short_name.as_deref(), NAME_MAX).at("shortName")?,
        address: optional_text(i.address.as_deref(), NAME_MAX).at("address")?,
        phone: Phone::parse_optional(i.phone.as_deref())
            .at("phone")?
            .map(|p| p.as_str().to_owned()),
        email: Email::parse_optional(i.email.as_deref())
            .at("email")?
            .map(|e| e.as_str().to_owned()),
        hotline: optional_text(i.hotline.as_deref(), 32).at("hotline")?,
    })
}

fn parent_problem() -> AppError {
    AppError::bad_input(
        "parentId",
        Problem::Invalid {
            vi: "Cơ quan cấp trên không thể là chính nó hoặc cơ quan trực thuộc nó".into(),
            en: "The parent cannot be the agency itself or one below it".into(),
        },
    )
}

async fn check_parent(st: &AppState, parent_id: Option<i64>) -> AppResult<()> {
    match parent_id {
        Some(p) if agency::Entity::find_by_id(p).one(&st.db).await?.is_none() => {
            Err(AppError::bad_input("parentId", Problem::UnknownReference))
        }
        _ => Ok(()),
    }
}

fn agency_summary(a: &agency::Model) -> serde_json::Value {
    json!({ "code": a.code, "name": a.name, "parentId": a.parent_id, "level": a.level, "kind": a.kind, "active": a.active })
}

/// ADMIN: adds an agency to the tree.
pub async fn create_agency(
    st: &AppState,
    caller: &Caller<'_>,
    input: AgencyInput,
) -> AppResult<agency::Model> {
    caller.authorize(Action::ManageCatalogue)?;
    let c = clean_agency(&input)?;
    check_parent(st, input.parent_id).await?;
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    let saved = agency::ActiveModel {
        parent_id: Set(input.parent_id),
        name_search: Set(fold(&c.name)),
        code: Set(c.code),
        name: Set(c.name),
        short_name: Set(c.short_name),
        level: Set(input.level.as_str().into()),
        kind: Set(input.kind.as_str().into()),
        active: Set(input.active),
        address: Set(c.address),
        phone: Set(c.phone),
        email: Set(c.email),
        hotline: Set(c.hotline),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| store::unique_violation(e, &[(store::AGENCY_CODE, "code")]))?;
    let entry = Entry::new(
        "createAgency",
        "agency",
        saved.id,
        json!({ "after": agency_summary(&saved) }),
    );
    // Subscriptions over the tree see the new shape.
    crate::events::record_control(&txn, now, &crate::events::Control::AgenciesChanged).await?;
    audit::commit(txn, caller, now, entry).await?;
    st.outbox_committed();
    Ok(saved)
}

/// ADMIN: edits an agency; moving it must not make a cycle.
pub async fn update_agency(
    st: &AppState,
    caller: &Caller<'_>,
    id: i64,
    input: AgencyInput,
) -> AppResult<agency::Model> {
    caller.authorize(Action::ManageCatalogue)?;
    let c = clean_agency(&input)?;
    let existing = agency(&st.db, Lookup::Id(id)).await?;
    if let Some(p) = input.parent_id {
        if store::agencies::subtree(&st.db, id).await?.contains(&p) {
            return Err(parent_problem());
        }
    }
    check_parent(st, input.parent_id).await?;
    let before = agency_summary(&existing);
    let now = st.clock.now();
    let mut row: agency::ActiveModel = existing.into();
    row.parent_id = Set(input.parent_id);
    row.name_search = Set(fold(&c.name));
    row.code = Set(c.code);
    row.name = Set(c.name);
    row.short_name = Set(c.short_name);
    row.level = Set(input.level.as_str().into());
    row.kind = Set(input.kind.as_str().into());
    row.active = Set(input.active);
    row.address = Set(c.address);
    row.phone = Set(c.phone);
    row.email = Set(c.email);
    row.hotline = Set(c.hotline);
    row.updated_at = Set(now);
    let txn = store::write_txn(&st.db).await?;
    let saved = row
        .update(&txn)
        .await
        .map_err(|e| store::unique_violation(e, &[(store::AGENCY_CODE, "code")]))?;
    let entry = Entry::new(
        "updateAgency",
        "agency",
        id,
        json!({ "before": before, "after": agency_summary(&saved) }),
    );
    // Subscriptions over the tree see the new shape.
    crate::events::record_control(&txn, now, &crate::events::Control::AgenciesChanged).await?;
    audit::commit(txn, caller, now, entry).await?;
    st.outbox_committed();
    Ok(saved)
}

// ------------------------------------------------------- sectors and fields

pub async fn sectors(st: &AppState) -> AppResult<Vec<sector::Model>> {
    Ok(sector::Entity::find()
        .order_by_asc(sector::Column::Id)
        .all(&st.db)
        .await?)
}

pub async fn fields(st: &AppState, sector_id: Option<i64>) -> AppResult<Vec<field::Model>> {
    let mut q = field::Entity::find();
    if let Some(s) = sector_id {
        q = q.filter(field::Column::SectorId.eq(s));
    }
    Ok(q.order_by_asc(field::Column::Id).all(&st.db).await?)
}

pub async fn sectors_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<Vec<sector::Model>> {
    Ok(sector::Entity::find()
        .filter(sector::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn fields_by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<Vec<field::Model>> {
    Ok(field::Entity::find()
        .filter(field::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// ADMIN: adds a sector (ngành).
pub async fn create_sector(
    st: &AppState,
    caller: &Caller<'_>,
    code: &str,
    name: &str,
) -> AppResult<sector::Model> {
    caller.authorize(Action::ManageCatalogue)?;
    let code = required_text(code, CODE_MAX).at("code")?;
    let name = required_text(name, NAME_MAX).at("name")?;
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    let saved = sector::ActiveModel {
        code: Set(code),
        name: Set(name),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| store::unique_violation(e, &[(store::SECTOR_CODE, "code")]))?;
    let summary = json!({ "after": { "code": saved.code, "name": saved.name } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("createSector", "sector", saved.id, summary),
    )
    .await?;
    Ok(saved)
}

/// ADMIN: adds a field (lĩnh vực) to a sector.
pub async fn create_field(
    st: &AppState,
    caller: &Caller<'_>,
    sector_id: i64,
    code: &str,
    name: &str,
) -> AppResult<field::Model> {
    caller.authorize(Action::ManageCatalogue)?;
    let code = required_text(code, CODE_MAX).at("code")?;
    let name = required_text(name, NAME_MAX).at("name")?;
    if sector::Entity::find_by_id(sector_id)
        .one(&st.db)
        .await?
        .is_none()
    {
        return Err(AppError::bad_input("sectorId", Problem::UnknownReference));
    }
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    let saved = field::ActiveModel {
        sector_id: Set(sector_id),
        code: Set(code),
        name: Set(name),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| store::unique_violation(e, &[(store::FIELD_CODE, "code")]))?;
    let summary =
        json!({ "after": { "sectorId": sector_id, "code": saved.code, "name": saved.name } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("createField", "field", saved.id, summary),
    )
    .await?;
    Ok(saved)
}

// -------------------------------------------------------------- procedures

#[derive(Debug, Default, Clone)]
pub struct ProcedureFilter {
    pub text: Option<String>,
    pub sector_id: Option<i64>,
    pub field_id: Option<i64>,
    pub agency_id: Option<i64>,
    pub level: Option<AgencyLevel>,
    pub online_service_level: Option<OnlineServiceLevel>,
    pub status: Option<ProcedureStatus>,
}

pub async fn search_procedures(
    st: &AppState,
    f: ProcedureFilter,
    req: PageRequest,
) -> AppResult<Page<procedure::Model>> {
    let mut q = procedure::Entity::find();
    if let Some(t) = f.text.as_deref() {
        // Every word must appear, in any order: "giay phep xay dung cap".
        for word in search_words(t) {
            q = q.filter(store::contains_word(procedure::Column::SearchText, &word));
        }
    }
    if let Some(s) = f.sector_id {
        q = q.filter(procedure::Column::SectorId.eq(s));
    }
    if let Some(x) = f.field_id {
        q = q.filter(procedure::Column::FieldId.eq(x));
    }
    if let Some(a) = f.agency_id {
        q = q.filter(
            procedure::Column::Id.in_subquery(
                Query::select()
                    .column(procedure_agency::Column::ProcedureId)
                    .from(procedure_agency::Entity)
                    .and_where(procedure_agency::Column::AgencyId.eq(a))
                    .to_owned(),
            ),
        );
    }
    if let Some(l) = f.level {
        let col = match l {
            AgencyLevel::Province => procedure::Column::LevelProvince,
            AgencyLevel::District => procedure::Column::LevelDistrict,
            AgencyLevel::Commune => procedure::Column::LevelCommune,
        };
        q = q.filter(col.eq(true));
    }
    if let Some(o) = f.online_service_level {
        q = q.filter(procedure::Column::OnlineServiceLevel.eq(o.as_str()));
    }
    if let Some(s) = f.status {
        q = q.filter(procedure::Column::Status.eq(s.as_str()));
    }
    page(&st.db, q, procedure::Column::Id, req).await
}

/// A procedure by id or code, read through `db`; NOT_FOUND when none.
pub async fn procedure(db: &impl ConnectionTrait, by: Lookup<'_>) -> AppResult<procedure::Model> {
    let q = match by {
        Lookup::Id(id) => procedure::Entity::find_by_id(id),
        Lookup::Code(code) => {
            procedure::Entity::find().filter(procedure::Column::Code.eq(code.trim()))
        }
    };
    q.one(db)
        .await?
        .ok_or(AppError::NotFound(Missing::Procedure))
}

pub async fn procedures_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<Vec<procedure::Model>> {
    Ok(procedure::Entity::find()
        .filter(procedure::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn versions(
    st: &AppState,
    procedure_id: i64,
) -> AppResult<Vec<procedure_version::Model>> {
    Ok(procedure_version::Entity::find()
        .filter(procedure_version::Column::ProcedureId.eq(procedure_id))
        .order_by_asc(procedure_version::Column::VersionNo)
        .all(&st.db)
        .await?)
}

/// The versions named by (procedure id, version number), in one query.
pub async fn versions_by_keys(
    db: &impl ConnectionTrait,
    keys: &[(i64, i32)],
) -> AppResult<Vec<procedure_version::Model>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    // Exactly the versions asked for: (procedure = ? AND version = ?) OR …
    let mut wanted = Condition::any();
    for (procedure_id, version_no) in keys {
        wanted = wanted.add(
            Condition::all()
                .add(procedure_version::Column::ProcedureId.eq(*procedure_id))
                .add(procedure_version::Column::VersionNo.eq(*version_no)),
        );
    }
    Ok(procedure_version::Entity::find()
        .filter(wanted)
        .all(db)
        .await?)
}

/// The content of one version of a procedure.
pub async fn version_content(
    db: &impl ConnectionTrait,
    procedure_id: i64,
    version_no: i32,
) -> AppResult<ProcedureContent> {
    let rows = versions_by_keys(db, &[(procedure_id, version_no)]).await?;
    let row = rows
        .first()
        .ok_or_else(|| AppError::internal("procedure version missing"))?;
    content_of(row)
}

/// The content of a procedure's current version, read on `db` (the
/// caller's transaction, if it holds one).
pub async fn current_content(
    db: &impl ConnectionTrait,
    p: &procedure::Model,
) -> AppResult<ProcedureContent> {
    version_content(db, p.id, p.current_version).await
}

/// Decodes a stored version's content.
pub fn content_of(v: &procedure_version::Model) -> AppResult<ProcedureContent> {
    serde_json::from_value(v.content.clone()).map_err(AppError::internal)
}

pub async fn agency_ids_of_procedures(
    db: &impl ConnectionTrait,
    procedure_ids: &[i64],
) -> AppResult<Vec<procedure_agency::Model>> {
    Ok(procedure_agency::Entity::find()
        .filter(procedure_agency::Column::ProcedureId.is_in(procedure_ids.iter().copied()))
        .all(db)
        .await?)
}

/// Checks the record and that its sector, field and agencies exist.
async fn check_content(st: &AppState, content: ProcedureContent) -> AppResult<ProcedureContent> {
    let content = content
        .normalise()
        .map_err(|(path, p)| AppError::bad_input(format!("content.{path}"), p))?;
    let fld = field::Entity::find_by_id(content.field_id)
        .one(&st.db)
        .await?;
    if sector::Entity::find_by_id(content.sector_id)
        .one(&st.db)
        .await?
        .is_none()
    {
        return Err(AppError::bad_input(
            "content.sectorId",
            Problem::UnknownReference,
        ));
    }
    match fld {
        Some(f) if f.sector_id == content.sector_id => {}
        Some(_) => {
            return Err(AppError::bad_input(
                "content.fieldId",
                Problem::Invalid {
                    vi: "Lĩnh vực không thuộc ngành đã chọn".into(),
                    en: "The field does not belong to the sector".into(),
                },
            ))
        }
        None => {
            return Err(AppError::bad_input(
                "content.fieldId",
                Problem::UnknownReference,
            ))
        }
    }
    let found = agencies_by_ids(&st.db, &content.agency_ids).await?;
    if found.len() != content.agency_ids.len() {
        return Err(AppError::bad_input(
            "content.agencyIds",
            Problem::UnknownReference,
        ));
    }
    Ok(content)
}

fn denormalised(row: &mut procedure::ActiveModel, code: &str, c: &ProcedureContent) {
    row.name = Set(c.name.clone());
    row.search_text = Set(fold(&format!("{code} {}", c.name)));
    row.sector_id = Set(c.sector_id);
    row.field_id = Set(c.field_id);
    row.online_service_level = Set(c.online_service_level.as_str().into());
    row.level_province = Set(c.has_level(AgencyLevel::Province));
    row.level_district = Set(c.has_level(AgencyLevel::District));
    row.level_commune = Set(c.has_level(AgencyLevel::Commune));
    row.processing_hours = Set(c.processing_time.working_hours() as i32);
}

async fn write_version(
    txn: &impl ConnectionTrait,
    procedure_id: i64,
    version_no: i32,
    content: &ProcedureContent,
    publication: Publication,
    created_by: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    procedure_version::ActiveModel {
        procedure_id: Set(procedure_id),
        version_no: Set(version_no),
        content: Set(serde_json::to_value(content).map_err(AppError::internal)?),
        decision_ref: Set(publication.decision_ref),
        note: Set(publication.note),
        created_by: Set(created_by),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    procedure_agency::Entity::delete_many()
        .filter(procedure_agency::Column::ProcedureId.eq(procedure_id))
        .exec(txn)
        .await?;
    procedure_agency::Entity::insert_many(content.agency_ids.iter().map(|&agency_id| {
        procedure_agency::ActiveModel {
            procedure_id: Set(procedure_id),
            agency_id: Set(agency_id),
        }
    }))
    .exec(txn)
    .await?;
    Ok(())
}

pub struct Publication {
    pub decision_ref: Option<String>,
    pub note: Option<String>,
}

/// ADMIN: publishes a procedure: the procedure and its first version in one
/// transaction.
pub async fn create_procedure(
    st: &AppState,
    caller: &Caller<'_>,
    code: &str,
    content: ProcedureContent,
    publication: Publication,
) -> AppResult<procedure::Model> {
    caller.authorize(Action::ManageCatalogue)?;
    let code = required_text(code, CODE_MAX).at("code")?;
    let content = check_content(st, content).await?;
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    let mut row = procedure::ActiveModel {
        code: Set(code.clone()),
        status: Set(ProcedureStatus::Active.as_str().into()),
        current_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    denormalised(&mut row, &code, &content);
    let saved = row
        .insert(&txn)
        .await
        .map_err(|e| store::unique_violation(e, &[(store::PROCEDURE_CODE, "code")]))?;
    let summary = json!({ "after": { "code": saved.code, "version": 1, "decisionRef": publication.decision_ref } });
    write_version(
        &txn,
        saved.id,
        1,
        &content,
        publication,
        caller.actor.map(|a| a.account_id),
        now,
    )
    .await?;
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("createProcedure", "procedure", saved.id, summary),
    )
    .await?;
    Ok(saved)
}

/// An edit or a new publication decision: a new version. `expected_version`
/// is the version the editor saw; a stale one fails with VERSION_CONFLICT.
pub async fn update_procedure(
    st: &AppState,
    caller: &Caller<'_>,
    id: i64,
    expected_version: i32,
    content: ProcedureContent,
    publication: Publication,
) -> AppResult<procedure::Model> {
    caller.authorize(Action::ManageCatalogue)?;
    let existing = procedure(&st.db, Lookup::Id(id)).await?;
    if existing.status == ProcedureStatus::Abolished.as_str() {
        return Err(abolished());
    }
    let content = check_content(st, content).await?;
    let now = st.clock.now();
    let next = expected_version + 1;
    let txn = store::write_txn(&st.db).await?;
    let mut row = procedure::ActiveModel {
        current_version: Set(next),
        updated_at: Set(now),
        ..Default::default()
    };
    denormalised(&mut row, &existing.code, &content);
    let res = procedure::Entity::update_many()
        .set(row)
        .filter(procedure::Column::Id.eq(id))
        .filter(procedure::Column::CurrentVersion.eq(expected_version))
        .filter(procedure::Column::Status.ne(ProcedureStatus::Abolished.as_str()))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::VersionConflict);
    }
    let summary = json!({
        "before": { "version": expected_version, "name": existing.name, "processingHours": existing.processing_hours },
        "after": { "version": next, "name": content.name, "processingHours": content.processing_time.working_hours(), "decisionRef": publication.decision_ref },
    });
    write_version(
        &txn,
        id,
        next,
        &content,
        publication,
        caller.actor.map(|a| a.account_id),
        now,
    )
    .await?;
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("updateProcedure", "procedure", id, summary),
    )
    .await?;
    procedure(&st.db, Lookup::Id(id)).await
}

fn abolished() -> AppError {
    AppError::InvalidTransition {
        vi: "Thủ tục đã bị bãi bỏ, không thể thay đổi".into(),
        en: "The procedure is abolished and cannot change".into(),
    }
}

/// Suspends, resumes or abolishes a procedure. Abolition is final.
pub async fn set_procedure_status(
    st: &AppState,
    caller: &Caller<'_>,
    id: i64,
    status: ProcedureStatus,
) -> AppResult<procedure::Model> {
    caller.authorize(Action::ManageCatalogue)?;
    let existing = procedure(&st.db, Lookup::Id(id)).await?;
    let from = stored_enum::<ProcedureStatus>(&existing.status)?;
    let allowed = match (from, status) {
        (ProcedureStatus::Abolished, _) => false,
        (a, b) => a != b,
    };
    if !allowed {
        return Err(if from == ProcedureStatus::Abolished {
            abolished()
        } else {
            AppError::InvalidTransition {
                vi: format!("Thủ tục đang ở trạng thái {}", from.label_vi()),
                en: format!("The procedure is already {}", from.label_en()),
            }
        });
    }
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    let res = procedure::Entity::update_many()
        .col_expr(procedure::Column::Status, Expr::value(status.as_str()))
        .col_expr(procedure::Column::UpdatedAt, Expr::value(now))
        .filter(procedure::Column::Id.eq(id))
        .filter(procedure::Column::Status.eq(from.as_str()))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::VersionConflict);
    }
    let operation = match status {
        ProcedureStatus::Active => "resumeProcedure",
        ProcedureStatus::Suspended => "suspendProcedure",
        ProcedureStatus::Abolished => "abolishProcedure",
    };
    let summary =
        json!({ "before": { "status": from.as_str() }, "after": { "status": status.as_str() } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new(operation, "procedure", id, summary),
    )
    .await?;
    procedure(&st.db, Lookup::Id(id)).await
}

/// Whether the catalogue is empty (nothing loaded yet).
pub async fn is_empty(st: &AppState) -> AppResult<bool> {
    Ok(agency::Entity::find().one(&st.db).await?.is_none())
}
