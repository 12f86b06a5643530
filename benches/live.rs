//! Live updates at scale: a `motcua serve` process on the demo province,
//! N WebSockets (`graphql-transport-ws`) each with one idle subscription,
//! and a citizen submitting dossiers that every one of them hears. For each
//! N (default 1,000 then 10,000) it measures the server's memory per idle
//! subscription, the time from sending `submitDossier` to each subscriber's
//! receipt of its event (p50, p99, missed deliveries), and what a fan-out
//! does to an unrelated request of another account.
//!
//! ```sh
//! cargo bench --bench live                  # SQLite in a temp dir, N = 1,000 and 10,000
//! cargo bench --bench live -- 5000          # other sizes
//! MOTCUA_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/bench cargo bench --bench live
//! ```
//!
//! The release binary runs as `motcua serve` (SQLite in a temp dir, the demo
//! without its activity, its log at `warn` counted, not shown; of the
//! caller's MOTCUA_ variables only MOTCUA_LIVE_THREADS reaches it); with
//! `MOTCUA_BENCH_DATABASE_URL`, on that database, which must be empty: the
//! server loads the demo province into it. Each N gets a server process of
//! its own; the load client is this process, so the two share the machine's
//! cores. Every 10th socket is the citizen's app (`myDossierEvents` of
//! congdan@demo.motcua.vn), the others desks of the provincial centre
//! (`agencyQueue`, motcua@demo.motcua.vn signed in four times, the sessions
//! shared by the sockets: sign-in is deliberately slow). The memory is the
//! server's RSS before and after the N sockets subscribed (the server counts
//! them at /metrics). Then congdan@ submits a construction permit of Sở Xây
//! dựng 20 times, one fan-out at a time: every socket should hear each; an
//! event still missing after 15 s without any arrival counts as missed.
//! Last, `me` of chuyenvien@ and `updateDossier` of doanhnghiep@'s draft are
//! timed alone and sent right after a `submitDossier` commits. The table is
//! made to be copied to the README ("Performance"); the last line is JSON.

// A measuring tool: a failure should stop it loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

#[path = "common/machine.rs"]
mod machine;

const PASSWORD: &str = "motcua@2026";
/// Trung tâm Phục vụ hành chính công tỉnh: it receives Sở Xây dựng's dossiers.
const PROVINCIAL_CENTRE: &str = "000.00.12.H56";
/// Sessions of the reception officer the desks' sockets share.
const DESK_SESSIONS: usize = 4;
/// Every this many sockets, one is the citizen's app.
const CITIZEN_EVERY: usize = 10;
/// Events timed for publish → receive.
const EVENTS: usize = 20;
/// Rounds of each unrelated request, without and during a fan-out.
const PROBE_ROUNDS: usize = 5;
/// Sockets opened, then closed, before the memory baseline.
const WARM_UP_SOCKETS: usize = 10;
/// Handshakes in flight while the sockets open.
const OPENING_AT_ONCE: usize = 64;
/// A fan-out is over when every subscriber has its event, or when none
/// has arrived for this long: what is still missing then counts as missed.
const STALL: Duration = Duration::from_secs(15);
/// Pause between fan-outs, so that they never overlap.
const BETWEEN_EVENTS: Duration = Duration::from_millis(200);

const AGENCY_QUEUE: &str =
    "subscription($a: ID!) { agencyQueue(agencyId: $a) { resyncRequired dossierId seq toStatus } }";
const MY_DOSSIER_EVENTS: &str =
    "subscription { myDossierEvents { resyncRequired dossierId seq toStatus } }";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An event, as subscribers identify it: (dossier id, history sequence number).
type EventKey = (String, i64);

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(|a| a.parse().expect("sizes are numbers of subscriptions"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000]
    } else {
        sizes
    };
    // reqwest's TLS needs a crypto provider, even for plain http.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let machine = Machine::now();
    println!(
        "{} cores ({}), {}, {}",
        machine.cores, machine.cpu, machine.date, machine.database
    );
    let mut runs = Vec::new();
    for n in sizes {
        let run = measure(n).await;
        run.print();
        runs.push(run.to_json());
    }
    println!(
        "{}",
        json!({
            "bench": "live",
            "date": machine.date,
            "cores": machine.cores,
            "cpu": machine.cpu,
            "database": machine.database,
            "runs": runs,
        })
    );
}

/// Where the figures were measured.
struct Machine {
    cores: usize,
    cpu: String,
    date: String,
    database: &'static str,
}

impl Machine {
    fn now() -> Machine {
        let cpu = machine::cpu_model();
        let database = match std::env::var("MOTCUA_BENCH_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => "PostgreSQL",
            _ => "SQLite",
        };
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            database,
        }
    }
}

/// A `motcua serve` process on the demo province, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    api: Api,
    /// Its data directory, which holds its log (`server.log`).
    data: tempfile::TempDir,
}

impl Server {
    /// Starts the release binary and waits until it is ready (the demo
    /// loaded). Only the variables set here reach it.
    async fn start() -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        let url = std::env::var("MOTCUA_BENCH_DATABASE_URL").unwrap_or_else(|_| {
            format!(
                "sqlite://{}?mode=rwc",
                data.path().join("bench.db").display()
            )
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut command = Command::new(env!("CARGO_BIN_EXE_motcua"));
        for (k, _) in std::env::vars() {
            if k.starts_with("MOTCUA_") && k != "MOTCUA_LIVE_THREADS" {
                command.env_remove(k);
            }
        }
        let child = command
            .arg("serve")
            .env("MOTCUA_BIND", addr.to_string())
            .env("MOTCUA_DATA_DIR", data.path())
            .env("MOTCUA_DATABASE_URL", url)
            .env("MOTCUA_DEMO", "true")
            .env("MOTCUA_DEMO_ACTIVITY", "false")
            .env("MOTCUA_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(data.path().join("server.log")).expect("log file"))
            .spawn()
            .expect("motcua serve");
        let server = Server {
            child,
            addr,
            api: Api::new(addr),
            data,
        };
        let started = Instant::now();
        while !server.api.ready().await {
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "the server was not ready within 5 minutes"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    /// The process's resident memory (VmRSS), in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// What it logged (at `warn` and above): how many lines, and the first.
    fn log(&self) -> ServerLog {
        let log = std::fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default();
        ServerLog {
            lines: log.lines().count(),
            first: log.lines().next().map(str::to_owned),
        }
    }

    /// Its resident memory once the allocator has settled.
    async fn settled_rss_kib(&self) -> u64 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        self.rss_kib()
    }

    /// Waits until the server counts `expected` subscriptions (it counts
    /// one when the subscription listens on its event bus), or panics when
    /// the count stops moving towards it.
    async fn await_subscriptions(&self, expected: usize, subscribers: &Subscribers) {
        let mut last = usize::MAX;
        let mut moved = Instant::now();
        loop {
            let open = self.api.subscriptions_open().await;
            if open == expected {
                return;
            }
            let errors = subscribers.errors.load(Ordering::Relaxed);
            assert_eq!(
                errors,
                0,
                "subscriptions refused (first: {:?})",
                subscribers.first_error()
            );
            if open != last {
                last = open;
                moved = Instant::now();
            }
            assert!(
                moved.elapsed() < Duration::from_secs(60),
                "the server counts {open} subscriptions, not {expected}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's HTTP side: GraphQL over POST, readiness and metrics.
struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn new(addr: SocketAddr) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: format!("http://{addr}"),
        }
    }

    async fn ready(&self) -> bool {
        self.http
            .get(format!("{}/readyz", self.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// `motcua_subscriptions_open` at GET /metrics.
    async fn subscriptions_open(&self) -> usize {
        let text = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics");
        text.lines()
            .find_map(|l| l.strip_prefix("motcua_subscriptions_open "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .expect("motcua_subscriptions_open") as usize
    }

    /// The answer's data, or its errors (or the failed exchange) as text.
    async fn try_gql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Result<Value, String> {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .header("content-type", "application/json")
            .body(json!({ "query": query, "variables": variables }).to_string());
        if let Some(t) = token {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        let answer: Value = serde_json::from_slice(&body)
            .map_err(|_| format!("HTTP {status}: {}", String::from_utf8_lossy(&body)))?;
        match answer.get("errors") {
            Some(errors) => Err(errors.to_string()),
            None => Ok(answer["data"].clone()),
        }
    }

    /// The answer's data; errors stop the bench.
    async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.try_gql(token, query, variables)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    async fn login(&self, email: &str) -> String {
        let data = self
            .gql(
                None,
                "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { token } }",
                json!({ "i": email, "p": PASSWORD }),
            )
            .await;
        data["login"]["token"].as_str().expect("token").to_owned()
    }
}

/// The demo province's side of the bench: who signs in, where the
/// dossiers go.
struct Province {
    /// The reception officer's sessions, shared by the desks' sockets.
    desks: Vec<String>,
    /// congdan@: submits the dossiers, and its app follows them.
    citizen: String,
    /// doanhnghiep@: edits a draft of its own (an unrelated write).
    organisation: String,
    /// chuyenvien@: reads its account (an unrelated read).
    specialist: String,
    centre_id: String,
    procedure_id: String,
    /// Sở Xây dựng, the settling agency; the centre receives.
    agency_id: String,
    form_data: Value,
}

impl Province {
    async fn sign_in(api: &Api) -> Province {
        let mut desks = Vec::new();
        for _ in 0..DESK_SESSIONS {
            desks.push(api.login("motcua@demo.motcua.vn").await);
        }
        let centre = api
            .gql(
                None,
                "query($c: String) { agency(code: $c) { id } }",
                json!({ "c": PROVINCIAL_CENTRE }),
            )
            .await;
        // The README's journey: a construction permit of Sở Xây dựng.
        let procedure = api
            .gql(
                None,
                "query { procedures(filter: { text: \"giay phep xay dung\", level: PROVINCE }, first: 1) {
                   edges { node { id current { agencies { id } components { name required } } } } } }",
                json!({}),
            )
            .await;
        let node = &procedure["procedures"]["edges"][0]["node"];
        let components: Vec<Value> = node["current"]["components"]
            .as_array()
            .expect("components")
            .iter()
            .filter(|c| c["required"] == json!(true))
            .map(|c| json!({ "name": c["name"] }))
            .collect();
        Province {
            desks,
            citizen: api.login("congdan@demo.motcua.vn").await,
            organisation: api.login("doanhnghiep@demo.motcua.vn").await,
            specialist: api.login("chuyenvien@demo.motcua.vn").await,
            centre_id: centre["agency"]["id"].as_str().expect("centre").to_owned(),
            procedure_id: node["id"].as_str().expect("procedure").to_owned(),
            agency_id: node["current"]["agencies"][0]["id"]
                .as_str()
                .expect("agency")
                .to_owned(),
            form_data: json!({ "components": components }),
        }
    }

    /// A new draft of `token`'s holder, received at the provincial centre
    /// once submitted: (id, version).
    async fn draft(&self, api: &Api, token: &str) -> Draft {
        let data = api
            .gql(
                Some(token),
                "mutation($input: CreateDossierInput!) {
                   createDossier(input: $input) { id version receivingAgency { id } } }",
                json!({ "input": {
                    "procedureId": self.procedure_id,
                    "agencyId": self.agency_id,
                    "formData": self.form_data,
                } }),
            )
            .await;
        let d = &data["createDossier"];
        assert_eq!(
            d["receivingAgency"]["id"].as_str(),
            Some(self.centre_id.as_str()),
            "the provincial centre receives the procedure"
        );
        Draft {
            id: d["id"].as_str().expect("id").to_owned(),
            version: d["version"].as_i64().expect("version"),
        }
    }

    /// What socket `i` subscribes to, as whom.
    fn watcher(&self, i: usize) -> Watcher<'_> {
        if i % CITIZEN_EVERY == CITIZEN_EVERY - 1 {
            Watcher {
                token: &self.citizen,
                query: MY_DOSSIER_EVENTS,
                variables: json!({}),
            }
        } else {
            Watcher {
                token: &self.desks[i % DESK_SESSIONS],
                query: AGENCY_QUEUE,
                variables: json!({ "a": self.centre_id }),
            }
        }
    }
}

struct Draft {
    id: String,
    version: i64,
}

impl Draft {
    /// Submits it: when the request was sent, how long it took, and the
    /// event its subscribers should get.
    async fn submit(&self, api: &Api, token: &str) -> (Instant, Duration, EventKey) {
        let sent = Instant::now();
        let data = api
            .gql(
                Some(token),
                "mutation($id: ID!, $v: Int!) { submitDossier(id: $id, expectedVersion: $v) { version } }",
                json!({ "id": self.id, "v": self.version }),
            )
            .await;
        let took = sent.elapsed();
        // The history event's sequence number is the dossier's new version.
        let seq = data["submitDossier"]["version"].as_i64().expect("version");
        (sent, took, (self.id.clone(), seq))
    }
}

/// One socket's subscription.
struct Watcher<'a> {
    token: &'a str,
    query: &'static str,
    variables: Value,
}

/// What the subscribers received, shared by their sockets' tasks.
#[derive(Default)]
struct Subscribers {
    /// Per event, when each socket (by index) received it.
    receipts: Mutex<HashMap<EventKey, HashMap<usize, Instant>>>,
    /// An event a socket received twice.
    duplicates: AtomicUsize,
    /// `resyncRequired` markers.
    resyncs: AtomicUsize,
    /// `error` messages, and their first.
    errors: AtomicUsize,
    first_error: Mutex<Option<String>>,
    /// Sockets the server closed, or operations it completed.
    ended: AtomicUsize,
}

impl Subscribers {
    /// Counts an error answer, keeping the first one's text.
    fn failed(&self, text: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.first_error
            .lock()
            .unwrap()
            .get_or_insert(text.to_owned());
    }

    fn received(&self, socket: usize, key: EventKey, at: Instant) {
        let mut receipts = self.receipts.lock().unwrap();
        if receipts
            .entry(key)
            .or_default()
            .insert(socket, at)
            .is_some()
        {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn count(&self, key: &EventKey) -> usize {
        self.receipts
            .lock()
            .unwrap()
            .get(key)
            .map_or(0, HashMap::len)
    }

    fn first_error(&self) -> Option<String> {
        self.first_error.lock().unwrap().clone()
    }

    /// Waits until `expected` sockets have `key`, or until none has
    /// arrived for [`STALL`]; how many have.
    async fn await_fan_out(&self, key: &EventKey, expected: usize) -> usize {
        let mut seen = 0;
        let mut moved = Instant::now();
        loop {
            let count = self.count(key);
            if count >= expected {
                return count;
            }
            if count > seen {
                seen = count;
                moved = Instant::now();
            } else if moved.elapsed() > STALL {
                return count;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Per `(event, sent)`, the time from sending its mutation to each
    /// receipt, in ms; and how many receipts are missing of `expected` each.
    fn latencies(&self, events: &[(EventKey, Instant)], expected: usize) -> (Vec<f64>, usize) {
        let receipts = self.receipts.lock().unwrap();
        let mut latencies = Vec::new();
        let mut missed = 0;
        for (key, sent) in events {
            let got = receipts.get(key);
            missed += expected - got.map_or(0, HashMap::len).min(expected);
            latencies.extend(
                got.into_iter()
                    .flat_map(HashMap::values)
                    .map(|at| ms(at.saturating_duration_since(*sent))),
            );
        }
        (latencies, missed)
    }
}

/// Opens socket `index` as `watcher` says, past `connection_ack`, sends its
/// `subscribe`, and hands it to a task that records what comes.
async fn open(
    addr: SocketAddr,
    index: usize,
    watcher: Watcher<'_>,
    subscribers: Arc<Subscribers>,
) -> JoinHandle<()> {
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    // Small buffers: ten thousand sockets of 128 KiB each would crowd the
    // machine the server is measured on.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .expect("WebSocket handshake");
    send(
        &mut ws,
        json!({ "type": "connection_init",
                "payload": { "authorization": format!("Bearer {}", watcher.token) } }),
    )
    .await;
    let ack = tokio::time::timeout(Duration::from_secs(60), ws.next())
        .await
        .expect("connection_ack within 60 s");
    match ack {
        Some(Ok(Message::Text(t))) if t.as_str().contains("\"connection_ack\"") => {}
        other => panic!("no connection_ack: {other:?}"),
    }
    send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe",
                "payload": { "query": watcher.query, "variables": watcher.variables } }),
    )
    .await;
    tokio::spawn(listen(ws, index, subscribers))
}

async fn send(ws: &mut Socket, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .expect("send");
}

/// Records what socket `index` receives until the server ends it.
async fn listen(mut ws: Socket, index: usize, subscribers: Arc<Subscribers>) {
    while let Some(Ok(message)) = ws.next().await {
        let at = Instant::now();
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => break,
            _ => continue,
        };
        let message: Value = serde_json::from_str(text.as_str()).expect("JSON message");
        match message["type"].as_str() {
            Some("next") => {
                let data = &message["payload"]["data"];
                let Some(event) = data.as_object().and_then(|d| d.values().next()) else {
                    subscribers.failed(&text);
                    continue;
                };
                if event["resyncRequired"] == json!(true) {
                    subscribers.resyncs.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let key = (
                    event["dossierId"].as_str().expect("dossierId").to_owned(),
                    event["seq"].as_i64().expect("seq"),
                );
                subscribers.received(index, key, at);
            }
            Some("error") => subscribers.failed(&text),
            Some("complete") => break,
            _ => {}
        }
    }
    subscribers.ended.fetch_add(1, Ordering::Relaxed);
}

/// Opens `count` sockets, numbered from `first`, `OPENING_AT_ONCE` at a time.
async fn open_many(
    addr: SocketAddr,
    province: &Province,
    first: usize,
    count: usize,
    subscribers: &Arc<Subscribers>,
) -> Vec<JoinHandle<()>> {
    futures_util::stream::iter(first..first + count)
        .map(|i| open(addr, i, province.watcher(i), subscribers.clone()))
        .buffer_unordered(OPENING_AT_ONCE)
        .collect()
        .await
}

/// An unrelated request of another account, timed with no fan-out and
/// right as one starts.
enum Probe {
    /// chuyenvien@ reads its account: `query { me { id } }`.
    ReadAccount,
    /// doanhnghiep@ edits its own draft: `mutation { updateDossier }`.
    EditDraft(Draft),
}

impl Probe {
    fn name(&self) -> &'static str {
        match self {
            Probe::ReadAccount => "query me",
            Probe::EditDraft(_) => "mutation updateDossier",
        }
    }

    /// How long it took, or why it failed.
    async fn run(&mut self, api: &Api, province: &Province) -> Result<Duration, String> {
        let started = Instant::now();
        match self {
            Probe::ReadAccount => {
                api.try_gql(Some(&province.specialist), "{ me { id } }", json!({}))
                    .await?;
            }
            Probe::EditDraft(draft) => {
                let data = api
                    .try_gql(
                        Some(&province.organisation),
                        "mutation($id: ID!, $v: Int!, $f: JSON!) {
                           updateDossier(id: $id, expectedVersion: $v, formData: $f) { version } }",
                        json!({ "id": draft.id, "v": draft.version, "f": province.form_data }),
                    )
                    .await?;
                draft.version = data["updateDossier"]["version"].as_i64().expect("version");
            }
        }
        Ok(started.elapsed())
    }
}

/// One probe's times, in ms.
struct ProbeTimes {
    name: &'static str,
    idle: Vec<f64>,
    during_fan_out: Vec<f64>,
    failures: Vec<String>,
}

/// The server's log lines, kept out of the table (under load, sqlx warns
/// of every slow pool acquisition).
struct ServerLog {
    lines: usize,
    first: Option<String>,
}

/// The figures of one N.
struct Run {
    subscriptions: usize,
    citizen_subscriptions: usize,
    rss_before_kib: u64,
    rss_subscribed_kib: u64,
    rss_after_events_kib: u64,
    subscribe_seconds: f64,
    submits: Vec<f64>,
    deliveries: Vec<f64>,
    missed: usize,
    duplicates: usize,
    resyncs: usize,
    errors: usize,
    first_error: Option<String>,
    ended: usize,
    probes: Vec<ProbeTimes>,
    log: ServerLog,
}

async fn measure(n: usize) -> Run {
    println!("\n{n} subscriptions: starting the server");
    let server = Server::start().await;
    let api = &server.api;
    let province = Province::sign_in(api).await;
    // Every dossier the run submits is a draft before the first socket
    // opens: drafts are heard by the citizen's app too.
    let mut drafts = Vec::new();
    // The warm-up's, the timed events', and one per fan-out of each of
    // the two probes.
    for _ in 0..1 + EVENTS + 2 * PROBE_ROUNDS {
        drafts.push(province.draft(api, &province.citizen).await);
    }
    let edited = province.draft(api, &province.organisation).await;
    let subscribers = Arc::new(Subscribers::default());
    let idle_subscriptions = api.subscriptions_open().await;

    // Warm-up: a few sockets hear one event, then leave.
    let warm_up = open_many(server.addr, &province, n, WARM_UP_SOCKETS, &subscribers).await;
    server
        .await_subscriptions(idle_subscriptions + WARM_UP_SOCKETS, &subscribers)
        .await;
    let draft = drafts.pop().expect("a draft");
    let (_, _, key) = draft.submit(api, &province.citizen).await;
    subscribers.await_fan_out(&key, WARM_UP_SOCKETS).await;
    warm_up.iter().for_each(JoinHandle::abort);
    server
        .await_subscriptions(idle_subscriptions, &subscribers)
        .await;
    let rss_before_kib = server.settled_rss_kib().await;

    // 1. Memory per idle subscription.
    println!("{n} subscriptions: opening the sockets");
    let started = Instant::now();
    let sockets = open_many(server.addr, &province, 0, n, &subscribers).await;
    server
        .await_subscriptions(idle_subscriptions + n, &subscribers)
        .await;
    let subscribe_seconds = started.elapsed().as_secs_f64();
    let rss_subscribed_kib = server.settled_rss_kib().await;

    // 2. Publish → receive, one fan-out at a time.
    println!("{n} subscriptions: {EVENTS} events");
    let mut submits = Vec::new();
    let mut events = Vec::new();
    for draft in drafts.drain(..EVENTS) {
        let (sent, took, key) = draft.submit(api, &province.citizen).await;
        submits.push(ms(took));
        subscribers.await_fan_out(&key, n).await;
        events.push((key, sent));
        tokio::time::sleep(BETWEEN_EVENTS).await;
    }

    // 3. An unrelated request of another account, with no fan-out, then
    // sent as soon as a submission commits (its fan-out starting).
    println!("{n} subscriptions: requests during fan-outs");
    let mut probes = Vec::new();
    let mut kinds = [Probe::ReadAccount, Probe::EditDraft(edited)];
    let mut fan_out_drafts = drafts.into_iter();
    for probe in &mut kinds {
        let mut times = ProbeTimes {
            name: probe.name(),
            idle: Vec::new(),
            during_fan_out: Vec::new(),
            failures: Vec::new(),
        };
        for _ in 0..PROBE_ROUNDS {
            match probe.run(api, &province).await {
                Ok(took) => times.idle.push(ms(took)),
                Err(e) => times.failures.push(e),
            }
            tokio::time::sleep(BETWEEN_EVENTS).await;
        }
        for _ in 0..PROBE_ROUNDS {
            let Some(draft) = fan_out_drafts.next() else {
                break;
            };
            let (_, _, key) = draft.submit(api, &province.citizen).await;
            match probe.run(api, &province).await {
                Ok(took) => times.during_fan_out.push(ms(took)),
                Err(e) => times.failures.push(e),
            }
            subscribers.await_fan_out(&key, n).await;
            tokio::time::sleep(BETWEEN_EVENTS).await;
        }
        probes.push(times);
    }
    let rss_after_events_kib = server.rss_kib();

    let (deliveries, missed) = subscribers.latencies(&events, n);
    let run = Run {
        subscriptions: n,
        citizen_subscriptions: n / CITIZEN_EVERY,
        rss_before_kib,
        rss_subscribed_kib,
        rss_after_events_kib,
        subscribe_seconds,
        submits,
        deliveries,
        missed,
        duplicates: subscribers.duplicates.load(Ordering::Relaxed),
        resyncs: subscribers.resyncs.load(Ordering::Relaxed),
        errors: subscribers.errors.load(Ordering::Relaxed),
        first_error: subscribers.first_error(),
        ended: subscribers.ended.load(Ordering::Relaxed),
        probes,
        log: server.log(),
    };
    drop(server);
    sockets.iter().for_each(JoinHandle::abort);
    run
}

impl Run {
    fn kib_per_subscription(&self) -> f64 {
        (self.rss_subscribed_kib as f64 - self.rss_before_kib as f64) / self.subscriptions as f64
    }

    fn print(&self) {
        let n = self.subscriptions;
        let mib = |kib: u64| kib as f64 / 1024.0;
        println!(
            "\n{n} subscriptions ({} agencyQueue of {DESK_SESSIONS} desk sessions, {} myDossierEvents)",
            n - self.citizen_subscriptions,
            self.citizen_subscriptions
        );
        println!(
            "  {:<36} {:.1} s",
            "all subscribed in", self.subscribe_seconds
        );
        println!(
            "  {:<36} {:.1} MiB → {:.1} MiB: {:.1} KiB per subscription",
            "server RSS, idle → subscribed",
            mib(self.rss_before_kib),
            mib(self.rss_subscribed_kib),
            self.kib_per_subscription()
        );
        println!(
            "  {:<36} {:.1} MiB",
            "server RSS after the events",
            mib(self.rss_after_events_kib)
        );
        let submits = Summary::of(&self.submits);
        println!(
            "  {:<36} p50 {:.1} ms, max {:.1} ms",
            "submitDossier (the mutation)", submits.p50, submits.max
        );
        let deliveries = Summary::of(&self.deliveries);
        println!(
            "  {:<36} p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            format!("publish → receive ({EVENTS} × {n})"),
            deliveries.p50,
            deliveries.p99,
            deliveries.max
        );
        println!(
            "  {:<36} {} missed, {} duplicated, {} resync markers, {} errors, {} sockets ended",
            "deliveries", self.missed, self.duplicates, self.resyncs, self.errors, self.ended
        );
        if let Some(e) = &self.first_error {
            println!("  first error: {e}");
        }
        println!("  {:<36} {} lines", "server log (warn)", self.log.lines);
        if let Some(line) = &self.log.first {
            println!("    first: {line}");
        }
        for p in &self.probes {
            let (idle, busy) = (Summary::of(&p.idle), Summary::of(&p.during_fan_out));
            println!(
                "  {:<36} p50 {:.1} ms idle, {:.1} ms during a fan-out (max {:.1} ms): ×{:.1}",
                p.name,
                idle.p50,
                busy.p50,
                busy.max,
                busy.p50 / idle.p50
            );
            for f in &p.failures {
                println!("    failed: {f}");
            }
        }
    }

    fn to_json(&self) -> Value {
        let deliveries = Summary::of(&self.deliveries);
        let submits = Summary::of(&self.submits);
        json!({
            "subscriptions": self.subscriptions,
            "citizen_subscriptions": self.citizen_subscriptions,
            "rss_before_kib": self.rss_before_kib,
            "rss_subscribed_kib": self.rss_subscribed_kib,
            "rss_after_events_kib": self.rss_after_events_kib,
            "kib_per_subscription": round(self.kib_per_subscription()),
            "subscribe_seconds": round(self.subscribe_seconds),
            "events": EVENTS,
            "submit_ms": { "p50": round(submits.p50), "max": round(submits.max) },
            "delivery_ms": {
                "p50": round(deliveries.p50),
                "p99": round(deliveries.p99),
                "max": round(deliveries.max),
            },
            "deliveries_expected": EVENTS * self.subscriptions,
            "missed": self.missed,
            "duplicates": self.duplicates,
            "resyncs": self.resyncs,
            "errors": self.errors,
            "sockets_ended": self.ended,
            "server_log_lines": self.log.lines,
            "probes": self.probes.iter().map(|p| {
                let (idle, busy) = (Summary::of(&p.idle), Summary::of(&p.during_fan_out));
                json!({
                    "operation": p.name,
                    "idle_ms_p50": round(idle.p50),
                    "fan_out_ms_p50": round(busy.p50),
                    "fan_out_ms_max": round(busy.max),
                    "ratio": round(busy.p50 / idle.p50),
                    "failures": p.failures.len(),
                })
            }).collect::<Vec<_>>(),
        })
    }
}

/// Nearest-rank percentiles of a sample (NaN when it is empty).
struct Summary {
    p50: f64,
    p99: f64,
    max: f64,
}

impl Summary {
    fn of(sample: &[f64]) -> Summary {
        let mut sorted = sample.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
            sorted.get(i).copied().unwrap_or(f64::NAN)
        };
        Summary {
            p50: rank(0.50),
            p99: rank(0.99),
            max: sorted.last().copied().unwrap_or(f64::NAN),
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// To one decimal, for the JSON line.
fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
