//! The HTTP surface: health, readiness, GET and POST, batches, the body
//! limit, tokens, error shape and language, and schema.graphql freshness.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::helpers::{error_code, redis_url, TestApp};

#[tokio::test]
async fn health_and_readiness_report_their_dependencies() {
    let t = TestApp::spawn_empty().await;
    let resp = t
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(resp.0, StatusCode::OK);
    let (status, body) = t
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database"], true);
    match redis_url() {
        Some(_) => assert_eq!(body["redis"], true, "Redis configured and reachable"),
        None => assert_eq!(body["redis"], Value::Null),
    }
}

#[tokio::test]
async fn readiness_depends_on_the_database_and_reports_redis_as_a_detail() {
    let t = TestApp::spawn_with(crate::helpers::Options {
        demo: false,
        // A port nothing listens on.
        redis: Some("redis://127.0.0.1:1/".into()),
        ..Default::default()
    })
    .await;
    let (status, body) = t
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    // The instance serves through a Redis outage: still ready.
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "ready": true, "database": true, "redis": false })
    );
}

#[tokio::test]
async fn queries_work_over_get_but_mutations_need_post() {
    let t = TestApp::spawn().await;
    let (status, body) = t
        .send(
            Request::get("/graphql?query=%7B%20sectors%20%7B%20code%20%7D%20%7D")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["data"]["sectors"].as_array().unwrap().len() >= 8);
    let (status, body) = t
        .send(
            Request::get("/graphql?query=mutation%20%7B%20logout%20%7D")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn batched_requests_are_refused() {
    let t = TestApp::spawn_empty().await;
    let batch = json!([{ "query": "{ sectors { code } }" }, { "query": "{ sectors { code } }" }]);
    let (status, body) = t
        .send(
            Request::post("/graphql")
                .header("content-type", "application/json")
                .body(Body::from(batch.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let t = TestApp::spawn_with(crate::helpers::Options {
        demo: false,
        tune: |c| c.body_limit_bytes = 1024,
        ..Default::default()
    })
    .await;
    let big = json!({ "query": format!("{{ sectors {{ code }} }} #{}", "x".repeat(4096)) });
    let (status, body) = t
        .send(
            Request::post("/graphql")
                .header("content-type", "application/json")
                .body(Body::from(big.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
}

#[tokio::test]
async fn an_unknown_token_is_refused_not_ignored() {
    let t = TestApp::spawn_empty().await;
    let v = t
        .gql(Some("not-a-real-token"), "{ sectors { code } }", json!({}))
        .await;
    assert_eq!(error_code(&v), "UNAUTHENTICATED");
}

#[tokio::test]
async fn errors_speak_vietnamese_by_default_and_english_on_request() {
    let t = TestApp::spawn_empty().await;
    let q = "{ me { fullName } }";
    let vi = t.gql(None, q, json!({})).await;
    assert_eq!(error_code(&vi), "UNAUTHENTICATED");
    assert!(vi["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("đăng nhập"));
    let en = t
        .gql_with(None, q, json!({}), &[("accept-language", "en")])
        .await;
    assert!(en["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("sign in"));
}

#[tokio::test]
async fn malformed_queries_get_a_code() {
    let t = TestApp::spawn_empty().await;
    let v = t.gql(None, "{ sectors { nonsense } }", json!({})).await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT");
    let v = t.gql(None, "{ sectors { ", json!({})).await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT");
}

#[tokio::test]
async fn internal_errors_never_leak_sql_or_paths() {
    let t = TestApp::spawn_empty().await;
    // Break the store under the running server.
    t.app
        .state
        .db
        .execute_unprepared("ALTER TABLE field RENAME TO field_gone")
        .await
        .unwrap();
    let v = t.gql(None, "{ fields { code } }", json!({})).await;
    assert_eq!(error_code(&v), "INTERNAL");
    let text = v.to_string().to_lowercase();
    for leak in [
        "select",
        "field\\\"",
        "no such table",
        "relation",
        "sqlx",
        ".rs",
    ] {
        assert!(!text.contains(leak), "leaked {leak}: {v}");
    }
    assert!(v["errors"][0]["extensions"]["requestId"].is_string());
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let t = TestApp::spawn_empty().await;
    let resp = tower::ServiceExt::oneshot(
        t.app.router(),
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    assert!(resp.headers().get("x-request-id").is_some());
}

#[tokio::test]
async fn the_playground_is_served() {
    let t = TestApp::spawn_empty().await;
    let (status, body) = t
        .send(Request::get("/graphiql").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = body.as_str().unwrap();
    assert!(html.contains("/graphiql/vendor/graphiql.min.js") && html.contains("/graphiql/app.js"));
    // The start-up script with the example tabs is a file of its own (the
    // page's Content-Security-Policy allows no inline script).
    let (status, body) = t
        .send(
            Request::get("/graphiql/app.js")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let js = body.as_str().unwrap();
    assert!(js.contains("defaultTabs") && js.contains("procedures("));
}

#[tokio::test]
async fn every_playground_example_runs_for_an_analyst_and_shows_the_demo() {
    let t = TestApp::spawn_with(crate::helpers::Options {
        activity: true,
        ..Default::default()
    })
    .await;
    let analyst = t.login_demo("phantich@demo.motcua.vn").await;
    let script = include_str!("../../src/http/graphiql/app.js");
    let queries: Vec<&str> = script
        .split("{ query: `")
        .skip(1)
        .map(|rest| rest.split('`').next().unwrap())
        .collect();
    assert!(queries.len() >= 8, "{}", queries.len());
    // Answers by operation name (two tabs query `statistics`).
    let mut answers = std::collections::HashMap::new();
    for q in queries {
        // Analysts change nothing: the sign-in tab is for everybody else.
        let token = (!q.contains("mutation")).then_some(analyst.as_str());
        let v = t.gql(token, q, json!({})).await;
        assert!(v.get("errors").is_none(), "{q}: {v}");
        let name = q
            .split_whitespace()
            .skip_while(|w| *w != "query" && *w != "mutation")
            .nth(1)
            .unwrap()
            .to_owned();
        answers.insert(name, v["data"].clone());
    }
    // What a newcomer sees: this year's on-time rate of Sở Xây dựng (one
    // settled, on time), its rank with indicators, a published answer.
    let rows = answers["TyLeDungHan"]["statistics"]["rows"]
        .as_array()
        .unwrap();
    let department = rows
        .iter()
        .find(|r| r["label"] == "Sở Xây dựng tỉnh Quảng Ngãi")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(
        (
            &department["received"],
            &department["settled"],
            &department["onTimeRate"]
        ),
        (&json!(2), &json!(1), &json!(1.0))
    );
    let ranked = answers["XepHangCoQuan"]["agencyEvaluation"]["agencies"]
        .as_array()
        .unwrap();
    let department = ranked
        .iter()
        .find(|a| a["agency"]["name"] == "Sở Xây dựng tỉnh Quảng Ngãi")
        .unwrap();
    assert_eq!(department["indicators"].as_array().unwrap().len(), 12);
    assert!(department["percent"].as_f64().is_some());
    assert_eq!(answers["HoiDap"]["publicFeedbacks"]["totalCount"], 1);
    assert!(
        answers["HoiDap"]["publicFeedbacks"]["edges"][0]["node"]["answer"]
            .as_str()
            .unwrap()
            .contains("ngày làm việc")
    );
}

#[test]
fn schema_graphql_is_up_to_date() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is committed");
    assert!(
        committed == motcua::graphql::sdl(),
        "schema.graphql is stale: run `cargo run -- export-schema > schema.graphql`"
    );
}

#[tokio::test]
async fn migrations_run_on_an_empty_database_and_again_as_a_no_op() {
    let t = TestApp::spawn_empty().await;
    motcua::store::migrate(&t.app.state.db).await.unwrap();
    let d = t
        .data(
            None,
            "{ agencies { totalCount } procedures { totalCount } sectors { code } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d,
        json!({ "agencies": { "totalCount": 0 }, "procedures": { "totalCount": 0 }, "sectors": [] })
    );
}

#[tokio::test]
async fn the_suite_runs_on_the_database_it_was_given() {
    let t = TestApp::spawn_empty().await;
    let backend = t.app.state.db.get_database_backend();
    match crate::helpers::postgres_url() {
        Some(_) => assert_eq!(backend, sea_orm::DbBackend::Postgres),
        None => assert_eq!(backend, sea_orm::DbBackend::Sqlite),
    }
    assert_eq!(t.app.state.redis.is_some(), redis_url().is_some());
}

#[tokio::test]
async fn a_bad_argument_value_is_bad_input_not_internal() {
    let t = TestApp::spawn_empty().await;
    // null fed to a non-null argument that has a default.
    let q = "query($a: Int) { dossierEvents(dossierId: \"1\", afterSequence: $a) { seq } }";
    let v = t.gql(None, q, json!({ "a": null })).await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v}");
}

#[tokio::test]
async fn a_browser_on_another_origin_may_read_a_downloads_file_name() {
    let t = TestApp::spawn_empty().await;
    let (_, headers, _) = t
        .exchange(
            Request::get("/healthz")
                .header("origin", "https://dichvucong.example.gov.vn")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let exposed = headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("content-disposition"), "{exposed}");
    assert!(exposed.contains("x-request-id"), "{exposed}");
}
