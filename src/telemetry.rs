//! Prometheus metrics, served at `/metrics` (text exposition format 0.0.4)
//! through the `metrics` facade and `metrics-exporter-prometheus`:
//!
//! - `motcua_http_requests_total{method,route,status}` and
//!   `motcua_http_request_duration_seconds{method,route}` (a histogram, in
//!   seconds): every HTTP request, by its route template (`/attachments/{id}`,
//!   not the id; `unmatched` for any other path) and its method (`other` for
//!   a method outside RFC 9110's and PATCH, so a client cannot invent labels);
//! - `motcua_graphql_operations_total{operation,code}` and
//!   `motcua_graphql_operation_duration_seconds{operation}`: every GraphQL
//!   operation over HTTP or WebSocket, by its kind and first root field
//!   (`query procedures`, `mutation receiveDossier`; `invalid` when it did not
//!   parse or validate, so a client cannot invent labels) and the first
//!   error's code (`OK` without errors);
//! - `motcua_graphql_operation_db_statements{operation}`: the SQL statements
//!   each GraphQL operation over HTTP ran, its session look-up and its
//!   loaders' batches included (a histogram; `_sum` / `_count` is the mean);
//! - read at each scrape: `motcua_subscriptions_open` (subscriptions
//!   listening on this instance's event bus),
//!   `motcua_subscription_checks_total` (the checks subscriptions made in
//!   the database; see `EventBus::subscription_checked`),
//!   `motcua_outbox_pending` and `motcua_relay_lag_seconds` (the age of the
//!   oldest event the relay has not published; 0 when none waits),
//!   `motcua_deliveries_pending`
//!   (notifications not yet sent), `motcua_db_pool_connections{state}` (`idle`,
//!   `in_use`) and `motcua_db_pool_max` — the backlog is the database's,
//!   the same on every instance.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Latency buckets, in seconds: 1 ms to 30 s (the request timeout's order).
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Statements per operation.
const STATEMENT_BUCKETS: [f64; 10] = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 32.0, 64.0];

/// The process's one recorder, installed on first use. A recorder another
/// library installed first wins: then `/metrics` renders only ours' handle
/// (empty), which `metrics_are_served` would catch.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("motcua_graphql_operation_db_statements".into()),
                    &STATEMENT_BUCKETS,
                )
            })
            // Refused only for no buckets at all: summaries then.
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
        }
        handle
    })
}

/// Installs the recorder, so that counters start at the first request.
pub fn install() {
    handle();
}

/// Counts and times one HTTP request by its route template.
pub async fn record_http(req: Request, next: Next) -> Response {
    let method = method_label(req.method()).to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("motcua_http_request_duration_seconds", "method" => method.clone(), "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("motcua_http_requests_total", "method" => method, "route" => route, "status" => status)
        .increment(1);
    response
}

/// The `method` label: one of the methods of RFC 9110 (and PATCH), or
/// `other`. A client may send any token as a method (`FOO`, 8 KB of
/// letters), and each new one would be a new series on every scrape.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Counts and times one GraphQL operation: `operation` is `invalid` unless
/// it validated (see the module's documentation).
pub fn record_operation(operation: &str, code: &str, seconds: f64) {
    metrics::histogram!("motcua_graphql_operation_duration_seconds", "operation" => operation.to_owned())
        .record(seconds);
    metrics::counter!("motcua_graphql_operations_total", "operation" => operation.to_owned(), "code" => code.to_owned())
        .increment(1);
    if let Some(n) = crate::store::statements_so_far() {
        metrics::histogram!("motcua_graphql_operation_db_statements", "operation" => operation.to_owned())
            .record(f64::from(n));
    }
}

/// The exposition text: the recorded metrics, then the backlog and the
/// pool of this instance's database read now (written here rather than
/// recorded, so that several applications in one process — the tests — do
/// not mix their values). A backlog the database cannot answer is left out
/// (and logged); the rest is served.
pub async fn render(state: &AppState) -> String {
    let handle = handle();
    handle.run_upkeep();
    let mut text = handle.render();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            text.push_str(&format!("{name}{labels} {value}\n"));
        }
    };
    match crate::store::backlog::read(&state.db).await {
        Ok(b) => {
            let lag = b.oldest_unpublished_at.map_or(0.0, |at| {
                (state.clock.now() - at).num_milliseconds().max(0) as f64 / 1000.0
            });
            metric(
                "motcua_outbox_pending",
                "gauge",
                "Events committed and not yet published to subscribers.",
                &[("", b.outbox_pending as f64)],
            );
            metric(
                "motcua_relay_lag_seconds",
                "gauge",
                "Age of the oldest event not yet published, in seconds.",
                &[("", lag)],
            );
            metric(
                "motcua_deliveries_pending",
                "gauge",
                "Notification deliveries not yet sent.",
                &[("", b.deliveries_pending as f64)],
            );
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the backlog"),
    }
    metric(
        "motcua_subscriptions_open",
        "gauge",
        "Subscriptions listening on this instance.",
        &[("", state.bus.subscribers() as f64)],
    );
    metric(
        "motcua_subscription_checks_total",
        "counter",
        "Checks this instance's subscriptions made in the database: a session after a control event or a lag, at the session's end, and once a second while replaying from a cursor; whether a dossier followed is still readable after a move. An event handed on to a subscriber that may see it makes none.",
        &[("", state.bus.subscription_checks() as f64)],
    );
    if let Some(up) = state.bus.redis_connected() {
        metric(
            "motcua_redis_connected",
            "gauge",
            "1 while this instance hears the other instances through Redis (else they are read within the relay's poll).",
            &[("", f64::from(u8::from(up)))],
        );
    }
    let (open, idle, max) = crate::store::pool_use(&state.db);
    let in_use = (open as usize).saturating_sub(idle);
    metric(
        "motcua_db_pool_connections",
        "gauge",
        "Database connections of this instance's pool.",
        &[
            ("{state=\"idle\"}", idle as f64),
            ("{state=\"in_use\"}", in_use as f64),
        ],
    );
    metric(
        "motcua_db_pool_max",
        "gauge",
        "The pool's configured maximum.",
        &[("", f64::from(max))],
    );
    text
}
