//! What both benchmarks share: their error type, the `cargo bench` entry
//! point (a skip line under `cargo test`), and where the binary and the run
//! length come from (`TASKFISH_BIN`, `TASKFISH_BENCH_SECONDS`).

use std::path::PathBuf;
use std::process::ExitCode;

/// A benchmark's error type: any error, reported once by [`main`].
pub type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Runs benchmark `name` under `cargo bench --bench NAME`; prints a skip
/// line when the binary is run any other way (as `cargo test` does).
pub fn main(name: &str, run: fn() -> BenchResult<()>) -> ExitCode {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("bench {name}: skipped outside `cargo bench --bench {name}`");
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench {name}: error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The taskfish binary: `TASKFISH_BIN`, else the one cargo built.
///
/// # Errors
/// Fails when no file is there.
pub fn taskfish_binary() -> BenchResult<PathBuf> {
    let bin = std::env::var_os("TASKFISH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_taskfish")));
    match bin.is_file() {
        true => Ok(bin),
        false => Err(format!("no taskfish binary at {}", bin.display()).into()),
    }
}

/// Seconds per measured run: `TASKFISH_BENCH_SECONDS`, else `default`.
///
/// # Errors
/// Fails when the variable is not a whole number.
pub fn bench_seconds(default: u32) -> BenchResult<u32> {
    match std::env::var("TASKFISH_BENCH_SECONDS") {
        Ok(text) => Ok(text.parse()?),
        Err(_) => Ok(default),
    }
}
