//! The data store (kho dữ liệu; Quảng Ngãi 34/2023 Art. 10): each account's
//! documents, reusable in later dossiers, and the results of its returned
//! dossiers. Nobody reads another account's store.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{attachment, document, dossier};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use super::attachments::{self, StoredFile, Upload};
use super::audit::{self, Entry};
use super::{calendar, catalogue, dossiers, page, Caller, Page, PageRequest};
use crate::domain::authz::AccountKind;
use crate::domain::documents::{check_dates, check_valid, fits, AttachmentKind, DocumentSource};
use crate::domain::identity::{optional_text, required_text};
use crate::domain::Problem;
use crate::error::{AppError, AppResult, AtField, Missing};
use crate::state::AppState;
use crate::store;

/// What the owner says of a document.
#[derive(Debug, Clone)]
pub struct DocumentInput {
    pub doc_type: String,
    pub number: Option<String>,
    pub issuer: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

/// Citizens and organisations keep a store; officials act for agencies.
fn owner(caller: &Caller<'_>) -> AppResult<i64> {
    let actor = caller.signed_in()?;
    if actor.kind == AccountKind::Official {
        return Err(AppError::Forbidden);
    }
    Ok(actor.account_id)
}

/// Adds a document to the caller's store.
pub async fn upload(
    st: &AppState,
    caller: &Caller<'_>,
    input: DocumentInput,
    file: Upload,
) -> AppResult<document::Model> {
    let account_id = owner(caller)?;
    let doc_type = required_text(&input.doc_type, 200).at("docType")?;
    let number = optional_text(input.number.as_deref(), 100).at("number")?;
    let issuer = optional_text(input.issuer.as_deref(), 300).at("issuer")?;
    check_dates(input.issued_on, input.valid_until, calendar::today(st))
        .map_err(|(field, p)| AppError::bad_input(field, p))?;
    let stored = attachments::store_upload(st, file).await?;
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    let saved = new_document(account_id, &doc_type, stored, now)
        .with(number, issuer, input.issued_on, input.valid_until)
        .insert(&txn)
        .await?;
    let summary = json!({ "after": { "docType": saved.doc_type, "sha256": saved.sha256, "validUntil": saved.valid_until } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("uploadDocument", "document", saved.id, summary),
    )
    .await?;
    Ok(saved)
}

struct NewDocument(document::ActiveModel);

fn new_document(account_id: i64, doc_type: &str, f: StoredFile, now: DateTime<Utc>) -> NewDocument {
    NewDocument(document::ActiveModel {
        account_id: Set(account_id),
        doc_type: Set(doc_type.to_owned()),
        number: Set(None),
        issuer: Set(None),
        issued_on: Set(None),
        valid_until: Set(None),
        filename: Set(f.filename),
        content_type: Set(f.content_type.into()),
        size_bytes: Set(f.size),
        sha256: Set(f.sha256),
        source: Set(DocumentSource::Upload.as_str().into()),
        source_dossier_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
}

impl NewDocument {
    fn with(
        mut self,
        number: Option<String>,
        issuer: Option<String>,
        issued_on: Option<NaiveDate>,
        valid_until: Option<NaiveDate>,
    ) -> document::ActiveModel {
        self.0.number = Set(number);
        self.0.issuer = Set(issuer);
        self.0.issued_on = Set(issued_on);
        self.0.valid_until = Set(valid_until);
        self.0
    }
}

/// The caller's documents.
pub async fn mine(
    st: &AppState,
    caller: &Caller<'_>,
    req: PageRequest,
) -> AppResult<Page<document::Model>> {
    let account_id = owner(caller)?;
    let q = document::Entity::find().filter(document::Column::AccountId.eq(account_id));
    page(&st.db, q, document::Column::Id, req).await
}

/// One of the caller's documents; anyone else's does not exist for them.
async fn own(st: &AppState, caller: &Caller<'_>, id: i64) -> AppResult<document::Model> {
    let account_id = owner(caller)?;
    document::Entity::find_by_id(id)
        .one(&st.db)
        .await?
        .filter(|d| d.account_id == account_id)
        .ok_or(AppError::NotFound(Missing::Document))
}

/// Deletes one of the caller's documents. Dossiers that used it keep their
/// own copy (same content, their own record).
pub async fn delete(st: &AppState, caller: &Caller<'_>, id: i64) -> AppResult<()> {
    let doc = own(st, caller, id).await?;
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    document::Entity::delete_by_id(doc.id).exec(&txn).await?;
    let summary = json!({ "before": { "docType": doc.doc_type, "sha256": doc.sha256 } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("deleteDocument", "document", doc.id, summary),
    )
    .await
}

/// A stored document the caller may open: their own. Its content is
/// `st.files.open(&model.sha256)`.
pub async fn open(st: &AppState, caller: &Caller<'_>, id: i64) -> AppResult<document::Model> {
    own(st, caller, id).await
}

/// Satisfies a component of the caller's dossier with a still-valid stored
/// document: the dossier gets its own attachment of the same content.
pub async fn attach_stored(
    st: &AppState,
    caller: &Caller<'_>,
    dossier_id: i64,
    component: &str,
    document_id: i64,
) -> AppResult<attachment::Model> {
    let d = dossiers::visible(st, caller, dossier_id).await?;
    let actor = caller.signed_in()?;
    if d.applicant_account_id != Some(actor.account_id) {
        // Officers attach what is handed to them, not a citizen's store.
        return Err(AppError::Forbidden);
    }
    attachments::check_may_attach(st, caller, &d).await?;
    let doc = own(st, caller, document_id).await?;
    check_valid(doc.valid_until, calendar::today(st)).at("documentId")?;
    let content = catalogue::version_content(&st.db, d.procedure_id, d.procedure_version).await?;
    let wanted = content.component(component.trim()).at("component")?;
    if !fits(wanted.data_store_document_type.as_deref(), &doc.doc_type) {
        return Err(AppError::bad_input(
            "documentId",
            Problem::Invalid {
                vi: format!(
                    "Thành phần «{}» cần giấy tờ loại {}",
                    wanted.name,
                    wanted
                        .data_store_document_type
                        .as_deref()
                        .unwrap_or_default()
                ),
                en: format!(
                    "The component «{}» takes a document of type {}",
                    wanted.name,
                    wanted
                        .data_store_document_type
                        .as_deref()
                        .unwrap_or_default()
                ),
            },
        ));
    }
    let file = stored(
        &doc.filename,
        &doc.content_type,
        doc.size_bytes,
        &doc.sha256,
    );
    let name = wanted.name.clone();
    attachments::insert(
        st,
        caller,
        &d,
        AttachmentKind::Component,
        &name,
        file,
        Some(doc.id),
    )
    .await
}

/// A file already stored (by an attachment or a document), described
/// again for another record of the same content.
fn stored(filename: &str, content_type: &str, size: i64, sha256: &str) -> StoredFile {
    StoredFile {
        filename: filename.to_owned(),
        content_type: crate::domain::files::FileType::parse(content_type)
            .map(|k| k.as_str())
            .unwrap_or("application/octet-stream"),
        size,
        sha256: sha256.to_owned(),
    }
}

/// Saves a returned dossier's result files into its applicant's store, in
/// the transaction that returns it.
pub async fn save_results(
    txn: &impl ConnectionTrait,
    d: &dossier::Model,
    result_name: &str,
    issuer: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> AppResult<usize> {
    let Some(account_id) = d.applicant_account_id else {
        return Ok(0);
    };
    let results = attachment::Entity::find()
        .filter(attachment::Column::DossierId.eq(d.id))
        .filter(attachment::Column::Kind.eq(AttachmentKind::Result.as_str()))
        .all(txn)
        .await?;
    for r in &results {
        let file = stored(&r.filename, &r.content_type, r.size_bytes, &r.sha256);
        let mut row = new_document(account_id, result_name, file, now).with(
            d.code.clone(),
            Some(issuer.to_owned()),
            Some(today),
            None,
        );
        row.source = Set(DocumentSource::Result.as_str().into());
        row.source_dossier_id = Set(Some(d.id));
        row.insert(txn).await?;
    }
    Ok(results.len())
}
