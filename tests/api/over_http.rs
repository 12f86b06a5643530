//! GraphQL over HTTP (the GraphQL-over-HTTP draft): the media type an
//! answer takes from `Accept`, the status of each kind of failure, the
//! `graphql-http` audit suite against a real server process, and what a
//! stock Apollo Client reads when the token it holds is no longer valid.
//!
//! The last two run node scripts in `tests/graphql-http` (their packages
//! are installed there by `npm ci`, as `.ci/run` does).

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_code, node_missing, node_scripts, ServerProcess, TestApp};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
/// Apollo Client's and graphql-http's default `Accept`.
const PREFERS_GRAPHQL_RESPONSE: &str = "application/graphql-response+json,application/json;q=0.9";

/// POSTs `body` as JSON to /graphql with the given `Accept` and token.
async fn post(
    t: &TestApp,
    accept: Option<&str>,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::post("/graphql").header("content-type", "application/json");
    if let Some(accept) = accept {
        req = req.header("accept", accept);
    }
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    t.exchange(req.body(Body::from(body.to_string())).unwrap())
        .await
}

fn content_type(headers: &HeaderMap) -> &str {
    headers["content-type"].to_str().unwrap()
}

#[tokio::test]
async fn answers_take_their_media_type_from_accept() {
    let t = TestApp::spawn_empty().await;
    let query = json!({ "query": "{ __typename }" });
    for (accept, media) in [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (
            Some("text/html,application/xhtml+xml,*/*;q=0.8"),
            "application/json",
        ),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (Some(PREFERS_GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
    ] {
        let (status, headers, body) = post(&t, accept, None, query.clone()).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}: {body}");
        assert_eq!(
            content_type(&headers),
            format!("{media}; charset=utf-8"),
            "{accept:?}"
        );
        assert_eq!(body, json!({ "data": { "__typename": "QueryRoot" } }));
    }
    // Neither media type acceptable.
    let (status, _, body) = post(&t, Some("text/html"), None, query).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn request_errors_have_no_data_and_a_4xx_only_with_graphql_response_json() {
    let t = TestApp::spawn_empty().await;
    for (what, body) in [
        ("a document that does not parse", json!({ "query": "{" })),
        ("an unknown field", json!({ "query": "{ nonsense }" })),
        (
            "a variable that does not coerce",
            json!({ "query": "query($id: ID!) { __typename }", "variables": { "id": null } }),
        ),
        (
            "an operation that cannot be chosen",
            json!({ "query": "query A { __typename } query B { __typename }" }),
        ),
    ] {
        for (accept, expected) in [
            (PREFERS_GRAPHQL_RESPONSE, StatusCode::BAD_REQUEST),
            ("application/json", StatusCode::OK),
        ] {
            let (status, _, v) = post(&t, Some(accept), None, body.clone()).await;
            assert_eq!(status, expected, "{what}, {accept}: {v}");
            assert!(v.get("data").is_none(), "{what}, {accept}: {v}");
            assert_eq!(error_code(&v), "BAD_USER_INPUT", "{what}, {accept}: {v}");
        }
    }
    // A field error happens during execution: `data` is there, and 200.
    let (status, _, v) = post(
        &t,
        Some(PREFERS_GRAPHQL_RESPONSE),
        None,
        json!({ "query": "{ me { fullName } }" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v.get("data").is_some(), "{v}");
    assert_eq!(error_code(&v), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_post_needs_a_json_or_multipart_content_type() {
    let t = TestApp::spawn_empty().await;
    let body = json!({ "query": "{ __typename }" }).to_string();
    for sent in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut req = Request::post("/graphql").header("accept", PREFERS_GRAPHQL_RESPONSE);
        if let Some(c) = sent {
            req = req.header("content-type", c);
        }
        let (status, headers, v) = t
            .exchange(req.body(Body::from(body.clone())).unwrap())
            .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{sent:?}: {v}");
        assert!(content_type(&headers).starts_with(GRAPHQL_RESPONSE));
        assert_eq!(error_code(&v), "BAD_USER_INPUT");
    }
    let req = Request::post("/graphql").header("content-type", "Application/JSON; charset=utf-8");
    let (status, _, v) = t.exchange(req.body(Body::from(body)).unwrap()).await;
    assert_eq!(
        (status, &v["data"]["__typename"]),
        (StatusCode::OK, &json!("QueryRoot"))
    );
}

#[tokio::test]
async fn a_mutation_over_get_is_405_and_names_post() {
    let t = TestApp::spawn_empty().await;
    let req = Request::get("/graphql?query=mutation%20%7B%20logout%20%7D")
        .header("accept", PREFERS_GRAPHQL_RESPONSE)
        .body(Body::empty())
        .unwrap();
    let (status, headers, v) = t.exchange(req).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{v}");
    assert_eq!(headers["allow"], "POST");
    assert!(content_type(&headers).starts_with(GRAPHQL_RESPONSE));
    assert_eq!(error_code(&v), "BAD_USER_INPUT");
}

#[tokio::test]
async fn fields_are_answered_in_the_order_the_query_asks() {
    // GraphQL spec, "Serialized Map Ordering".
    let t = TestApp::spawn_empty().await;
    for accept in [PREFERS_GRAPHQL_RESPONSE, "application/json"] {
        let query = json!({ "query": "{ zeta: __typename alpha: __typename mid: __typename }" });
        let (status, _, v) = post(&t, Some(accept), None, query).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            v.to_string(),
            r#"{"data":{"zeta":"QueryRoot","alpha":"QueryRoot","mid":"QueryRoot"}}"#,
            "{accept}"
        );
    }
}

#[tokio::test]
async fn a_subscription_over_post_is_a_request_error() {
    let t = TestApp::spawn().await;
    let token = t.login_demo("congdan@demo.motcua.vn").await;
    let subscription = json!({ "query": "subscription { myDossierEvents { seq } }" });
    let (status, headers, v) = post(
        &t,
        Some(PREFERS_GRAPHQL_RESPONSE),
        Some(&token),
        subscription.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(content_type(&headers).starts_with(GRAPHQL_RESPONSE));
    assert!(v.get("data").is_none(), "{v}");
    assert_eq!(error_code(&v), "BAD_USER_INPUT");
    // A legacy client gets 200 and the same body.
    let (status, _, v) = post(&t, Some("application/json"), Some(&token), subscription).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v.get("data").is_none(), "{v}");
    // The word elsewhere is no subscription: a query that names it runs.
    let query = json!({ "query": "query subscription { __typename }" });
    let (status, _, v) = post(&t, Some(PREFERS_GRAPHQL_RESPONSE), None, query).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["__typename"], "QueryRoot");
}

#[tokio::test]
async fn a_stale_token_is_a_graphql_error_unauthenticated_for_every_client() {
    // Arrange: a token signed out of, like one a portal kept too long.
    let t = TestApp::spawn().await;
    let stale = t.login_demo("congdan@demo.motcua.vn").await;
    t.data(Some(&stale), "mutation { logout }", json!({})).await;
    let procedures = json!({ "query": "{ procedures { totalCount } }" });

    // Act and assert: a client reading graphql-response+json gets 401 and a
    // GraphQL response; a legacy one 200 and the same body.
    for (accept, status, media) in [
        (
            PREFERS_GRAPHQL_RESPONSE,
            StatusCode::UNAUTHORIZED,
            GRAPHQL_RESPONSE,
        ),
        ("application/json", StatusCode::OK, "application/json"),
    ] {
        let (got, headers, v) = post(&t, Some(accept), Some(&stale), procedures.clone()).await;
        assert_eq!(got, status, "{accept}: {v}");
        assert!(content_type(&headers).starts_with(media), "{accept}");
        // Not answered as if anonymous: no data at all, for a public field
        // as for any other.
        assert!(v.get("data").is_none(), "{accept}: {v}");
        assert_eq!(error_code(&v), "UNAUTHENTICATED", "{accept}: {v}");
        assert!(v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    // Without the token, the public query is answered.
    let (status, _, v) = post(&t, Some(PREFERS_GRAPHQL_RESPONSE), None, procedures).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(
        v["data"]["procedures"]["totalCount"].as_i64().unwrap() > 0,
        "{v}"
    );
}

/// Runs `node <script> <args…>` in `tests/graphql-http` and returns its
/// output. Without node or the installed packages it prints a skip line
/// and returns None, but fails under `CI=true`.
fn node(test: &str, script: &str, args: &[&str]) -> Option<std::process::Output> {
    let missing = node_missing(&["graphql-http", "@apollo/client"]);
    if !crate::helpers::available(test, missing) {
        return None;
    }
    let output = std::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(node_scripts())
        .output()
        .unwrap();
    Some(output)
}

#[tokio::test]
async fn the_graphql_over_http_audit_passes_every_must_and_should() {
    // Arrange: a server process on a database of its own.
    let (url, _dir) = crate::helpers::fresh_database().await;
    let server = ServerProcess::start(&[("MOTCUA_DATABASE_URL", &url)]).await;
    let endpoint = format!("http://{}/graphql", server.addr);

    // Act
    let Some(out) = node(
        "the_graphql_over_http_audit_passes_every_must_and_should",
        "audit.mjs",
        &[&endpoint],
    ) else {
        return;
    };

    // Assert: the script exits 0 only when every MUST and SHOULD passes.
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("MUST 13/13"), "{report}");
    assert!(report.contains("SHOULD 23/23"), "{report}");
}

#[tokio::test]
async fn a_stock_apollo_client_reads_unauthenticated_from_a_stale_token() {
    // Arrange: a token signed out of on the database a server process
    // serves.
    let t = TestApp::spawn().await;
    let stale = t.login_demo("congdan@demo.motcua.vn").await;
    t.data(Some(&stale), "mutation { logout }", json!({})).await;
    let database = secrecy::ExposeSecret::expose_secret(&t.app.state.config.database_url);
    let server = ServerProcess::start(&[("MOTCUA_DATABASE_URL", database)]).await;
    let endpoint = format!("http://{}/graphql", server.addr);

    // Act: Apollo Client 4, as shipped, lists procedures with the token,
    // then without it.
    let Some(out) = node(
        "a_stock_apollo_client_reads_unauthenticated_from_a_stale_token",
        "apollo.mjs",
        &[&endpoint, &stale],
    ) else {
        return;
    };

    // Assert: a GraphQL error with its code, not a bare ServerError; and
    // the public query works once the token is dropped.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["withToken"]["error"], "CombinedGraphQLErrors", "{v}");
    assert_eq!(v["withToken"]["code"], "UNAUTHENTICATED", "{v}");
    assert!(
        v["withoutToken"]["data"]["procedures"]["totalCount"]
            .as_i64()
            .unwrap()
            > 0,
        "{v}"
    );
}

/// A public query sent with this Authorization header.
async fn sectors_with(t: &TestApp, authorization: &str) -> Value {
    let headers = [("authorization", authorization)];
    t.gql_with(None, "{ sectors { id } }", json!({}), &headers)
        .await
}

#[tokio::test]
async fn the_authorization_scheme_is_read_in_any_case_and_no_other_is_taken_for_none() {
    let t = TestApp::spawn().await;
    let token = t.login_demo("congdan@demo.motcua.vn").await;
    let me = "{ me { email } }";
    // RFC 9110 §11.1: the scheme is case-insensitive.
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} {token}");
        let v = t
            .gql_with(None, me, json!({}), &[("authorization", &auth)])
            .await;
        assert_eq!(
            v["data"]["me"]["email"], "congdan@demo.motcua.vn",
            "{scheme}: {v}"
        );
    }
    // A credential the server cannot read is refused, never ignored.
    for auth in ["Basic Y29uZ2RhbjpwYXNz", "Token abc", token.as_str()] {
        let v = sectors_with(&t, auth).await;
        assert_eq!(error_code(&v), "UNAUTHENTICATED", "{auth}: {v}");
        assert!(v.get("data").is_none(), "{auth}: {v}");
    }
    // What clients send before sign-in is no credential at all.
    for auth in ["", "Bearer", "Bearer   "] {
        let v = sectors_with(&t, auth).await;
        assert!(v.get("errors").is_none(), "{auth:?}: {v}");
    }
}
