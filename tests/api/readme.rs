//! The README tells the truth: its GraphQL examples validate against the
//! schema, and its journey runs as pasted against a demo server (issue 13
//! item 13).

use serde_json::json;

use crate::helpers::{available, free_port, fresh_database, OwnS3, ServerProcess, TestApp};

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
