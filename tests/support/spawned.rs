//! A taskfish process started by a test or benchmark, and the scratch
//! directory it keeps its data in.
//!
//! [`Spawned::start`] runs `BIN serve --listen 127.0.0.1:0 ARGS`, sends its
//! stderr to a file and waits (bounded) for the ready line. The process is
//! stopped by its own PID only: [`Spawned::kill`] is SIGKILL (a crash),
//! [`Spawned::terminate`] is SIGTERM (a clean stop), and dropping a
//! `Spawned` kills it if it still runs, so a failing test leaves nothing
//! behind. [`TempDir`] is a unique directory under the system temp dir,
//! removed on drop.

// Each including crate uses a different part of this module.
#![allow(dead_code)]

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long the ready line may take.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
const READY_PREFIX: &str = "listening on http://";

/// A running taskfish server.
pub struct Spawned {
    child: Child,
    /// The address from the ready line.
    pub addr: SocketAddr,
    /// Where its stderr goes.
    pub log: PathBuf,
    /// Time from spawn to reading the ready line.
    pub ready: Duration,
}

impl Spawned {
    /// Spawns `bin serve --listen 127.0.0.1:0 ARGS` with stderr in `log`
    /// and waits for the ready line.
    ///
    /// # Errors
    /// Fails when the process cannot start, exits or prints something else
    /// first, or prints nothing within ten seconds; the message then holds
    /// the end of its stderr.
    pub fn start(bin: &Path, args: &[&str], log: &Path) -> io::Result<Spawned> {
        let spawned_at = Instant::now();
        let child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(log)?)
            .spawn()?;
        // Built at once so that Drop kills the child on every error below.
        let mut spawned = Spawned {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log: log.to_path_buf(),
            ready: Duration::ZERO,
        };
        let stdout = spawned
            .child
            .stdout
            .take()
            .ok_or_else(|| other("no stdout"))?;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || forward_ready_line(stdout, tx));

        let line = rx
            .recv_timeout(READY_TIMEOUT)
            .map_err(|_| other(format!("no ready line; stderr: {}", spawned.stderr_tail())))?;
        spawned.ready = spawned_at.elapsed();
        spawned.addr = line
            .strip_prefix(READY_PREFIX)
            .and_then(|addr| addr.trim_end().parse().ok())
            .ok_or_else(|| other(format!("unexpected first stdout line {line:?}")))?;
        Ok(spawned)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process with SIGKILL and reaps it.
    ///
    /// # Errors
    /// Fails when the signal cannot be sent or the process not reaped.
    pub fn kill(&mut self) -> io::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// Sends SIGTERM and waits up to `limit` for the process to exit.
    ///
    /// # Errors
    /// Fails when `kill -TERM` fails or the process outlives `limit` (it is
    /// then killed).
    pub fn terminate(&mut self, limit: Duration) -> io::Result<ExitStatus> {
        let pid = self.pid().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status()?;
        if !sent.success() {
            return Err(other(format!("kill -TERM {pid} failed: {sent}")));
        }
        match self.wait(limit)? {
            Some(status) => Ok(status),
            None => {
                self.kill()?;
                Err(other(format!("taskfish ignored SIGTERM for {limit:?}")))
            }
        }
    }

    /// Waits up to `limit` for the process to exit by itself.
    ///
    /// # Errors
    /// Fails when the process state cannot be read.
    pub fn wait(&mut self, limit: Duration) -> io::Result<Option<ExitStatus>> {
        wait_exit(&mut self.child, limit)
    }

    /// The process's resident set size in KiB (`VmRSS`).
    ///
    /// # Errors
    /// Fails when /proc/PID/status cannot be read or has no VmRSS line.
    pub fn rss_kib(&self) -> io::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| other("no VmRSS in /proc/PID/status"))
    }

    /// The last lines of the process's stderr, for failure messages.
    pub fn stderr_tail(&self) -> String {
        tail(&self.log)
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits up to `limit` for `child` to exit by itself.
///
/// # Errors
/// Fails when the process state cannot be read.
pub fn wait_exit(child: &mut Child, limit: Duration) -> io::Result<Option<ExitStatus>> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if started.elapsed() >= limit {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Waits up to `limit` for `child` to exit; kills and reaps it otherwise
/// and returns `None`.
pub fn wait_child(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    match wait_exit(child, limit) {
        Ok(Some(status)) => Some(status),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    }
}

/// The last lines of a log file (empty when unreadable).
pub fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Sends the first stdout line, then drains stdout so the server never
/// blocks on a full pipe.
fn forward_ready_line(stdout: std::process::ChildStdout, tx: mpsc::Sender<String>) {
    let mut lines = BufReader::new(stdout).lines();
    if let Some(Ok(line)) = lines.next() {
        let _ = tx.send(line);
    }
    for _ in lines {}
}

fn other(why: impl Into<String>) -> io::Error {
    io::Error::other(why.into())
}

/// A unique scratch directory, removed (with everything in it) on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `$TMPDIR/taskfish-LABEL-PID-N`.
    ///
    /// # Errors
    /// Fails when the directory cannot be created.
    pub fn new(label: &str) -> io::Result<Self> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("taskfish-{label}-{}-{n}", std::process::id());
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
