//! `/metrics` (Prometheus) and logs fit for a file: issue 13 item 12.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::fixtures::flow;
use crate::helpers::{eventually, ServerProcess, TestApp};
use crate::live::{serve, subscribed, Client};

/// The exposition text of `/metrics`.
pub async fn scrape(t: &TestApp) -> String {
    let resp = t
        .app
        .router()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The value of the sample of `name` whose labels include every pair of
/// `labels` (the recorder is the process's: other tests add to it too).
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .find(|l| {
            let (series, _) = l.rsplit_once(' ').unwrap();
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|l| l.rsplit_once(' ').unwrap().1.parse().unwrap())
}

#[tokio::test]
async fn metrics_count_operations_requests_and_the_backlog() {
    let f = flow().await;
    let t = &f.t;
    let before = scrape(t).await;
    let procedures = |text: &str| {
        sample(
            text,
            "motcua_graphql_operations_total",
            &[("operation", "query procedures"), ("code", "OK")],
        )
        .unwrap_or(0.0)
    };
    let v = t
        .gql(
            None,
            "query Mine { procedures(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(v.get("errors").is_none(), "{v}");
    // A field the schema does not have is counted as `invalid`: a client
    // cannot invent labels.
    let v = t.gql(None, "{ inventedField }", json!({})).await;
    let code = v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = t
        .app
        .router()
        .oneshot(
            Request::get("/attachments/12345")
                .header("authorization", format!("Bearer {}", f.citizen))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(path.status(), StatusCode::NOT_FOUND);
    // A submission notifies the applicant; the worker is off in tests, so
    // its deliveries wait.
    let d = f.draft().await;
    f.ok(&f.citizen, "submitDossier", &d, "").await;

    let after = scrape(t).await;
    assert!(procedures(&after) >= procedures(&before) + 1.0, "{after}");
    let present = |name: &str, labels: &[(&str, &str)]| {
        assert!(
            sample(&after, name, labels).is_some(),
            "{name} {labels:?}: {after}"
        );
    };
    present(
        "motcua_graphql_operation_duration_seconds_count",
        &[("operation", "query procedures")],
    );
    present(
        "motcua_graphql_operations_total",
        &[("operation", "invalid"), ("code", &code)],
    );
    present(
        "motcua_graphql_operations_total",
        &[("operation", "mutation submitDossier"), ("code", "OK")],
    );
    assert!(!after.contains("inventedField"));
    // HTTP requests by route template, never by the path a client sent.
    present(
        "motcua_http_requests_total",
        &[
            ("method", "GET"),
            ("route", "/attachments/{id}"),
            ("status", "404"),
        ],
    );
    assert!(!after.contains("12345"));
    present(
        "motcua_http_request_duration_seconds_bucket",
        &[("le", "0.005")],
    );
    // The backlog of this application's database, read at the scrape.
    assert!(sample(&after, "motcua_deliveries_pending", &[]).unwrap() >= 1.0);
    present("motcua_outbox_pending", &[]);
    assert!(sample(&after, "motcua_relay_lag_seconds", &[]).unwrap() >= 0.0);
    let max = sample(&after, "motcua_db_pool_max", &[]).unwrap();
    let in_use = sample(&after, "motcua_db_pool_connections", &[("state", "in_use")]).unwrap();
    let idle = sample(&after, "motcua_db_pool_connections", &[("state", "idle")]).unwrap();
    assert!(max >= 1.0 && in_use + idle <= max, "{after}");
}

#[tokio::test]
async fn open_subscriptions_are_counted_until_they_end() {
    let t = TestApp::spawn().await;
    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    let addr = serve(&t).await;
    let open = |text: String| sample(&text, "motcua_subscriptions_open", &[]).unwrap();
    assert_eq!(open(scrape(&t).await), 0.0);
    let mut client = Client::connect(addr, false, &citizen).await;
    client
        .subscribe("1", "subscription { myDossierEvents { seq } }", json!({}))
        .await;
    subscribed(&t, 1).await;
    assert_eq!(open(scrape(&t).await), 1.0);
    drop(client);
    eventually("the subscription to end", Duration::from_secs(5), || {
        let t = t.clone_handle();
        async move { open(scrape(&t).await) == 0.0 }
    })
    .await;
}

#[tokio::test]
async fn operations_over_a_websocket_are_counted_too() {
    let t = TestApp::spawn().await;
    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    let addr = serve(&t).await;
    let count = |text: &str, operation: &str, code: &str| {
        sample(
            text,
            "motcua_graphql_operations_total",
            &[("operation", operation), ("code", code)],
        )
        .unwrap_or(0.0)
    };
    let series = [
        ("query enumLabels", "OK"),
        ("subscription myDossierEvents", "OK"),
        ("invalid", "BAD_USER_INPUT"),
    ];
    let before = scrape(&t).await;
    let mut client = Client::connect(addr, false, &citizen).await;
    client
        .subscribe(
            "q",
            "query Ws { enumLabels(enumName: \"OnlineServiceLevel\") { value } }",
            json!({}),
        )
        .await;
    let labels = client.next(Duration::from_secs(5)).await.unwrap();
    assert!(labels["data"]["enumLabels"].is_array(), "{labels}");
    client
        .subscribe("s", "subscription { myDossierEvents { seq } }", json!({}))
        .await;
    client.subscribe("v", "{ inventedField }", json!({})).await;
    subscribed(&t, 1).await;
    // The request refused before execution answers `error`; by then the
    // operations before it were counted.
    let mut refused = false;
    while let Some(m) = client.next(Duration::from_secs(5)).await {
        if m.get("errors").is_some() {
            refused = true;
            break;
        }
    }
    assert!(refused);
    let after = scrape(&t).await;
    // Counters only grow, whatever other tests add at the same time (no
    // other test asks `enumLabels` first, nor over HTTP).
    for (operation, code) in series {
        assert!(
            count(&after, operation, code) >= count(&before, operation, code) + 1.0,
            "{operation} {code}: {after}"
        );
    }
}

#[tokio::test]
async fn logs_written_to_a_file_carry_no_colour_codes() {
    let log = tempfile::NamedTempFile::new().unwrap();
    let db = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        db.path().join("m.sqlite3").display()
    );
    let server = ServerProcess::start_logging(
        &[("MOTCUA_DATABASE_URL", &url), ("MOTCUA_LOG", "info")],
        log.reopen().unwrap(),
    )
    .await;
    // Read once the server says it serves (it logs after it listens).
    let read = || std::fs::read_to_string(log.path()).unwrap();
    crate::helpers::eventually(
        "the server to log that it serves",
        std::time::Duration::from_secs(20),
        || async { read().contains("serving") },
    )
    .await;
    drop(server);
    let text = read();
    assert!(text.contains("serving"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text:?}");
}

#[tokio::test]
async fn a_client_cannot_invent_http_method_labels() {
    let t = TestApp::spawn().await;
    // Any token is a valid HTTP method: each new one must not become a new
    // series (it would be rendered on every scrape, forever).
    for (method, path) in [("INVENTEDMETHOD", "/nowhere"), ("INVENTEDTOO", "/graphql")] {
        let resp = t
            .app
            .router()
            .oneshot(
                Request::builder()
                    .method(method)
                    .uri(path)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert!(resp.status().is_client_error(), "{method} {path}");
    }
    let text = scrape(&t).await;
    assert!(!text.contains("INVENTED"), "{text}");
    for (route, status) in [("unmatched", "404"), ("/graphql", "405")] {
        assert!(
            sample(
                &text,
                "motcua_http_requests_total",
                &[("method", "other"), ("route", route), ("status", status)],
            )
            .is_some(),
            "{route}: {text}"
        );
    }
}
