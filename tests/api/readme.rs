//! The README tells the truth: its GraphQL examples validate against the
//! schema, its journey runs as pasted against a demo server (issue 13
//! item 13), and so do its deployment steps and its `follow.mjs`.

use std::path::Path;

use serde_json::{json, Value};

use crate::helpers::{
    available, eventually, free_port, fresh_database, http_client, node_missing, node_scripts,
    OwnS3, ServerProcess, TestApp, DEMO_PASSWORD,
};

const README: &str = include_str!("../../README.md");

/// The bodies of the README's code blocks fenced as ```` ```lang ````.
fn blocks(lang: &str) -> Vec<&'static str> {
    let fence = format!("```{lang}\n");
    README
        .split(&fence)
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect()
}

/// The first ```` ```sh ```` block after `marker` in the README.
fn shell_block_after(marker: &str) -> &'static str {
    README
        .split(marker)
        .nth(1)
        .and_then(|section| section.split("```sh\n").nth(1))
        .and_then(|block| block.split("```").next())
        .unwrap_or_else(|| panic!("no shell block after {marker}"))
}

/// The operations of a block that holds several, one after the other:
/// cut where the braces close at the top level (comments and strings
/// skipped).
fn operations(block: &str) -> Vec<String> {
    let (mut found, mut current, mut depth) = (Vec::new(), String::new(), 0usize);
    let (mut in_string, mut in_comment) = (false, false);
    for c in block.chars() {
        current.push(c);
        match c {
            '\n' => in_comment = false,
            _ if in_comment => {}
            '"' => in_string = !in_string,
            '#' if !in_string => in_comment = true,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    found.push(std::mem::take(&mut current));
                }
            }
            _ => {}
        }
    }
    found
}

#[tokio::test]
async fn every_graphql_example_validates() {
    let t = TestApp::spawn().await;
    let examples: Vec<String> = blocks("graphql").into_iter().flat_map(operations).collect();
    assert!(examples.len() >= 3, "{examples:?}");
    for example in examples {
        let v = t.gql(None, &example, json!({})).await;
        // A document that does not parse or validate is refused before
        // execution: no `data` at all (GraphQL over HTTP). Executed, it may
        // still be refused to an anonymous caller, which is fine here.
        assert!(v.get("data").is_some(), "{example}\n→ {v}");
    }
}

#[tokio::test]
async fn the_journey_runs_as_pasted() {
    const TEST: &str = "the_journey_runs_as_pasted";
    let tools = ["bash", "curl", "jq"];
    let missing = tools
        .iter()
        .find(|tool| {
            std::process::Command::new(tool)
                .arg("--version")
                .output()
                .is_err()
        })
        .map(|tool| format!("{tool} is not on PATH"));
    if !available(TEST, missing) {
        return;
    }
    let journey = shell_block_after("## A dossier's journey");
    let (url, _db) = fresh_database().await;
    let server =
        ServerProcess::start(&[("MOTCUA_DATABASE_URL", &url), ("MOTCUA_DEMO", "true")]).await;
    let work = tempfile::tempdir().unwrap();
    // `cargo run -q -- …` in the README is this build's binary, with the
    // server's configuration (its secret lives there).
    let script = format!(
        "cargo() {{ [ \"$1 $2 $3\" = 'run -q --' ] || return 1; shift 3; \"$MOTCUA_BIN\" \"$@\"; }}\n{journey}"
    );
    let out = std::process::Command::new("bash")
        .args(["-e", "-o", "pipefail", "-c", &script])
        .current_dir(work.path())
        .env("API", format!("http://{}", server.addr))
        .env("MOTCUA_BIN", env!("CARGO_BIN_EXE_motcua"))
        .env("MOTCUA_DATABASE_URL", &url)
        .env("MOTCUA_DATA_DIR", server.data.path())
        .env("MOTCUA_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // Every step answered: the upload, the payment, the return, the
    // tracking with the masked name, and the history after seq 3.
    for expected in [
        "\"uploadAttachment\"",
        "\"result\":\"CREDITED\"",
        "\"status\":\"RECEIVED\"",
        "%PDF-",
        "\"status\":\"RETURNED\"",
        "\"statusLabel\": \"Đã trả kết quả\"",
        "\"applicantName\": \"Nguyễn V** A*\"",
        "\"seq\":7",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected} in\n{stdout}\n{stderr}"
        );
    }
    assert!(!stdout.contains("\"seq\":3,"), "{stdout}");
}

#[tokio::test]
async fn the_deployment_steps_run() {
    const TEST: &str = "the_deployment_steps_run";
    let steps = shell_block_after("`readme::the_deployment_steps_run`");
    let Some(s3) = OwnS3::start(TEST).await else {
        return;
    };
    s3.create_bucket("motcua-deploy").await;
    let (url, _db) = fresh_database().await;
    let ports = format!("{} {}", free_port(), free_port());
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_motcua"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let work = tempfile::tempdir().unwrap();
    // The README's lines, then: both instances answer the public
    // catalogue, and stop with status 0 on SIGTERM. Whatever happens, no
    // instance outlives the script.
    let script = format!(
        "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{steps}\n\
         for port in $PORTS; do\n\
           curl -fsS -H 'content-type: application/json' \
             -d '{{\"query\":\"{{ procedures(first: 1) {{ totalCount }} }}\"}}' \
             \"http://127.0.0.1:$port/graphql\"; echo\n\
         done\n\
         PIDS=$(jobs -p); kill -TERM $PIDS\n\
         for pid in $PIDS; do wait $pid; done\n\
         echo all stopped\n"
    );
    let mut cmd = std::process::Command::new("timeout");
    for (k, _) in std::env::vars() {
        if k.starts_with("MOTCUA_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(["120", "bash", "-e", "-o", "pipefail", "-c", &script])
        .current_dir(work.path())
        .env("PATH", path)
        .env("PORTS", &ports)
        .env("MOTCUA_DATABASE_URL", &url)
        .env("MOTCUA_DATA_DIR", work.path().join("data"))
        .env("MOTCUA_DEMO", "false")
        .env("MOTCUA_LOG", "warn");
    if let Some(redis) = crate::helpers::redis_url() {
        cmd.env("MOTCUA_REDIS_URL", redis).env(
            "MOTCUA_REDIS_CHANNEL",
            format!("motcua-deploy-{}", std::process::id()),
        );
    }
    for (k, v) in s3.env("motcua-deploy") {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("one-time password"), "{stdout}");
    assert_eq!(stdout.matches("\"ready\":true").count(), 2, "{stdout}");
    assert_eq!(stdout.matches("\"totalCount\":0").count(), 2, "{stdout}");
    assert!(stdout.ends_with("all stopped\n"), "{stdout}\n{stderr}");
}

/// A GraphQL request to a server process: its `data` (errors fail the
/// test).
async fn gql_at(
    server: &ServerProcess,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = http_client()
        .post(server.url("/graphql"))
        .header("content-type", "application/json")
        .body(json!({ "query": query, "variables": variables }).to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body = request.send().await.unwrap().bytes().await.unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v.get("errors").is_none(), "{query}\n→ {v:#}");
    v["data"].clone()
}

/// The README's `follow.mjs`, as pasted, running in a directory of its own
/// (its cursor file and its output) with the tests' node packages, its
/// settings the README's defaults but the server's address. Killed when
/// dropped.
struct Follow {
    child: std::process::Child,
    dir: tempfile::TempDir,
    server: String,
}

impl Follow {
    fn start(script: &str, server: &str) -> Follow {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("follow.mjs"), script).unwrap();
        std::os::unix::fs::symlink(
            node_scripts().join("node_modules"),
            dir.path().join("node_modules"),
        )
        .unwrap();
        let child = Follow::spawn(dir.path(), server);
        Follow {
            child,
            dir,
            server: server.to_owned(),
        }
    }

    /// `node follow.mjs`, its output (new files) in `dir`.
    fn spawn(dir: &Path, server: &str) -> std::process::Child {
        let file = |name: &str| std::fs::File::create(dir.join(name)).unwrap();
        let mut cmd = std::process::Command::new("node");
        for (k, _) in std::env::vars() {
            if k.starts_with("MOTCUA_") {
                cmd.env_remove(k);
            }
        }
        cmd.arg("follow.mjs")
            .current_dir(dir)
            .env("MOTCUA_URL", server)
            .stdout(file("stdout"))
            .stderr(file("stderr"))
            .spawn()
            .unwrap()
    }

    /// Kills the script and starts it again, its cursor file set to
    /// `cursor`, its output new.
    fn restart_at(&mut self, cursor: &str) {
        self.stop();
        std::fs::write(self.dir.path().join("follow.cursor"), cursor).unwrap();
        self.child = Follow::spawn(self.dir.path(), &self.server);
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// The events printed, as (dossier id, seq), in order.
    fn events(&self) -> Vec<(String, i64)> {
        self.read("stdout")
            .lines()
            .filter_map(|line| {
                // dossier <id> <code> #<seq>: <status> (due …)
                let words: Vec<&str> = line.split_whitespace().collect();
                let seq = words.get(3)?.strip_prefix('#')?.strip_suffix(':')?;
                (words[0] == "dossier").then(|| (words[1].to_owned(), seq.parse().unwrap()))
            })
            .collect()
    }

    /// How many times it has connected.
    fn connections(&self) -> usize {
        self.read("stderr").matches("connected, following").count()
    }

    /// Waits until `n` connections were made.
    async fn connected(&mut self, n: usize) {
        let what = format!("follow.mjs's connection {n}");
        eventually(&what, FOLLOW_WAIT, || {
            let done = self.connections() >= n;
            async move { done }
        })
        .await;
        self.alive();
    }

    /// Waits until as many events as `expected` are printed, then asserts
    /// that they are these: each once, in this order.
    async fn printed(&mut self, expected: &[(&str, i64)]) {
        let what = format!("follow.mjs to print {expected:?}");
        eventually(&what, FOLLOW_WAIT, || {
            let done = self.events().len() >= expected.len();
            async move { done }
        })
        .await;
        let expected: Vec<(String, i64)> = expected
            .iter()
            .map(|(id, seq)| (id.to_string(), *seq))
            .collect();
        assert_eq!(self.events(), expected, "{}", self.output());
        self.alive();
    }

    /// The script must be running still (it never gives up).
    fn alive(&mut self) {
        let ended = self.child.try_wait().unwrap();
        assert!(ended.is_none(), "follow.mjs ended\n{}", self.output());
    }

    fn output(&self) -> String {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            self.read("stdout"),
            self.read("stderr")
        )
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        self.stop();
    }
}

/// How long follow.mjs may take to print what it is owed: a reconnection
/// waits up to 30 s in the worst case, far less here (the server is down
/// for a second or two).
const FOLLOW_WAIT: std::time::Duration = std::time::Duration::from_secs(40);

/// The demo citizen and reception desk, on a server process, moving
/// dossiers of a provincial procedure.
struct Desk<'a> {
    server: &'a ServerProcess,
    citizen: String,
    reception: String,
    input: Value,
}

impl Desk<'_> {
    async fn on(server: &ServerProcess) -> Desk<'_> {
        let login = |who: &'static str| async move {
            gql_at(
                server,
                None,
                "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { token } }",
                json!({ "i": who, "p": DEMO_PASSWORD }),
            )
            .await["login"]["token"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let procedure = gql_at(
            server,
            None,
            "query { procedures(filter: { text: \"giay phep xay dung\", level: PROVINCE }, first: 1) {
              edges { node { id current { agencies { id } components { name required } } } } } }",
            json!({}),
        )
        .await["procedures"]["edges"][0]["node"]
            .clone();
        Desk {
            server,
            citizen: login("congdan@demo.motcua.vn").await,
            reception: login("motcua@demo.motcua.vn").await,
            input: json!({
                "procedureId": procedure["id"],
                "agencyId": procedure["current"]["agencies"][0]["id"],
                "formData": crate::fixtures::form_for(&procedure),
            }),
        }
    }

    /// A new dossier, created and submitted by the citizen: its id.
    async fn submitted(&self) -> String {
        let d = gql_at(
            self.server,
            Some(&self.citizen),
            "mutation($i: CreateDossierInput!) { createDossier(input: $i) { id } }",
            json!({ "i": self.input }),
        )
        .await;
        let id = d["createDossier"]["id"].as_str().unwrap().to_owned();
        self.step(&self.citizen, "submitDossier", &id, 1).await;
        id
    }

    /// A transition of dossier `id` at `version`.
    async fn step(&self, token: &str, mutation: &str, id: &str, version: i64) {
        let q = format!(
            "mutation($id: ID!, $v: Int!) {{ {mutation}(id: $id, expectedVersion: $v) {{ version }} }}"
        );
        gql_at(
            self.server,
            Some(token),
            &q,
            json!({ "id": id, "v": version }),
        )
        .await;
    }

    /// The sequence numbers of dossier `id`'s history, from the API.
    async fn history(&self, id: &str) -> Vec<i64> {
        let v = gql_at(
            self.server,
            Some(&self.citizen),
            "query($id: ID!) { dossierEvents(dossierId: $id) { seq } }",
            json!({ "id": id }),
        )
        .await;
        v["dossierEvents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect()
    }
}

/// The README's `follow.mjs`, as pasted, follows the demo citizen through
/// server process A while process B, on the same database, takes the
/// changes. A is killed (-9) and, while it is down, a dossier the script
/// follows moves and one it has never seen is created and submitted; A
/// starts again on its port. The script reconnects by itself and prints
/// every missed event, then live ones — each once, in order, as the API's
/// history has them. It also signs in again when its session is ended (a
/// password change elsewhere), and lists the dossiers when its cursor is
/// ahead of the database (a resync marker).
#[tokio::test]
async fn follow_mjs_prints_every_event_once_across_a_server_restart() {
    const TEST: &str = "follow_mjs_prints_every_event_once_across_a_server_restart";
    if !available(TEST, node_missing(&["graphql-ws", "ws"])) {
        return;
    }
    let script = blocks("js")
        .into_iter()
        .find(|b| b.starts_with("// follow.mjs"))
        .expect("the README's follow.mjs");
    let (url, _db) = fresh_database().await;
    let env = [
        ("MOTCUA_DATABASE_URL", url.as_str()),
        ("MOTCUA_DEMO", "true"),
    ];
    let port = free_port();
    let a = ServerProcess::start_at(port, &env).await;
    let b = ServerProcess::start(&[("MOTCUA_DATABASE_URL", &url)]).await;
    let desk = Desk::on(&b).await;
    let mut follow = Follow::start(script, &a.url(""));
    follow.connected(1).await;

    // Live: a dossier created and submitted through B, heard through A.
    let first = desk.submitted().await;
    follow.printed(&[(&first, 1), (&first, 2)]).await;

    // A is killed; meanwhile the first dossier is received and a second
    // one (never seen) is created and submitted. A starts again on its
    // port: the script reconnects and prints what it missed.
    drop(a);
    desk.step(&desk.reception, "receiveDossier", &first, 2)
        .await;
    let second = desk.submitted().await;
    let _a = ServerProcess::start_at(port, &env).await;
    let missed = [
        (first.as_str(), 1),
        (&first, 2),
        (&first, 3),
        (&second, 1),
        (&second, 2),
    ];
    follow.printed(&missed).await;
    follow.connected(2).await;

    // Then live again.
    desk.step(&desk.reception, "receiveDossier", &second, 2)
        .await;
    follow
        .printed(&[&missed[..], &[(&second, 3)]].concat())
        .await;

    // The citizen changes the password (and back) elsewhere: the script's
    // session ends, it signs in again and goes on.
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let interim = "Mot-mat-khau-tam-2026";
    for (current, new) in [(DEMO_PASSWORD, interim), (interim, DEMO_PASSWORD)] {
        gql_at(
            &b,
            Some(&desk.citizen),
            change,
            json!({ "c": current, "n": new }),
        )
        .await;
    }
    follow.connected(3).await;
    assert!(
        follow.read("stderr").contains("UNAUTHENTICATED"),
        "{}",
        follow.output()
    );
    desk.step(&desk.reception, "transferDossier", &first, 3)
        .await;
    let all = [&missed[..], &[(&second, 3), (&first, 4)]].concat();
    follow.printed(&all).await;

    // Every event of both dossiers, as their histories have them.
    for id in [&first, &second] {
        let printed: Vec<i64> = all
            .iter()
            .filter(|(d, _)| d == id)
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(printed, desk.history(id).await, "dossier {id}");
    }

    // Started again with a cursor ahead of the database (as after a
    // restore): it lists the dossiers as they are, then follows live.
    follow.restart_at("999999999");
    follow.connected(2).await;
    let listed = follow.read("stdout");
    for (id, version) in [(&first, 4), (&second, 3)] {
        let (start, at) = (format!("dossier {id} "), format!(" now at #{version}: "));
        assert!(
            listed
                .lines()
                .any(|l| l.starts_with(&start) && l.contains(&at)),
            "{start}…{at}\n{}",
            follow.output()
        );
    }
    desk.step(&desk.reception, "transferDossier", &second, 3)
        .await;
    follow.printed(&[(&second, 4)]).await;
}
