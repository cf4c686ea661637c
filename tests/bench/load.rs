//! Load runs through the shared `http-bench` script (wrk with one thread),
//! parsed from its one summary line
//! `req/s=... p50_ms=... p99_ms=... errors=...`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BenchResult;

/// One closed-loop run's figures.
#[derive(Clone, Copy, Default)]
pub struct Load {
    /// Requests per second.
    pub rps: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Socket errors, timeouts and non-2xx/3xx answers.
    pub errors: u64,
}

/// The http-bench script beside the repository (`../shared/bench`).
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/http-bench")
}

/// True when the load generator (`$WRK` or `wrk` on PATH) can be run.
pub fn wrk_available() -> bool {
    let wrk = std::env::var("WRK").unwrap_or_else(|_| "wrk".to_owned());
    Command::new(wrk).arg("--version").output().is_ok()
}

/// Runs `http-bench --url URL --conns CONNS --seconds SECONDS`.
///
/// # Errors
///
/// Fails when the script fails or prints no summary line.
pub fn run(url: &str, conns: u32, seconds: u32) -> BenchResult<Load> {
    let output = Command::new(script())
        .args(["--url", url])
        .args(["--conns", &conns.to_string()])
        .args(["--seconds", &seconds.to_string()])
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("http-bench {url} failed: {stdout}{stderr}").into());
    }
    let line = stdout
        .lines()
        .find(|line| line.starts_with("req/s="))
        .ok_or_else(|| format!("no summary line from http-bench: {stdout}"))?;
    parse(line)
}

fn parse(line: &str) -> BenchResult<Load> {
    let mut load = Load::default();
    for field in line.split_whitespace() {
        let (key, value) = field.split_once('=').ok_or("bad summary field")?;
        match key {
            "req/s" => load.rps = value.parse()?,
            "p50_ms" => load.p50_ms = value.parse()?,
            "p99_ms" => load.p99_ms = value.parse()?,
            "errors" => load.errors = value.parse()?,
            _ => {}
        }
    }
    Ok(load)
}
