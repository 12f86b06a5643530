//! Verifying a PostgreSQL dump: an archive (`pg_dump -Fc`, `-Ft` or `-Fd`)
//! restored by `pg_restore` into a new scratch database on the given
//! server, checked like a snapshot, then dropped. A plain SQL dump is
//! refused: it is a script `psql` would run with its meta-commands (`\!`
//! runs a shell command, `\connect` reaches another database), so a
//! crafted file could act with the server's credentials.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;

use anyhow::{bail, Context};

use crate::store;

pub(super) async fn verify_dump(
    path: &Path,
    server: &str,
    say: &mut impl FnMut(String),
) -> anyhow::Result<()> {
    archive_or_refuse(path)?;
    let admin = store::connect(server)
        .await
        .context("restore: cannot connect to the PostgreSQL server")?;
    let name = format!("motcua_verify_{}", uuid::Uuid::new_v4().simple());
    store::backup::create_database(&admin, &name)
        .await
        .context("restore: cannot create a scratch database (does the user have CREATEDB?)")?;
    say(format!("restore: into the scratch database {name}"));
    let checked = restore_and_check(path, server, &name, say).await;
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
    say: &mut impl FnMut(String),
) -> anyhow::Result<()> {
    let mut url = url::Url::parse(server).context("restore: the server URL")?;
    url.set_path(database);
    restore(path, &url).await?;
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
async fn restore(path: &Path, url: &url::Url) -> anyhow::Result<()> {
    let password = url.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let mut without_password = url.clone();
    let _ = without_password.set_password(None);
    let program = "pg_restore";
    let mut command = tokio::process::Command::new(program);
    command
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--dbname",
        ])
        .arg(without_password.as_str())
        .arg(path);
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

/// Accepts an archive (a directory with `toc.dat`, a custom-format file
/// starting `PGDMP`, a tar file); refuses anything else, plain SQL included
/// (see the module's documentation).
fn archive_or_refuse(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(path)
        .and_then(|f| f.take(512).read_to_end(&mut head))
        .with_context(|| format!("restore: cannot read {}", path.display()))?;
    let custom = head.starts_with(b"PGDMP");
    let tar = head.get(257..262) == Some(b"ustar".as_slice());
    if custom || tar {
        return Ok(());
    }
    bail!(
        "restore: {} is not a pg_dump archive; verify-backup restores archives only \
         (pg_dump -Fc, -Ft or -Fd): a plain SQL dump is a script psql would run, \
         meta-commands included",
        path.display()
    )
}
