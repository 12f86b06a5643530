//! Attachments: uploaded files kept in the file store (`crate::files`:
//! the data directory or an S3 bucket), named by their SHA-256 (so
//! identical files are stored once), never in the database.

use entity::{attachment, dossier};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::audit::{self, Entry};
use super::{dossiers, Caller};
use crate::domain::authz::{covers, AgencyScope, Role};
use crate::domain::documents::AttachmentKind;
use crate::domain::files::{clean_filename, sniff};
use crate::domain::identity::required_text;
use crate::domain::lifecycle::{DossierStatus, PauseKind};
use crate::domain::Problem;
use crate::error::{AppError, AppResult, AtField, Missing};
use crate::state::AppState;
use crate::store;

pub use crate::files::path_of;

/// Who may attach to a dossier, and when: the applicant while they are
/// preparing or supplementing it; the receiving unit's reception officer
/// while it is at the counter.
pub(crate) async fn check_may_attach(
    st: &AppState,
    caller: &Caller<'_>,
    d: &dossier::Model,
) -> AppResult<()> {
    let actor = caller.signed_in()?;
    let status = dossiers::status_of(d)?;
    let supplementing = status == DossierStatus::Paused
        && d.pause_kind.as_deref() == Some(PauseKind::Supplement.as_str());
    if d.applicant_account_id == Some(actor.account_id) {
        return if matches!(
            status,
            DossierStatus::Draft | DossierStatus::NeedsSupplement
        ) || supplementing
        {
            Ok(())
        } else {
            Err(closed(status))
        };
    }
    let lineage = store::agencies::lineage(&st.db, d.receiving_agency_id).await?;
    let officer = actor
        .grants
        .iter()
        .any(|g| g.role == Role::ReceptionOfficer && covers(g, AgencyScope { lineage: &lineage }));
    if !officer {
        return Err(AppError::Forbidden);
    }
    if matches!(status, DossierStatus::Submitted | DossierStatus::Received) {
        Ok(())
    } else {
        Err(closed(status))
    }
}

fn closed(status: DossierStatus) -> AppError {
    AppError::InvalidTransition {
        vi: format!(
            "Không thể đính kèm tệp khi hồ sơ đang ở trạng thái «{}»",
            status.label_vi()
        ),
        en: format!(
            "Files cannot be attached while the dossier is {}",
            status.label_en().to_lowercase()
        ),
    }
}

pub struct Upload {
    pub filename: String,
    pub file: std::fs::File,
}

/// Stores an uploaded file for a dossier component.
pub async fn attach(
    st: &AppState,
    caller: &Caller<'_>,
    dossier_id: i64,
    component: &str,
    upload: Upload,
) -> AppResult<attachment::Model> {
    let d = dossiers::visible(st, caller, dossier_id).await?;
    check_may_attach(st, caller, &d).await?;
    let component = required_text(component, crate::domain::catalogue::NAME_MAX).at("component")?;
    // A file is for one of the components of the version the dossier is
    // under, named exactly.
    let content =
        super::catalogue::version_content(&st.db, d.procedure_id, d.procedure_version).await?;
    content.component(&component).at("component")?;
    let file = store_upload(st, upload).await?;
    insert(
        st,
        caller,
        &d,
        AttachmentKind::Component,
        &component,
        file,
        None,
    )
    .await
}

/// A file received, checked and stored under its digest.
pub struct StoredFile {
    pub filename: String,
    pub content_type: &'static str,
    pub size: i64,
    pub sha256: String,
}

/// Reads, checks (size, type by its first bytes) and stores an uploaded
/// file in the file store, once per content.
pub async fn store_upload(st: &AppState, upload: Upload) -> AppResult<StoredFile> {
    let max = st.config.upload_max_bytes as u64;
    // Read and hash the temporary file the upload arrived in.
    let mut file = tokio::fs::File::from_std(upload.file);
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(16);
    let mut size: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).await.map_err(AppError::internal)?;
        if n == 0 {
            break;
        }
        if head.len() < 16 {
            head.extend_from_slice(&buf[..n.min(16 - head.len())]);
        }
        size += n as u64;
        if size > max {
            return Err(AppError::bad_input(
                "file",
                Problem::TooLong { max: max as usize },
            ));
        }
        hasher.update(&buf[..n]);
    }
    if size == 0 {
        return Err(AppError::bad_input("file", Problem::Required));
    }
    let kind = sniff(&head).ok_or_else(|| {
        AppError::bad_input(
            "file",
            Problem::Invalid {
                vi: "Chỉ nhận tệp PDF, PNG hoặc JPEG".into(),
                en: "Only PDF, PNG or JPEG files are accepted".into(),
            },
        )
    })?;
    let sha256 = hex::encode(hasher.finalize());
    // Stored before the row that names it is committed (see crate::files).
    use tokio::io::AsyncSeekExt;
    file.seek(std::io::SeekFrom::Start(0))
        .await
        .map_err(AppError::internal)?;
    st.files
        .put_if_absent(&sha256, file)
        .await
        .map_err(AppError::from)?;
    Ok(StoredFile {
        filename: clean_filename(&upload.filename),
        content_type: kind.as_str(),
        size: size as i64,
        sha256,
    })
}

/// Records a stored file as a dossier's, with its audit record.
pub(crate) async fn insert(
    st: &AppState,
    caller: &Caller<'_>,
    d: &dossier::Model,
    kind: AttachmentKind,
    component: &str,
    file: StoredFile,
    document_id: Option<i64>,
) -> AppResult<attachment::Model> {
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    super::rollup::on_attachment(&txn, st, d, kind, document_id.is_some()).await?;
    let saved = attachment::ActiveModel {
        dossier_id: Set(d.id),
        component: Set(component.to_owned()),
        filename: Set(file.filename),
        content_type: Set(file.content_type.into()),
        size_bytes: Set(file.size),
        sha256: Set(file.sha256.clone()),
        uploaded_by: Set(caller.actor.map(|a| a.account_id)),
        created_at: Set(now),
        kind: Set(kind.as_str().into()),
        document_id: Set(document_id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let summary = json!({ "after": { "dossierId": d.id, "kind": kind.as_str(), "component": component, "sha256": file.sha256, "sizeBytes": file.size, "documentId": document_id } });
    let operation = match (kind, document_id) {
        (AttachmentKind::Result, _) => "uploadResult",
        (_, Some(_)) => "attachStoredDocument",
        _ => "uploadAttachment",
    };
    audit::commit(
        txn,
        caller,
        now,
        Entry::new(operation, "attachment", saved.id, summary),
    )
    .await?;
    Ok(saved)
}

/// The attachments of several dossiers, in one query.
pub async fn of_dossiers(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<Vec<attachment::Model>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::DossierId.is_in(ids.iter().copied()))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?)
}

/// An attachment the caller may read (whoever may read its dossier); its
/// content is `st.files.open(&model.sha256)`. The attachment of a dossier
/// the caller may not read answers like a missing one.
pub async fn open(st: &AppState, caller: &Caller<'_>, id: i64) -> AppResult<attachment::Model> {
    let actor = caller.signed_in()?;
    let a = attachment::Entity::find_by_id(id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound(Missing::Attachment))?;
    let d = dossiers::visible(st, caller, a.dossier_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound(Missing::Attachment),
            other => other,
        })?;
    // Analysts read masked data only, and postal staff what delivery
    // needs: a file is neither.
    if actor.is_analyst_only() || actor.is_postal_only() {
        return Err(AppError::Forbidden);
    }
    dossiers::audit_read(st, caller, &d).await?;
    Ok(a)
}

/// The settling agency's specialist (its handler, once assigned) or leader,
/// or the receiving unit's reception officer, files the result's electronic
/// copy while the dossier is being settled; on return it goes into the
/// applicant's data store.
pub async fn attach_result(
    st: &AppState,
    caller: &Caller<'_>,
    dossier_id: i64,
    upload: Upload,
) -> AppResult<attachment::Model> {
    let d = dossiers::visible(st, caller, dossier_id).await?;
    let actor = caller.signed_in()?;
    // The handler (once assigned) or the leaders, or the unit that returns.
    if !dossiers::may_file_result(st, actor, &d).await? {
        return Err(AppError::Forbidden);
    }
    let status = dossiers::status_of(&d)?;
    if !matches!(
        status,
        DossierStatus::Processing | DossierStatus::AwaitingApproval | DossierStatus::ResultReady
    ) {
        return Err(closed(status));
    }
    let content =
        super::catalogue::version_content(&st.db, d.procedure_id, d.procedure_version).await?;
    let file = store_upload(st, upload).await?;
    insert(
        st,
        caller,
        &d,
        AttachmentKind::Result,
        &content.result_document,
        file,
        None,
    )
    .await
}

/// What files a dossier has: (a component file, a component from the data
/// store, a result file), on `conn` (the caller's transaction, if any).
pub async fn files_of(
    conn: &impl ConnectionTrait,
    dossier_id: i64,
) -> AppResult<(bool, bool, bool)> {
    let f = store::attachments::files_of(conn, dossier_id).await?;
    Ok((f.component, f.reused, f.result))
}
