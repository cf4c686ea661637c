//! Loopback HTTP benchmark: taskfish against a bare axum server.
//!
//! Run with `cargo bench --bench http` (needs `wrk`: `apt-get install wrk`;
//! without it only start-up time and memory are measured). Cargo builds the
//! release-profile `taskfish` binary for the bench; `TASKFISH_BIN` overrides
//! it and `TASKFISH_BENCH_SECONDS` sets each load run's length (default 10).
//! Under `cargo test` the binary only says how to run it.
//!
//! 1. Start `taskfish serve --test-tasks --time-scale 1 --data-dir DIR`
//!    (the durable store, in an empty directory under target/bench-http)
//!    several times and take the median time from spawn to the ready line.
//! 2. Start it once more, let it settle and read its idle RSS.
//! 3. Create a 600 s test task and GET its Task body: the measured request.
//! 4. Start a bare axum server answering a body of the same size.
//! 5. Load both through `../shared/bench/http-bench` at 1 and 16
//!    connections and print the figures, the taskfish/bare ratios and the
//!    aims (>= 0.8x at 16 connections, ready < 50 ms, idle RSS < 20 MiB).
//!
//! It is not part of CI's pass/fail: it reports and never asserts the aims.

mod bare;
mod common;
#[path = "../support/keepalive.rs"]
mod keepalive;
mod load;
#[path = "../support/spawned.rs"]
mod spawned;

use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use load::Load;
use spawned::Spawned as Server;

use common::BenchResult;

const SERVE_ARGS: &[&str] = &["--test-tasks", "--time-scale", "1"];
const STARTS: usize = 7;
const SETTLE: Duration = Duration::from_secs(1);
const CONNS: [u32; 2] = [1, 16];
const AIM_RATIO_16: f64 = 0.8;
const AIM_READY_MS: f64 = 50.0;
const AIM_RSS_MIB: f64 = 20.0;

fn main() -> ExitCode {
    common::main("http", run)
}

fn run() -> BenchResult<()> {
    let bin = common::taskfish_binary()?;
    let log_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-http");
    std::fs::create_dir_all(&log_dir)?;
    let log = log_dir.join("taskfish-stderr.log");
    println!(
        "bench http: {} (stderr in {})",
        bin.display(),
        log.display()
    );

    // The default, durable store, in a directory of the bench's own that
    // starts empty.
    let data = log_dir.join("data");
    let _ = std::fs::remove_dir_all(&data);
    let data = data.to_string_lossy().into_owned();
    let args: Vec<&str> = SERVE_ARGS
        .iter()
        .copied()
        .chain(["--data-dir", &data])
        .collect();

    let ready_ms = median_ready_ms(&bin, &args, &log)?;
    let server = Server::start(&bin, &args, &log)?;
    thread::sleep(SETTLE);
    let idle_rss = server.rss_kib()?;

    let task_path = create_task(&server)?;
    let body = get_ok(&server, &task_path)?;
    let bare_addr = bare::start(body.clone().into())?;

    let seconds = common::bench_seconds(10)?;
    let taskfish_url = format!("http://{}{task_path}", server.addr);
    let bare_url = format!("http://{bare_addr}{task_path}");
    let loads = if load::wrk_available() {
        Some(measure(&taskfish_url, &bare_url, seconds)?)
    } else {
        println!("bench http: `wrk` not found (apt-get install wrk): no load runs");
        None
    };
    let loaded_rss = server.rss_kib()?;
    drop(server);

    let report = Report {
        task_path,
        body_len: body.len(),
        seconds,
        ready_ms,
        idle_rss,
        loaded_rss,
        loads,
    };
    report.print();
    Ok(())
}

/// Median of `STARTS` spawn-to-ready times, in ms.
fn median_ready_ms(
    bin: &std::path::Path,
    args: &[&str],
    log: &std::path::Path,
) -> BenchResult<f64> {
    let mut times = Vec::with_capacity(STARTS);
    for _ in 0..STARTS {
        let mut server = Server::start(bin, args, log)?;
        times.push(server.ready.as_secs_f64() * 1000.0);
        // Stopping right after the ready line also probes that SIGTERM is
        // handled from then on; a failure is reported, not fatal.
        match server.terminate(Duration::from_secs(10)) {
            Ok(status) if status.success() => {}
            Ok(status) => println!("bench http: warning: exit after early SIGTERM: {status}"),
            Err(err) => println!("bench http: warning: stop right after ready: {err}"),
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times[STARTS / 2])
}

/// Creates a long-running test task; returns the Task's path.
fn create_task(server: &Server) -> BenchResult<String> {
    let json = r#"{"DurationSeconds": 600, "Outcome": "Completed"}"#;
    let path = "/redfish/v1/TaskService/Tasks";
    let response = keepalive::Conn::new(server.addr).post(path, json)?;
    if !(200..300).contains(&response.status) {
        let text = String::from_utf8_lossy(&response.body);
        return Err(format!("POST {path}: {} {text}", response.status).into());
    }
    let task: serde_json::Value = serde_json::from_slice(&response.body)?;
    task.get("@odata.id")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("POST {path}: no @odata.id in the answer").into())
}

/// GETs `path` and returns the body of its 200 answer.
fn get_ok(server: &Server, path: &str) -> BenchResult<Vec<u8>> {
    let response = keepalive::Conn::new(server.addr).get(path)?;
    match response.status {
        200 => Ok(response.body),
        status => Err(format!("GET {path} answered {status}").into()),
    }
}

/// Load runs: a 1 s warm-up for each server, then each connection count,
/// alternating servers. Returns (taskfish, bare) figures per entry of CONNS.
fn measure(taskfish: &str, bare: &str, seconds: u32) -> BenchResult<Vec<(Load, Load)>> {
    load::run(taskfish, 16, 1)?;
    load::run(bare, 16, 1)?;
    let mut rows = Vec::new();
    for conns in CONNS {
        let ours = load::run(taskfish, conns, seconds)?;
        let base = load::run(bare, conns, seconds)?;
        rows.push((ours, base));
    }
    Ok(rows)
}

/// Everything the benchmark measured.
struct Report {
    task_path: String,
    body_len: usize,
    seconds: u32,
    ready_ms: f64,
    idle_rss: u64,
    loaded_rss: u64,
    loads: Option<Vec<(Load, Load)>>,
}

impl Report {
    fn print(&self) {
        println!();
        println!(
            "GET {} ({} byte body) on loopback, wrk 1 thread, {} s per run",
            self.task_path, self.body_len, self.seconds
        );
        row(["", "taskfish", "bare axum", "taskfish/bare", "aim"]);
        for (conns, (ours, base)) in CONNS.iter().zip(self.loads.iter().flatten()) {
            print_load(*conns, ours, base);
        }

        let label = format!("ready line (median of {STARTS})");
        let ready = format!("{:.1} ms", self.ready_ms);
        let verdict = aim(
            self.ready_ms < AIM_READY_MS,
            &format!("< {AIM_READY_MS} ms"),
        );
        row([&label, &ready, "", "", &verdict]);

        let idle = mib(self.idle_rss);
        let verdict = aim(idle < AIM_RSS_MIB, &format!("< {AIM_RSS_MIB} MiB"));
        row(["idle RSS", &format!("{idle:.1} MiB"), "", "", &verdict]);
        let loaded = format!("{:.1} MiB", mib(self.loaded_rss));
        row(["RSS after load", &loaded, "", "", ""]);
    }
}

fn print_load(conns: u32, ours: &Load, base: &Load) {
    let ratio = ours.rps / base.rps;
    let verdict = match conns {
        16 => aim(ratio >= AIM_RATIO_16, &format!(">= {AIM_RATIO_16}x")),
        _ => String::new(),
    };
    let label = format!("req/s, {conns} conn");
    let (a, b) = (format!("{:.0}", ours.rps), format!("{:.0}", base.rps));
    row([&label, &a, &b, &format!("{ratio:.2}x"), &verdict]);

    let label = format!("p50 / p99 ms, {conns} conn");
    let latency = |load: &Load| format!("{:.3} / {:.3}", load.p50_ms, load.p99_ms);
    row([&label, &latency(ours), &latency(base), "", ""]);
    if ours.errors + base.errors > 0 {
        let (a, b) = (ours.errors.to_string(), base.errors.to_string());
        row(["errors", &a, &b, "", ""]);
    }
}

fn row([label, ours, base, ratio, aim]: [&str; 5]) {
    println!("{label:<26} {ours:>16} {base:>16} {ratio:>14}  {aim}");
}

fn aim(met: bool, target: &str) -> String {
    format!("{target} {}", if met { "met" } else { "MISSED" })
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
