//! The WebSocket endpoint on a real port: both subprotocols acknowledge a
//! connection; graphql-transport-ws closes a socket that breaks its
//! protocol with PROTOCOL.md's code and reason (4400, 4401, 4403, 4409,
//! 4429; 4408 in `live`), answers pings, and lets an id be reused once its
//! operation completed.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::TestApp;
use crate::live::{serve, Socket};

/// AppError::Unauthenticated's message in Vietnamese (no Accept-Language).
const UNAUTHENTICATED_VI: &str = "Bạn cần đăng nhập (hoặc phiên đăng nhập đã hết hạn)";

/// What the server answers next: a JSON message, or the close frame's code
/// and reason.
#[derive(Debug, PartialEq)]
pub enum Reply {
    Json(Value),
    Closed(Option<(u16, String)>),
}

/// A socket to `addr` speaking `protocol`, nothing sent yet.
pub async fn open(addr: SocketAddr, protocol: &str) -> Socket {
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().unwrap());
    let (ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(resp.headers()["sec-websocket-protocol"], protocol);
    ws
}

async fn send(ws: &mut Socket, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next message or close frame (WebSocket-level pings skipped).
pub async fn reply(ws: &mut Socket) -> Reply {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(15), ws.next())
            .await
            .expect("an answer within 15 s");
        return match next {
            Some(Ok(Message::Text(t))) => Reply::Json(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(frame))) => {
                Reply::Closed(frame.map(|f| (u16::from(f.code), f.reason.to_string())))
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("neither a message nor a close frame: {other:?}"),
        };
    }
}

fn closed(code: u16, reason: &str) -> Reply {
    Reply::Closed(Some((code, reason.to_owned())))
}

async fn first_reply(addr: SocketAddr, protocol: &str, init: Value) -> Reply {
    let mut ws = open(addr, protocol).await;
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": init }),
    )
    .await;
    reply(&mut ws).await
}

/// A socket of `protocol` past its handshake, as `token`'s holder
/// (anonymous without one).
pub async fn acknowledged(addr: SocketAddr, protocol: &str, token: Option<&str>) -> Socket {
    let mut ws = open(addr, protocol).await;
    let payload = match token {
        Some(t) => json!({ "authorization": format!("Bearer {t}") }),
        None => json!({}),
    };
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    assert_eq!(
        reply(&mut ws).await,
        Reply::Json(json!({ "type": "connection_ack" })),
        "{protocol}"
    );
    ws
}

fn subscribe(id: &str, query: &str) -> Value {
    json!({ "id": id, "type": "subscribe", "payload": { "query": query } })
}

#[tokio::test]
async fn both_subprotocols_acknowledge_an_authenticated_connection() {
    let t = TestApp::spawn().await;
    let token = t.login_demo("congdan@demo.motcua.vn").await;
    let addr = serve(&t).await;
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        let reply = first_reply(
            addr,
            protocol,
            json!({ "authorization": format!("Bearer {token}") }),
        )
        .await;
        let Reply::Json(reply) = reply else {
            panic!("{protocol}: {reply:?}")
        };
        assert_eq!(reply["type"], "connection_ack", "{protocol}");
    }
}

#[tokio::test]
async fn a_bad_token_is_refused_at_connection_init() {
    let t = TestApp::spawn_empty().await;
    let addr = serve(&t).await;
    // graphql-transport-ws closes the socket with 4403 (PROTOCOL.md's
    // Forbidden) and the UNAUTHENTICATED message in the caller's language.
    let reply = first_reply(addr, "graphql-transport-ws", json!({ "token": "forged" })).await;
    assert_eq!(reply, closed(4403, UNAUTHENTICATED_VI));
    // graphql-ws answers connection_error with the message (no code).
    let reply = first_reply(addr, "graphql-ws", json!({ "token": "forged" })).await;
    let Reply::Json(reply) = reply else {
        panic!("expected connection_error: {reply:?}")
    };
    assert_eq!(reply["type"], "connection_error", "{reply}");
    assert_eq!(reply["payload"]["message"], UNAUTHENTICATED_VI, "{reply}");
}

#[tokio::test]
async fn the_bearer_scheme_is_read_in_any_case_at_connection_init() {
    let t = TestApp::spawn().await;
    let token = t.login_demo("congdan@demo.motcua.vn").await;
    let addr = serve(&t).await;
    for value in [
        format!("bearer {token}"),
        format!("BEARER  {token}"),
        token.clone(),
    ] {
        let reply = first_reply(
            addr,
            "graphql-transport-ws",
            json!({ "authorization": value }),
        )
        .await;
        assert_eq!(
            reply,
            Reply::Json(json!({ "type": "connection_ack" })),
            "{value}"
        );
    }
    let reply = first_reply(
        addr,
        "graphql-transport-ws",
        json!({ "authorization": format!("Basic {token}") }),
    )
    .await;
    assert_eq!(reply, closed(4403, UNAUTHENTICATED_VI));
}

#[tokio::test]
async fn a_subscribe_before_the_acknowledgement_closes_with_4401() {
    let t = TestApp::spawn_empty().await;
    let addr = serve(&t).await;
    let mut ws = open(addr, "graphql-transport-ws").await;
    send(&mut ws, subscribe("1", "{ __typename }")).await;
    assert_eq!(reply(&mut ws).await, closed(4401, "Unauthorized"));
}

#[tokio::test]
async fn a_second_subscribe_with_a_live_id_closes_with_4409() {
    let t = TestApp::spawn().await;
    let token = t.login_demo("congdan@demo.motcua.vn").await;
    let addr = serve(&t).await;
    let mut ws = acknowledged(addr, "graphql-transport-ws", Some(&token)).await;
    // An id is free again once its operation completed…
    for _ in 0..2 {
        send(&mut ws, subscribe("q", "{ __typename }")).await;
        let Reply::Json(next) = reply(&mut ws).await else {
            panic!("expected the result")
        };
        assert_eq!(next["type"], "next", "{next}");
        assert_eq!(next["payload"]["data"]["__typename"], "QueryRoot");
        assert_eq!(
            reply(&mut ws).await,
            Reply::Json(json!({ "id": "q", "type": "complete" }))
        );
    }
    // …or once the client completed it.
    let live = "subscription { myDossierEvents { seq } }";
    send(&mut ws, subscribe("s", live)).await;
    send(&mut ws, json!({ "id": "s", "type": "complete" })).await;
    send(&mut ws, subscribe("s", live)).await;
    // While it runs, the same id again closes the socket.
    send(&mut ws, subscribe("s", live)).await;
    assert_eq!(
        reply(&mut ws).await,
        closed(4409, "Subscriber for s already exists")
    );
}

/// What an acknowledged anonymous socket answers to `message`.
async fn answer_to(addr: SocketAddr, message: Value) -> Reply {
    let mut ws = acknowledged(addr, "graphql-transport-ws", None).await;
    send(&mut ws, message).await;
    reply(&mut ws).await
}

#[tokio::test]
async fn a_message_outside_the_protocol_closes_with_4400() {
    let t = TestApp::spawn_empty().await;
    let addr = serve(&t).await;
    let invalid = closed(4400, "Invalid message received");
    // An unknown type (the legacy protocol's `start`).
    let start = json!({ "type": "start", "id": "1" });
    assert_eq!(answer_to(addr, start).await, invalid);
    // A subscribe without an id.
    let anonymous = json!({ "type": "subscribe", "payload": { "query": "{ __typename }" } });
    assert_eq!(answer_to(addr, anonymous).await, invalid);
    // Not JSON at all, before the handshake.
    let mut ws = open(addr, "graphql-transport-ws").await;
    ws.send(Message::Text("hello".into())).await.unwrap();
    assert_eq!(reply(&mut ws).await, invalid);
}

#[tokio::test]
async fn a_second_connection_init_closes_with_4429() {
    let t = TestApp::spawn_empty().await;
    let addr = serve(&t).await;
    assert_eq!(
        answer_to(addr, json!({ "type": "connection_init" })).await,
        closed(4429, "Too many initialisation requests")
    );
}

#[tokio::test]
async fn a_ping_is_answered_with_a_pong_at_any_time() {
    let t = TestApp::spawn_empty().await;
    let addr = serve(&t).await;
    let mut ws = open(addr, "graphql-transport-ws").await;
    // Before the handshake, with a payload: it comes back.
    send(&mut ws, json!({ "type": "ping", "payload": { "at": 1 } })).await;
    assert_eq!(
        reply(&mut ws).await,
        Reply::Json(json!({ "type": "pong", "payload": { "at": 1 } }))
    );
    send(&mut ws, json!({ "type": "connection_init" })).await;
    assert_eq!(
        reply(&mut ws).await,
        Reply::Json(json!({ "type": "connection_ack" }))
    );
    // After it, without one; an unsolicited pong is no error.
    send(&mut ws, json!({ "type": "pong" })).await;
    send(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(reply(&mut ws).await, Reply::Json(json!({ "type": "pong" })));
}

#[tokio::test]
async fn a_request_that_does_not_validate_answers_error_and_no_complete() {
    let t = TestApp::spawn_empty().await;
    let addr = serve(&t).await;
    let mut ws = acknowledged(addr, "graphql-transport-ws", None).await;
    for (id, query) in [("v", "{ inventedField }"), ("p", "{ unclosed")] {
        send(&mut ws, subscribe(id, query)).await;
        let Reply::Json(answer) = reply(&mut ws).await else {
            panic!("expected an error message")
        };
        // PROTOCOL.md: `error` carries the list of errors and ends the
        // operation; no `next` with `data`, no `complete` after it.
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["id"], id);
        assert_eq!(answer["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
    // The socket goes on: the next message answers a valid operation.
    send(&mut ws, subscribe("ok", "{ __typename }")).await;
    let Reply::Json(next) = reply(&mut ws).await else {
        panic!("expected the result")
    };
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(next["id"], "ok");
}

#[tokio::test]
async fn one_socket_runs_at_most_max_operations_and_short_ids() {
    use motcua::http::ws::{MAX_ID_BYTES, MAX_OPERATIONS};
    let t = TestApp::spawn().await;
    let token = t.login_demo("congdan@demo.motcua.vn").await;
    let addr = serve(&t).await;
    let mut ws = acknowledged(addr, "graphql-transport-ws", Some(&token)).await;
    let live = "subscription { myDossierEvents { seq } }";
    for i in 0..MAX_OPERATIONS {
        send(&mut ws, subscribe(&i.to_string(), live)).await;
    }
    // One more is refused for its id; the socket and the others go on.
    send(&mut ws, subscribe("extra", live)).await;
    let Reply::Json(refused) = reply(&mut ws).await else {
        panic!("expected an error message")
    };
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "extra");
    let extensions = &refused["payload"][0]["extensions"];
    assert_eq!(extensions["code"], "BAD_USER_INPUT", "{refused}");
    assert_eq!(extensions["limit"], "operations");
    assert_eq!(extensions["max"], MAX_OPERATIONS);
    // Completing one frees a place.
    send(&mut ws, json!({ "id": "0", "type": "complete" })).await;
    send(&mut ws, subscribe("extra", live)).await;
    send(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(reply(&mut ws).await, Reply::Json(json!({ "type": "pong" })));
    // An id longer than the bound is outside the protocol.
    send(&mut ws, subscribe(&"x".repeat(MAX_ID_BYTES + 1), live)).await;
    assert_eq!(
        reply(&mut ws).await,
        closed(4400, "Invalid message received")
    );
}

/// A legacy graphql-ws socket runs at most as many operations at once as a
/// graphql-transport-ws one (adversary finding, issue 16: async-graphql's
/// loop for that protocol bounded none; 10,000 subscriptions on one socket
/// held 146 MB).
#[tokio::test]
async fn a_legacy_socket_runs_at_most_max_operations() {
    use motcua::http::ws::MAX_OPERATIONS;
    let t = TestApp::spawn().await;
    let token = t.login_demo("congdan@demo.motcua.vn").await;
    let addr = serve(&t).await;
    let mut ws = acknowledged(addr, "graphql-ws", Some(&token)).await;
    let start = |id: &str| json!({ "id": id, "type": "start", "payload": { "query": "subscription { myDossierEvents { seq } }" } });
    for i in 0..MAX_OPERATIONS {
        send(&mut ws, start(&i.to_string())).await;
    }
    send(&mut ws, start("extra")).await;
    let refused = loop {
        let Reply::Json(m) = reply(&mut ws).await else {
            panic!("the socket closed")
        };
        if m["id"] == "extra" {
            break m;
        }
    };
    let errors = refused["payload"]["errors"]
        .as_array()
        .or(refused["payload"].as_array())
        .unwrap_or_else(|| panic!("{refused}"));
    assert_eq!(errors[0]["extensions"]["limit"], "operations", "{refused}");
    assert_eq!(errors[0]["extensions"]["max"], MAX_OPERATIONS);
}
