//! Stored files (attachments, results, data-store documents): immutable
//! objects named by their SHA-256, so identical content is stored once.
//! They live in S3-compatible object storage when `MOTCUA_S3_BUCKET` is set
//! (one bucket shared by every instance), else under `MOTCUA_DATA_DIR` (the
//! embedded single instance). The key is the same in both, and locally it
//! is the file's path under the data directory:
//! `attachments/<first two hex digits>/<sha256>`.
//!
//! Nothing is half written: an object appears whole or not at all (a local
//! file is written under a temporary name and renamed; an S3 upload is
//! visible once complete). A file is stored before the database row that
//! names it is committed, and never deleted, so a transaction that fails
//! after the upload leaves at most an unreferenced object, never a row
//! without its file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use axum::body::Bytes;
use futures_util::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::io::AsyncWriteExt;

use crate::config::{Config, S3Config};

/// The folder of the stored files, under the data directory or the bucket.
const ROOT: &str = "attachments";

/// Where stored files are kept. Cheap to clone.
#[derive(Clone, Debug)]
pub struct FileStore {
    objects: Arc<dyn ObjectStore>,
    /// The data directory, when the files are kept there.
    local: Option<PathBuf>,
}

/// The content of a stored file, read as it is sent.
pub type Content = BoxStream<'static, object_store::Result<Bytes>>;

impl FileStore {
    /// The store the configuration names: the S3 bucket, or the data
    /// directory (its `attachments` folder created, or tightened, to be
    /// the server's user's only: mode 0700). Fails with the variable to fix
    /// when the bucket settings are unusable or the folder cannot be made.
    pub fn from_config(config: &Config) -> anyhow::Result<FileStore> {
        match &config.s3 {
            Some(s3) => FileStore::s3(s3),
            None => FileStore::local(&config.data_dir),
        }
    }

    fn local(data_dir: &Path) -> anyhow::Result<FileStore> {
        let dir = data_dir.join(ROOT);
        crate::private_files::create_private_dir(&dir)
            .with_context(|| format!("MOTCUA_DATA_DIR: cannot create {}", dir.display()))?;
        let objects = LocalFileSystem::new_with_prefix(data_dir)
            .context("MOTCUA_DATA_DIR")?
            .with_fsync(true);
        Ok(FileStore {
            objects: Arc::new(objects),
            local: Some(data_dir.to_owned()),
        })
    }

    fn s3(s3: &S3Config) -> anyhow::Result<FileStore> {
        // The HTTP client's TLS goes through ring, as everywhere else here.
        // An error only means a provider is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&s3.bucket);
        if let Some(endpoint) = &s3.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(region) = &s3.region {
            builder = builder.with_region(region);
        }
        let objects = builder.build().context("MOTCUA_S3_BUCKET")?;
        Ok(FileStore {
            objects: Arc::new(objects),
            local: None,
        })
    }

    /// Whether the files are kept in the data directory (one instance).
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    /// Stores `file` (read from its start) as the content whose digest is
    /// `sha256`, unless it is stored already. Fails when the store cannot
    /// be reached or written.
    pub async fn put_if_absent(
        &self,
        sha256: &str,
        mut file: tokio::fs::File,
    ) -> anyhow::Result<()> {
        let key = key(sha256);
        match self.objects.head(&key).await {
            Ok(_) => return Ok(()),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e).context("cannot reach the file store"),
        }
        // Uploaded in parts when large; either way visible once complete.
        let mut out = BufWriter::new(self.objects.clone(), key.clone());
        let written = match tokio::io::copy(&mut file, &mut out).await {
            Ok(_) => out.shutdown().await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            let _ = out.abort().await;
            return Err(e).with_context(|| format!("cannot store {key}"));
        }
        if let Some(dir) = &self.local {
            // Personal data (Decree 13/2023/NĐ-CP): the server's user's only.
            // The folder is already 0700, so the file was never readable by
            // others, even while written under its temporary name.
            let path = path_of(dir, sha256);
            // The file and its two-hex-digit folder (object_store makes
            // both with the process's umask).
            for made in [Some(path.as_path()), path.parent()].into_iter().flatten() {
                crate::private_files::tighten(made)
                    .with_context(|| format!("cannot protect {key}"))?;
            }
        }
        Ok(())
    }

    /// The content stored under `sha256`, streamed. Fails (an `INTERNAL`
    /// to the caller) when it is missing or the store cannot be reached.
    pub async fn open(&self, sha256: &str) -> anyhow::Result<Content> {
        let key = key(sha256);
        let found = self
            .objects
            .get(&key)
            .await
            .with_context(|| format!("cannot read {key} from the file store"))?;
        Ok(found.into_stream())
    }
}

/// The key of the content whose digest is `sha256` (64 hex digits).
fn key(sha256: &str) -> Key {
    Key::from_iter([ROOT, sha256.get(..2).unwrap_or(sha256), sha256])
}

/// Where the content whose digest is `sha256` lies in a local store rooted
/// at `data_dir`.
pub fn path_of(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join(key(sha256).as_ref())
}
