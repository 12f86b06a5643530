//! The WebSocket endpoint on a real port: both subprotocols acknowledge a
//! connection; a bad token in connection_init is refused.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::TestApp;
use crate::live::serve;

async fn first_reply(addr: std::net::SocketAddr, protocol: &str, init: Value) -> Option<Value> {
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().unwrap());
    let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(resp.headers()["sec-websocket-protocol"], protocol);
    ws.send(Message::Text(
        json!({ "type": "connection_init", "payload": init })
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
        .await
        .unwrap();
    match next {
        Some(Ok(Message::Text(t))) => Some(serde_json::from_str(&t).unwrap()),
        _ => None,
    }
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
        assert_eq!(reply.unwrap()["type"], "connection_ack", "{protocol}");
    }
}

#[tokio::test]
async fn a_bad_token_is_refused_at_connection_init() {
    let t = TestApp::spawn_empty().await;
    let addr = serve(&t).await;
    let reply = first_reply(addr, "graphql-transport-ws", json!({ "token": "forged" })).await;
    // graphql-transport-ws closes the socket; nothing is acknowledged.
    let acked = reply
        .as_ref()
        .is_some_and(|r| r["type"] == "connection_ack");
    assert!(!acked, "{reply:?}");
    let reply = first_reply(addr, "graphql-ws", json!({ "token": "forged" })).await;
    assert_eq!(reply.unwrap()["type"], "connection_error");
}
