//! The taskfish process under test: spawn it on 127.0.0.1:0, time how long it
//! takes to print its ready line, read its resident memory, and stop it with
//! SIGTERM (SIGKILL if it lingers). Dropping a `Server` always stops it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::BenchResult;

const READY_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
const READY_PREFIX: &str = "listening on http://";

/// A running taskfish server started by the benchmark.
pub struct Server {
    child: Child,
    /// The address from the ready line.
    pub addr: SocketAddr,
    /// Time from spawn to reading the ready line.
    pub ready: Duration,
}

impl Server {
    /// Spawns `bin serve --listen 127.0.0.1:0 ARGS`, stderr to `log`, and
    /// waits for the ready line.
    ///
    /// # Errors
    ///
    /// Fails when the process cannot start, exits, prints something else
    /// first, or prints nothing within `READY_TIMEOUT`.
    pub fn start(bin: &Path, args: &[&str], log: &Path) -> BenchResult<Server> {
        let mut command = Command::new(bin);
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(log)?);

        let spawned = Instant::now();
        let mut child = command.spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || forward_ready_line(stdout, tx));

        let line = match rx.recv_timeout(READY_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let hint = format!("(stderr in {})", log.display());
                return Err(format!("no ready line from taskfish {hint}").into());
            }
        };
        let ready = spawned.elapsed();
        // Built before the address is parsed, so that Drop stops the child
        // if the line is malformed.
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ready,
        };
        server.addr = line
            .strip_prefix(READY_PREFIX)
            .and_then(|addr| addr.trim_end().parse().ok())
            .ok_or_else(|| format!("unexpected first stdout line {line:?}"))?;
        Ok(server)
    }

    /// The server's resident set size in KiB (VmRSS).
    ///
    /// # Errors
    ///
    /// Fails when /proc/PID/status cannot be read or has no VmRSS line.
    pub fn rss_kib(&self) -> BenchResult<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let line = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .ok_or("no VmRSS in /proc/PID/status")?;
        let kib = line.trim().trim_end_matches("kB").trim().parse()?;
        Ok(kib)
    }

    /// Sends SIGTERM and waits; SIGKILL after `STOP_TIMEOUT`.
    ///
    /// # Errors
    ///
    /// Fails when the process had to be killed or exited unsuccessfully.
    pub fn stop(&mut self) -> BenchResult<()> {
        if self.child.try_wait()?.is_none() {
            let pid = self.child.id().to_string();
            Command::new("kill").args(["-TERM", &pid]).status()?;
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return match status.success() {
                    true => Ok(()),
                    false => Err(format!("taskfish exited with {status}").into()),
                };
            }
            thread::sleep(Duration::from_millis(10));
        }
        self.child.kill()?;
        self.child.wait()?;
        Err("taskfish ignored SIGTERM and was killed".into())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.stop();
        }
    }
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
