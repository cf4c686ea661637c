//! Task creation throughput: the durable store against memory.
//!
//! Run with `cargo bench --bench create`. Cargo builds the release-profile
//! `taskfish` binary for the bench; `TASKFISH_BIN` overrides it and
//! `TASKFISH_BENCH_SECONDS` sets each run's length (default 5). Under
//! `cargo test` the binary only says how to run it.
//!
//! 1. For each body, connection count and store, start a fresh
//!    `taskfish serve --test-tasks --time-scale 1`, durable (`--data-dir`
//!    in a temp dir) or `--ephemeral`.
//! 2. From C keep-alive connections (1 and 16), POST synthetic tasks in a
//!    closed loop for the run's length, counting only `202` answers and
//!    their latencies. Two bodies: `DurationSeconds` 0 (the task also
//!    finishes at once, a second write) and 3600 (creation only).
//! 3. Print creations per second, p50/p99 latency and the
//!    durable/ephemeral ratio against the aim (>= 0.5).
//!
//! Each server gets a config file raising `max-tasks` to [`MAX_TASKS`], so
//! the task limit (10 000 by default) does not cut a run short. Should the
//! server still refuse a creation, the run ends there, its rate is taken
//! over the time until the refusal and the report says so. It reports; it
//! never asserts the aim.

#[path = "common.rs"]
mod common;
#[path = "../support/keepalive.rs"]
mod keepalive;
#[path = "../support/spawned.rs"]
mod spawned;

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use keepalive::Conn;
use spawned::{Spawned, TempDir};

use common::BenchResult;

const TASKS: &str = "/redfish/v1/TaskService/Tasks";
const BODIES: [&str; 2] = [r#"{"DurationSeconds": 0}"#, r#"{"DurationSeconds": 3600}"#];
const CONNS: [usize; 2] = [1, 16];
/// Creations before each measured run, not counted.
const WARM_UP: usize = 50;
const AIM_RATIO: f64 = 0.5;
/// The task limit given to the server: above what a run can create.
const MAX_TASKS: u32 = 1_000_000;

fn main() -> ExitCode {
    common::main("create", run)
}

fn run() -> BenchResult<()> {
    let bin = common::taskfish_binary()?;
    let seconds = u64::from(common::bench_seconds(5)?);
    println!("bench create: {} ({seconds} s per run)", bin.display());
    let mut rows = Vec::new();
    for body in BODIES {
        for conns in CONNS {
            let durable = measure(&bin, Store::Durable, body, conns, seconds)?;
            let ephemeral = measure(&bin, Store::Ephemeral, body, conns, seconds)?;
            rows.push((body, conns, durable, ephemeral));
        }
    }
    print_report(seconds, &rows);
    Ok(())
}

/// Where the server keeps its tasks.
#[derive(Debug, Clone, Copy)]
enum Store {
    Durable,
    Ephemeral,
}

/// One run's figures.
struct Run {
    created: usize,
    elapsed: Duration,
    p50_ms: f64,
    p99_ms: f64,
    /// The first answer other than 202, if the server refused one.
    refused: Option<String>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.created as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Starts a fresh server on `store`, loads it with `conns` connections
/// POSTing `body` for `seconds`, and stops it.
fn measure(bin: &Path, store: Store, body: &str, conns: usize, seconds: u64) -> BenchResult<Run> {
    let dir = TempDir::new("bench-create")?;
    let data = dir.join("data");
    let data = data.to_str().ok_or("temp path is not UTF-8")?;
    let config = dir.join("taskfish.toml");
    std::fs::write(&config, format!("max-tasks = {MAX_TASKS}\n"))?;
    let config = config.to_str().ok_or("temp path is not UTF-8")?;
    let mut args = vec!["--test-tasks", "--time-scale", "1", "--log", "warn"];
    args.extend(["--config", config]);
    match store {
        Store::Durable => args.extend(["--data-dir", data]),
        Store::Ephemeral => args.push("--ephemeral"),
    }
    let mut server = Spawned::start(bin, &args, &dir.join("stderr.log"))?;

    let mut conn = Conn::new(server.addr);
    for _ in 0..WARM_UP {
        let answer = conn.post(TASKS, body)?;
        if answer.status != 202 {
            let text = answer.text();
            return Err(format!("warm-up POST {body}: {} {text}", answer.status).into());
        }
    }
    drop(conn);

    let run = load(server.addr, body, conns, Duration::from_secs(seconds));
    let status = server.terminate(Duration::from_secs(10))?;
    if !status.success() {
        println!("bench create: warning: {store:?} server exited with {status}");
    }
    run
}

/// What one connection saw.
#[derive(Default)]
struct Worker {
    latencies_us: Vec<u32>,
    stopped: Option<Duration>,
    refused: Option<String>,
}

/// The closed-loop load: `conns` threads, one keep-alive connection each.
fn load(addr: SocketAddr, body: &str, conns: usize, length: Duration) -> BenchResult<Run> {
    let started = Instant::now();
    let workers = thread::scope(|scope| {
        let threads: Vec<_> = (0..conns)
            .map(|_| scope.spawn(move || post_loop(addr, body, started, length)))
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().map_err(|_| "load thread panicked"))
            .collect::<Result<Vec<_>, _>>()
    })?;

    let mut latencies: Vec<u32> = Vec::new();
    let mut elapsed = length;
    let mut refused = None;
    for worker in workers {
        let worker = worker?;
        latencies.extend(worker.latencies_us);
        if let Some(stopped) = worker.stopped {
            elapsed = elapsed.min(stopped);
            refused = refused.or(worker.refused);
        }
    }
    latencies.sort_unstable();
    Ok(Run {
        created: latencies.len(),
        elapsed,
        p50_ms: percentile_ms(&latencies, 0.50),
        p99_ms: percentile_ms(&latencies, 0.99),
        refused,
    })
}

/// POSTs `body` until `length` has passed since `started` or the server
/// refuses a creation.
fn post_loop(
    addr: SocketAddr,
    body: &str,
    started: Instant,
    length: Duration,
) -> BenchResult<Worker> {
    let mut conn = Conn::new(addr);
    let mut worker = Worker::default();
    while started.elapsed() < length {
        let sent = Instant::now();
        let answer = conn.post(TASKS, body)?;
        let took = sent.elapsed();
        if answer.status != 202 {
            worker.stopped = Some(started.elapsed());
            worker.refused = Some(refusal(&answer));
            break;
        }
        worker
            .latencies_us
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
    }
    Ok(worker)
}

/// The status and MessageIds of a refusal, for the report.
fn refusal(answer: &keepalive::Response) -> String {
    let body = answer.json().unwrap_or_default();
    let ids: Vec<&str> = body["error"]["@Message.ExtendedInfo"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["MessageId"].as_str())
        .collect();
    format!("{} {}", answer.status, ids.join(", "))
}

fn percentile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted_us.len() as f64 * q).ceil() as usize).clamp(1, sorted_us.len());
    f64::from(sorted_us[rank - 1]) / 1000.0
}

fn print_report(seconds: u64, rows: &[(&str, usize, Run, Run)]) {
    println!();
    println!(
        "POST {TASKS} on loopback, keep-alive, closed loop, {seconds} s per run, \
         fresh server per run"
    );
    line([
        "body / conns",
        "durable/s",
        "ephemeral/s",
        "ratio",
        "durable p50/p99 ms",
        "ephemeral p50/p99 ms",
        "aim",
    ]);
    for (body, conns, durable, ephemeral) in rows {
        let ratio = durable.rate() / ephemeral.rate();
        let verdict = match ratio >= AIM_RATIO {
            true => format!(">= {AIM_RATIO} met"),
            false => format!(">= {AIM_RATIO} MISSED"),
        };
        let label = format!("{} s, {conns} conn", duration_of(body));
        let latency = |run: &Run| format!("{:.3} / {:.3}", run.p50_ms, run.p99_ms);
        line([
            &label,
            &format!("{:.0}", durable.rate()),
            &format!("{:.0}", ephemeral.rate()),
            &format!("{ratio:.2}x"),
            &latency(durable),
            &latency(ephemeral),
            &verdict,
        ]);
        for (name, run) in [("durable", durable), ("ephemeral", ephemeral)] {
            if let Some(refused) = &run.refused {
                println!(
                    "    {name}: refused after {} tasks in {:.2} s: {refused}",
                    run.created,
                    run.elapsed.as_secs_f64()
                );
            }
        }
    }
}

/// The `DurationSeconds` of a body, for the row label.
fn duration_of(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    value["DurationSeconds"].to_string()
}

fn line([a, b, c, d, e, f, g]: [&str; 7]) {
    println!("{a:<18} {b:>10} {c:>12} {d:>7} {e:>20} {f:>22}  {g}");
}
