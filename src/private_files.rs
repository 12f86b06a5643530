//! Files only the server's own user may read (mode 0600): the payment
//! callback secret, and the stored attachments (personal data, Decree
//! 13/2023/NĐ-CP). OWASP ASVS 5.0 V13.3: secrets are not readable by other
//! local users.
//!
//! A file is created with its final mode in the `open` call itself, so it
//! never exists, even for an instant, with wider permissions than that.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Owner read and write, nothing for the group or others.
pub const MODE: u32 = 0o600;

/// Creates a new file at `path` that only the owner may read (`create_new`:
/// fails with `AlreadyExists` rather than opening someone else's file).
pub fn create_new(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, MODE);
    options.open(path)
}

/// The secret kept in `path` (trimmed), created from `generate` when the
/// file is missing or empty. An existing file readable by others is
/// tightened to 0600 first.
///
/// The new secret is written under a temporary name (created 0600) and then
/// linked into place, so the file is never seen half written; of two
/// instances starting at once, the first to link wins and the other reads
/// its secret.
pub fn read_or_create_secret(path: &Path, generate: impl FnOnce() -> String) -> io::Result<String> {
    let existing = read_secret(path)?;
    if let Some(secret) = existing.secret {
        return Ok(secret);
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let secret = generate();
    let tmp = path.with_extension(format!("{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut file = create_new(&tmp)?;
        file.write_all(secret.as_bytes())?;
        file.sync_all()?;
        if existing.present {
            // An empty file: replace it.
            fs::rename(&tmp, path)
        } else {
            fs::hard_link(&tmp, path)
        }
    })();
    // Gone already after a rename; after a link, `path` keeps the content.
    let _ = fs::remove_file(&tmp);
    match written {
        Ok(()) => Ok(secret),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_secret(path)?
            .secret
            .ok_or_else(|| io::Error::other(format!("{} is empty", path.display()))),
        Err(e) => Err(e),
    }
}

struct Existing {
    present: bool,
    secret: Option<String>,
}

fn read_secret(path: &Path) -> io::Result<Existing> {
    match fs::read_to_string(path) {
        Ok(s) => {
            tighten(path)?;
            let s = s.trim();
            Ok(Existing {
                present: true,
                secret: (!s.is_empty()).then(|| s.to_owned()),
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Existing {
            present: false,
            secret: None,
        }),
        Err(e) => Err(e),
    }
}

/// Removes the group's and others' permissions from an existing file.
fn tighten(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_secret_is_created_readable_by_the_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("payment-callback.key");
        let secret = read_or_create_secret(&path, || "s3cret".into()).unwrap();
        assert_eq!(secret, "s3cret");
        assert_eq!(fs::read_to_string(&path).unwrap(), "s3cret");
        assert_eq!(mode(&path), 0o600);
        // Read back, not regenerated; no temporary file left behind.
        assert_eq!(
            read_or_create_secret(&path, || "other".into()).unwrap(),
            "s3cret"
        );
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn an_existing_secret_readable_by_others_is_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("payment-callback.key");
        fs::write(&path, "old-secret\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let secret = read_or_create_secret(&path, || "new".into()).unwrap();
        assert_eq!(secret, "old-secret");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn an_empty_secret_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("payment-callback.key");
        fs::write(&path, "  \n").unwrap();
        let secret = read_or_create_secret(&path, || "fresh".into()).unwrap();
        assert_eq!(secret, "fresh");
        assert_eq!(fs::read_to_string(&path).unwrap(), "fresh");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn new_private_files_are_0600_and_never_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        create_new(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(
            create_new(&path).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
    }
}
