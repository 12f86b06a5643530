//! The request policy: an async-graphql extension for query depth and
//! complexity limits and the first-login password change, and
//! `shape_response`, which the transport calls on every response to give
//! each error a stable `extensions.code` and a message in the caller's
//! language, never an internal detail.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, NextValidation, ResolveInfo,
};
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Value};

use super::context::RequestContext;
use crate::config::GraphqlLimits;
use crate::domain::authz::{admit, EntryPoint};
use crate::error::{code, AppError, Lang};

pub struct Policy {
    pub limits: GraphqlLimits,
}

impl ExtensionFactory for Policy {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PolicyExtension {
            limits: self.limits,
        })
    }
}

struct PolicyExtension {
    limits: GraphqlLimits,
}

#[async_graphql::async_trait::async_trait]
impl Extension for PolicyExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let exceeded = if result.depth > self.limits.max_depth {
            Some(("depth", result.depth, self.limits.max_depth))
        } else if result.complexity > self.limits.max_complexity {
            Some(("complexity", result.complexity, self.limits.max_complexity))
        } else {
            None
        };
        match exceeded {
            Some((limit, actual, max)) => Err(vec![async_graphql::Error::from(
                AppError::QueryTooExpensive { limit, actual, max },
            )
            .into_server_error(Default::default())]),
            None => Ok(result),
        }
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        // Every root field, over HTTP or WebSocket (and each event of a
        // subscription), passes the one session check.
        let is_root = info.path_node.parent.is_none();
        if is_root && !info.is_for_introspection {
            let actor = ctx
                .data_opt::<RequestContext>()
                .and_then(|r| r.actor.as_ref());
            if let Some(actor) = actor {
                admit(actor, EntryPoint::GraphqlField(info.name)).map_err(|denied| {
                    async_graphql::Error::from(AppError::from(denied))
                        .into_server_error(info.field.name.pos)
                })?;
            }
        }
        next.run(ctx, info).await
    }
}

/// Gives every error of a response its code and localised message.
pub fn shape_response(mut response: Response, lang: Lang, request_id: &str) -> Response {
    for e in &mut response.errors {
        shape_error(e, lang, request_id);
    }
    response
}

fn shape_error(e: &mut ServerError, lang: Lang, request_id: &str) {
    let app = e
        .source::<AppError>()
        .or_else(|| e.source::<Arc<AppError>>().map(|a| a.as_ref()));
    if let Some(app) = app {
        let message = app.message(lang);
        let code = app.code();
        let mut fields: Vec<(&str, Value)> = vec![("code", Value::from(code))];
        match app {
            AppError::BadInput { field, .. } => fields.push(("field", Value::from(field.as_str()))),
            AppError::QueryTooExpensive { limit, actual, max } => {
                fields.push(("limit", Value::from(*limit)));
                fields.push(("actual", Value::from(*actual as u64)));
                fields.push(("max", Value::from(*max as u64)));
            }
            AppError::RateLimited { retry_after_secs } => {
                fields.push(("retryAfterSeconds", Value::from(*retry_after_secs)))
            }
            AppError::Internal(detail) => {
                tracing::error!(request_id, error = %detail, "internal error");
                fields.push(("requestId", Value::from(request_id)));
            }
            _ => {}
        }
        e.message = message;
        let ext = e.extensions.get_or_insert_with(Default::default);
        for (k, v) in fields {
            ext.set(k, v);
        }
        return;
    }
    let has_code = e
        .extensions
        .as_ref()
        .is_some_and(|x| x.get("code").is_some());
    if has_code {
        return;
    }
    // Arguments are parsed when their field resolves: a bad argument value
    // arrives with a path but is the client's input, not a server fault.
    let bad_argument = e.message.starts_with("Failed to parse")
        || e.message.starts_with("Invalid value for argument");
    if e.path.is_empty() || bad_argument {
        // A malformed or invalid query: its message speaks of the query,
        // not of the server.
        e.extensions
            .get_or_insert_with(Default::default)
            .set("code", code::BAD_USER_INPUT);
    } else {
        tracing::error!(request_id, error = %e.message, path = ?e.path, "unexpected resolver error");
        e.message = AppError::Internal(String::new()).message(lang);
        let ext = e.extensions.get_or_insert_with(Default::default);
        ext.set("code", code::INTERNAL);
        ext.set("requestId", request_id);
    }
}
