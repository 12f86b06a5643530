//! Issue 11's failing inputs, each kept as a test: unbounded search texts,
//! search words taken as patterns, values of the wrong type, throttles under
//! concurrency and aliases, costly fields, the WebSocket transport.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{error_code, error_field, TestApp, DEMO_PASSWORD};
use crate::live::{serve, Socket};

fn codes(v: &Value) -> Vec<&str> {
    v["errors"]
        .as_array()
        .map(|es| {
            es.iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("(none)"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn fifteen_thousand_search_words_are_refused_and_the_server_lives_on() {
    let t = TestApp::spawn().await;
    let words = vec!["a"; 15_000].join(" ");
    for (query, field) in [
        (
            "query($t: String) { procedures(filter: { text: $t }) { totalCount } }",
            "text",
        ),
        (
            "query($t: String) { agencies(filter: { text: $t }) { totalCount } }",
            "text",
        ),
        (
            "query($t: String) { publicFeedbacks(search: $t) { totalCount } }",
            "search",
        ),
    ] {
        let v = t.gql(None, query, json!({ "t": words })).await;
        assert_eq!(error_code(&v), "BAD_USER_INPUT", "{query}");
        assert_eq!(error_field(&v), field);
        // Eleven words are over the limit too, however short.
        let v = t
            .gql(None, query, json!({ "t": (["xay"; 11].join(" ")) }))
            .await;
        assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v}");
    }
    t.data(None, "{ sectors { code } }", json!({})).await;
}

#[tokio::test]
async fn search_words_match_literally_not_as_patterns() {
    let t = TestApp::spawn().await;
    for text in ["%", "_", "\\", "x%y", "%%"] {
        let d = t
            .data(
                None,
                "query($t: String) { procedures(filter: { text: $t }) { totalCount } agencies(filter: { text: $t }) { totalCount } publicFeedbacks(search: $t) { totalCount } }",
                json!({ "t": text }),
            )
            .await;
        assert_eq!(d["procedures"]["totalCount"], 0, "{text}");
        assert_eq!(d["agencies"]["totalCount"], 0, "{text}");
        assert_eq!(d["publicFeedbacks"]["totalCount"], 0, "{text}");
    }
    // A real word still finds what it names.
    let d = t
        .data(
            None,
            "{ procedures(filter: { text: \"xay dung\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(d["procedures"]["totalCount"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn values_of_the_wrong_type_are_the_clients_mistake() {
    let t = TestApp::spawn().await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    for (query, field) in [
        (
            "{ dueDate(procedureId: \"1\", receivedAt: 1700000000) { dueAt } }",
            "receivedAt",
        ),
        ("mutation { clearCalendarDay(date: 20261130) }", "date"),
        ("{ calendarDays(year: -4714) { date } }", "year"),
        (
            "mutation { uploadAttachment(dossierId: \"1\", component: \"Đơn\", file: \"file\") { id } }",
            "file",
        ),
        (
            "{ workingTimeBetween(from: \"2020-01-01T00:00:00Z\", to: \"2040-01-01T00:00:00Z\") { hours } }",
            "to",
        ),
    ] {
        let v = t.gql(Some(&admin), query, json!({})).await;
        assert_eq!(error_code(&v), "BAD_USER_INPUT", "{query}: {v}");
        assert_eq!(error_field(&v), field, "{query}");
    }
    // A page size of the wrong type is one error naming it (the
    // complexity, priced by `first`, repeated it without a name).
    for (q, field) in [
        ("{ dossiers(first: \"x\") { totalCount } }", "first"),
        ("{ dossiers(first: 1.5) { totalCount } }", "first"),
        ("{ dossiers(last: 2147483648) { totalCount } }", "last"),
        ("{ agencies(first: 1e3) { totalCount } }", "first"),
    ] {
        let v = t.gql(Some(&admin), q, json!({})).await;
        assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{q}: {v}");
        assert_eq!(error_field(&v), field, "{q}: {v}");
    }
    // The same through a variable, in English.
    let v = t
        .gql_with(
            None,
            "query($d: DateTime!) { addWorkingTime(from: $d, workingHours: 1) }",
            json!({ "d": "not a time" }),
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT");
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid value for"));
}

async fn wrong_login(t: &TestApp, addr: &str) -> Value {
    t.gql_with(
        None,
        "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { token } }",
        json!({ "i": "congdan@demo.motcua.vn", "p": "sai-mat-khau" }),
        &[("x-forwarded-for", addr)],
    )
    .await
}

#[tokio::test]
async fn twenty_concurrent_wrong_logins_are_each_counted() {
    let t = TestApp::spawn().await;
    let attempts = (0..20).map(|_| wrong_login(&t, "203.0.113.9"));
    let answers = futures_util::future::join_all(attempts).await;
    let limited = answers
        .iter()
        .filter(|v| error_code(v) == "RATE_LIMITED")
        .count();
    let refused = answers
        .iter()
        .filter(|v| error_code(v) == "UNAUTHENTICATED")
        .count();
    // Five attempts per (account, address) in a window: the rest wait.
    assert_eq!((refused, limited), (5, 15));
}

#[tokio::test]
async fn login_runs_once_a_request() {
    let t = TestApp::spawn().await;
    let aliases: String = (0..100)
        .map(|i| format!("l{i}: login(identifier: \"congdan@demo.motcua.vn\", password: \"{DEMO_PASSWORD}\") {{ token }} "))
        .collect();
    let v = t
        .gql(None, &format!("mutation {{ {aliases} }}"), json!({}))
        .await;
    assert!(v["data"]["l0"]["token"].is_string(), "{v}");
    let c = codes(&v);
    assert_eq!(c.len(), 99);
    assert!(c.iter().all(|c| *c == "BAD_USER_INPUT"), "{c:?}");
}

const TRACK: &str =
    "query($c: String!, $k: String!) { trackDossier(code: $c, idNumberOrPhone: $k) { code } }";

#[tokio::test]
async fn two_hundred_aliased_lookups_spend_the_budget_at_once() {
    let t = TestApp::spawn().await;
    let aliases: String = (0..200)
        .map(|i| format!("t{i}: trackDossier(code: \"000.00.12.H56-260101-{i:04}\", idNumberOrPhone: \"0{i:09}\") {{ code }} "))
        .collect();
    let v = t
        .gql_with(
            None,
            &format!("{{ {aliases} }}"),
            json!({}),
            &[("x-forwarded-for", "203.0.113.60")],
        )
        .await;
    let c = codes(&v);
    assert_eq!(c.len(), 200);
    let evaluated = c.iter().filter(|c| **c == "NOT_FOUND").count();
    let limited = c.iter().filter(|c| **c == "RATE_LIMITED").count();
    // Thirty lookups per address in ten minutes.
    assert_eq!((evaluated, limited), (30, 170));
}

#[tokio::test]
async fn many_addresses_cannot_walk_one_identity_or_one_code() {
    let t = TestApp::spawn().await;
    // Twenty lookups of one ID number, each from its own address: the ID
    // number's budget, whether or not any dossier carries it.
    for identifier in [motcua::services::demo::DEMO_CITIZEN_ID, "051090009999"] {
        let mut answers = Vec::new();
        for i in 0..21 {
            let addr = format!("198.51.100.{i}");
            let code = format!("000.00.12.H56-260101-{i:04}");
            let v = t
                .gql_with(
                    None,
                    TRACK,
                    json!({ "c": code, "k": identifier }),
                    &[("x-forwarded-for", &addr)],
                )
                .await;
            answers.push(error_code(&v).to_owned());
        }
        assert!(
            answers[..20].iter().all(|c| c == "NOT_FOUND"),
            "{answers:?}"
        );
        assert_eq!(answers[20], "RATE_LIMITED", "{identifier}");
    }
    // One code from twenty addresses with as many guesses.
    let mut last = String::new();
    for i in 0..21 {
        let addr = format!("192.0.2.{i}");
        let v = t
            .gql_with(
                None,
                TRACK,
                json!({ "c": "000.00.12.H56-260101-0001", "k": format!("0{i:09}") }),
                &[("x-forwarded-for", &addr)],
            )
            .await;
        last = error_code(&v).to_owned();
    }
    assert_eq!(last, "RATE_LIMITED");
}

#[tokio::test]
async fn twenty_concurrent_lookups_from_one_address_are_each_counted() {
    let t = TestApp::spawn().await;
    // Spend 20 of the address's 30 first, then race 20 more.
    for i in 0..20 {
        t.gql_with(
            None,
            TRACK,
            json!({ "c": format!("X-{i}"), "k": format!("0{i:09}") }),
            &[("x-forwarded-for", "203.0.113.70")],
        )
        .await;
    }
    let race = (20..40).map(|i| {
        t.gql_with(
            None,
            TRACK,
            json!({ "c": format!("X-{i}"), "k": format!("0{i:09}") }),
            &[("x-forwarded-for", "203.0.113.70")],
        )
    });
    let answers = futures_util::future::join_all(race).await;
    let limited = answers
        .iter()
        .filter(|v| error_code(v) == "RATE_LIMITED")
        .count();
    assert_eq!(limited, 10);
}

#[tokio::test]
async fn registration_is_throttled_per_address() {
    let t = TestApp::spawn().await;
    let attempts = (0..20).map(|i| {
        t.gql_with(
            None,
            "mutation($i: RegisterCitizenInput!) { registerCitizen(input: $i) { id } }",
            json!({ "i": {
                "fullName": "Trần Thị Thử",
                "citizenId": format!("0511900{i:05}"),
                "phone": format!("09051{i:05}"),
                "password": "một mật khẩu đủ dài 2026",
            } }),
            &[("x-forwarded-for", "203.0.113.80")],
        )
    });
    let answers = futures_util::future::join_all(attempts).await;
    let limited = answers
        .iter()
        .filter(|v| v.get("errors").is_some() && error_code(v) == "RATE_LIMITED")
        .count();
    assert_eq!(limited, 10, "{answers:#?}");
    // Aliases do not multiply a registration either.
    let one = |a: &str, id: &str| {
        format!("{a}: registerCitizen(input: {{ fullName: \"Lê Văn Hai\", citizenId: \"{id}\", phone: \"0905123400\", password: \"một mật khẩu đủ dài 2026\" }}) {{ id }}")
    };
    let v = t
        .gql_with(
            None,
            &format!(
                "mutation {{ {} {} }}",
                one("a", "051190100001"),
                one("b", "051190100002")
            ),
            json!({}),
            &[("x-forwarded-for", "203.0.113.81")],
        )
        .await;
    assert_eq!(codes(&v), ["BAD_USER_INPUT"], "{v}");
    assert_eq!(v["errors"][0]["extensions"]["field"], "registerCitizen");
}

#[tokio::test]
async fn one_schema_and_ten_type_introspections_a_request() {
    let t = TestApp::spawn_empty().await;
    t.data(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    for aliases in [
        (0..200)
            .map(|i| format!("s{i}: __schema {{ types {{ name }} }} "))
            .collect::<String>(),
        (0..11)
            .map(|i| format!("t{i}: __type(name: \"MutationRoot\") {{ name }} "))
            .collect(),
    ] {
        let v = t.gql(None, &format!("{{ {aliases} }}"), json!({})).await;
        assert_eq!(error_code(&v), "BAD_USER_INPUT");
        assert_eq!(v["errors"][0]["extensions"]["limit"], "introspection");
    }
    // Hidden in a fragment, the same.
    let v = t
        .gql(
            None,
            "{ ...F a: __schema { queryType { name } } } fragment F on QueryRoot { __schema { queryType { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT");
}

#[tokio::test]
async fn costly_fields_are_priced_by_their_cost() {
    let t = TestApp::spawn_empty().await;
    let aliases: String = (0..200)
        .map(|i| format!("r{i}: ratingSummary {{ total }} "))
        .collect();
    let v = t.gql(None, &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v}");
    assert_eq!(v["errors"][0]["extensions"]["limit"], "complexity");
}

async fn socket(addr: std::net::SocketAddr, forwarded_for: &str) -> Socket {
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    req.headers_mut()
        .insert("x-forwarded-for", forwarded_for.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws.send(Message::Text(
        json!({ "type": "connection_init", "payload": {} })
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let ack = next_json(&mut ws).await.unwrap();
    assert_eq!(ack["type"], "connection_ack");
    ws
}

async fn next_json(ws: &mut Socket) -> Option<Value> {
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .ok()??
            .ok()?;
        match m {
            Message::Text(t) => return serde_json::from_str(&t).ok(),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Runs one operation on the socket and returns its `next` payload.
async fn run(ws: &mut Socket, id: &str, query: &str) -> Value {
    ws.send(Message::Text(
        json!({ "id": id, "type": "subscribe", "payload": { "query": query } })
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    loop {
        let m = next_json(ws).await.expect("an answer");
        if m["id"] == id && (m["type"] == "next" || m["type"] == "error") {
            return m["payload"].clone();
        }
    }
}

#[tokio::test]
async fn the_websocket_transport_has_the_same_limits_errors_and_throttles() {
    let t = TestApp::spawn().await;
    let addr = serve(&t).await;
    let mut a = socket(addr, "203.0.113.91").await;
    // Errors carry their code.
    let p = run(
        &mut a,
        "1",
        "{ dueDate(procedureId: \"1\", receivedAt: 1700000000) { dueAt } }",
    )
    .await;
    assert_eq!(
        p["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{p}"
    );
    assert_eq!(p["errors"][0]["extensions"]["field"], "receivedAt");
    let p = run(&mut a, "2", "{ nope }").await;
    let e = if p.is_array() { &p[0] } else { &p["errors"][0] };
    assert_eq!(e["extensions"]["code"], "BAD_USER_INPUT", "{p}");
    // The same depth limit as HTTP.
    let mut deep = String::from("code");
    for _ in 0..13 {
        deep = format!("parent {{ {deep} }}");
    }
    let p = run(
        &mut a,
        "3",
        &format!("{{ agencies {{ edges {{ node {{ {deep} }} }} }} }}"),
    )
    .await;
    let e = if p.is_array() { &p[0] } else { &p["errors"][0] };
    assert_eq!(e["extensions"]["limit"], "depth", "{p}");
    // Each socket is its own client: one guesser's block is not another's.
    for i in 0..5 {
        let p = run(
            &mut a,
            &format!("g{i}"),
            "mutation { login(identifier: \"congdan@demo.motcua.vn\", password: \"sai-mat-khau\") { token } }",
        )
        .await;
        assert_eq!(p["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
    let right = format!(
        "mutation {{ login(identifier: \"congdan@demo.motcua.vn\", password: \"{DEMO_PASSWORD}\") {{ token }} }}"
    );
    let p = run(&mut a, "g5", &right).await;
    assert_eq!(p["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{p}");
    let mut b = socket(addr, "203.0.113.92").await;
    let p = run(&mut b, "1", &right).await;
    assert!(p["data"]["login"]["token"].is_string(), "{p}");
    // A message larger than an HTTP body may be closes the socket.
    let huge = format!(
        "{{ procedures(filter: {{ text: \"{}\" }}) {{ totalCount }} }}",
        "a".repeat(3 * 1024 * 1024)
    );
    let _ = b
        .send(Message::Text(
            json!({ "id": "big", "type": "subscribe", "payload": { "query": huge } })
                .to_string()
                .into(),
        ))
        .await;
    // What is left of earlier operations may still arrive; then the close.
    while let Some(m) = next_json(&mut b).await {
        assert_ne!(m["id"], "big", "the oversized message was run: {m}");
    }
}

#[tokio::test]
async fn one_password_hash_a_request_whatever_the_field() {
    let t = TestApp::spawn().await;
    // Different password-hashing fields share the one allowance.
    let v = t
        .gql(
            None,
            &format!(
                "mutation {{ a: login(identifier: \"congdan@demo.motcua.vn\", password: \"{DEMO_PASSWORD}\") {{ token }} b: registerCitizen(input: {{ fullName: \"Lê Văn Ba\", citizenId: \"051190100003\", phone: \"0905123401\", password: \"một mật khẩu đủ dài 2026\" }}) {{ id }} }}"
            ),
            json!({}),
        )
        .await;
    assert_eq!(codes(&v), ["BAD_USER_INPUT"], "{v}");
    assert_eq!(v["errors"][0]["extensions"]["field"], "registerCitizen");
}

#[tokio::test]
async fn bodies_refused_by_size_and_uploads_by_count_answer_in_the_error_shape() {
    use axum::body::Body;
    use axum::http::Request;
    let t = TestApp::spawn().await;
    // Over the outer limit, refused on its declared length alone.
    let (status, body) = t
        .send(
            Request::post("/graphql")
                .header("content-type", "multipart/form-data; boundary=x")
                .header("content-length", "999999999")
                .body(Body::from("--x--"))
                .unwrap(),
        )
        .await;
    assert_eq!(status.as_u16(), 413);
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    // Six files mapped in one request, where five are allowed.
    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    let boundary = "b";
    let vars: Vec<String> = (0..6).map(|i| format!("$f{i}: Upload!")).collect();
    let fields: String = (0..6)
        .map(|i| {
            format!(
                "a{i}: uploadAttachment(dossierId: \"1\", component: \"x\", file: $f{i}) {{ id }} "
            )
        })
        .collect();
    let ops = json!({
        "query": format!("mutation({}) {{ {fields} }}", vars.join(", ")),
        "variables": (0..6).map(|i| (format!("f{i}"), Value::Null)).collect::<serde_json::Map<_, _>>(),
    });
    let map: serde_json::Map<String, Value> = (0..6)
        .map(|i| (i.to_string(), json!([format!("variables.f{i}")])))
        .collect();
    let mut multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{ops}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{}\r\n",
        Value::Object(map)
    );
    for i in 0..6 {
        multipart.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{i}\"; filename=\"f{i}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 {i}\r\n"));
    }
    multipart.push_str(&format!("--{boundary}--\r\n"));
    let (status, body) = t
        .send(
            Request::post("/graphql")
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .header("authorization", format!("Bearer {citizen}"))
                .body(Body::from(multipart))
                .unwrap(),
        )
        .await;
    assert_eq!(status.as_u16(), 413, "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

/// Found by the adversarial review of issue 15: the phone is matched after
/// `Phone::parse` (spaces, dots, dashes, +84 dropped) but was counted by
/// its raw text, so each spelling of one phone had a budget of its own (40
/// guesses from 40 addresses, then the real code answered).
#[tokio::test]
async fn every_spelling_of_one_phone_shares_one_lookup_budget() {
    let f = crate::fixtures::flow().await;
    let d = f.submitted().await;
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    let digits = "0905123456";
    let spellings: Vec<String> = (1..10)
        .flat_map(|p| [" ", ".", "-"].map(|sep| format!("{}{sep}{}", &digits[..p], &digits[p..])))
        .collect();
    assert_eq!(spellings.len(), 27);
    // 20 guessed codes (the per-identifier budget), each with a new
    // spelling from its own address; then the real code, spelled anew.
    for (i, k) in spellings.iter().take(20).enumerate() {
        f.t.gql_with(
            None,
            TRACK,
            json!({ "c": format!("000.00.12.H56-260101-{:04}", 5000 + i), "k": k }),
            &[("x-forwarded-for", &format!("198.51.100.{i}"))],
        )
        .await;
    }
    let v =
        f.t.gql_with(
            None,
            TRACK,
            json!({ "c": d["code"], "k": spellings[20] }),
            &[("x-forwarded-for", "198.51.100.200")],
        )
        .await;
    assert_eq!(error_code(&v), "RATE_LIMITED", "{v}");
}

/// One IPv6 subscriber holds a /64: rotating addresses within it gives no
/// new per-address budget (30 lookups in 10 minutes).
#[tokio::test]
async fn one_ipv6_prefix_shares_the_address_budget() {
    let t = TestApp::spawn().await;
    let mut answers = Vec::new();
    for i in 0..31 {
        let v = t
            .gql_with(
                None,
                TRACK,
                json!({ "c": format!("000.00.12.H56-260101-{:04}", 7000 + i), "k": format!("0{:09}", 700_000 + i) }),
                &[("x-forwarded-for", &format!("2001:db8:1:2::{i:x}"))],
            )
            .await;
        answers.push(error_code(&v).to_owned());
    }
    assert_eq!(answers[29], "NOT_FOUND");
    assert_eq!(answers[30], "RATE_LIMITED");
}

/// A client's X-Request-Id is stored with every audit record (64
/// characters): a longer or odd one is replaced by a drawn id, never an
/// INTERNAL error for the operation (sign-in included, on PostgreSQL).
#[tokio::test]
async fn a_long_or_odd_request_id_is_replaced_not_fatal() {
    let t = TestApp::spawn().await;
    for id in ["r".repeat(100), "a b/c".to_owned()] {
        let v = t
            .gql_with(
                None,
                "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { token } }",
                json!({ "i": "quantri@demo.motcua.vn", "p": DEMO_PASSWORD }),
                &[("x-request-id", &id)],
            )
            .await;
        assert!(v["data"]["login"]["token"].is_string(), "{v}");
    }
}
