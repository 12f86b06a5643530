//! Verifying a PostgreSQL dump: restored by the PostgreSQL client tools
//! (`pg_restore`; `psql` for a plain SQL dump) into a new scratch database
//! on the given server, checked like a snapshot, then dropped.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;

use anyhow::{bail, Context};

use crate::store;

/// The client program that restores a dump of this format.
#[derive(Debug, Clone, Copy)]
enum Restorer {
    /// Custom (`-Fc`), tar (`-Ft`) and directory (`-Fd`) archives.
    PgRestore,
    /// Plain SQL (`-Fp`, the default).
    Psql,
}

pub(super) async fn verify_dump(
    path: &Path,
    server: &str,
    say: &mut impl FnMut(String),
) -> anyhow::Result<()> {
    let restorer = restorer_of(path)?;
    let admin = store::connect(server)
        .await
        .context("restore: cannot connect to the PostgreSQL server")?;
    let name = format!("motcua_verify_{}", uuid::Uuid::new_v4().simple());
    store::backup::create_database(&admin, &name)
        .await
        .context("restore: cannot create a scratch database (does the user have CREATEDB?)")?;
    say(format!("restore: into the scratch database {name}"));
    let checked = restore_and_check(path, server, &name, restorer, say).await;
    let dropped = store::backup::drop_database(&admin, &name).await;
    admin.close().await.ok();
    checked?;
    dropped.with_context(|| format!("restore: cannot drop the scratch database {name}"))?;
    say(format!("restore: scratch database {name} dropped"));
    Ok(())
}

async fn restore_and_check(
    path: &Path,
    server: &str,
    database: &str,
    restorer: Restorer,
    say: &mut impl FnMut(String),
) -> anyhow::Result<()> {
    let mut url = url::Url::parse(server).context("restore: the server URL")?;
    url.set_path(database);
    restore(path, &url, restorer).await?;
    let db = store::connect(url.as_str())
        .await
        .context("restore: cannot open the restored database")?;
    let checked = super::check_database(&db, say).await;
    // Closed before the scratch database is dropped, even on failure.
    db.close().await.ok();
    let (_, tables, _) = checked?;
    say(format!("row counts: {} tables", tables.len()));
    for (table, count) in tables {
        say(format!("  {table}: {count}"));
    }
    Ok(())
}

/// Runs the restore. The password goes in PGPASSWORD, never on the
/// command line other local users can read.
async fn restore(path: &Path, url: &url::Url, restorer: Restorer) -> anyhow::Result<()> {
    let password = url.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let mut without_password = url.clone();
    let _ = without_password.set_password(None);
    let (program, mut command) = match restorer {
        Restorer::PgRestore => {
            let mut c = tokio::process::Command::new("pg_restore");
            c.args([
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--dbname",
            ])
            .arg(without_password.as_str())
            .arg(path);
            ("pg_restore", c)
        }
        Restorer::Psql => {
            let mut c = tokio::process::Command::new("psql");
            c.args(["--no-psqlrc", "--quiet", "--single-transaction"])
                .args(["--set", "ON_ERROR_STOP=1", "--dbname"])
                .arg(without_password.as_str())
                .arg("--file")
                .arg(path);
            ("psql", c)
        }
    };
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let out = match command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "restore: {program} not found: install the PostgreSQL client tools (postgresql-client)"
        ),
        Err(e) => return Err(e).with_context(|| format!("restore: cannot run {program}")),
    };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let reason = stderr
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("no message");
        bail!("restore: {program} failed: {reason}");
    }
    Ok(())
}

/// pg_restore for an archive (a directory with `toc.dat`, a custom-format
/// file starting `PGDMP`, a tar file), psql for anything else.
fn restorer_of(path: &Path) -> anyhow::Result<Restorer> {
    if path.is_dir() {
        return Ok(Restorer::PgRestore);
    }
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(path)
        .and_then(|f| f.take(512).read_to_end(&mut head))
        .with_context(|| format!("restore: cannot read {}", path.display()))?;
    let custom = head.starts_with(b"PGDMP");
    let tar = head.get(257..262) == Some(b"ustar".as_slice());
    Ok(if custom || tar {
        Restorer::PgRestore
    } else {
        Restorer::Psql
    })
}
