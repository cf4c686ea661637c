//! The data directory: where a durable store keeps its files, and the lock
//! that makes sure only one taskfish process uses it at a time.
//!
//! [`DataDir::open`] creates the directory if needed and takes an exclusive
//! advisory lock on the `LOCK` file inside it. The lock is held for as long
//! as any clone of the [`DataDir`] lives (a store keeps one), and the
//! operating system drops it when the process ends, however it ends, so a
//! crashed server never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::StoreError;

/// Name of the lock file inside the data directory.
const LOCK_FILE: &str = "LOCK";

/// An open data directory, locked against other taskfish processes.
///
/// Clones share the lock; it is released when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
    _lock: Arc<File>,
}

impl DataDir {
    /// Opens `path` as the data directory, creating it (and its parents)
    /// when missing, and locks it for this process.
    ///
    /// # Errors
    /// Fails when the directory or its `LOCK` file cannot be created, or
    /// when another process (or another `DataDir` in this one) holds the
    /// lock.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        std::fs::create_dir_all(&path).map_err(|e| {
            StoreError(format!(
                "cannot create data directory {}: {e}",
                path.display()
            ))
        })?;

        let lock_path = path.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| {
                StoreError(format!(
                    "cannot open lock file {}: {e}",
                    lock_path.display()
                ))
            })?;

        try_lock(&lock).map_err(|err| match err {
            TryLockError::WouldBlock => StoreError(format!(
                "data directory {} is in use by another taskfish process",
                path.display()
            )),
            TryLockError::Error(e) => {
                StoreError(format!("cannot lock {}: {e}", lock_path.display()))
            }
        })?;

        Ok(Self {
            path,
            _lock: Arc::new(lock),
        })
    }

    /// The directory's path, as given to [`DataDir::open`].
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the data directory lives when none is configured:
    /// `$XDG_DATA_HOME/taskfish`, else `$HOME/.local/share/taskfish`, else
    /// `./taskfish-data`. Empty or relative values of the variables are
    /// ignored, as the XDG base directory specification asks.
    #[must_use]
    pub fn default_path() -> PathBuf {
        default_path_from(absolute_env("XDG_DATA_HOME"), absolute_env("HOME"))
    }
}

/// [`DataDir::default_path`] given the (already checked) variables.
fn default_path_from(data_home: Option<PathBuf>, home: Option<PathBuf>) -> PathBuf {
    match (data_home, home) {
        (Some(data_home), _) => data_home.join("taskfish"),
        (None, Some(home)) => home.join(".local").join("share").join("taskfish"),
        (None, None) => PathBuf::from("taskfish-data"),
    }
}

/// Takes the exclusive lock without waiting.
fn try_lock(file: &File) -> Result<(), TryLockError> {
    file.try_lock()
}

/// The variable's value as a path, when it is set, non-empty and absolute.
fn absolute_env(name: &str) -> Option<PathBuf> {
    let value = PathBuf::from(std::env::var_os(name)?);
    value.is_absolute().then_some(value)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A unique directory under the system temp dir, removed on drop.
    pub(crate) struct TempDir(pub(crate) PathBuf);

    impl TempDir {
        pub(crate) fn new(label: &str) -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!("taskfish-{label}-{}-{n}", std::process::id());
            let path = std::env::temp_dir().join(name);
            let _ = std::fs::remove_dir_all(&path);
            Self(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn open_creates_missing_parents() {
        let tmp = TempDir::new("datadir-create");
        let nested = tmp.0.join("a").join("b");
        let dir = DataDir::open(&nested).unwrap();
        assert!(nested.join(LOCK_FILE).is_file());
        assert_eq!(dir.path(), nested);
    }

    #[test]
    fn second_open_is_refused_until_the_first_is_dropped() {
        let tmp = TempDir::new("datadir-lock");
        let first = DataDir::open(&tmp.0).unwrap();
        let clone = first.clone();

        let err = DataDir::open(&tmp.0).unwrap_err().to_string();
        assert!(
            err.contains("is in use by another taskfish process"),
            "{err}"
        );
        assert!(err.contains(&tmp.0.display().to_string()), "{err}");

        drop(first);
        assert!(DataDir::open(&tmp.0).is_err(), "a clone still holds it");
        drop(clone);
        DataDir::open(&tmp.0).unwrap();
    }

    #[test]
    fn open_fails_when_the_path_is_a_file() {
        let tmp = TempDir::new("datadir-file");
        std::fs::create_dir_all(&tmp.0).unwrap();
        let file = tmp.0.join("plain");
        std::fs::write(&file, b"x").unwrap();
        let err = DataDir::open(&file).unwrap_err().to_string();
        assert!(err.contains("cannot create data directory"), "{err}");
    }

    #[test]
    fn default_path_prefers_xdg_then_home_then_cwd() {
        let xdg = Some(PathBuf::from("/xdg"));
        let home = Some(PathBuf::from("/home/u"));
        assert_eq!(
            default_path_from(xdg, home.clone()),
            Path::new("/xdg/taskfish")
        );
        assert_eq!(
            default_path_from(None, home),
            Path::new("/home/u/.local/share/taskfish")
        );
        assert_eq!(default_path_from(None, None), Path::new("taskfish-data"));
    }
}
