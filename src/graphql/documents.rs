//! The data store (kho dữ liệu): the signed-in account's documents, reuse in
//! dossiers, and the agency's result files.

use super::input::{Chars, Day};
use super::time::Time;
use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::NaiveDate;

use super::catalogue::{connection, CountedConnection};
use super::context::{page_request, parse_id, ContextExt};
use super::dossiers::Attachment;
use super::enums::DocumentSource;
use crate::domain::documents as dd;
use crate::error::{stored_enum, AppError};
use crate::services::attachments::Upload;
use crate::services::documents as svc;

pub struct StoredDocument(pub entity::document::Model);

#[Object]
impl StoredDocument {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// The type code components ask for (e.g. CCCD, GIAY_KHAI_SINH), or a
    /// result's name.
    async fn doc_type(&self) -> &str {
        &self.0.doc_type
    }
    async fn number(&self) -> Option<&str> {
        self.0.number.as_deref()
    }
    async fn issuer(&self) -> Option<&str> {
        self.0.issuer.as_deref()
    }
    async fn issued_on(&self) -> Option<NaiveDate> {
        self.0.issued_on
    }
    /// The last day it is valid; none: indefinitely.
    async fn valid_until(&self) -> Option<NaiveDate> {
        self.0.valid_until
    }
    /// Still valid today, in the province's time.
    async fn valid(&self, ctx: &Context<'_>) -> Result<bool> {
        let today = crate::services::calendar::today(ctx.state()?);
        Ok(dd::check_valid(self.0.valid_until, today).is_ok())
    }
    async fn filename(&self) -> &str {
        &self.0.filename
    }
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    async fn source(&self) -> Result<DocumentSource> {
        Ok(stored_enum::<dd::DocumentSource>(&self.0.source)?.into())
    }
    /// The returned dossier this result came from.
    async fn source_dossier_id(&self) -> Option<ID> {
        self.0.source_dossier_id.map(Into::into)
    }
    async fn download_url(&self) -> String {
        format!("/documents/{}", self.0.id)
    }
    async fn created_at(&self) -> Time {
        self.0.created_at.into()
    }
}

#[derive(Default)]
pub struct DocumentQuery;

#[Object]
impl DocumentQuery {
    /// The signed-in citizen's or organisation's data store.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn my_documents(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"after\", 100)")
        )]
        after: Option<String>,
    ) -> Result<CountedConnection<StoredDocument>> {
        let req = page_request(&ctx.state()?.config.graphql, first, after.as_deref())?;
        let page = svc::mine(ctx.state()?, &ctx.caller()?, req).await?;
        Ok(connection(page, |d| d.id, StoredDocument))
    }
}

#[derive(InputObject)]
pub struct DocumentInput {
    /// The type code components ask for (e.g. CCCD, GIAY_KHAI_SINH).
    /// At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"docType\", 100)"))]
    pub doc_type: String,
    /// At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"number\", 100)"))]
    pub number: Option<String>,
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"issuer\", 300)"))]
    pub issuer: Option<String>,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Day(\"issuedOn\")"))]
    pub issued_on: Option<NaiveDate>,
    /// The last day it is valid; none: indefinitely.
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Day(\"validUntil\")"))]
    pub valid_until: Option<NaiveDate>,
}

/// The file of a GraphQL multipart upload.
pub fn upload_of(ctx: &Context<'_>, file: &async_graphql::Upload) -> Result<Upload, AppError> {
    let value = file
        .value(ctx)
        .map_err(|_| AppError::bad_input("file", crate::domain::Problem::Required))?;
    Ok(Upload {
        filename: value.filename,
        file: value.content,
    })
}

#[derive(Default)]
pub struct DocumentMutation;

#[Object]
impl DocumentMutation {
    /// Adds a document (PDF, PNG or JPEG) to the caller's data store.
    async fn upload_document(
        &self,
        ctx: &Context<'_>,
        input: DocumentInput,
        file: async_graphql::Upload,
    ) -> Result<StoredDocument> {
        let upload = upload_of(ctx, &file)?;
        let input = svc::DocumentInput {
            doc_type: input.doc_type,
            number: input.number,
            issuer: input.issuer,
            issued_on: input.issued_on,
            valid_until: input.valid_until,
        };
        Ok(StoredDocument(
            svc::upload(ctx.state()?, &ctx.caller()?, input, upload).await?,
        ))
    }

    /// Deletes one of the caller's documents; dossiers that used it keep
    /// their own copy.
    async fn delete_document(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        svc::delete(ctx.state()?, &ctx.caller()?, id).await?;
        Ok(true)
    }

    /// Applicant: satisfies a component of their dossier with a still-valid
    /// stored document instead of a new upload.
    async fn attach_stored_document(
        &self,
        ctx: &Context<'_>,
        dossier_id: ID,
        #[graphql(
            desc = "A component's name, exactly as the procedure gives it. At most 500 characters.",
            validator(custom = "Chars::new(\"component\", crate::domain::catalogue::NAME_MAX)")
        )]
        component: String,
        document_id: ID,
    ) -> Result<Attachment> {
        let dossier_id = parse_id("dossierId", &dossier_id)?;
        let document_id = parse_id("documentId", &document_id)?;
        Ok(Attachment(
            svc::attach_stored(
                ctx.state()?,
                &ctx.caller()?,
                dossier_id,
                &component,
                document_id,
            )
            .await?,
        ))
    }

    /// The settling agency's specialist or leader (or the receiving unit's
    /// reception officer): the result's electronic copy, saved into the
    /// applicant's data store when the dossier is returned.
    async fn upload_result(
        &self,
        ctx: &Context<'_>,
        dossier_id: ID,
        file: async_graphql::Upload,
    ) -> Result<Attachment> {
        let id = parse_id("dossierId", &dossier_id)?;
        let upload = upload_of(ctx, &file)?;
        Ok(Attachment(
            crate::services::attachments::attach_result(ctx.state()?, &ctx.caller()?, id, upload)
                .await?,
        ))
    }
}
