//! The audit log in GraphQL (ADMIN): reading it and checking its chain.

use super::input::{Chars, Moment};
use super::time::Time;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use entity::audit_log;

use super::catalogue::{connection, CountedConnection};
use super::context::{page_request, parse_opt_id, ContextExt};
use crate::services::audit as svc;

/// One audit record.
pub struct AuditRecord(pub audit_log::Model);

#[Object]
impl AuditRecord {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn at(&self) -> Time {
        self.0.at.into()
    }
    /// The account that acted; none for the system itself.
    async fn actor_account_id(&self) -> Option<ID> {
        self.0.actor_account_id.map(Into::into)
    }
    async fn actor_role(&self) -> Option<&str> {
        self.0.actor_role.as_deref()
    }
    async fn actor_agency_id(&self) -> Option<ID> {
        self.0.actor_agency_id.map(Into::into)
    }
    /// The API operation, e.g. `createProcedure`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    async fn target_type(&self) -> &str {
        &self.0.target_type
    }
    async fn target_id(&self) -> &str {
        &self.0.target_id
    }
    /// Before/after summary (JSON).
    async fn summary(&self) -> Result<async_graphql::Json<serde_json::Value>> {
        let mut summary = serde_json::from_str(&self.0.summary)?;
        super::time::localise(&mut summary);
        Ok(async_graphql::Json(summary))
    }
    async fn request_id(&self) -> &str {
        &self.0.request_id
    }
    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

#[derive(InputObject, Default)]
pub struct AuditFilter {
    pub actor_account_id: Option<ID>,
    /// At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"operation\", 100)"))]
    pub operation: Option<String>,
    /// At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"targetType\", 100)"))]
    pub target_type: Option<String>,
    /// At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"targetId\", 100)"))]
    pub target_id: Option<String>,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"from\")"))]
    pub from: Option<Time>,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"to\")"))]
    pub to: Option<Time>,
}

#[derive(SimpleObject)]
pub struct AuditChainCheck {
    /// True when every record's hash and link hold.
    pub ok: bool,
    /// Records checked before the first broken one (or all).
    pub checked: u64,
    /// The first record that was altered, or follows a deleted one.
    pub first_broken_id: Option<ID>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// ADMIN: the audit log, oldest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditFilter>,
        first: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"after\", 100)")
        )]
        after: Option<String>,
    ) -> Result<CountedConnection<AuditRecord>> {
        let req = page_request(&ctx.state()?.config.graphql, first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = svc::AuditFilter {
            actor_account_id: parse_opt_id("filter.actorAccountId", f.actor_account_id.as_ref())?,
            operation: f.operation,
            target_type: f.target_type,
            target_id: f.target_id,
            from: f.from.map(|t| t.0),
            to: f.to.map(|t| t.0),
        };
        let page = svc::list(ctx.state()?, &ctx.caller()?, filter, req).await?;
        Ok(connection(page, |r| r.id, AuditRecord))
    }

    /// ADMIN: recomputes the hash chain and reports the first broken record.
    /// Reads the whole log: priced as the most a request may cost.
    #[graphql(complexity = 10_000)]
    async fn verify_audit_chain(&self, ctx: &Context<'_>) -> Result<AuditChainCheck> {
        let v = svc::verify(ctx.state()?, &ctx.caller()?).await?;
        Ok(AuditChainCheck {
            ok: v.first_broken_id.is_none(),
            checked: v.checked,
            first_broken_id: v.first_broken_id.map(Into::into),
        })
    }
}
