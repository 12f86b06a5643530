//! Backups (Thanh Hóa 17/2024: daily, "absolutely no data loss").
//!
//! `motcua backup DIR` (SQLite only) writes, while the server runs:
//! `DIR/motcua.sqlite3`, a consistent snapshot of the database
//! (`VACUUM INTO`); the stored files that snapshot references, in the data
//! directory's own layout (`DIR/attachments/ab/ab…`); and last
//! `DIR/manifest.json` ([`Manifest`]), so a directory without it is an
//! unfinished backup. Files stored after the snapshot are not referenced by
//! it and are left to the next backup.
//!
//! `motcua verify-backup` restores a backup into a scratch database — a
//! copy of the snapshot, or a PostgreSQL dump restored into a new database
//! ([`postgres`]) — and checks the migrations, the audit chain end to end,
//! the row counts and every file. Errors are `anyhow` with the failing
//! check first, printed as one line by the CLI.

mod postgres;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::AppError;
use crate::services::{attachments, audit};
use crate::store;

/// The snapshot's file name in a backup directory.
pub const SNAPSHOT: &str = "motcua.sqlite3";
/// The manifest's file name in a backup directory, written last.
pub const MANIFEST: &str = "manifest.json";
/// The manifest format this binary writes and reads.
pub const FORMAT: u32 = 1;

/// What a backup holds, taken from its snapshot (`manifest.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    pub created_at: DateTime<Utc>,
    /// The version of the motcua that wrote it.
    pub motcua_version: String,
    /// The name of the last migration applied to the snapshot.
    pub last_migration: String,
    /// Every table of the snapshot and its number of rows.
    pub tables: BTreeMap<String, i64>,
    /// The audit chain's last record.
    pub audit_head: AuditHead,
    /// The stored files the snapshot references, by path.
    pub files: Vec<BackedUpFile>,
}

/// The audit chain's last record: its id and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditHead {
    pub last_id: i64,
    pub last_hash: String,
}

/// A stored file in a backup.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackedUpFile {
    /// Relative to the backup directory, as it is to the data directory:
    /// `attachments/ab/ab…` (always `/`-separated).
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Lowercase hex; also the file's name.
    pub sha256: String,
}

/// Backs the database named by `config` and its stored files up into
/// `dir`, which must be empty or new (a backup never overwrites another).
/// Refuses on PostgreSQL (pg_dump and WAL archiving do it better) and when
/// the files are in an S3 bucket (its own versioning does that). Fails,
/// leaving no manifest, when a file the snapshot references is missing or
/// does not match its name.
pub async fn backup(config: &Config, dir: &Path) -> anyhow::Result<Manifest> {
    ensure!(
        config.is_sqlite(),
        "backup: the database is PostgreSQL: back it up with pg_dump and WAL archiving \
         (README, \"Backups\"), then check a dump with `motcua verify-backup FILE`"
    );
    ensure!(
        config.s3.is_none(),
        "backup: the stored files are in the S3 bucket MOTCUA_S3_BUCKET names: back the \
         bucket up with its own versioning or replication (README, \"Backups\"); \
         `motcua backup` copies local files only"
    );
    let live = store::backup::open_sqlite(config.database_url.expose_secret())
        .await
        .context("backup: cannot open the database")?;
    let dir = new_backup_dir(dir)?;
    let snapshot = dir.join(SNAPSHOT);
    // Created empty first, so that the snapshot is private from the start.
    crate::private_files::create_new(&snapshot)
        .with_context(|| format!("backup: cannot create {}", snapshot.display()))?;
    store::backup::snapshot_into(&live, &snapshot)
        .await
        .context("backup: snapshot")?;
    live.close().await.ok();
    File::open(&snapshot)
        .and_then(|f| f.sync_all())
        .context("backup: snapshot")?;

    let db = store::backup::open_sqlite_file(&snapshot, true)
        .await
        .context("backup: cannot open the snapshot")?;
    let last_migration = last_migration(&db).await?;
    let tables = store::backup::row_counts(&db).await.context("row counts")?;
    let audit_head = audit_head_of(&db).await?;
    let referenced = store::backup::referenced_files(&db)
        .await
        .context("files")?;
    db.close().await.ok();

    let files = referenced
        .iter()
        .map(|sha256| copy_stored_file(&config.data_dir, &dir, sha256))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let manifest = Manifest {
        format: FORMAT,
        created_at: Utc::now(),
        motcua_version: env!("CARGO_PKG_VERSION").to_owned(),
        last_migration,
        tables,
        audit_head,
        files,
    };
    let path = dir.join(MANIFEST);
    let mut file = crate::private_files::create_new(&path)
        .with_context(|| format!("backup: cannot create {}", path.display()))?;
    serde_json::to_writer_pretty(&mut file, &manifest)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    Ok(manifest)
}

/// `dir` made absolute, created (0700) when new; an error when it exists
/// and is not an empty directory.
fn new_backup_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    let dir = std::path::absolute(dir)?;
    match fs::read_dir(&dir) {
        Ok(mut entries) => ensure!(
            entries.next().is_none(),
            "backup: {} is not empty: a backup never overwrites another; name a new directory",
            dir.display()
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(&dir)
                .with_context(|| format!("backup: cannot create {}", dir.display()))?;
        }
        Err(e) => return Err(e).with_context(|| format!("backup: {}", dir.display())),
    }
    Ok(dir)
}

/// Where the stored file with this digest lives, relative to the data
/// directory (and to a backup). Refuses anything but 64 hex digits, which
/// only a damaged or forged database would hold.
fn stored_file_path(sha256: &str) -> anyhow::Result<PathBuf> {
    ensure!(
        sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()),
        "files: the database references a file by a malformed digest {sha256:?}"
    );
    Ok(attachments::path_of(Path::new(""), sha256))
}

/// Copies one stored file from the data directory into the backup, in the
/// same layout, checking its content against its name. The one place a
/// backup reads stored files: object storage would plug in here.
fn copy_stored_file(data_dir: &Path, dir: &Path, sha256: &str) -> anyhow::Result<BackedUpFile> {
    let relative = stored_file_path(sha256)?;
    let from = data_dir.join(&relative);
    let mut source = File::open(&from).with_context(|| {
        format!(
            "files: {} is referenced by the database but cannot be read",
            from.display()
        )
    })?;
    let to = dir.join(&relative);
    if let Some(parent) = to.parent() {
        crate::private_files::create_private_dir(parent)?;
    }
    let mut target = crate::private_files::create_new(&to)
        .with_context(|| format!("files: cannot create {}", to.display()))?;
    let (size, digest) = copy_hashing(&mut source, &mut target)
        .with_context(|| format!("files: cannot copy {}", from.display()))?;
    target.sync_all()?;
    ensure!(
        digest == sha256,
        "files: {} does not match its name (damaged in the data directory)",
        from.display()
    );
    Ok(BackedUpFile {
        path: path_text(&relative),
        size,
        sha256: digest,
    })
}

/// Copies `from` to `to`, returning the bytes copied and their SHA-256.
fn copy_hashing(from: &mut impl Read, to: &mut impl Write) -> io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            return Ok((size, hex::encode(hasher.finalize())));
        }
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n])?;
        size += n as u64;
    }
}

fn path_text(relative: &Path) -> String {
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Verifies a backup: a `motcua backup` directory, or a PostgreSQL dump
/// (`pg_dump` custom, tar, directory or plain format) restored into a
/// scratch database on `server` (a `postgres://` URL; with any other a dump
/// is refused) and dropped after.
/// `say` receives one line per passed check; the error names the failed one.
pub async fn verify(path: &Path, server: &str, mut say: impl FnMut(String)) -> anyhow::Result<()> {
    if path.join(MANIFEST).is_file() {
        return verify_directory(path, &mut say).await;
    }
    ensure!(
        path.exists(),
        "verify-backup: {} does not exist",
        path.display()
    );
    ensure!(
        path.is_file() || path.join("toc.dat").is_file(),
        "verify-backup: {} has no {MANIFEST}: an unfinished backup, or neither a motcua backup nor a pg_dump archive",
        path.display()
    );
    ensure!(
        server.starts_with("postgres"),
        "verify-backup: a PostgreSQL dump is restored on a PostgreSQL server: \
         pass --into postgres://… or set MOTCUA_DATABASE_URL to one"
    );
    postgres::verify_dump(path, server, &mut say).await
}

async fn verify_directory(dir: &Path, say: &mut impl FnMut(String)) -> anyhow::Result<()> {
    let text = fs::read_to_string(dir.join(MANIFEST)).context("manifest: cannot read it")?;
    let manifest: Manifest =
        serde_json::from_str(&text).context("manifest: not a motcua backup manifest")?;
    ensure!(
        manifest.format == FORMAT,
        "manifest: format {} is not one this motcua reads ({FORMAT})",
        manifest.format
    );
    say(format!(
        "manifest: written {} by motcua {}",
        manifest.created_at.to_rfc3339(),
        manifest.motcua_version
    ));
    // A scratch copy: checking never touches the backup itself.
    let scratch = tempfile::tempdir().context("snapshot: no scratch directory")?;
    let copy = scratch.path().join(SNAPSHOT);
    held_by(dir, Path::new(SNAPSHOT)).context("snapshot")?;
    fs::copy(dir.join(SNAPSHOT), &copy).context("snapshot: cannot copy it")?;
    let db = store::backup::open_sqlite_file(&copy, false)
        .await
        .context("snapshot: cannot open it")?;
    let problems = store::backup::sqlite_problems(&db)
        .await
        .context("snapshot: integrity check")?;
    if let Some(first) = problems.first() {
        bail!("snapshot: damaged: {first}");
    }
    say("snapshot: a scratch copy, SQLite's integrity check ok".into());
    let (last_migration, tables, head) = check_database(&db, say).await?;
    let referenced = store::backup::referenced_files(&db)
        .await
        .context("files")?;
    db.close().await.ok();

    ensure!(
        last_migration == manifest.last_migration,
        "migrations: the snapshot's last is {last_migration}, the manifest's {}",
        manifest.last_migration
    );
    ensure!(
        head == manifest.audit_head,
        "audit chain: the snapshot's head is record {}, the manifest's {}",
        head.last_id,
        manifest.audit_head.last_id
    );
    let names: BTreeSet<&String> = tables.keys().chain(manifest.tables.keys()).collect();
    for name in names {
        let (here, listed) = (tables.get(name), manifest.tables.get(name));
        ensure!(
            here == listed,
            "row counts: table {name}: {} in the snapshot, {} in the manifest",
            count_text(here),
            count_text(listed)
        );
    }
    say(format!(
        "row counts: {} tables match the manifest ({} dossiers)",
        tables.len(),
        count_text(tables.get("dossier"))
    ));

    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.sha256.as_str()).collect();
    for sha256 in referenced {
        let path = stored_file_path(&sha256)?;
        ensure!(
            listed.contains(sha256.as_str()),
            "files: {} is referenced by the snapshot but not in the manifest",
            path_text(&path)
        );
    }
    for file in &manifest.files {
        check_file(dir, file)?;
    }
    let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
    say(format!(
        "files: {} files ({bytes} bytes) present, sizes and SHA-256 match",
        manifest.files.len()
    ));
    Ok(())
}

fn count_text(count: Option<&i64>) -> String {
    count.map_or_else(|| "none".into(), i64::to_string)
}

/// One backed-up file: at the place its digest names inside the backup
/// (never a path of the manifest's choosing: `..`, an absolute path or a
/// symbolic link would check a file the backup does not hold, such as the
/// live data directory's), a regular file, its size and SHA-256 those of the
/// manifest.
fn check_file(dir: &Path, file: &BackedUpFile) -> anyhow::Result<()> {
    let digest = &file.sha256;
    ensure!(
        digest.len() == 64
            && digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "manifest: the file {:?} has a malformed digest {digest:?}",
        file.path
    );
    let relative = stored_file_path(digest)?;
    ensure!(
        file.path == path_text(&relative),
        "manifest: the file {:?} is not where its digest puts it ({})",
        file.path,
        path_text(&relative)
    );
    match held_by(dir, &relative) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => bail!("files: {} is missing", file.path),
        Err(e) => return Err(e).with_context(|| format!("files: {}", file.path)),
    }
    let path = dir.join(&relative);
    let mut content = File::open(&path).with_context(|| format!("files: {}", file.path))?;
    let (size, digest) = copy_hashing(&mut content, &mut io::sink())
        .with_context(|| format!("files: {}", file.path))?;
    ensure!(
        size == file.size,
        "files: {} has {size} bytes, the manifest says {}",
        file.path,
        file.size
    );
    ensure!(
        digest == file.sha256,
        "files: {} has changed: its SHA-256 is not the manifest's",
        file.path
    );
    Ok(())
}

/// Whether `relative` is a regular file held by the backup `dir` itself:
/// neither it nor a directory on the way to it a symbolic link (which could
/// lead out of the backup), nor a device or a pipe (which never end).
/// NotFound when it is missing.
fn held_by(dir: &Path, relative: &Path) -> io::Result<()> {
    let mut path = dir.to_path_buf();
    let mut components = relative.components().peekable();
    while let Some(component) = components.next() {
        let std::path::Component::Normal(name) = component else {
            return Err(io::Error::other("not a plain relative path"));
        };
        path.push(name);
        let kind = fs::symlink_metadata(&path)?.file_type();
        let expected = if components.peek().is_some() {
            kind.is_dir()
        } else {
            kind.is_file()
        };
        if !expected {
            return Err(io::Error::other(format!(
                "{} is not a regular {} (a symbolic link, a device or a pipe?)",
                path.display(),
                if components.peek().is_some() {
                    "directory"
                } else {
                    "file"
                }
            )));
        }
    }
    Ok(())
}

/// The checks a restored database passes whatever it came from: migrations
/// this binary knows, an intact audit chain. Returns its last migration,
/// row counts and audit head.
async fn check_database(
    db: &impl ConnectionTrait,
    say: &mut impl FnMut(String),
) -> anyhow::Result<(String, BTreeMap<String, i64>, AuditHead)> {
    let last_migration = last_migration(db).await?;
    say(format!(
        "migrations: up to {last_migration}, all known to this motcua"
    ));
    let chain = audit::verify_chain(db)
        .await
        .map_err(AppError::into_cause)
        .context("audit chain")?;
    if let Some(id) = chain.first_broken_id {
        bail!(
            "audit chain: broken at record {id} ({} records before it intact)",
            chain.checked
        );
    }
    let head = audit_head_of(db).await?;
    say(format!(
        "audit chain: {} records intact, head {}",
        chain.checked, head.last_id
    ));
    let tables = store::backup::row_counts(db).await.context("row counts")?;
    Ok((last_migration, tables, head))
}

async fn last_migration(db: &impl ConnectionTrait) -> anyhow::Result<String> {
    let applied = store::backup::applied_migrations(db)
        .await
        .context("migrations")?;
    applied
        .last()
        .cloned()
        .context("migrations: none applied: not a motcua database")
}

async fn audit_head_of(db: &impl ConnectionTrait) -> anyhow::Result<AuditHead> {
    let (last_id, last_hash) = store::backup::audit_head(db)
        .await
        .context("audit chain")?
        .context("audit chain: no head row: not a motcua database")?;
    Ok(AuditHead { last_id, last_hash })
}
