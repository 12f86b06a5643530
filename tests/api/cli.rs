//! The `motcua` binary: one-line configuration errors, `create-admin`,
//! and `sign-callback` saying where it looked for the key.

use serde_json::json;

pub use crate::helpers::motcua;
use crate::helpers::{error_code, stdout_of, TestApp};

#[test]
fn bad_configuration_stops_with_one_line_naming_the_variable() {
    let out = motcua()
        .arg("migrate")
        .env("MOTCUA_BIND", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("motcua: MOTCUA_BIND:"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn export_schema_prints_the_committed_sdl() {
    let out = motcua().arg("export-schema").output().unwrap();
    assert!(out.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == committed,
        "export-schema differs from schema.graphql"
    );
}

#[tokio::test]
async fn create_admin_makes_an_admin_who_must_change_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let stdout = stdout_of(
        motcua()
            .args([
                "create-admin",
                "--email",
                "admin@tinh.gov.vn",
                "--name",
                "Quản trị viên",
            ])
            .env("MOTCUA_DATABASE_URL", &url),
    );
    let password = stdout.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(password.len() >= 16, "{stdout}");

    // The same database, served: the admin signs in and must change the password.
    let config = motcua::config::Config::from_lookup(|k| match k {
        "MOTCUA_DATABASE_URL" => Some(url.clone()),
        "MOTCUA_DEMO" => Some("false".into()),
        _ => None,
    })
    .unwrap();
    let t = TestApp::from_app(motcua::app::App::start(config).await.unwrap());
    let token = t.login("admin@tinh.gov.vn", &password).await;
    let v = t.gql(Some(&token), "{ sectors { code } }", json!({})).await;
    assert_eq!(error_code(&v), "PASSWORD_CHANGE_REQUIRED");
    let me = t
        .data(Some(&token), "{ me { roles { role } } }", json!({}))
        .await;
    assert_eq!(me["me"]["roles"][0]["role"], "ADMIN");
}

#[tokio::test]
async fn instances_started_at_once_on_an_empty_database_both_migrate() {
    let (url, _dir) = crate::helpers::fresh_database().await;
    for round in 0..2 {
        let started: Vec<_> = (0..3)
            .map(|_| {
                motcua()
                    .arg("migrate")
                    .env("MOTCUA_DATABASE_URL", &url)
                    .env("MOTCUA_DEMO", "false")
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in started {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[tokio::test]
async fn sign_callback_without_the_servers_database_says_where_it_looked() {
    let body = r#"{"reference":"TT1","transactionId":"GW-1","amountVnd":1,"status":"SUCCESS"}"#;
    // An unreachable PostgreSQL: named, without its password.
    let port = crate::helpers::free_port();
    let out = motcua()
        .args(["sign-callback", body])
        .env(
            "MOTCUA_DATABASE_URL",
            format!("postgres://motcua:pg-hunter2@127.0.0.1:{port}/motcua"),
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "motcua: cannot read the payment callback secret: MOTCUA_PAYMENT_SECRET is unset"
        ),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "MOTCUA_DATABASE_URL=postgres://motcua:***@127.0.0.1:{port}/motcua"
        )),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");

    // The default SQLite file, from a directory without it: named, and
    // neither it nor a key is created.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = motcua()
        .args(["sign-callback", body])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "MOTCUA_DATABASE_URL=sqlite://motcua.db?mode=rwc, in {}",
            elsewhere.path().canonicalize().unwrap().display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}
