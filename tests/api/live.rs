//! Live updates over a real WebSocket: both subprotocols, ordering,
//! isolation, no event for a refused change, per-event authorization,
//! the init timeout, slow subscribers, and two instances over Redis.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::fixtures::{flow, flow_with, register_other_citizen};
use crate::helpers::{
    error_code, eventually, free_port, require_redis, Options, ServerProcess, TestApp,
};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn serve(t: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = t.app.router();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

pub struct Client {
    ws: Socket,
    legacy: bool,
}

impl Client {
    pub async fn connect(addr: SocketAddr, legacy: bool, token: &str) -> Client {
        let protocol = if legacy {
            "graphql-ws"
        } else {
            "graphql-transport-ws"
        };
        let mut req = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
        ws.send(Message::Text(init.to_string().into()))
            .await
            .unwrap();
        let mut c = Client { ws, legacy };
        let ack = c.next_message(Duration::from_secs(5)).await.unwrap();
        assert_eq!(ack["type"], "connection_ack");
        c
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.legacy { "start" } else { "subscribe" };
        let msg = json!({ "id": id, "type": kind, "payload": { "query": query, "variables": variables } });
        self.ws
            .send(Message::Text(msg.to_string().into()))
            .await
            .unwrap();
    }

    async fn next_message(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let next = tokio::time::timeout(wait, self.ws.next()).await.ok()??;
            match next {
                Ok(Message::Text(t)) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    // Keep-alives are not messages.
                    if v["type"] == "ka" || v["type"] == "ping" || v["type"] == "pong" {
                        continue;
                    }
                    return Some(v);
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// The next data or error payload, or None when nothing comes in time.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        let m = self.next_message(wait).await?;
        match m["type"].as_str() {
            Some("next" | "data") => Some(m["payload"].clone()),
            Some("error") => Some(json!({ "errors": m["payload"] })),
            Some("complete") => Some(json!({ "complete": true })),
            _ => Some(m),
        }
    }
}

/// A subscription's stream through the schema (no socket), as `token`'s
/// caller: a test polls it when it wants, to let events pile up unread.
pub async fn stream_as(
    t: &TestApp,
    token: &str,
    query: String,
) -> impl futures_util::Stream<Item = async_graphql::Response> {
    let actor = motcua::services::accounts::authenticate(&t.app.state, token)
        .await
        .unwrap();
    let ctx = motcua::graphql::context::RequestContext {
        actor: Some(actor),
        token: Some(token.to_owned()),
        lang: motcua::error::Lang::En,
        request_id: "t".into(),
        client_addr: "t".into(),
    };
    let req = async_graphql::Request::new(query)
        .data(ctx)
        .data(motcua::graphql::loaders::loaders(t.app.state.db.clone()));
    t.app.schema.execute_stream(req)
}

const FOLLOW: &str = "subscription($id: ID!) { dossierStatusChanged(dossierId: $id) { resyncRequired seq action fromStatus toStatus toStatusLabel nationalStatusCode dueAt actorRole code } }";
const MINE: &str = "subscription { myDossierEvents { seq toStatus dossierId } }";
const QUEUE: &str =
    "subscription($a: ID!) { agencyQueue(agencyId: $a) { seq toStatus dossierId } }";
const WAIT: Duration = Duration::from_secs(15);
const QUIET: Duration = Duration::from_millis(800);

/// Waits until `n` subscriptions listen on `t`'s event bus: an event
/// published after this reaches them.
pub async fn subscribed(t: &TestApp, n: usize) {
    let bus = t.app.state.bus.clone();
    eventually(&format!("{n} subscriptions"), WAIT, || {
        let bus = bus.clone();
        async move { bus.subscribers() >= n }
    })
    .await;
}

/// Waits until `n` instances listen on `channel`'s Redis pub/sub (each
/// instance's listener subscribes once it is connected).
async fn redis_listeners(redis: &str, channel: &str, n: i64) {
    let client = redis::Client::open(redis).unwrap();
    let channel = format!("{channel}:dossier-events");
    eventually(
        &format!("{n} Redis listeners"),
        Duration::from_secs(15),
        || {
            let (client, channel) = (client.clone(), channel.clone());
            async move {
                let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
                    return false;
                };
                let counts: Vec<(String, i64)> = redis::cmd("PUBSUB")
                    .arg("NUMSUB")
                    .arg(&channel)
                    .query_async(&mut conn)
                    .await
                    .unwrap_or_default();
                counts.first().is_some_and(|(_, c)| *c >= n)
            }
        },
    )
    .await;
}

/// Waits until the outbox relay has published every committed event and
/// `t`'s bus has handed each on: a subscription started after this without
/// a cursor hears only what commits later.
pub async fn relayed(t: &TestApp) {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let (db, bus) = (t.app.state.db.clone(), t.app.state.bus.clone());
    eventually("the relay to publish and hand on every event", WAIT, || {
        let (db, bus) = (db.clone(), bus.clone());
        async move {
            let unpublished = entity::outbox::Entity::find()
                .filter(entity::outbox::Column::PublishedAt.is_null())
                .count(&db)
                .await
                .unwrap();
            unpublished == 0 && bus.handed_on() >= motcua::events::relay::head(&db).await.unwrap()
        }
    })
    .await;
}

#[tokio::test]
async fn a_subscriber_sees_a_whole_lifecycle_in_order_on_both_protocols() {
    for legacy in [false, true] {
        let f = flow().await;
        let addr = serve(&f.t).await;
        let d = f.draft().await;
        let mut c = Client::connect(addr, legacy, &f.citizen).await;
        c.subscribe("1", FOLLOW, json!({ "id": d["id"] })).await;
        subscribed(&f.t, 1).await;
        let d = f.ok(&f.citizen, "submitDossier", &d, "").await;
        let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
        let d = f.ok(&f.reception, "transferDossier", &d, "").await;
        let d = f.ok(&f.specialist, "submitForApproval", &d, "").await;
        let d = f.ok(&f.leader, "approveDossier", &d, "").await;
        f.paid(&d).await;
        f.ok(&f.reception, "returnResult", &d, ", method: COUNTER")
            .await;
        let mut seen = Vec::new();
        for _ in 0..6 {
            let p = c.next(WAIT).await.expect("an event");
            let e = &p["data"]["dossierStatusChanged"];
            seen.push((
                e["seq"].as_i64().unwrap(),
                e["toStatus"].as_str().unwrap().to_owned(),
            ));
            if e["toStatus"] == "RECEIVED" {
                assert_eq!(e["nationalStatusCode"], 2);
                assert_eq!(e["actorRole"], "RECEPTION_OFFICER");
                assert!(e["code"].is_string() && e["dueAt"].is_string());
                // Written as queries write it: +07:00, whole seconds.
                let due = e["dueAt"].as_str().unwrap();
                assert!(due.len() == 25 && due.ends_with("+07:00"), "{due}");
                assert_eq!(e["toStatusLabel"], "Đã tiếp nhận");
            }
        }
        let expected: Vec<(i64, String)> = [
            "SUBMITTED",
            "RECEIVED",
            "PROCESSING",
            "AWAITING_APPROVAL",
            "RESULT_READY",
            "RETURNED",
        ]
        .iter()
        .enumerate()
        .map(|(i, s)| (i as i64 + 2, s.to_string()))
        .collect();
        assert_eq!(seen, expected, "legacy: {legacy}");
    }
}

#[tokio::test]
async fn subscribers_only_hear_what_they_may_see() {
    let f = flow().await;
    let addr = serve(&f.t).await;
    let other = register_other_citizen(&f.t).await;
    let ward_desk = f.t.login_demo("motcua.phuong@demo.motcua.vn").await;
    let ward_unit =
        f.t.agency_id(motcua::services::demo::DEMO_WARD_DESK_CODE)
            .await;
    let centre = f.t.agency_id(motcua::services::demo::CENTRE_CODE).await;

    let mut mine = Client::connect(addr, false, &f.citizen).await;
    mine.subscribe("m", MINE, json!({})).await;
    let mut stranger = Client::connect(addr, false, &other).await;
    stranger.subscribe("s", MINE, json!({})).await;
    let mut ward = Client::connect(addr, false, &ward_desk).await;
    ward.subscribe("w", QUEUE, json!({ "a": ward_unit })).await;
    let mut desk = Client::connect(addr, false, &f.reception).await;
    desk.subscribe("c", QUEUE, json!({ "a": centre })).await;
    subscribed(&f.t, 4).await;

    let d = f.submitted().await;
    let got = mine.next(WAIT).await.unwrap();
    assert_eq!(got["data"]["myDossierEvents"]["dossierId"], d["id"]);
    let got = desk.next(WAIT).await.unwrap();
    assert_eq!(got["data"]["agencyQueue"]["toStatus"], "SUBMITTED");
    assert!(
        stranger.next(QUIET).await.is_none(),
        "another citizen hears nothing"
    );
    assert!(
        ward.next(QUIET).await.is_none(),
        "another agency hears nothing"
    );

    // Subscribing to what one may not see is refused with no data.
    let mut peek = Client::connect(addr, false, &other).await;
    peek.subscribe("p", FOLLOW, json!({ "id": d["id"] })).await;
    let refused = peek.next(WAIT).await.unwrap();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let mut peek = Client::connect(addr, false, &ward_desk).await;
    peek.subscribe("q", QUEUE, json!({ "a": centre })).await;
    let refused = peek.next(WAIT).await.unwrap();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

/// Handing on an event is a filter in memory: however many events, no
/// subscription looks anything up in the database (issue 14 item 1).
/// Before, every event made each subscription older than a second look at
/// its session again — four statements per subscriber per event.
#[tokio::test]
async fn handing_on_events_looks_up_nothing_in_the_database() {
    let f = flow().await;
    let addr = serve(&f.t).await;
    let centre = f.t.agency_id(motcua::services::demo::CENTRE_CODE).await;
    let d = f.submitted().await;
    // The submission is handed on before anyone listens: without a cursor
    // a subscription hears what the bus hands on after it starts.
    relayed(&f.t).await;
    let mut mine = Client::connect(addr, false, &f.citizen).await;
    mine.subscribe("m", MINE, json!({})).await;
    let mut desk = Client::connect(addr, false, &f.reception).await;
    desk.subscribe("c", QUEUE, json!({ "a": centre })).await;
    let mut follower = Client::connect(addr, false, &f.reception).await;
    follower
        .subscribe("f", FOLLOW, json!({ "id": d["id"] }))
        .await;
    subscribed(&f.t, 3).await;
    // Past the second after which a catching-up subscription looks at its
    // session: live events must not count as catching up.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let checks =
        |text: &str| crate::metrics::sample(text, "motcua_subscription_checks_total", &[]).unwrap();
    let before = checks(&crate::metrics::scrape(&f.t).await);

    let received = f.ok(&f.reception, "receiveDossier", &d, "").await;
    let other = f.submitted().await;
    for (client, field) in [(&mut mine, "myDossierEvents"), (&mut desk, "agencyQueue")] {
        let got = client.next(WAIT).await.unwrap();
        assert_eq!(got["data"][field]["toStatus"], "RECEIVED", "{got}");
        let got = client.next(WAIT).await.unwrap();
        assert_eq!(got["data"][field]["dossierId"], other["id"], "{got}");
    }
    let got = follower.next(WAIT).await.unwrap();
    assert_eq!(
        got["data"]["dossierStatusChanged"]["seq"], received["version"],
        "{got}"
    );
    assert_eq!(
        checks(&crate::metrics::scrape(&f.t).await),
        before,
        "look-ups while handing on 5 events"
    );
}

#[tokio::test]
async fn a_refused_change_publishes_nothing() {
    let f = flow().await;
    let addr = serve(&f.t).await;
    let d = f.draft().await;
    let mut c = Client::connect(addr, false, &f.citizen).await;
    c.subscribe("1", FOLLOW, json!({ "id": d["id"] })).await;
    subscribed(&f.t, 1).await;
    // A draft does not exist for the reception officer yet.
    assert_eq!(
        error_code(&f.act(&f.reception, "receiveDossier", &d, "").await),
        "NOT_FOUND"
    );
    let stale = json!({ "id": d["id"], "version": 99 });
    assert_eq!(
        error_code(&f.act(&f.citizen, "submitDossier", &stale, "").await),
        "VERSION_CONFLICT"
    );
    let got = c.next(QUIET).await;
    assert!(got.is_none(), "{got:?}");
    f.ok(&f.citizen, "submitDossier", &d, "").await;
    let e = c.next(WAIT).await.unwrap();
    assert_eq!(
        e["data"]["dossierStatusChanged"]["seq"], 2,
        "the next event is the next committed one"
    );
}

/// A citizen's second session following one of their submitted dossiers.
async fn watching() -> (crate::fixtures::Flow, Value, String, Client) {
    let f = flow().await;
    let addr = serve(&f.t).await;
    let d = f.submitted().await;
    let watcher = f.t.login_demo("congdan@demo.motcua.vn").await;
    let mut c = Client::connect(addr, false, &watcher).await;
    c.subscribe("1", FOLLOW, json!({ "id": d["id"] })).await;
    subscribed(&f.t, 1).await;
    (f, d, watcher, c)
}

/// The next message ends the subscription: UNAUTHENTICATED, no event.
async fn hears_its_session_ended(c: &mut Client) {
    let got = c.next(WAIT).await.unwrap();
    assert!(
        got["data"]["dossierStatusChanged"].is_null(),
        "an event reached a session past its end: {got}"
    );
    assert_eq!(
        got["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{got}"
    );
}

#[tokio::test]
async fn a_revoked_session_stops_hearing() {
    let (f, d, watcher, mut c) = watching().await;
    f.t.data(Some(&watcher), "mutation { logout }", json!({}))
        .await;
    f.ok(&f.reception, "receiveDossier", &d, "").await;
    hears_its_session_ended(&mut c).await;
}

/// A session that ended by the server's clock (moved past the idle end
/// here, as a wall-clock step would) hears no further event: its end is
/// compared with the clock when an event comes, not only with a timer.
#[tokio::test]
async fn a_session_ended_by_the_clock_hears_no_live_event() {
    let (f, d, _, mut c) = watching().await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // Past the idle end (MOTCUA_SESSION_IDLE_MINUTES, 120 by default).
    f.t.app.state.clock.advance(chrono::Duration::minutes(121));
    let desk = f.t.login_demo("motcua@demo.motcua.vn").await;
    f.ok(&desk, "receiveDossier", &d, "").await;
    hears_its_session_ended(&mut c).await;
}

#[tokio::test]
async fn a_silent_socket_is_closed_after_the_init_timeout() {
    use crate::websocket::{open, reply, Reply};
    let t = TestApp::spawn_with(Options {
        demo: false,
        tune: |c| c.ws_init_timeout = Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let addr = serve(&t).await;
    // graphql-transport-ws closes it with PROTOCOL.md's 4408.
    let mut ws = open(addr, "graphql-transport-ws").await;
    assert_eq!(
        reply(&mut ws).await,
        Reply::Closed(Some((4408, "Connection initialisation timeout".into())))
    );
    // graphql-ws has no code for it: the socket ends.
    let mut ws = open(addr, "graphql-ws").await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true));
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_does_not_hold_up_another() {
    let f = flow().await;
    let addr = serve(&f.t).await;
    let d = f.draft().await;
    let mut stuck = Client::connect(addr, false, &f.citizen).await;
    stuck.subscribe("1", FOLLOW, json!({ "id": d["id"] })).await;
    let mut reader = Client::connect(addr, false, &f.citizen).await;
    reader
        .subscribe("1", FOLLOW, json!({ "id": d["id"] }))
        .await;
    subscribed(&f.t, 2).await;
    let d = f.ok(&f.citizen, "submitDossier", &d, "").await;
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    f.ok(&f.reception, "transferDossier", &d, "").await;
    for seq in 2..=4 {
        let e = reader.next(WAIT).await.unwrap();
        assert_eq!(e["data"]["dossierStatusChanged"]["seq"], seq);
    }
    drop(stuck);
}

/// A flow whose bus keeps two messages per subscriber: a reader that does
/// not poll falls behind at once.
async fn lagging_flow() -> crate::fixtures::Flow {
    flow_with(Options {
        demo: true,
        tune: |c| c.event_buffer = 2,
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn a_lagging_subscriber_catches_up_from_the_database_missing_nothing() {
    let f = lagging_flow().await;
    let d = f.draft().await;
    // Through the schema: a stream nobody polls while events pile up.
    let token = f.citizen.clone();
    let mut stream = std::pin::pin!(
        stream_as(
            &f.t,
            &token,
            format!(
        "subscription {{ dossierStatusChanged(dossierId: \"{}\") {{ resyncRequired seq }} }}",
        d["id"].as_str().unwrap()
    )
        )
        .await
    );
    // Subscribe (first poll), then let five events happen unread.
    let first = tokio::time::timeout(Duration::from_millis(200), stream.next()).await;
    assert!(first.is_err(), "nothing yet");
    let mut d = f.ok(&f.citizen, "submitDossier", &d, "").await;
    d = f
        .ok(
            &f.reception,
            "requestSupplement",
            &d,
            ", items: [{ component: \"Đơn\", reason: \"Thiếu\" }]",
        )
        .await;
    d = f.ok(&f.citizen, "supplementDossier", &d, "").await;
    d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    f.ok(&f.reception, "transferDossier", &d, "").await;
    relayed(&f.t).await;
    // The bus kept two of five: the other three are read from the outbox,
    // in order, with no marker and no duplicate at the seam.
    let mut heard = Vec::new();
    for _ in 2..=6 {
        let resp = tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap()
            .unwrap();
        let data = resp.data.into_json().unwrap();
        assert_eq!(
            data["dossierStatusChanged"]["resyncRequired"], false,
            "{data}"
        );
        heard.push(data["dossierStatusChanged"]["seq"].as_i64().unwrap());
    }
    assert_eq!(heard, vec![2, 3, 4, 5, 6]);
    let more = tokio::time::timeout(Duration::from_millis(300), stream.next()).await;
    assert!(more.is_err(), "nothing twice");
}

#[tokio::test]
async fn a_lagging_subscriber_signed_out_meanwhile_hears_nothing_more() {
    let f = lagging_flow().await;
    // A second session of the citizen, whose stream nobody polls while its
    // sign-out and more events pile up past the bus's buffer.
    let token = f.t.login_demo("congdan@demo.motcua.vn").await;
    let mut stream = std::pin::pin!(
        stream_as(
            &f.t,
            &token,
            "subscription { myDossierEvents { seq } }".into()
        )
        .await
    );
    let first = tokio::time::timeout(Duration::from_millis(200), stream.next()).await;
    assert!(first.is_err(), "nothing yet");
    let d = f.submitted().await;
    let submitted = d["version"].as_i64().unwrap();
    f.t.data(Some(&token), "mutation { logout }", json!({}))
        .await;
    let d = f
        .ok(
            &f.reception,
            "requestSupplement",
            &d,
            ", items: [{ component: \"Đơn\", reason: \"Thiếu\" }]",
        )
        .await;
    let d = f.ok(&f.citizen, "supplementDossier", &d, "").await;
    f.ok(&f.reception, "receiveDossier", &d, "").await;
    relayed(&f.t).await;
    // The dropped messages held the sign-out: the subscriber learns it
    // before any event committed after it (those committed before it, the
    // draft and its submission, may come first: the session was live).
    let resp = loop {
        let resp = tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap()
            .unwrap();
        if !resp.errors.is_empty() {
            break resp;
        }
        let data = resp.data.clone().into_json().unwrap();
        let seq = data["myDossierEvents"]["seq"].as_i64().unwrap();
        assert!(seq <= submitted, "an event after the sign-out: {data}");
    };
    assert_eq!(
        resp.errors[0]
            .extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .cloned(),
        Some(async_graphql::Value::from("UNAUTHENTICATED")),
        "{:?}",
        resp
    );
    let more = tokio::time::timeout(Duration::from_millis(300), stream.next()).await;
    assert!(matches!(more, Ok(None)), "the stream ended");
}

#[tokio::test]
async fn two_instances_share_events_through_redis() {
    let Some(redis) = require_redis("two_instances_share_events_through_redis") else {
        return;
    };
    let f = flow().await;
    // A second instance on the same database and Redis.
    let mut config = (*f.t.app.state.config).clone();
    config.demo = false;
    let second = TestApp::from_app(motcua::app::App::start(config).await.unwrap());
    let addr = serve(&second).await;
    let d = f.draft().await;
    let mut c = Client::connect(addr, false, &f.citizen).await;
    c.subscribe("1", FOLLOW, json!({ "id": d["id"] })).await;
    subscribed(&second, 1).await;
    let channel = &f.t.app.state.config.redis_channel;
    redis_listeners(&redis, channel, 2).await;
    // The change is made on the first instance.
    let d = f.ok(&f.citizen, "submitDossier", &d, "").await;
    f.ok(&f.reception, "receiveDossier", &d, "").await;
    for seq in [2, 3] {
        let e = c
            .next(WAIT)
            .await
            .expect("an event from the other instance");
        assert_eq!(e["data"]["dossierStatusChanged"]["seq"], seq);
    }
}

/// A private Redis server this test may stop and start.
struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    fn start_on(port: u16) -> OwnRedis {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (.ci/run installs it)");
        let r = OwnRedis {
            port,
            child: Some(child),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return r;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the process without closing its sockets (SIGSTOP): a Redis
    /// that hangs.
    fn pause(&self) {
        self.signal("-STOP");
    }

    fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let sent = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn a_second_server_process_hears_the_first_through_redis_outages_and_hangs() {
    if require_redis("a_second_server_process_hears_the_first_through_redis_outages_and_hangs")
        .is_none()
    {
        return;
    }
    let port = free_port();
    let mut redis = OwnRedis::start_on(port);
    let f = flow_with(Options {
        redis: Some(redis.url()),
        ..Default::default()
    })
    .await;
    let here = serve(&f.t).await;
    let config = &f.t.app.state.config;
    let there = ServerProcess::start(&[
        (
            "MOTCUA_DATABASE_URL",
            secrecy::ExposeSecret::expose_secret(&config.database_url),
        ),
        ("MOTCUA_REDIS_URL", &redis.url()),
        ("MOTCUA_REDIS_CHANNEL", &config.redis_channel),
    ])
    .await;
    let d = f.draft().await;
    let mut near = Client::connect(here, false, &f.citizen).await;
    near.subscribe("1", FOLLOW, json!({ "id": d["id"] })).await;
    let mut far = Client::connect(there.addr, true, &f.citizen).await;
    far.subscribe("1", FOLLOW, json!({ "id": d["id"] })).await;
    subscribed(&f.t, 1).await;
    there.subscribed(1).await;
    redis_listeners(&redis.url(), &config.redis_channel, 2).await;

    // A change on this instance reaches a subscriber on the other process.
    let d = f.ok(&f.citizen, "submitDossier", &d, "").await;
    assert_eq!(
        far.next(WAIT).await.unwrap()["data"]["dossierStatusChanged"]["seq"],
        2
    );
    assert_eq!(
        near.next(WAIT).await.unwrap()["data"]["dossierStatusChanged"]["seq"],
        2
    );

    // Redis goes away: mutations still succeed, this instance hears its own
    // events at once, and the other reads them from the database.
    redis.stop();
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    let committed = std::time::Instant::now();
    assert_eq!(
        near.next(WAIT).await.unwrap()["data"]["dossierStatusChanged"]["seq"],
        3
    );
    let own = committed.elapsed();
    assert!(
        own < Duration::from_secs(1),
        "own events wait on nothing: {own:?}"
    );
    let e = far.next(WAIT).await.expect("read from the database");
    assert_eq!(e["data"]["dossierStatusChanged"]["seq"], 3, "{e}");
    assert_eq!(e["data"]["dossierStatusChanged"]["resyncRequired"], false);

    // Redis comes back, then hangs (stopped, its sockets open): events
    // still cross, and nothing is lost or repeated.
    let redis = OwnRedis::start_on(port);
    redis_listeners(&redis.url(), &config.redis_channel, 2).await;
    let d = f.ok(&f.reception, "transferDossier", &d, "").await;
    assert_eq!(
        far.next(WAIT).await.unwrap()["data"]["dossierStatusChanged"]["seq"],
        4
    );
    assert_eq!(
        near.next(WAIT).await.unwrap()["data"]["dossierStatusChanged"]["seq"],
        4
    );
    redis.pause();
    f.ok(&f.specialist, "submitForApproval", &d, "").await;
    for c in [&mut far, &mut near] {
        let e = c.next(WAIT).await.expect("through a hung Redis");
        assert_eq!(e["data"]["dossierStatusChanged"]["seq"], 5, "{e}");
    }
    // The listener notices the silence and gives the connection up…
    let bus = f.t.app.state.bus.clone();
    eventually("a hung Redis noticed", Duration::from_secs(10), || {
        let bus = bus.clone();
        async move { bus.redis_connected() == Some(false) }
    })
    .await;
    // …and subscribes again once Redis answers.
    redis.resume();
    eventually("Redis heard again", Duration::from_secs(10), || {
        let bus = bus.clone();
        async move { bus.redis_connected() == Some(true) }
    })
    .await;
    redis_listeners(&redis.url(), &config.redis_channel, 2).await;
    for c in [&mut far, &mut near] {
        let e = c.next(QUIET).await;
        assert!(e.is_none(), "nothing twice: {e:?}");
    }
}

#[tokio::test]
async fn every_instance_hands_on_every_event_once_in_one_order() {
    let f = flow_with(Options {
        demo: true,
        tune: |c| c.redis_url = None,
        ..Default::default()
    })
    .await;
    // A second instance on the same database, without Redis: it reads the
    // outbox itself.
    let mut config = (*f.t.app.state.config).clone();
    config.demo = false;
    config.redis_url = None;
    let second = motcua::app::App::start(config).await.unwrap();
    let mut first_bus = f.t.app.state.bus.subscribe();
    let mut second_bus = second.state.bus.subscribe();
    for _ in 0..4 {
        let d = f.submitted().await;
        f.ok(&f.reception, "receiveDossier", &d, "").await;
    }
    // 4 × (create, submit, receive) committed: each bus hands on all 12,
    // once each, in the same order of positions.
    let mut heard = [Vec::new(), Vec::new()];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while heard.iter().any(|h| h.len() < 12) && tokio::time::Instant::now() < deadline {
        tokio::select! {
            Ok(motcua::events::BusMessage::Event(e)) = first_bus.recv() => heard[0].push((e.position, e.dossier_id, e.seq)),
            Ok(motcua::events::BusMessage::Event(e)) = second_bus.recv() => heard[1].push((e.position, e.dossier_id, e.seq)),
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    assert_eq!(heard[0].len(), 12, "{heard:?}");
    assert_eq!(heard[0], heard[1], "one order everywhere");
    assert!(
        heard[0].windows(2).all(|w| w[0].0 < w[1].0),
        "positions rise: {heard:?}"
    );
    // The events of one dossier keep their history order.
    for (_, dossier, seq) in &heard[0] {
        let earlier = heard[0].iter().filter(|(_, d, s)| d == dossier && s < seq);
        assert_eq!(earlier.count() as i32, seq - 1, "{heard:?}");
    }
}

#[tokio::test]
async fn an_officer_moved_to_another_agency_stops_hearing_the_old_one() {
    let f = flow().await;
    let addr = serve(&f.t).await;
    let centre = f.t.agency_id(motcua::services::demo::CENTRE_CODE).await;
    let ward_desk =
        f.t.agency_id(motcua::services::demo::DEMO_WARD_DESK_CODE)
            .await;
    let mut c = Client::connect(addr, false, &f.reception).await;
    c.subscribe("q", QUEUE, json!({ "a": centre })).await;
    subscribed(&f.t, 1).await;
    f.submitted().await;
    assert_eq!(
        c.next(WAIT).await.unwrap()["data"]["agencyQueue"]["toStatus"],
        "SUBMITTED"
    );
    // An admin moves the officer to the ward's one-stop unit.
    let me =
        f.t.data(Some(&f.reception), "{ me { id } }", json!({}))
            .await["me"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let admin = f.t.login_demo("quantri@demo.motcua.vn").await;
    f.t.data(
        Some(&admin),
        "mutation($a: ID!, $r: [RoleGrantInput!]!) { updateOfficialRoles(accountId: $a, roles: $r) { id } }",
        json!({ "a": me, "r": [{ "role": "RECEPTION_OFFICER", "agencyId": ward_desk }] }),
    )
    .await;
    f.submitted().await;
    let got = c.next(WAIT).await.unwrap();
    assert!(got["data"]["agencyQueue"].is_null(), "{got}");
    assert_eq!(got["errors"][0]["extensions"]["code"], "FORBIDDEN", "{got}");
}
