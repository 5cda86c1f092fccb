//! Blocking file operations. Called only from `spawn_blocking`.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::envelope::{decode, encode};
use crate::store::Document;

/// Temporary files start with this; any left at start are from a crash.
pub(crate) const TMP_PREFIX: &str = ".muse-tmp-";
const EXTENSION: &str = "doc";
const BACKUP: &str = "bak";

/// Where a key lives: `docs/<shard>/<key>.doc`, with 256 shards so no
/// directory grows past a few hundred entries per hundred thousand users.
pub(crate) fn path_of(root: &Path, key: &str) -> PathBuf {
    let shard = crc32fast::hash(key.as_bytes()) & 0xff;
    root.join("docs").join(format!("{shard:02x}")).join(format!("{key}.{EXTENSION}"))
}

fn backup_of(path: &Path) -> PathBuf {
    path.with_extension(BACKUP)
}

/// Creates a directory (and parents) readable by the owner only.
pub(crate) fn create_dir(path: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)
}

/// Takes the lock on `root`: one writer per data directory.
pub(crate) fn lock(root: &Path) -> io::Result<Result<File, ()>> {
    let file = OpenOptions::new().create(true).truncate(false).write(true).mode(0o600).open(root.join("LOCK"))?;
    match file.try_lock() {
        Ok(()) => Ok(Ok(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(Err(())),
        Err(fs::TryLockError::Error(err)) => Err(err),
    }
}

/// Removes temporary files crashed runs left behind; returns how many, and
/// how many documents there are (the listing is free: nothing is read).
pub(crate) fn remove_stale_temp_files(root: &Path) -> io::Result<(usize, usize)> {
    let mut removed = 0;
    let mut documents = 0;
    let docs = root.join("docs");
    let mut dirs = vec![root.to_path_buf()];
    if docs.is_dir() {
        for shard in fs::read_dir(&docs)? {
            dirs.push(shard?.path());
        }
    }
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TMP_PREFIX) {
                fs::remove_file(entry.path())?;
                removed += 1;
            } else if name.ends_with(".doc") {
                documents += 1;
            }
        }
    }
    Ok((removed, documents))
}

/// Writes `document` to `path` atomically: a temporary file in the same
/// directory, written and fsynced, then renamed over the target. The
/// previous version is kept as the `.bak` last good copy. The directory is
/// fsynced by the caller, once per batch.
pub(crate) fn write(path: &Path, document: &Document) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| io::Error::other("document path has no directory"))?;
    create_dir(dir)?;
    let mut temp = tempfile::Builder::new().prefix(TMP_PREFIX).tempfile_in(dir)?;
    temp.write_all(&encode(document))?;
    temp.as_file().sync_all()?;
    if path.exists() {
        // A crash between these renames leaves only the backup: readers use it.
        fs::rename(path, backup_of(path))?;
    }
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}

/// Removes the document and its backup.
pub(crate) fn remove(path: &Path) -> io::Result<()> {
    for file in [path.to_path_buf(), backup_of(path)] {
        match fs::remove_file(&file) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
    }
    Ok(())
}

/// Makes renames in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// What reading found.
pub(crate) struct Read {
    pub(crate) document: Option<Document>,
    /// Files moved aside as corrupt.
    pub(crate) quarantined: Vec<PathBuf>,
}

/// Reads the document at `path`; a missing or corrupt file falls back to
/// the last good copy. Corrupt files are moved aside, never overwritten.
pub(crate) fn read(path: &Path) -> io::Result<Read> {
    let mut quarantined = Vec::new();
    for candidate in [path.to_path_buf(), backup_of(path)] {
        let bytes = match fs::read(&candidate) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        match decode(&bytes) {
            Ok(document) => return Ok(Read { document: Some(document), quarantined }),
            Err(problem) => {
                let aside = quarantine(&candidate)?;
                tracing::error!(file = %candidate.display(), moved_to = %aside.display(), problem, "corrupt document moved aside");
                quarantined.push(aside);
            }
        }
    }
    Ok(Read { document: None, quarantined })
}

fn quarantine(path: &Path) -> io::Result<PathBuf> {
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let name = path.file_name().map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
    let mut aside = path.with_file_name(format!("{name}.corrupt-{stamp}"));
    let mut n = 1;
    while aside.exists() {
        aside = path.with_file_name(format!("{name}.corrupt-{stamp}-{n}"));
        n += 1;
    }
    fs::rename(path, &aside)?;
    Ok(aside)
}
