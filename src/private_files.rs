//! Files only the server's own user may read (mode 0600, folders 0700):
//! the stored attachments (personal data, Decree 13/2023/NĐ-CP), and the
//! payment callback secret older versions kept on disk. OWASP ASVS 5.0
//! V13.3: secrets are not readable by other local users.
//!
//! `create_new` creates a file with its final mode in the `open` call
//! itself, so it never exists, even for an instant, with wider permissions
//! than that.

use std::fs;
use std::io;
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

/// The secret kept in `path` (trimmed), if the file exists and is not
/// blank; a file readable by others is tightened to 0600 first.
pub fn read_secret(path: &Path) -> io::Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(s) => {
            tighten(path)?;
            let s = s.trim();
            Ok((!s.is_empty()).then(|| s.to_owned()))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates the directory `path` (and its parents) for the owner only
/// (mode 0700), or tightens an existing one to that.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)?;
    tighten(path)
}

/// Removes the group's and others' permissions from an existing file or
/// directory (0644 → 0600, 0755 → 0700).
pub fn tighten(path: &Path) -> io::Result<()> {
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
    fn an_existing_secret_is_read_trimmed_and_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("payment-callback.key");
        fs::write(&path, "old-secret\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(read_secret(&path).unwrap().as_deref(), Some("old-secret"));
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_missing_or_blank_secret_file_holds_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("payment-callback.key");
        assert_eq!(read_secret(&path).unwrap(), None);
        fs::write(&path, "  \n").unwrap();
        assert_eq!(read_secret(&path).unwrap(), None);
    }

    #[test]
    fn private_directories_are_0700() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("data").join("attachments");
        create_private_dir(&new).unwrap();
        assert_eq!(mode(&new), 0o700);
        let old = dir.path().join("old");
        fs::create_dir(&old).unwrap();
        fs::set_permissions(&old, fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&old).unwrap();
        assert_eq!(mode(&old), 0o700);
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
