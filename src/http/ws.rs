//! GraphQL over WebSocket, `graphql-transport-ws` (graphql-ws's
//! PROTOCOL.md): the handshake, operations multiplexed by id, ping and pong,
//! and the protocol's close codes. Operations run through the schema like
//! HTTP requests, with the connection's caller as session data.
//!
//! async-graphql's own loop cannot give the protocol's codes (it answers
//! 1011 to an early `subscribe`, 1002 to a bad message or a refused
//! `connection_init`, replaces an operation whose id is in use, and has no
//! init timeout), so this one does; the legacy `graphql-ws` subprotocol
//! stays with async-graphql's (`super::graphql_ws`).

use std::sync::Arc;
use std::time::Duration;

use async_graphql::Data;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio_stream::StreamMap;

use super::session::RequestMeta;
use crate::error::{code, AppError};
use crate::graphql::context::RequestContext;
use crate::graphql::loaders::loaders;
use crate::graphql::metrics::is_request_error;
use crate::graphql::MotcuaSchema;
use crate::services::accounts;
use crate::state::{AppState, Shutdown};

/// Close codes: PROTOCOL.md's, and RFC 6455's 1001 for a stopping server.
pub mod close {
    /// A message of a type or shape the protocol does not define.
    pub const BAD_REQUEST: u16 = 4400;
    /// `subscribe` before the connection was acknowledged.
    pub const UNAUTHORIZED: u16 = 4401;
    /// `connection_init` refused (a bad or expired token).
    pub const FORBIDDEN: u16 = 4403;
    /// No `connection_init` within MOTCUA_WS_INIT_TIMEOUT_SECS.
    pub const INIT_TIMEOUT: u16 = 4408;
    /// `subscribe` with the id of an operation still running.
    pub const SUBSCRIBER_EXISTS: u16 = 4409;
    /// A second `connection_init`.
    pub const TOO_MANY_INITIALISATIONS: u16 = 4429;
    /// The server is stopping: reconnect (to another instance).
    pub const GOING_AWAY: u16 = 1001;
    /// A live operation failed on our side (RFC 6455's 1013): reconnect
    /// after a while and resume from the last cursor.
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// Whether a result carries an `INTERNAL` error.
fn is_internal(response: &async_graphql::Response) -> bool {
    response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from("INTERNAL"))
    })
}

/// What a client may send (PROTOCOL.md's client → server messages).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    Complete {
        id: String,
    },
    Ping {
        payload: Option<Value>,
    },
    Pong {},
}

/// Why the loop ends: a close frame to send, or none (the client left).
type Ending = Option<(u16, String)>;

/// How many operations one socket may run at once: each holds a stream and
/// its share of the fan-out, so one client must not open thousands. One
/// more is refused with an `error` message for its id (BAD_USER_INPUT,
/// `limit: "operations"`); the others go on.
pub const MAX_OPERATIONS: usize = crate::graphql::policy::MAX_SOCKET_OPERATIONS;
/// The longest operation id, in bytes; a longer one is a message outside
/// the protocol (4400).
pub const MAX_ID_BYTES: usize = 128;

/// What one operation sends, in order.
enum Answer {
    /// A result: `next`.
    Next(async_graphql::Response),
    /// Refused before execution (it did not parse or validate, or names no
    /// operation): `error` with the errors, and the operation ends
    /// (PROTOCOL.md).
    Refused(async_graphql::Response),
    /// The end: `complete`.
    Complete,
}

/// The operations running on a socket, keyed by id.
type Operations = StreamMap<String, BoxStream<'static, Answer>>;

/// Serves one `graphql-transport-ws` socket until the client leaves, breaks
/// the protocol (closed with PROTOCOL.md's code), or `shutdown` begins
/// (closed with 1001).
pub(super) async fn serve(
    mut socket: WebSocket,
    schema: MotcuaSchema,
    state: AppState,
    meta: RequestMeta,
    shutdown: Shutdown,
) {
    let init_deadline = tokio::time::sleep(state.config.ws_init_timeout);
    tokio::pin!(init_deadline);
    // Set once connection_init arrived; the caller once acknowledged.
    let mut initialised = false;
    let mut session: Option<Arc<Data>> = None;
    let mut operations = Operations::new();
    let ending: Ending = loop {
        let text = tokio::select! {
            _ = shutdown.stopping() => {
                break Some((close::GOING_AWAY, "Server shutting down".into()));
            }
            _ = &mut init_deadline, if !initialised => {
                break Some((close::INIT_TIMEOUT, "Connection initialisation timeout".into()));
            }
            Some((id, answer)) = operations.next(), if !operations.is_empty() => {
                // A fault of ours in a live operation (the database stayed
                // down past the subscription's retries): the client hears it,
                // then a close that the stock client answers by reconnecting
                // and resuming from its cursor.
                let mut retry_later = false;
                let sent = match &answer {
                    Answer::Next(response) => {
                        retry_later = is_internal(response);
                        send(&mut socket, &OperationMessage::new(&id, "next", Some(response))).await
                    }
                    Answer::Refused(response) => {
                        let errors = Some(&response.errors);
                        send(&mut socket, &OperationMessage::new(&id, "error", errors)).await
                    }
                    Answer::Complete => {
                        send(&mut socket, &OperationMessage::<()>::new(&id, "complete", None)).await
                    }
                };
                if !matches!(answer, Answer::Next(_)) {
                    operations.remove(&id);
                }
                if sent.is_err() {
                    break None;
                }
                if retry_later {
                    break Some((close::TRY_AGAIN_LATER, "Try again later".into()));
                }
                continue;
            }
            received = socket.recv() => match received {
                Some(Ok(Message::Text(text))) => text.as_str().to_owned(),
                Some(Ok(Message::Binary(bytes))) => match String::from_utf8(bytes.to_vec()) {
                    Ok(text) => text,
                    Err(_) => break Some(invalid()),
                },
                // The WebSocket layer answers pings, and a close on the
                // next read, which then ends the stream.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Close(_))) => continue,
                Some(Err(_)) | None => break None,
            },
        };
        let message = match serde_json::from_str::<ClientMessage>(&text) {
            Ok(m) => m,
            Err(_) => break Some(invalid()),
        };
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if initialised {
                    break Some((
                        close::TOO_MANY_INITIALISATIONS,
                        "Too many initialisation requests".into(),
                    ));
                }
                initialised = true;
                // Boxed: the socket's task keeps no room for the look-up.
                match Box::pin(caller_data(&state, payload.as_ref(), &meta)).await {
                    Ok(data) => session = Some(Arc::new(data)),
                    Err(refused) => break Some(refusal(&refused, &meta)),
                }
                if send(&mut socket, &json!({ "type": "connection_ack" }))
                    .await
                    .is_err()
                {
                    break None;
                }
            }
            ClientMessage::Subscribe { id, payload } => {
                let Some(session) = &session else {
                    break Some((close::UNAUTHORIZED, "Unauthorized".into()));
                };
                if id.len() > MAX_ID_BYTES {
                    break Some(invalid());
                }
                if operations.contains_key(&id) {
                    break Some((
                        close::SUBSCRIBER_EXISTS,
                        format!("Subscriber for {id} already exists"),
                    ));
                }
                if operations.len() >= MAX_OPERATIONS {
                    let too_many = AppError::QueryTooExpensive {
                        limit: "operations",
                        actual: operations.len() + 1,
                        max: MAX_OPERATIONS,
                    }
                    .envelope(meta.lang, &meta.request_id, "subscribe");
                    let error = json!({
                        "id": id,
                        "type": "error",
                        "payload": [{ "message": too_many.message, "extensions": too_many.extensions }],
                    });
                    if send(&mut socket, &error).await.is_err() {
                        break None;
                    }
                    continue;
                }
                let answers = schema
                    .execute_stream_with_session_data(*payload, session.clone())
                    .enumerate()
                    .map(|(i, r)| {
                        if i == 0 && is_request_error(&r) {
                            Answer::Refused(r)
                        } else {
                            Answer::Next(r)
                        }
                    })
                    .chain(futures_util::stream::once(async { Answer::Complete }))
                    .boxed();
                operations.insert(id, answers);
            }
            // Ends the operation; an unknown id (already completed) is no
            // error. The client expects no `complete` back.
            ClientMessage::Complete { id } => {
                operations.remove(&id);
            }
            ClientMessage::Ping { payload } => {
                let mut pong = json!({ "type": "pong" });
                if let Some(p) = payload {
                    pong["payload"] = p;
                }
                if send(&mut socket, &pong).await.is_err() {
                    break None;
                }
            }
            ClientMessage::Pong {} => {}
        }
    };
    if let Some((code, reason)) = ending {
        let frame = CloseFrame {
            code,
            reason: close_reason(&reason).into(),
        };
        // The client may be gone already; a close frame is best effort, and
        // a peer that stops reading must not hold the task.
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            socket.send(Message::Close(Some(frame))),
        )
        .await;
    }
}

fn invalid() -> (u16, String) {
    (close::BAD_REQUEST, "Invalid message received".into())
}

/// A refused `connection_init`: 4403 with the error's message (in the
/// caller's language), or 1013 when the failure is ours (the database is
/// down): the stock client retries that one, not 4500.
fn refusal(error: &AppError, meta: &RequestMeta) -> (u16, String) {
    let envelope = error.envelope(meta.lang, &meta.request_id, "connection_init");
    let status = if error.code() == code::INTERNAL {
        close::TRY_AGAIN_LATER
    } else {
        close::FORBIDDEN
    };
    (status, envelope.message)
}

/// A close frame's reason holds at most 123 bytes (RFC 6455 §5.5): cut at a
/// character boundary.
fn close_reason(reason: &str) -> &str {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

/// How long one message may wait on a client that does not read: then the
/// socket is given up (its subscriptions end; the client resumes from its
/// cursor when it reconnects).
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// An operation's message (`next`, `error`, `complete`), written straight
/// to text: a fan-out writes one per subscriber.
#[derive(Serialize)]
struct OperationMessage<'a, P: Serialize> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a P>,
}

impl<'a, P: Serialize> OperationMessage<'a, P> {
    fn new(id: &'a str, kind: &'static str, payload: Option<&'a P>) -> Self {
        OperationMessage { id, kind, payload }
    }
}

async fn send(socket: &mut WebSocket, message: &impl Serialize) -> Result<(), axum::Error> {
    let text = serde_json::to_string(message).map_err(axum::Error::new)?;
    let sending = socket.send(Message::Text(text.into()));
    match tokio::time::timeout(SEND_TIMEOUT, sending).await {
        Ok(sent) => sent,
        Err(_) => Err(axum::Error::new("the client stopped reading")),
    }
}

/// The session data of a connection: the caller the `connection_init`
/// payload names (`{"authorization": "Bearer …"}` or `{"token": "…"}`;
/// anonymous without either, or with a payload that is not an object) and
/// the data loaders. Both subprotocols use it. Errors: UNAUTHENTICATED for
/// a bad or expired token, INTERNAL when the sessions cannot be read.
pub(super) async fn caller_data(
    state: &AppState,
    payload: Option<&Value>,
    meta: &RequestMeta,
) -> Result<Data, AppError> {
    let field = |name: &str| payload.and_then(|p| p.get(name)).and_then(Value::as_str);
    let token = field("authorization")
        .or_else(|| field("Authorization"))
        // The scheme in any case, as over HTTP (RFC 9110 §11.1); a bare
        // token is taken as it is.
        .map(|v| match v.trim().split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                token.trim().to_owned()
            }
            _ => v.trim().to_owned(),
        })
        .or_else(|| field("token").map(str::to_owned));
    let actor = match &token {
        Some(t) => Some(accounts::authenticate(state, t).await?),
        None => None,
    };
    let mut data = Data::default();
    data.insert(loaders(state.db.clone()));
    data.insert(RequestContext {
        actor,
        token,
        lang: meta.lang,
        request_id: meta.request_id.clone(),
        client_addr: meta.client_addr.clone(),
    });
    Ok(data)
}
