//! `TestApp`: a started application on its own fresh database, driven
//! through its router like a client would.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use motcua::app::App;
use motcua::config::Config;
use serde_json::{json, Value};
use tokio::sync::OnceCell;
use tower::ServiceExt;

pub const DEMO_PASSWORD: &str = motcua::services::demo::DEMO_PASSWORD;

pub struct TestApp {
    pub app: App,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);
static PG_CLEANED: OnceCell<()> = OnceCell::const_new();

pub fn postgres_url() -> Option<String> {
    std::env::var("MOTCUA_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

pub fn redis_url() -> Option<String> {
    std::env::var("MOTCUA_TEST_REDIS_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

/// The test Redis, for a test that needs one. Without
/// `MOTCUA_TEST_REDIS_URL` it prints a skip line and returns None, but
/// fails under `CI=true`: in CI a skipped test would hide a regression.
pub fn require_redis(test: &str) -> Option<String> {
    required(test, "MOTCUA_TEST_REDIS_URL", redis_url())
}

/// The test PostgreSQL server, for a test about PostgreSQL itself; like
/// `require_redis`.
pub fn require_postgres(test: &str) -> Option<String> {
    required(test, "MOTCUA_TEST_DATABASE_URL", postgres_url())
}

fn required(test: &str, var: &str, url: Option<String>) -> Option<String> {
    let missing = url.is_none().then(|| format!("{var} is not set"));
    available(test, missing).then_some(url).flatten()
}

/// Whether what `test` needs is there: with `missing` (why not) it prints
/// a skip line and returns false, but fails under `CI=true`, where a
/// skipped test would hide a regression.
pub fn available(test: &str, missing: Option<String>) -> bool {
    let Some(why) = missing else {
        return true;
    };
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: {why} (CI=true forbids skipping)"
    );
    eprintln!("SKIPPED {test}: {why}");
    false
}

/// The node scripts' directory, `tests/graphql-http` (its packages are
/// installed with `npm ci` there).
pub fn node_scripts() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/graphql-http")
}

/// Why a node script using `packages` cannot run here (for `available`):
/// node is not on PATH, or the packages are not installed.
pub fn node_missing(packages: &[&str]) -> Option<String> {
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let installed = packages
        .iter()
        .all(|p| node_scripts().join("node_modules").join(p).is_dir());
    match (node, installed) {
        (false, _) => Some("node is not on PATH".to_owned()),
        (true, false) => {
            Some("the packages are not installed (npm ci in tests/graphql-http)".to_owned())
        }
        (true, true) => None,
    }
}

/// Polls `check` every 10 ms until it returns true; panics with `what`
/// after `within`. Tests wait on a condition this way, never on a fixed
/// sleep.
pub async fn eventually<F, Fut>(what: &str, within: std::time::Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// With `TEST_LOG` set (to a filter such as `debug`, or `1` for `info`),
/// the server's logs are written to the test's output; without it, tests
/// stay quiet. Installed once per test binary.
fn init_test_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    let Some(filter) = std::env::var("TEST_LOG").ok().filter(|v| !v.is_empty()) else {
        return;
    };
    ONCE.call_once(|| {
        let filter = match filter.as_str() {
            "1" | "true" => "info".to_owned(),
            f => f.to_owned(),
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    });
}

/// An empty database on the store under test: a fresh PostgreSQL database,
/// or a SQLite file in a temporary directory (returned, to keep it alive).
pub async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    match postgres_url() {
        Some(base) => (fresh_postgres(&base).await, None),
        None => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("motcua.db").display()
            );
            (url, Some(dir))
        }
    }
}

/// A fresh PostgreSQL database on the test server; leftovers of earlier runs
/// are dropped once per process.
async fn fresh_postgres(base: &str) -> String {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let admin = Database::connect(base)
        .await
        .expect("connect to MOTCUA_TEST_DATABASE_URL");
    PG_CLEANED
        .get_or_init(|| async {
            let rows = admin
                .query_all_raw(Statement::from_string(
                    admin.get_database_backend(),
                    "SELECT datname FROM pg_database WHERE datname LIKE 'motcua_t_%'",
                ))
                .await
                .unwrap();
            for row in rows {
                let name: String = row.try_get("", "datname").unwrap();
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            }
        })
        .await;
    let name = format!(
        "motcua_t_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    admin.close().await.ok();
    // Replace the database name (the path) of the URL.
    let (prefix, rest) = base.rsplit_once('/').expect("a database URL with a path");
    let query = rest
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{prefix}/{name}{query}")
}

pub struct Options {
    pub demo: bool,
    /// The demo's sample dossiers and feedback (off: tests count their own).
    pub activity: bool,
    pub tune: fn(&mut Config),
    /// Overrides MOTCUA_TEST_REDIS_URL (a test's own Redis server).
    pub redis: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            demo: true,
            activity: false,
            tune: |_| {},
            redis: None,
        }
    }
}

impl TestApp {
    /// A fresh database with the demo province loaded.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(Options::default()).await
    }

    /// A fresh, empty (migrated) database.
    pub async fn spawn_empty() -> TestApp {
        TestApp::spawn_with(Options {
            demo: false,
            ..Default::default()
        })
        .await
    }

    pub async fn spawn_with(options: Options) -> TestApp {
        init_test_log();
        let (url, dir) = fresh_database().await;
        let data_dir = dir
            .as_ref()
            .map(|d| d.path().join("data"))
            .unwrap_or_else(|| std::env::temp_dir().join("motcua-test-data"));
        let channel = format!(
            "motcua-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut config = Config::from_lookup(|k| match k {
            "MOTCUA_DATABASE_URL" => Some(url.clone()),
            "MOTCUA_REDIS_URL" => options.redis.clone().or_else(redis_url),
            // Tests share one Redis: each app gets its own channel.
            "MOTCUA_REDIS_CHANNEL" => Some(channel.clone()),
            "MOTCUA_DATA_DIR" => Some(data_dir.display().to_string()),
            "MOTCUA_DEMO" => Some(options.demo.to_string()),
            "MOTCUA_DEMO_ACTIVITY" => Some(options.activity.to_string()),
            "MOTCUA_TRUST_FORWARDED_FOR" => Some("true".into()),
            // Tests drive the notification worker themselves.
            "MOTCUA_NOTIFY_WORKER" => Some("false".into()),
            _ => None,
        })
        .unwrap();
        (options.tune)(&mut config);
        let app = App::start(config).await.unwrap();
        TestApp { app, _dir: dir }
    }

    /// Wraps an application started elsewhere (on a database it owns).
    pub fn from_app(app: App) -> TestApp {
        TestApp { app, _dir: None }
    }

    /// Another handle on the same application.
    pub fn clone_handle(&self) -> TestApp {
        TestApp::from_app(self.app.clone())
    }

    /// Sends a raw HTTP request through the router.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let (status, _, body) = self.exchange(req).await;
        (status, body)
    }

    /// Sends a raw HTTP request through the router: the status, the
    /// headers and the body (JSON when it is, else its text).
    pub async fn exchange(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let resp = self.app.router().oneshot(req).await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, headers, body)
    }

    /// Runs a GraphQL operation, optionally signed in.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_with(token, query, variables, &[]).await
    }

    pub async fn gql_with(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> Value {
        let mut req = Request::post("/graphql").header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = json!({ "query": query, "variables": variables });
        let (_, value) = self
            .send(req.body(Body::from(body.to_string())).unwrap())
            .await;
        value
    }

    /// Runs an operation anonymously and returns `data`, failing on errors.
    pub async fn data(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let v = self.gql(token, query, variables).await;
        assert!(v.get("errors").is_none(), "unexpected errors: {v:#}");
        v["data"].clone()
    }

    /// Signs in and returns the token.
    pub async fn login(&self, identifier: &str, password: &str) -> String {
        let d = self
            .data(
                None,
                "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { token } }",
                json!({ "i": identifier, "p": password }),
            )
            .await;
        d["login"]["token"].as_str().unwrap().to_owned()
    }

    pub async fn login_demo(&self, email: &str) -> String {
        self.login(email, DEMO_PASSWORD).await
    }

    /// Moves the application's clock ten working hours on, into working
    /// time, so that a test does not depend on the hour it runs at. Sign in
    /// after it: sessions would expire on the way.
    pub async fn to_working_hours(&self) {
        let now = self.app.now();
        let d = self
            .data(
                None,
                "query($f: DateTime!) { addWorkingTime(from: $f, workingHours: 10) }",
                json!({ "f": now.to_rfc3339() }),
            )
            .await;
        let at = chrono::DateTime::parse_from_rfc3339(d["addWorkingTime"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        self.app.state.clock.advance(at - now);
    }

    /// The id of an agency by its code.
    pub async fn agency_id(&self, code: &str) -> String {
        let d = self
            .data(
                None,
                "query($c: String) { agency(code: $c) { id } }",
                json!({ "c": code }),
            )
            .await;
        d["agency"]["id"].as_str().unwrap().to_owned()
    }
}

/// The first error's `extensions.code`.
/// A GraphQL multipart request (the upload spec) with one file in
/// `variables.<file_var>`.
pub fn multipart(
    token: &str,
    query: &str,
    variables: Value,
    file_var: &str,
    filename: &str,
    bytes: &[u8],
) -> Request<Body> {
    let (content_type, body) = multipart_body(query, variables, file_var, filename, bytes);
    Request::post("/graphql")
        .header("content-type", content_type)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body))
        .unwrap()
}

/// The content type and body of a multipart request (GraphQL multipart
/// request spec) that uploads `bytes` as `variables.<file_var>`.
pub fn multipart_body(
    query: &str,
    mut variables: Value,
    file_var: &str,
    filename: &str,
    bytes: &[u8],
) -> (String, Vec<u8>) {
    let boundary = "motcua-test-boundary";
    variables[file_var] = Value::Null;
    let ops = json!({ "query": query, "variables": variables });
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{ops}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\": [\"variables.{file_var}\"]}}\r\n").as_bytes());
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A small PDF-looking file (recognised by its first bytes).
pub fn pdf(size: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.4\n".to_vec();
    b.resize(size, b'x');
    b
}

pub fn error_code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {v:#}"))
}

pub fn error_field(v: &Value) -> &str {
    v["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field in {v:#}"))
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    // Never the same port twice in this test process: a port handed to a
    // server still starting is free to the OS, and another test's server
    // taking it would answer for the first one.
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// The `motcua` binary, with no MOTCUA_ variable inherited from the test's
/// environment.
pub fn motcua() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"));
    for (k, _) in std::env::vars() {
        if k.starts_with("MOTCUA_") {
            c.env_remove(k);
        }
    }
    c
}

/// Runs a command to its end; its standard output, or a panic with its
/// standard error when it fails.
pub fn stdout_of(command: &mut std::process::Command) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A `motcua serve` process of its own: no MOTCUA_ variable inherited, a
/// fresh data directory, the demo off, logs at `warn` to null; `env` sets
/// the rest (at least MOTCUA_DATABASE_URL). Killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub addr: std::net::SocketAddr,
    /// Its data directory (removed when dropped).
    #[allow(dead_code)] // for the tests that look at a server's files
    pub data: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts the process and waits (up to 10 s) until its port accepts.
    pub async fn start(env: &[(&str, &str)]) -> ServerProcess {
        ServerProcess::start_with_stderr(free_port(), env, std::process::Stdio::null()).await
    }

    /// Like `start`, on `port`: a process started again where its clients
    /// knew it.
    pub async fn start_at(port: u16, env: &[(&str, &str)]) -> ServerProcess {
        ServerProcess::start_with_stderr(port, env, std::process::Stdio::null()).await
    }

    /// Like `start`, with the process's log (stderr) written to `log`.
    pub async fn start_logging(env: &[(&str, &str)], log: std::fs::File) -> ServerProcess {
        ServerProcess::start_with_stderr(free_port(), env, log.into()).await
    }

    async fn start_with_stderr(
        port: u16,
        env: &[(&str, &str)],
        stderr: std::process::Stdio,
    ) -> ServerProcess {
        let data = tempfile::tempdir().unwrap();
        let mut cmd = motcua();
        cmd.arg("serve")
            .env("MOTCUA_BIND", format!("127.0.0.1:{port}"))
            .env("MOTCUA_DEMO", "false")
            .env("MOTCUA_DATA_DIR", data.path())
            .env("MOTCUA_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(stderr);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let server = ServerProcess { child, addr, data };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        drop(server);
        panic!("the server process did not start");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Waits until `n` subscriptions listen on this process's event bus, as
    /// its `/metrics` says (`motcua_subscriptions_open`): an event published
    /// after this reaches them. A subscription sent over a WebSocket starts
    /// when the other process gets to it, which on a loaded machine can be
    /// seconds later.
    #[allow(dead_code)] // for the tests with subscribers on another process
    pub async fn subscribed(&self, n: usize) {
        let (client, url) = (http_client(), self.url("/metrics"));
        eventually(
            &format!("{n} subscriptions on {}", self.addr),
            std::time::Duration::from_secs(15),
            || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    let Ok(answer) = client.get(&url).send().await else {
                        return false;
                    };
                    let text = answer.text().await.unwrap_or_default();
                    text.lines()
                        .find_map(|l| l.strip_prefix("motcua_subscriptions_open "))
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .is_some_and(|open| open >= n as f64)
                }
            },
        )
        .await;
    }
}

/// An HTTP client for servers in other processes.
pub fn http_client() -> reqwest::Client {
    // reqwest's TLS needs a crypto provider, even for plain http.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A private S3-compatible server (moto, from PyPI: `pip install
/// 'moto[server]'`, which .ci/run does) on a free port, killed when
/// dropped. Without it (`python3 -m moto.server` cannot start) it prints a
/// skip line and returns None, but fails under `CI=true`.
pub struct OwnS3 {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

impl OwnS3 {
    pub async fn start(test: &str) -> Option<OwnS3> {
        let port = free_port();
        let started = std::process::Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn();
        let missing = |why: String| {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{test} needs moto (pip install 'moto[server]'): {why} (CI=true forbids skipping)"
            );
            eprintln!("SKIPPED {test}: no S3 server: {why}");
            None
        };
        let mut s3 = match started {
            Ok(child) => OwnS3 {
                child,
                endpoint: format!("http://127.0.0.1:{port}"),
            },
            Err(e) => return missing(format!("python3: {e}")),
        };
        let http = http_client();
        for _ in 0..300 {
            if let Ok(Some(_)) = s3.child.try_wait() {
                let mut err = String::new();
                if let Some(mut stderr) = s3.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut stderr, &mut err);
                }
                return missing(err.lines().last().unwrap_or("it exited").to_owned());
            }
            if http.get(&s3.endpoint).send().await.is_ok() {
                return Some(s3);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("moto did not answer on {}", s3.endpoint);
    }

    /// Creates `bucket` (S3's CreateBucket; moto accepts any credentials).
    pub async fn create_bucket(&self, bucket: &str) {
        let r = http_client()
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "CreateBucket: {}", r.status());
    }

    /// The object `key` of `bucket` (a signed GetObject: objects are
    /// private).
    pub async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        use object_store::ObjectStoreExt;
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_bucket_name(bucket)
            .with_access_key_id("motcua-test")
            .with_secret_access_key("motcua-test")
            .build()
            .unwrap();
        let found = store.get(&object_store::path::Path::from(key)).await;
        found.unwrap().bytes().await.unwrap().to_vec()
    }

    /// The variables that make a server keep its files in `bucket` here.
    pub fn env(&self, bucket: &str) -> Vec<(&'static str, String)> {
        vec![
            ("MOTCUA_S3_BUCKET", bucket.to_owned()),
            ("MOTCUA_S3_ENDPOINT", self.endpoint.clone()),
            ("MOTCUA_S3_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "motcua-test".into()),
            ("AWS_SECRET_ACCESS_KEY", "motcua-test".into()),
        ]
    }
}

impl Drop for OwnS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
