//! Counts and times every GraphQL operation for `/metrics`
//! (`crate::telemetry`).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
};
use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, Selection,
};
use async_graphql::{Response, ServerResult, Variables};

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
    operation: Mutex<Operation>,
}

impl MetricsExtension {
    fn operation(&self) -> std::sync::MutexGuard<'_, Operation> {
        self.operation.lock().unwrap_or_else(|e| e.into_inner())
    }
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
        let operation = {
            let op = self.operation();
            op.label.clone().unwrap_or_else(|| "invalid".to_owned())
        };
        let code = response
            .errors
            .first()
            .and_then(|e| e.extensions.as_ref())
            .and_then(|x| match x.get("code") {
                Some(async_graphql::Value::String(s)) => Some(s.as_str()),
                _ => None,
            });
        let code = match code {
            Some(c) => c,
            None if response.errors.is_empty() => "OK",
            None => "ERROR",
        };
        record_operation(&operation, code, started.elapsed().as_secs_f64());
        response
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
