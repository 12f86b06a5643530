//! A PostgreSQL restart under live subscriptions: nothing is lost, nothing
//! ends silently. The test runs its own PostgreSQL (initdb in a temporary
//! directory, as the `postgres` user), never the shared one.

use std::time::Duration;

use serde_json::json;

use crate::fixtures::flow_on;
use crate::helpers::{free_port, require_postgres, TestApp};
use crate::live::{serve, subscribed, Client};
use crate::websocket::{open, reply, Reply};

const MINE: &str =
    "subscription($after: String) { myDossierEvents(after: $after) { cursor dossierId seq } }";
const WAIT: Duration = Duration::from_secs(20);

/// A private PostgreSQL cluster on its own port, removed when dropped.
struct OwnPostgres {
    dir: tempfile::TempDir,
    port: u16,
}

fn pg_bin(name: &str) -> std::path::PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL is installed");
    let version = versions
        .filter_map(Result::ok)
        .map(|e| e.path())
        .max()
        .unwrap();
    version.join("bin").join(name)
}

/// Runs a PostgreSQL tool as the `postgres` user (initdb refuses root).
fn as_postgres(tool: &str, args: &[&str]) {
    let status = std::process::Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(pg_bin(tool))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{tool} {args:?}");
}

impl OwnPostgres {
    fn start() -> OwnPostgres {
        let dir = tempfile::tempdir().unwrap();
        let chown = std::process::Command::new("chown")
            .args(["postgres:postgres", dir.path().to_str().unwrap()])
            .status()
            .unwrap();
        assert!(chown.success());
        let data = dir.path().join("data");
        as_postgres(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
        );
        let pg = OwnPostgres {
            dir,
            port: free_port(),
        };
        pg.up();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        as_postgres(
            "pg_ctl",
            &["-D", &self.data(), "-o", &options, "-w", "start"],
        );
    }

    fn down(&self) {
        as_postgres("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(pg_bin("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

#[tokio::test]
async fn a_database_restart_under_subscriptions_loses_nothing_and_ends_nothing_silently() {
    if require_postgres(
        "a_database_restart_under_subscriptions_loses_nothing_and_ends_nothing_silently",
    )
    .is_none()
    {
        return;
    }
    let pg = OwnPostgres::start();
    let data = tempfile::tempdir().unwrap();
    let config = motcua::config::Config::from_lookup(|k| match k {
        "MOTCUA_DATABASE_URL" => Some(pg.url()),
        "MOTCUA_DATA_DIR" => Some(data.path().display().to_string()),
        "MOTCUA_DEMO" => Some("true".into()),
        "MOTCUA_DEMO_ACTIVITY" => Some("false".into()),
        _ => None,
    })
    .unwrap();
    let f = flow_on(TestApp::from_app(
        motcua::app::App::start(config).await.unwrap(),
    ))
    .await;
    let addr = serve(&f.t).await;
    let start =
        f.t.data(
            Some(&f.citizen),
            "{ dossierEventsSince { endCursor } }",
            json!({}),
        )
        .await["dossierEventsSince"]["endCursor"]
            .clone();
    let mut c = Client::connect(addr, false, &f.citizen).await;
    c.subscribe("1", MINE, json!({ "after": start })).await;
    subscribed(&f.t, 1).await;
    let d = f.submitted().await;
    let mut heard = Vec::new();
    for _ in 0..2 {
        heard.push(c.next(WAIT).await.expect("an event"));
    }

    // A change commits, and the database goes down right after, while it
    // is being handed on.
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    pg.down();

    // While it is down, a socket the database cannot serve closes with
    // 1013, which the stock client retries.
    let mut refused = open(addr, "graphql-transport-ws").await;
    use futures_util::SinkExt;
    refused
        .send(tokio_tungstenite::tungstenite::Message::Text(
            json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", f.citizen) } })
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    // (After the pool's 10-second wait for a connection.)
    let closed = tokio::time::timeout(WAIT, reply(&mut refused)).await;
    match closed {
        Ok(Reply::Closed(Some((code, _)))) => assert_eq!(code, 1013),
        Ok(other) => panic!("expected a 1013 close: {other:?}"),
        Err(_) => panic!("no answer"),
    }

    // The database returns: the subscription is still there, and hears
    // the change made before the outage and the next one, once each.
    pg.up();
    let d = loop {
        let v =
            f.t.gql(Some(&f.reception), "{ me { id } }", json!({}))
                .await;
        if v.get("errors").is_none() {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    f.ok(&f.reception, "transferDossier", &d, "").await;
    while heard.len() < 4 {
        let m = c.next(WAIT).await.expect("the subscription lives on");
        assert!(
            m.get("errors").is_none(),
            "no error reaches the subscriber: {m}"
        );
        heard.push(m);
    }
    assert!(
        c.next(Duration::from_millis(800)).await.is_none(),
        "nothing twice"
    );
    let seqs: Vec<i64> = heard
        .iter()
        .map(|m| m["data"]["myDossierEvents"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 2, 3, 4], "{heard:?}");
}
