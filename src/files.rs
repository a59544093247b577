//! Files that only the dashboard's own user may read: the SQLite database,
//! its backups and the session key hold password hashes and secrets.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates `folder` and any missing parents, readable by the owner only.
/// Folders that already exist keep their permissions.
pub fn create_private_folder(folder: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(folder)
}

/// Creates `path`, which must not exist yet, readable and writable by the
/// owner only.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}
