//! Blocking file operations. Called only from `spawn_blocking`.

use std::collections::HashSet;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::hash::{Hash, Hasher};
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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let shard = crc32fast::hash(key.as_bytes()) & 0xff;
    // Built in place: this runs for every read and write.
    let mut path = root.join("docs").into_os_string();
    path.reserve(key.len() + EXTENSION.len() + 5);
    path.push("/");
    for digit in [shard >> 4, shard & 0xf] {
        path.push(char::from(HEX[digit as usize]).encode_utf8(&mut [0; 4]));
    }
    path.push("/");
    path.push(key);
    path.push(".");
    path.push(EXTENSION);
    PathBuf::from(path)
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
    // A lock just released can stay held for a moment: by a process still
    // exiting, or by a child forked (and not yet exec'd) while it was held.
    for pause in [10, 20, 40, 80, 150, 300] {
        match file.try_lock() {
            Ok(()) => return Ok(Ok(file)),
            Err(fs::TryLockError::WouldBlock) => std::thread::sleep(std::time::Duration::from_millis(pause)),
            Err(fs::TryLockError::Error(err)) => return Err(err),
        }
    }
    match file.try_lock() {
        Ok(()) => Ok(Ok(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(Err(())),
        Err(fs::TryLockError::Error(err)) => Err(err),
    }
}

/// What is in a data directory, as [`list`] found it.
#[derive(Default)]
pub(crate) struct Listing {
    /// Temporary files of crashed runs, removed.
    pub(crate) removed: usize,
    /// Documents (current files).
    pub(crate) documents: usize,
    /// The [`key_hash`] of every key with a current file or a backup.
    pub(crate) keys: HashSet<u64>,
}

/// A key's hash for the index of keys on disk (built at each open, so it
/// need only be the same within a process).
pub(crate) fn key_hash(key: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// Lists the data directory: removes temporary files crashed runs left
/// behind, counts the documents and notes which keys have a file (only
/// names are read, no file).
pub(crate) fn list(root: &Path) -> io::Result<Listing> {
    let mut listing = Listing::default();
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
                listing.removed += 1;
            } else if let Some(key) = name.strip_suffix(".doc") {
                listing.documents += 1;
                listing.keys.insert(key_hash(key));
            } else if let Some(key) = name.strip_suffix(".bak") {
                listing.keys.insert(key_hash(key));
            }
        }
    }
    Ok(listing)
}

/// Writes `document` to `path` atomically: a temporary file in the same
/// directory, written and fsynced, then renamed over the target. The
/// previous version is kept as the `.bak` last good copy. The directory is
/// fsynced by the caller, once per batch.
pub(crate) fn write(path: &Path, document: &Document) -> io::Result<()> {
    let mut temp = temp_file_beside(path)?;
    temp.write_all(&encode(document))?;
    temp.as_file().sync_all()?;
    if path.exists() {
        // A crash between these renames leaves only the backup: readers use it.
        fs::rename(path, backup_of(path))?;
    }
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}

/// A new temporary file in `path`'s directory. The directory is made when
/// the file cannot be created for want of it (a shard's first document),
/// rather than tried before every file.
fn temp_file_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let dir = path.parent().ok_or_else(|| io::Error::other("document path has no directory"))?;
    let temp = || tempfile::Builder::new().prefix(TMP_PREFIX).tempfile_in(dir);
    match temp() {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            create_dir(dir)?;
            temp()
        }
        made => made,
    }
}

/// Writes a batch of documents, each atomically, flushing the file system
/// once per step instead of once per file. On Linux a document that has
/// both a current file and a backup is written over its backup in place
/// (the backup is the version before the previous one) and the two are
/// then swapped with one atomic `renameat2(RENAME_EXCHANGE)`, so a write
/// allocates no new file; a new document goes through a temporary file.
/// One `syncfs` puts every new version on disk before any rename or swap,
/// a second one makes those durable. A crash at any point leaves each
/// document's current file old or new, never torn, as [`write`] does.
/// Elsewhere than Linux, and for one document, each is written and fsynced
/// on its own.
pub(crate) fn write_batch(root: &Path, documents: &[(PathBuf, &Document)]) -> io::Result<()> {
    if documents.len() < 2 || cfg!(not(target_os = "linux")) {
        let mut dirs = std::collections::HashSet::new();
        for (path, document) in documents {
            write(path, document)?;
            dirs.extend(path.parent().map(Path::to_path_buf));
        }
        return dirs.iter().try_for_each(|dir| sync_dir(dir));
    }
    enum Staged<'a> {
        /// The new version is in the backup: swap it with the current file.
        Swap(&'a Path),
        /// The new version is in a temporary file: rename it into place.
        Rename(tempfile::TempPath, &'a Path),
    }
    let mut staged = Vec::with_capacity(documents.len());
    for (path, document) in documents {
        let backup = backup_of(path);
        if path.exists() && backup.exists() {
            let mut file = OpenOptions::new().write(true).truncate(true).open(&backup)?;
            file.write_all(&encode(document))?;
            staged.push(Staged::Swap(path));
            continue;
        }
        let mut temp = temp_file_beside(path)?;
        temp.write_all(&encode(document))?;
        // Only the path is kept: a batch of thousands holds no file open.
        staged.push(Staged::Rename(temp.into_temp_path(), path));
    }
    sync_fs(root)?;
    for step in staged {
        match step {
            Staged::Swap(path) => swap(&backup_of(path), path)?,
            Staged::Rename(temp, path) => {
                if path.exists() {
                    fs::rename(path, backup_of(path))?;
                }
                temp.persist(path).map_err(|err| err.error)?;
            }
        }
    }
    sync_fs(root)
}

/// Swaps two files atomically.
#[cfg(target_os = "linux")]
fn swap(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn swap(_a: &Path, _b: &Path) -> io::Result<()> {
    unreachable!("batches are written file by file here")
}

/// Flushes everything written on `root`'s file system.
#[cfg(target_os = "linux")]
fn sync_fs(root: &Path) -> io::Result<()> {
    rustix::fs::syncfs(File::open(root)?).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn sync_fs(_root: &Path) -> io::Result<()> {
    unreachable!("batches are written file by file here")
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    #[test]
    fn a_key_lives_in_its_shard_directory() {
        for (root, key) in [("/data", "user-1"), ("data/", "fan-7-alex"), ("", "user-42")] {
            let shard = format!("{:02x}", crc32fast::hash(key.as_bytes()) & 0xff);
            let expected = Path::new(root).join("docs").join(shard).join(format!("{key}.{EXTENSION}"));
            assert_eq!(path_of(Path::new(root), key), expected);
            assert_eq!(
                path_of(Path::new(root), key).to_str(),
                expected.to_str(),
                "the same text, not only the same components"
            );
        }
    }

    fn inodes(paths: &[PathBuf]) -> Vec<u64> {
        let mut found: Vec<u64> = paths
            .iter()
            .flat_map(|p| [p.clone(), backup_of(p)])
            .map(|p| fs::metadata(p).map(|m| m.ino()).unwrap_or(0))
            .collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn batches_keep_every_version_whole_and_reuse_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = ["a", "b", "c"].iter().map(|k| path_of(dir.path(), k)).collect();
        let mut seen = Vec::new();
        for version in 1..=4_u32 {
            let documents: Vec<Document> = (0..3).map(|i| Document::new(1, format!("v{version}-{i}"))).collect();
            let batch: Vec<(PathBuf, &Document)> = paths.iter().cloned().zip(documents.iter()).collect();
            write_batch(dir.path(), &batch).unwrap();
            for (i, path) in paths.iter().enumerate() {
                let current = read(path).unwrap().document.unwrap();
                assert_eq!(current.body, format!("v{version}-{i}").into_bytes());
                if version > 1 {
                    let previous = decode(&fs::read(backup_of(path)).unwrap()).unwrap();
                    assert_eq!(
                        previous.body,
                        format!("v{}-{i}", version - 1).into_bytes(),
                        "the backup is the version before"
                    );
                }
            }
            seen.push(inodes(&paths));
        }
        // From the third version on, a write swaps the two files it has.
        assert_eq!(seen[2], seen[1]);
        assert_eq!(seen[3], seen[1]);
        let listing = list(dir.path()).unwrap();
        assert_eq!(listing.removed, 0, "no temporary file is left behind");
        assert_eq!(listing.documents, 3);
        assert!(["a", "b", "c"].iter().all(|k| listing.keys.contains(&key_hash(k))));
    }
}
