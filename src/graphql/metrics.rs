//! Counts and times every GraphQL operation for `/metrics`
//! (`crate::telemetry`): over HTTP when its answer is ready; over a
//! WebSocket a query or mutation at its first answer, a subscription once
//! it validated (its events are not operations), a request refused before
//! execution at its error.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
    NextSubscribe, NextValidation,
};
use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, Selection,
};
use async_graphql::{Response, ServerResult, Variables};
use async_graphql::{ServerError, ValidationResult};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use crate::telemetry::record_operation;

/// Registered first, so that it sees each response as the error policy
/// shaped it (with its codes).
pub struct Metrics;

impl ExtensionFactory for Metrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MetricsExtension::default())
    }
}

#[derive(Default)]
struct Operation {
    /// Each operation's name and label, as parsed, until execution picks
    /// one.
    parsed: Vec<(Option<String>, String)>,
    /// `query procedures`: set when execution starts, so validation passed
    /// and the label names real fields.
    label: Option<String>,
}

#[derive(Default)]
struct MetricsExtension {
    operation: Arc<Mutex<Operation>>,
}

fn lock(operation: &Mutex<Operation>) -> std::sync::MutexGuard<'_, Operation> {
    operation.lock().unwrap_or_else(|e| e.into_inner())
}

impl MetricsExtension {
    fn operation(&self) -> std::sync::MutexGuard<'_, Operation> {
        lock(&self.operation)
    }
}

/// Whether a response refuses the request itself (it did not parse or
/// validate, or named no operation): no data, and errors that point at no
/// field.
pub fn is_request_error(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The first error's code, `OK` without errors, `ERROR` for an error
/// without a code.
fn code_of(response: &Response) -> &str {
    let code = response
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|x| match x.get("code") {
            Some(async_graphql::Value::String(s)) => Some(s.as_str()),
            _ => None,
        });
    match code {
        Some(c) => c,
        None if response.errors.is_empty() => "OK",
        None => "ERROR",
    }
}

/// Records a finished operation: its label once execution started,
/// `invalid` before.
fn record(operation: &Mutex<Operation>, response: &Response, started: Instant) {
    let label = lock(operation).label.clone();
    let label = label.unwrap_or_else(|| "invalid".to_owned());
    record_operation(&label, code_of(response), started.elapsed().as_secs_f64());
}

/// Each operation's name and `query procedures`: its kind and its first
/// root field (through fragments).
fn labels(doc: &ExecutableDocument) -> Vec<(Option<String>, String)> {
    doc.operations
        .iter()
        .filter_map(|(name, op)| Some((name.map(|n| n.to_string()), label(doc, &op.node)?)))
        .collect()
}

fn label(doc: &ExecutableDocument, op: &OperationDefinition) -> Option<String> {
    let kind = match op.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    let mut set = &op.selection_set.node;
    loop {
        match &set.items.first()?.node {
            Selection::Field(f) => return Some(format!("{kind} {}", f.node.name.node)),
            Selection::InlineFragment(f) => set = &f.node.selection_set.node,
            Selection::FragmentSpread(s) => {
                set = &doc
                    .fragments
                    .get(&s.node.fragment_name.node)?
                    .node
                    .selection_set
                    .node
            }
        }
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for MetricsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let response = next.run(ctx).await;
        record(&self.operation, &response, started);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let operation = self.operation.clone();
        let started = Instant::now();
        next.run(ctx, stream)
            .enumerate()
            .map(move |(i, response)| {
                // A subscription was counted when it validated.
                let subscription = lock(&operation).label.is_none();
                if i == 0 && (!subscription || is_request_error(&response)) {
                    record(&operation, &response, started);
                }
                response
            })
            .boxed()
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        // Execution (which picks the label) does not run for a
        // subscription: count it here, by the document's subscription.
        let subscription = match self.operation().parsed.as_slice() {
            [(_, label)] if label.starts_with("subscription ") => Some(label.clone()),
            _ => None,
        };
        if let Some(label) = subscription {
            record_operation(&label, "OK", 0.0);
        }
        Ok(result)
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        self.operation().parsed = labels(&doc);
        Ok(doc)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        {
            let mut op = self.operation();
            op.label = std::mem::take(&mut op.parsed)
                .into_iter()
                .find(|(name, _)| operation_name.is_none() || name.as_deref() == operation_name)
                .map(|(_, label)| label);
        }
        next.run(ctx, operation_name).await
    }
}
