//! Query cost limits: depth, complexity priced by page size, page size.

use serde_json::json;

use crate::helpers::{error_code, TestApp};

#[tokio::test]
async fn deep_queries_are_refused_naming_the_limit() {
    let t = TestApp::spawn_empty().await;
    // parent { parent { … } } thirteen levels down.
    let mut q = String::from("code");
    for _ in 0..13 {
        q = format!("parent {{ {q} }}");
    }
    let v = t
        .gql(
            None,
            &format!("{{ agencies {{ edges {{ node {{ {q} }} }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT");
    assert_eq!(v["errors"][0]["extensions"]["limit"], "depth");
    assert!(v["data"].is_null());
}

#[tokio::test]
async fn expensive_queries_are_refused_by_complexity() {
    let t = TestApp::spawn_empty().await;
    // 100 procedures × their versions × every version's agencies × children.
    let q = "{ procedures(first: 100) { edges { node { versions { agencies { children { code name } } } } } } }";
    let v = t.gql(None, q, json!({})).await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v:#}");
    assert_eq!(v["errors"][0]["extensions"]["limit"], "complexity");
    assert!(v["errors"][0]["extensions"]["max"].as_u64().is_some());
    // The same shape on a small page is fine.
    let q = "{ procedures(first: 2) { edges { node { versions { name } } } } }";
    t.data(None, q, json!({})).await;
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let on = TestApp::spawn_empty().await;
    on.data(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    let off = TestApp::spawn_with(crate::helpers::Options {
        demo: false,
        tune: |c| c.graphql.introspection = false,
        ..Default::default()
    })
    .await;
    let v = off
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    // Off is a limit of zero: refused with its code and the limit named,
    // not answered null.
    assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v:#}");
    assert_eq!(
        v["errors"][0]["extensions"]["limit"], "introspection",
        "{v:#}"
    );
    assert!(v.get("data").is_none() || v["data"].is_null(), "{v:#}");
}

#[tokio::test]
async fn the_standard_introspection_query_of_graphql_js_loads_the_schema() {
    let t = TestApp::spawn_empty().await;
    // graphql-js 16's getIntrospectionQuery(), as code generators and
    // schemathesis send it: its TypeRef nests ofType deeper than the depth
    // limit.
    let standard = include_str!("graphql_js_introspection.graphql");
    let d = t.data(None, standard, json!({})).await;
    assert_eq!(d["__schema"]["queryType"]["name"], "QueryRoot", "{d}");
    assert!(d["__schema"]["types"].as_array().unwrap().len() > 50);
    // The same depth with data in it keeps the depth limit.
    let mixed = standard.replacen("__schema {", "sectors { code } __schema {", 1);
    let v = t.gql(None, &mixed, json!({})).await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v}");
    assert_eq!(v["errors"][0]["extensions"]["limit"], "depth", "{v}");
}

/// A document of very many fields is refused before its validation, in
/// one error, before the validation compares its fields pairwise
/// (adversary finding, issue 16: 100,000 aliases of an unknown field took
/// 22 s to answer 100,000 errors; such a document, 1.6 MB, is now over the
/// 100,000 bytes a document may have). Fragments count as the fields they
/// bring, and their definitions count too.
#[tokio::test]
async fn a_document_of_too_many_fields_is_refused_before_validation() {
    let t = TestApp::spawn_empty().await;
    let aliases: String = (0..100_000).map(|i| format!("a{i}: nothing ")).collect();
    let v = t.gql(None, &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["limit"], "bytes");
    assert_eq!(v["errors"][0]["extensions"]["max"], 100_000);
    let aliases: String = (0..2_001).map(|i| format!("a{i}: nothing ")).collect();
    let v = t.gql(None, &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(
        error_code(&v),
        "BAD_USER_INPUT",
        "{}",
        &v.to_string()[..300]
    );
    assert_eq!(v["errors"][0]["extensions"]["limit"], "selections");
    assert_eq!(v["errors"][0]["extensions"]["max"], 2000);
    assert_eq!(v["errors"].as_array().unwrap().len(), 1);

    // 700 spreads of a two-field fragment, each the spread and its two
    // fields, and the definition: 2,102.
    let fragment = "fragment F on QueryRoot { a: __typename b: __typename }";
    let spreads = "...F ".repeat(700);
    let q = format!("{{ {spreads} }} {fragment}");
    let v = t.gql(None, &q, json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["limit"], "selections", "{v}");
    // 660 of them are within the bound (1,982; they merge into two fields).
    let spreads = "...F ".repeat(660);
    let q = format!("{{ {spreads} }} {fragment}");
    t.data(None, &q, json!({})).await;
}

/// Documents that would make async-graphql's own checks exponential or
/// recursive are refused before them (adversary findings, issue 16): a
/// chain of unused fragments (its validation overflowed the stack and
/// aborted the server), a "fragment bomb" each of whose fragments spreads
/// the next twice (2^24 walks for 1 KB), the same of spreads alone ending
/// at a missing fragment (it counted no field and ran without end), many
/// operations spreading one wide fragment (quadratic), unused fragments of
/// many fields, values nested 300 deep (the parser overflowed the stack)
/// and a document over 100,000 bytes.
#[tokio::test]
async fn fragment_chains_bombs_and_huge_documents_are_refused_at_once() {
    let t = TestApp::spawn_empty().await;
    let chain: String = (0..12_000)
        .map(|i| format!("fragment F{i} on QueryRoot {{ ...F{} }} ", i + 1))
        .collect();
    let bomb: String = (0..30)
        .map(|i| {
            format!(
                "fragment F{i} on QueryRoot {{ ...F{} ...F{} }} ",
                i + 1,
                i + 1
            )
        })
        .collect();
    let unused: String = (0..3_000).map(|i| format!("a{i}: __typename ")).collect();
    let hollow: String = (0..30)
        .map(|i| {
            format!(
                "fragment F{i} on QueryRoot {{ ...F{} ...F{} ...F{} }} ",
                i + 1,
                i + 1,
                i + 1
            )
        })
        .collect();
    let operations: String = (0..1_200)
        .map(|i| format!("query Q{i} {{ ...A }} "))
        .collect();
    let wide: String = (0..500).map(|i| format!("...B{i} ")).collect();
    let narrow: String = (0..500)
        .map(|i| format!("fragment B{i} on QueryRoot {{ ...M }} "))
        .collect();
    let deep = |open: &str, close: &str| (open.repeat(300), close.repeat(300));
    let (lists, ends) = deep("[", "]");
    let (objects, braces) = deep("{a:", "}");
    for (q, limit) in [
        (
            format!("{{ __typename }} {chain} fragment F12000 on QueryRoot {{ __typename }}"),
            "bytes",
        ),
        (
            format!(
                "{{ __typename }} {}",
                &chain[..90_000].rsplit_once("fragment").unwrap().0
            ),
            "selections",
        ),
        (
            format!("{{ ...F0 }} {bomb} fragment F30 on QueryRoot {{ __typename }}"),
            "selections",
        ),
        (
            format!("{{ __typename }} fragment U on QueryRoot {{ {unused} }}"),
            "selections",
        ),
        (
            format!("{{ ...F0 }} {hollow} fragment F30 on QueryRoot {{ ...M }}"),
            "selections",
        ),
        (
            format!("{operations} fragment A on QueryRoot {{ {wide} }} {narrow}"),
            "selections",
        ),
        (format!("{{ __typename(x: {lists}1{ends}) }}"), "nesting"),
        (
            format!("{{ __typename(x: {objects}1{braces}) }}"),
            "nesting",
        ),
        (
            format!("{{ dossiers(filter: {{ statuses: {lists}{ends} }}) {{ totalCount }} }}"),
            "nesting",
        ),
    ] {
        let v = t.gql(None, &q, json!({})).await;
        assert_eq!(
            error_code(&v),
            "BAD_USER_INPUT",
            "{}",
            &v.to_string()[..200.min(v.to_string().len())]
        );
        assert_eq!(v["errors"][0]["extensions"]["limit"], limit, "{v}");
    }
    // The server is still there.
    t.data(None, "{ __typename }", json!({})).await;
}

/// What a transport parses before the policy is bounded the same way, and
/// a response's errors are capped (adversary findings, issue 16): a GET
/// (parsed to refuse mutations) or a POST naming "subscription" (parsed to
/// refuse subscriptions) of values nested 400 deep overflowed the stack; a
/// 1.9 MB POST naming "subscription" was parsed whole before its size was
/// refused; 14,000 repeated wrong arguments made 28,000 errors shaped in
/// 24 s; a file marker written into JSON variables made async-graphql
/// panic and drop the connection.
#[tokio::test]
async fn transports_parse_nothing_unbounded_and_errors_are_capped() {
    use axum::body::Body;
    use axum::http::Request;
    let t = TestApp::spawn_empty().await;
    let deep = format!("{{a(x:{}1{})}}", "[".repeat(400), "]".repeat(400));
    let uri = format!(
        "/graphql?query={}",
        deep.replace('[', "%5B")
            .replace(']', "%5D")
            .replace('{', "%7B")
            .replace('}', "%7D")
    );
    let (status, body) = t
        .send(
            Request::get(uri)
                .header("accept", "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["limit"], "nesting",
        "{status} {body}"
    );
    let v = t
        .gql(None, &format!("# subscription\n{deep}"), json!({}))
        .await;
    assert_eq!(v["errors"][0]["extensions"]["limit"], "nesting", "{v}");
    let big = format!("# subscription\n{{ {} }}", "a ".repeat(150_000));
    let v = t.gql(None, &big, json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["limit"], "bytes");

    let repeated = "name: 1, ".repeat(10_000);
    let v = t
        .gql(
            None,
            &format!("{{ __type({repeated}) {{ name }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT");
    assert_eq!(v["errors"].as_array().unwrap().len(), 100);

    for marker in ["#__graphql_file__:7", "#__graphql_file__:abc"] {
        let v = t
            .gql(
                None,
                "mutation($f: Upload!) { uploadDocument(input: { docType: \"x\" }, file: $f) { id } }",
                json!({ "f": marker }),
            )
            .await;
        assert_eq!(error_code(&v), "BAD_USER_INPUT", "{marker}: {v}");
    }
    // A marker written as a literal, which the variables' check cannot see.
    let v = t
        .gql(
            None,
            "mutation { uploadDocument(input: { docType: \"x\" }, file: \"#__graphql_file__:0\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v}");

    // A variable of 100,000 items named by 250 aliases: 25,000,000 values
    // for async-graphql to clone and check (17.5 s); refused first.
    let aliases: String = (0..250)
        .map(|i| format!("d{i}: dossiers(filter: $f, first: 1) {{ totalCount }} "))
        .collect();
    let statuses = vec!["SUBMITTED"; 100_000];
    let v = t
        .gql(
            None,
            &format!("query($f: DossierFilter) {{ {aliases} }}"),
            json!({ "f": { "statuses": statuses } }),
        )
        .await;
    assert_eq!(
        v["errors"][0]["extensions"]["limit"],
        "variables",
        "{}",
        &v.to_string()[..300]
    );
    // A wrong value is quoted, not whole: a message stays under 1,001
    // characters.
    let v = t
        .gql(
            None,
            "query($f: DossierFilter) { dossiers(filter: $f) { totalCount } }",
            json!({ "f": { "statuses": ["N".repeat(50_000)] } }),
        )
        .await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT");
    let message = v["errors"][0]["message"].as_str().unwrap();
    assert!(message.chars().count() <= 1_001, "{}", message.len());
    t.data(None, "{ __typename }", json!({})).await;
}

/// A multipart body is refused (413) at its first part past the files allowed
/// (adversary finding, issue 16: 20,000 tiny file parts each became an open
/// temporary file before the files were counted, until the process ran out
/// of descriptors); one file still uploads.
#[tokio::test]
async fn a_multipart_body_of_many_parts_is_refused_as_it_streams() {
    use axum::body::Body;
    use axum::http::Request;
    let t = TestApp::spawn().await;
    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    let q = "mutation($f: Upload!) { uploadDocument(input: { docType: \"CCCD\", number: \"1\" }, file: $f) { id } }";
    let with_parts = |extra: usize| {
        let (content_type, mut body) =
            crate::helpers::multipart_body(q, json!({}), "f", "a.pdf", b"%PDF-1.4 x");
        let boundary = "motcua-test-boundary";
        let tail = format!("--{boundary}--\r\n");
        body.truncate(body.len() - tail.len());
        for i in 0..extra {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"x{i}\"; filename=\"a\"\r\n\r\nx\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(tail.as_bytes());
        Request::post("/graphql")
            .header("content-type", content_type)
            .header("authorization", format!("Bearer {citizen}"))
            .body(Body::from(body))
            .unwrap()
    };
    // Two parts more than the one file: within the five files allowed.
    let (status, v) = t.send(with_parts(2)).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{v}");
    assert!(v["data"]["uploadDocument"]["id"].is_string(), "{v}");
    let (status, v) = t.send(with_parts(19_999)).await;
    assert_eq!(status, axum::http::StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v}");
}
