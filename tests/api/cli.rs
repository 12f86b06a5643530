//! The `motcua` binary: one-line configuration errors and `create-admin`.

use std::process::Command;

use serde_json::json;

use crate::helpers::{error_code, TestApp};

/// The binary, with no MOTCUA_ variable inherited.
pub fn motcua() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_motcua"));
    for (k, _) in std::env::vars() {
        if k.starts_with("MOTCUA_") {
            c.env_remove(k);
        }
    }
    c
}

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
    let out = motcua()
        .args([
            "create-admin",
            "--email",
            "admin@tinh.gov.vn",
            "--name",
            "Quản trị viên",
        ])
        .env("MOTCUA_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
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
