//! A `motcua serve` process told to stop (SIGTERM): it stops accepting,
//! finishes the request in flight, closes every WebSocket with 1001 so that
//! clients reconnect elsewhere, and exits with 0.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{eventually, fresh_database, ServerProcess};
use crate::websocket::{acknowledged, reply, Reply};

/// Reads from `stream` until `marker` has arrived; returns what was read.
async fn read_until(stream: &mut TcpStream, marker: &str) -> String {
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&read).contains(marker) {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("an answer within 10 s")
            .unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&read));
        read.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&read).into_owned()
}

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_closes_sockets_with_1001_and_exits_0() {
    let (url, _dir) = fresh_database().await;
    let mut server = ServerProcess::start(&[
        ("MOTCUA_DATABASE_URL", &url),
        ("MOTCUA_SHUTDOWN_GRACE_SECS", "30"),
    ])
    .await;
    let addr = server.addr;
    let mut sockets = vec![
        acknowledged(addr, "graphql-transport-ws", None).await,
        acknowledged(addr, "graphql-ws", None).await,
    ];
    // A request in flight: its head is sent with `Expect: 100-continue`;
    // the server's "100 Continue" shows that the handler is reading the
    // body, which is held back until after the signal.
    let body = json!({ "query": "{ __typename }" }).to_string();
    let mut request = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    request.write_all(head.as_bytes()).await.unwrap();
    let interim = read_until(&mut request, "\r\n\r\n").await;
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");

    let pid = server.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    // Every socket is told the server is going away…
    for ws in &mut sockets {
        assert_eq!(
            reply(ws).await,
            Reply::Closed(Some((1001, "Server shutting down".into())))
        );
    }
    // …no new connection is accepted…
    eventually(
        "new connections refused",
        Duration::from_secs(5),
        || async { TcpStream::connect(addr).await.is_err() },
    )
    .await;
    // …and the request in flight still completes.
    request.write_all(body.as_bytes()).await.unwrap();
    let response = read_until(&mut request, "QueryRoot").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    // Then the process exits, successfully.
    let mut status = None;
    for _ in 0..100 {
        status = server.child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = status.expect("the process exited within 5 s");
    assert!(status.success(), "{status}");
}
