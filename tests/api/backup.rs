//! `motcua backup` and `motcua verify-backup`, as processes: a backup taken
//! while a `motcua serve` process keeps writing restores and verifies,
//! tampered copies fail naming what was changed, and a PostgreSQL dump
//! verifies on a scratch database.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::cli::motcua;
use crate::fixtures::form_for;
use crate::helpers::{self, eventually, multipart, pdf, ServerProcess, TestApp, DEMO_PASSWORD};

const UPLOAD: &str = "mutation($f: Upload!, $d: ID!) { uploadAttachment(dossierId: $d, component: \"Đơn đề nghị cấp giấy phép xây dựng theo Mẫu số 01 Phụ lục II Nghị định số 175/2024/NĐ-CP\", file: $f) { id } }";
const UPLOAD_DOC: &str =
    "mutation($f: Upload!, $i: DocumentInput!) { uploadDocument(input: $i, file: $f) { id } }";
const MINE: &str = "{ myDossiers { totalCount } }";

/// One request to a server process (through the tests' one HTTP client);
/// the JSON answer, failing on GraphQL errors.
async fn send(addr: SocketAddr, req: Request<Body>) -> Value {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let resp = helpers::http_client()
        .request(parts.method, format!("http://{addr}{}", parts.uri))
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert!(v.get("errors").is_none(), "unexpected errors: {v:#}");
    v["data"].clone()
}

async fn gql(addr: SocketAddr, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut req = Request::post("/graphql").header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    send(addr, req.body(Body::from(body)).unwrap()).await
}

/// The demo citizen on a server process, ready to create dossiers.
struct Citizen {
    addr: SocketAddr,
    token: String,
    input: Value,
}

impl Citizen {
    async fn sign_in(addr: SocketAddr) -> Citizen {
        let department = gql(
            addr,
            None,
            "query($c: String) { agency(code: $c) { id } }",
            json!({ "c": motcua::services::demo::DEMO_DEPARTMENT_CODE }),
        )
        .await["agency"]["id"]
            .clone();
        let procedures = gql(
            addr,
            None,
            "query($a: ID) { procedures(filter: { agencyId: $a }, first: 1) { edges { node { id current { components { name required } } } } } }",
            json!({ "a": department }),
        )
        .await;
        let procedure = &procedures["procedures"]["edges"][0]["node"];
        let token = gql(
            addr,
            None,
            "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { token } }",
            json!({ "i": "congdan@demo.motcua.vn", "p": DEMO_PASSWORD }),
        )
        .await["login"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let input = json!({ "procedureId": procedure["id"], "agencyId": department, "formData": form_for(procedure) });
        Citizen { addr, token, input }
    }

    /// A draft with an attachment, and a data-store document: three rows
    /// and two new files (each file's content is its own).
    async fn write(&self, n: usize) {
        let d = gql(
            self.addr,
            Some(&self.token),
            "mutation($i: CreateDossierInput!) { createDossier(input: $i) { id } }",
            json!({ "i": self.input }),
        )
        .await;
        let id = &d["createDossier"]["id"];
        let upload = multipart(
            &self.token,
            UPLOAD,
            json!({ "d": id }),
            "f",
            "don.pdf",
            &pdf(1_000 + 2 * n),
        );
        send(self.addr, upload).await;
        let document = json!({ "i": { "docType": "CCCD", "number": format!("{n:012}") } });
        let upload = multipart(
            &self.token,
            UPLOAD_DOC,
            document,
            "f",
            "cccd.pdf",
            &pdf(1_001 + 2 * n),
        );
        send(self.addr, upload).await;
    }

    async fn dossiers(&self) -> i64 {
        gql(self.addr, Some(&self.token), MINE, json!({})).await["myDossiers"]["totalCount"]
            .as_i64()
            .unwrap()
    }
}

/// Runs a command to its end off the async workers.
async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn verify_backup(path: &Path) -> Command {
    let mut c = motcua();
    c.arg("verify-backup").arg(path);
    c
}

/// Stdout of a successful run.
fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The one line of a failed run, without its `motcua: ` prefix.
fn failed(out: &Output) -> String {
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err.strip_prefix("motcua: ")
        .expect("`motcua: ` first")
        .trim()
        .to_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A server process on a SQLite file of its own with the demo province (no
/// sample activity): the file's directory, its URL, the process.
async fn demo_server() -> (tempfile::TempDir, String, ServerProcess) {
    let db = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        db.path().join("motcua.db").display()
    );
    let server = ServerProcess::start(&[
        ("MOTCUA_DATABASE_URL", &url),
        ("MOTCUA_DEMO", "true"),
        ("MOTCUA_DEMO_ACTIVITY", "false"),
    ])
    .await;
    (db, url, server)
}

#[tokio::test]
async fn a_backup_taken_under_writes_verifies_and_tampered_copies_fail() {
    // A server process on a SQLite file, the demo loaded, and a citizen
    // writing through HTTP without pause.
    let (_db, url, server) = demo_server().await;
    let citizen = Arc::new(Citizen::sign_in(server.addr).await);
    let written = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let (citizen, written, stop) = (citizen.clone(), written.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    citizen.write(written.fetch_add(1, Ordering::Relaxed)).await;
                }
            })
        })
        .collect();
    // Six dossiers: all but the three being written have their two files.
    eventually("a few writes", Duration::from_secs(30), || async {
        citizen.dossiers().await >= 6
    })
    .await;

    // The backup, by another process, while the writes go on: again (into
    // a new directory) in the unlikely case no write landed meanwhile.
    let backups = tempfile::tempdir().unwrap();
    let backup = |dir: &Path| {
        let mut c = motcua();
        c.arg("backup")
            .arg(dir)
            .env("MOTCUA_DATABASE_URL", &url)
            .env("MOTCUA_DATA_DIR", server.data.path());
        c
    };
    let mut attempt = 0;
    let (dir, before, after) = loop {
        attempt += 1;
        let dir = backups.path().join(format!("backup-{attempt}"));
        let before = citizen.dossiers().await;
        let out = output(backup(&dir)).await;
        let after = citizen.dossiers().await;
        let stdout = succeeded(&out);
        assert!(stdout.starts_with("backup written to "), "{stdout}");
        if after > before {
            break (dir, before, after);
        }
        assert!(attempt < 5, "no write landed during any of 5 backups");
    };
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }

    // The snapshot holds a state between the two counts, and every file
    // its rows reference.
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let tables = &manifest["tables"];
    let dossiers = tables["dossier"].as_i64().unwrap();
    assert!(
        (before..=after).contains(&dossiers),
        "{dossiers} dossiers in the backup, {before} before it and {after} after"
    );
    let files = manifest["files"].as_array().unwrap();
    let referencing = tables["attachment"].as_i64().unwrap() + tables["document"].as_i64().unwrap();
    // Each write adds a dossier, then an attachment and a document: all but
    // the three being written have both.
    assert!(
        (2 * (dossiers - 3)..=2 * dossiers).contains(&referencing),
        "{manifest:#}"
    );
    assert_eq!(files.len() as i64, referencing, "{manifest:#}");
    for f in files {
        let path = f["path"].as_str().unwrap();
        assert_eq!(
            std::fs::read(dir.join(path)).unwrap(),
            std::fs::read(server.data.path().join(path)).unwrap()
        );
    }

    // It restores and verifies, leaving the backup as it was.
    let snapshot = std::fs::read(dir.join("motcua.sqlite3")).unwrap();
    let stdout = succeeded(&output(verify_backup(&dir)).await);
    assert!(stdout.contains("\naudit chain: "), "{stdout}");
    assert!(
        stdout.contains(&format!("({dossiers} dossiers)")),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("backup verified"), "{stdout}");
    assert!(std::fs::read(dir.join("motcua.sqlite3")).unwrap() == snapshot);

    // A second backup into the same directory is refused.
    let reason = failed(&output(backup(&dir)).await);
    assert!(reason.contains("is not empty"), "{reason}");

    // A changed audit record in the snapshot.
    let tampered = backups.path().join("audit");
    copy_dir(&dir, &tampered);
    let snapshot = motcua::store::backup::open_sqlite_file(&tampered.join("motcua.sqlite3"), false)
        .await
        .unwrap();
    let changed = entity::audit_log::Entity::update_many()
        .col_expr(entity::audit_log::Column::Summary, Expr::value("{}"))
        .filter(entity::audit_log::Column::Id.eq(5))
        .exec(&snapshot)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected, 1);
    snapshot.close().await.unwrap();
    let reason = failed(&output(verify_backup(&tampered)).await);
    assert!(
        reason.starts_with("audit chain: broken at record 5 "),
        "{reason}"
    );

    // A row less than the manifest counted.
    let tampered = backups.path().join("rows");
    copy_dir(&dir, &tampered);
    let snapshot = motcua::store::backup::open_sqlite_file(&tampered.join("motcua.sqlite3"), false)
        .await
        .unwrap();
    let sessions = tables["session"].as_i64().unwrap();
    let first = entity::session::Entity::find()
        .one(&snapshot)
        .await
        .unwrap()
        .unwrap();
    entity::session::Entity::delete_by_id(first.id)
        .exec(&snapshot)
        .await
        .unwrap();
    snapshot.close().await.unwrap();
    let reason = failed(&output(verify_backup(&tampered)).await);
    assert_eq!(
        reason,
        format!(
            "row counts: table session: {} in the snapshot, {sessions} in the manifest",
            sessions - 1
        )
    );

    // A missing file.
    let path = files[0]["path"].as_str().unwrap();
    let tampered = backups.path().join("missing");
    copy_dir(&dir, &tampered);
    std::fs::remove_file(tampered.join(path)).unwrap();
    let reason = failed(&output(verify_backup(&tampered)).await);
    assert_eq!(reason, format!("files: {path} is missing"));

    // A changed file, of the same size.
    let path = files[1]["path"].as_str().unwrap();
    let tampered = backups.path().join("changed");
    copy_dir(&dir, &tampered);
    let mut bytes = std::fs::read(tampered.join(path)).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(tampered.join(path), bytes).unwrap();
    let reason = failed(&output(verify_backup(&tampered)).await);
    assert_eq!(
        reason,
        format!("files: {path} has changed: its SHA-256 is not the manifest's")
    );
}

#[tokio::test]
async fn backup_on_postgresql_points_to_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let mut backup = motcua();
    backup.arg("backup").arg(dir.path().join("b")).env(
        "MOTCUA_DATABASE_URL",
        "postgres://motcua@127.0.0.1:1/motcua",
    );
    let reason = failed(&output(backup).await);
    assert!(reason.contains("pg_dump and WAL archiving"), "{reason}");
    assert!(!dir.path().join("b").exists());
}

/// Runs pg_dump; false when it is not installed (a failure under CI).
fn pg_dump(args: &[&str], url: &str) -> bool {
    match Command::new("pg_dump").args(args).arg(url).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "pg_dump is not installed (CI=true forbids skipping)"
            );
            false
        }
        Err(e) => panic!("pg_dump: {e}"),
    }
}

async fn databases(t: &TestApp) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &t.app.state.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT datname FROM pg_database",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get("", "datname").unwrap())
        .collect()
}

#[tokio::test]
async fn a_postgresql_dump_verifies_on_a_scratch_database_that_is_dropped() {
    const TEST: &str = "a_postgresql_dump_verifies_on_a_scratch_database_that_is_dropped";
    let Some(server) = helpers::require_postgres(TEST) else {
        return;
    };
    let t = TestApp::spawn().await;
    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    let dossiers =
        t.data(Some(&citizen), MINE, json!({})).await["myDossiers"]["totalCount"].clone();
    let url = secrecy::ExposeSecret::expose_secret(&t.app.state.config.database_url).to_owned();
    let dumps = tempfile::tempdir().unwrap();
    let custom = dumps.path().join("motcua.dump");
    let plain = dumps.path().join("motcua.sql");
    let dumped = pg_dump(&["-Fc", "-f", custom.to_str().unwrap()], &url);
    if !helpers::available(
        TEST,
        (!dumped).then(|| "pg_dump is not installed".to_owned()),
    ) {
        return;
    }
    assert!(pg_dump(&["-f", plain.to_str().unwrap()], &url));
    let directory = dumps.path().join("motcua.dir");
    assert!(pg_dump(&["-Fd", "-f", directory.to_str().unwrap()], &url));
    // A plain SQL dump is a psql script (`\!` runs a shell command): it is
    // refused before anything is created or run.
    let before = databases(&t).await.len();
    let mut verify = verify_backup(&plain);
    verify.args(["--into", &server]);
    let out = output(verify).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a pg_dump archive"), "{stderr}");
    assert_eq!(databases(&t).await.len(), before);

    for dump in [&custom, &directory] {
        let mut verify = verify_backup(dump);
        verify.args(["--into", &server]);
        let stdout = succeeded(&output(verify).await);
        assert!(stdout.contains("\naudit chain: "), "{stdout}");
        assert!(
            stdout.contains(&format!("\n  dossier: {dossiers}\n")),
            "{stdout}"
        );
        assert_eq!(stdout.lines().last(), Some("backup verified"), "{stdout}");
        // The scratch database is gone.
        let scratch = stdout
            .lines()
            .find_map(|l| l.strip_prefix("restore: into the scratch database "))
            .unwrap();
        assert!(
            !databases(&t).await.iter().any(|d| d == scratch),
            "{scratch} left behind"
        );
    }

    // A changed audit record, dumped: verification names the record.
    entity::audit_log::Entity::update_many()
        .col_expr(entity::audit_log::Column::Summary, Expr::value("{}"))
        .filter(entity::audit_log::Column::Id.eq(3))
        .exec(&t.app.state.db)
        .await
        .unwrap();
    let tampered = dumps.path().join("tampered.dump");
    assert!(pg_dump(&["-Fc", "-f", tampered.to_str().unwrap()], &url));
    let mut verify = verify_backup(&tampered);
    verify.env("MOTCUA_DATABASE_URL", &server);
    let reason = failed(&output(verify).await);
    assert!(
        reason.starts_with("audit chain: broken at record 3 "),
        "{reason}"
    );
}

#[tokio::test]
async fn verify_backup_checks_only_files_the_backup_itself_holds() {
    let (_db, url, server) = demo_server().await;
    Citizen::sign_in(server.addr).await.write(0).await;
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().join("backup");
    let mut backup = motcua();
    backup
        .arg("backup")
        .arg(&dir)
        .env("MOTCUA_DATABASE_URL", &url)
        .env("MOTCUA_DATA_DIR", server.data.path());
    succeeded(&output(backup).await);
    succeeded(&output(verify_backup(&dir)).await);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["files"].as_array().unwrap().len(),
        2,
        "{manifest:#}"
    );

    // The same files elsewhere, outside any backup (as the live data
    // directory holds them).
    let elsewhere = backups.path().join("elsewhere");
    copy_dir(&dir.join("attachments"), &elsewhere.join("attachments"));

    // A backup without its files, whose manifest names the files elsewhere
    // (by `..` or by an absolute path), does not verify.
    for (name, prefix) in [
        ("dotdot", "../elsewhere/".to_owned()),
        ("absolute", format!("{}/", elsewhere.display())),
    ] {
        let tampered = backups.path().join(name);
        copy_dir(&dir, &tampered);
        std::fs::remove_dir_all(tampered.join("attachments")).unwrap();
        let mut forged = manifest.clone();
        for f in forged["files"].as_array_mut().unwrap() {
            f["path"] = format!("{prefix}{}", f["path"].as_str().unwrap()).into();
        }
        std::fs::write(tampered.join("manifest.json"), forged.to_string()).unwrap();
        let reason = failed(&output(verify_backup(&tampered)).await);
        assert!(
            reason.starts_with("manifest: the file ")
                && reason.contains("is not where its digest puts it"),
            "{name}: {reason}"
        );
    }

    // Nor one whose files are symbolic links to them.
    #[cfg(unix)]
    {
        let tampered = backups.path().join("symlink");
        copy_dir(&dir, &tampered);
        std::fs::remove_dir_all(tampered.join("attachments")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("attachments"), tampered.join("attachments"))
            .unwrap();
        let reason = failed(&output(verify_backup(&tampered)).await);
        assert!(reason.contains("is not a regular directory"), "{reason}");
    }
}
