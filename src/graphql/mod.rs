//! The GraphQL schema: per-area query and mutation roots merged into one,
//! with limits and the error policy from day one.

pub mod accounts;
pub mod audit;
pub mod calendar;
pub mod catalogue;
pub mod context;
pub mod documents;
pub mod dossiers;
pub mod enums;
pub mod feedback;
pub mod input;
pub mod loaders;
pub mod messages;
/// Counts and times operations for `/metrics`.
pub mod metrics;
pub mod notifications;
pub mod payments;
pub mod policy;
pub mod ratings;
pub mod statistics;
pub mod subscriptions;
pub mod time;

use async_graphql::{MergedObject, Schema};
use subscriptions::SubscriptionRoot;

use crate::state::AppState;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    catalogue::CatalogueQuery,
    accounts::AccountQuery,
    calendar::CalendarQuery,
    audit::AuditQuery,
    dossiers::DossierQuery,
    ratings::RatingQuery,
    feedback::FeedbackQuery,
    statistics::StatisticsQuery,
    statistics::EvaluationQuery,
    documents::DocumentQuery,
    payments::PaymentQuery,
    notifications::NotificationQuery,
    subscriptions::LiveQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    accounts::AccountMutation,
    catalogue::CatalogueMutation,
    calendar::CalendarMutation,
    dossiers::DossierMutation,
    ratings::RatingMutation,
    feedback::FeedbackMutation,
    documents::DocumentMutation,
    payments::PaymentMutation,
    notifications::NotificationMutation,
);

pub type MotcuaSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema. Depth and complexity are checked by `policy::Policy`
/// (so that the refusal carries a code and names the limit).
pub fn build_schema(state: &AppState) -> MotcuaSchema {
    let limits = state.config.graphql;
    time::set_zone(state.config.calendar.tz);
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(state.clone())
    // First: it sees each response as the policy shaped it.
    .extension(metrics::Metrics)
    .extension(policy::Policy {
        limits,
        // Just inside the HTTP timeout, so that HTTP clients get a GraphQL
        // error rather than a bare 408; WebSocket operations get the same.
        timeout: state.config.request_timeout.mul_f64(0.9),
    });
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .finish()
    .sdl()
}
