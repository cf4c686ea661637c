//! Crash safety of the durable store, end to end. The real binary runs on a
//! data directory while eight clients create synthetic tasks as fast as it
//! answers; after a random 300-800 ms it is killed with SIGKILL and started
//! again on the same directory. Then:
//!
//! 1. every task whose creation was answered `202` reads `200` and is
//!    consistent, and its monitor answers `202` while it runs and its final
//!    answer once it is over;
//! 2. the Tasks collection lists each of them once and no id twice;
//! 3. tasks created after the restart get ids above every id seen before;
//! 4. the resumed tasks finish, `Completed` or `Exception` as asked.
//!
//! Three kill/restart rounds run on the same directory, so earlier tasks
//! are checked again after later crashes. The random choices come from a
//! seed printed at the start; `TASKFISH_CRASH_SEED=N` replays one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/keepalive.rs"]
mod keepalive;
#[path = "support/spawned.rs"]
mod spawned;
#[path = "support/task_check.rs"]
mod task_check;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use keepalive::Conn;
use serde_json::{Value, json};
use spawned::{Spawned, TempDir};
use task_check::{check_final_monitor, check_running_monitor, check_task, id, is_terminal, state};

const BIN: &str = env!("CARGO_BIN_EXE_taskfish");
const TASKS: &str = "/redfish/v1/TaskService/Tasks";
const CLIENTS: usize = 8;
const ROUNDS: usize = 3;
/// Most tasks one client creates in a round: bounds the work per round,
/// well above what a client manages before the kill.
const PER_CLIENT: usize = 400;
/// Threads that read tasks back after a restart.
const READERS: usize = 4;
/// How long the resumed tasks may take to finish.
const FINISH_LIMIT: Duration = Duration::from_secs(20);

/// What a client asked for.
#[derive(Debug, Clone)]
struct Spec {
    duration: u32,
    outcome: &'static str,
    steps: u32,
    subtasks: u32,
    start_after: u32,
    cancellable: bool,
}

impl Spec {
    /// A random mix: some done before the kill, most cut off mid-run,
    /// some still waiting to start (durations at --time-scale 0.01).
    fn random(rng: &mut Rng) -> Self {
        Self {
            duration: [0, 20, 60, 150][rng.below(4)],
            outcome: ["Completed", "Warning", "Exception"][rng.below(3)],
            steps: 1 + rng.below(20) as u32,
            subtasks: [0, 0, 1, 3][rng.below(4)],
            start_after: [0, 0, 0, 0, 0, 0, 0, 80][rng.below(8)],
            cancellable: rng.below(2) == 0,
        }
    }

    fn body(&self) -> String {
        json!({
            "DurationSeconds": self.duration,
            "Outcome": self.outcome,
            "Steps": self.steps,
            "SubTasks": self.subtasks,
            "StartAfterSeconds": self.start_after,
            "Cancellable": self.cancellable,
        })
        .to_string()
    }

    /// The terminal state and `TaskStatus` this task must end with.
    fn ending(&self) -> (&'static str, &'static str) {
        match self.outcome {
            "Exception" => ("Exception", "Critical"),
            "Warning" => ("Completed", "Warning"),
            _ => ("Completed", "OK"),
        }
    }
}

/// A task whose creation was answered 202.
#[derive(Debug, Clone)]
struct Created {
    id: u64,
    uri: String,
    monitor: String,
    spec: Spec,
}

/// A small xorshift generator: no dependency, reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn seed() -> u64 {
    if let Ok(text) = std::env::var("TASKFISH_CRASH_SEED") {
        return text.parse().expect("TASKFISH_CRASH_SEED is a number");
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (u64::from(nanos) ^ (u64::from(std::process::id()) << 32)) | 1
}

fn spawn(dir: &TempDir, n: usize) -> Spawned {
    let data = dir.join("data");
    let args = [
        "--test-tasks",
        "--time-scale",
        "0.01",
        "--data-dir",
        data.to_str().expect("UTF-8 temp path"),
        "--log",
        "warn",
    ];
    let log = dir.join(&format!("stderr-{n}.log"));
    Spawned::start(Path::new(BIN), &args, &log).expect("server starts")
}

#[test]
fn tasks_acknowledged_before_a_sigkill_survive_it_consistently() {
    let seed = seed();
    println!("crash test seed {seed} (TASKFISH_CRASH_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let dir = TempDir::new("crash").expect("temp dir");
    let mut known: BTreeMap<u64, Created> = BTreeMap::new();
    let mut server = spawn(&dir, 0);

    for round in 1..=ROUNDS {
        let delay = Duration::from_millis(300 + rng.below(500) as u64);
        let created = create_until_killed(&mut server, delay, &mut rng);
        println!(
            "round {round}: {} tasks acknowledged, killed after {delay:?}",
            created.len()
        );
        for task in created {
            assert!(
                known.insert(task.id, task).is_none(),
                "id acknowledged twice"
            );
        }

        server = spawn(&dir, round);
        let addr = server.addr;
        let seen = check_collection(addr, &known);
        for task in create_after_restart(addr, &seen) {
            known.insert(task.id, task);
        }
        let open = check_all(addr, &known.values().collect::<Vec<_>>());
        println!("round {round}: {} tasks resumed or waiting", open.len());
        wait_all_finished(addr, open);
    }

    let status = server.terminate(Duration::from_secs(10)).expect("SIGTERM");
    assert!(status.success(), "exit after SIGTERM: {status}");
}

/// Runs the clients against `server` and kills it with SIGKILL after
/// `delay`; returns every task acknowledged with 202.
fn create_until_killed(server: &mut Spawned, delay: Duration, rng: &mut Rng) -> Vec<Created> {
    let killed = &AtomicBool::new(false);
    let addr = server.addr;
    let seeds: Vec<u64> = (0..CLIENTS).map(|_| rng.next()).collect();
    let results = thread::scope(|scope| {
        let clients: Vec<_> = seeds
            .into_iter()
            .map(|seed| scope.spawn(move || create_loop(addr, Rng(seed), killed)))
            .collect();
        thread::sleep(delay);
        killed.store(true, Ordering::SeqCst);
        server.kill().expect("SIGKILL");
        clients
            .into_iter()
            .map(|c| c.join().expect("client thread"))
            .collect::<Vec<_>>()
    });
    let mut created = Vec::new();
    let mut cut_off = 0;
    for result in results {
        let tasks = result.unwrap_or_else(|e| panic!("{e}"));
        cut_off += usize::from(tasks.len() < PER_CLIENT);
        created.extend(tasks);
    }
    println!("{cut_off} of {CLIENTS} clients were still creating at the kill");
    created
}

/// One client: creates tasks until the server dies (or its quota is met).
/// An error before the kill, or any answer but 202, is a failure.
fn create_loop(
    addr: SocketAddr,
    mut rng: Rng,
    killed: &AtomicBool,
) -> Result<Vec<Created>, String> {
    let mut conn = Conn::new(addr);
    let mut created = Vec::new();
    while created.len() < PER_CLIENT {
        let spec = Spec::random(&mut rng);
        let answer = match conn.post(TASKS, &spec.body()) {
            Ok(answer) => answer,
            Err(_) if killed.load(Ordering::SeqCst) => break,
            Err(e) => return Err(format!("POST failed before the kill: {e}")),
        };
        if answer.status != 202 {
            return Err(format!(
                "POST {}: {} {}",
                spec.body(),
                answer.status,
                answer.text()
            ));
        }
        let task = task_check::json(&answer);
        let monitor = answer.header("location").unwrap_or("").to_owned();
        if task["TaskMonitor"] != monitor.as_str() {
            return Err(format!("Location {monitor} is not the TaskMonitor: {task}"));
        }
        let uri = task["@odata.id"].as_str().unwrap_or("").to_owned();
        created.push(Created {
            id: id(&task),
            uri,
            monitor,
            spec,
        });
    }
    Ok(created)
}

/// Reads `tasks`, their subtasks and their monitors back (in parallel);
/// returns those not finished yet.
fn check_all<'a>(addr: SocketAddr, tasks: &[&'a Created]) -> Vec<&'a Created> {
    let chunk = tasks.len().div_ceil(READERS).max(1);
    thread::scope(|scope| {
        let readers: Vec<_> = tasks
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut conn = Conn::new(addr);
                    let open = part.iter().filter(|t| !check_one(&mut conn, t));
                    open.copied().collect::<Vec<_>>()
                })
            })
            .collect();
        let open = readers.into_iter().map(|r| r.join().expect("reader"));
        open.flatten().collect()
    })
}

/// Checks one task after a restart; true when it is finished.
fn check_one(conn: &mut Conn, created: &Created) -> bool {
    // The monitor first: once it gives a final answer, the Task read
    // after it must be terminal.
    let answer = conn.get(&created.monitor).expect("monitor answers");
    let task = get_task(conn, &created.uri);
    assert_eq!(id(&task), created.id, "{task}");
    if answer.status == 202 {
        let seen = check_running_monitor(&answer, &created.monitor);
        assert_eq!(id(&seen), created.id);
    } else {
        assert!(
            is_terminal(&task),
            "monitor {} for unfinished {task}",
            answer.status
        );
        check_final_monitor(&answer, &task, (500, "OperationFailed"));
    }
    if is_terminal(&task) {
        let ending = (state(&task), task["TaskStatus"].as_str().unwrap_or(""));
        assert_eq!(ending, created.spec.ending(), "{:?}: {task}", created.spec);
    }
    check_subtasks(conn, created, &task);
    is_terminal(&task)
}

/// GET a Task, requiring 200 and a consistent body.
fn get_task(conn: &mut Conn, uri: &str) -> Value {
    let answer = conn.get(uri).expect("task answers");
    assert_eq!(answer.status, 200, "GET {uri}: {}", answer.text());
    let task = task_check::json(&answer);
    check_task(&task);
    task
}

/// The subtasks are all there and consistent; once the parent is
/// finished, so are they.
fn check_subtasks(conn: &mut Conn, created: &Created, parent: &Value) {
    if created.spec.subtasks == 0 {
        assert!(parent.get("SubTasks").is_none(), "SubTasks link: {parent}");
        return;
    }
    let link = format!("{}/SubTasks", created.uri);
    assert_eq!(parent["SubTasks"]["@odata.id"], link.as_str(), "{parent}");
    let answer = conn.get(&link).expect("subtasks answer");
    assert_eq!(answer.status, 200, "GET {link}: {}", answer.text());
    let members = task_check::json(&answer)["Members"].clone();
    let members = members.as_array().expect("Members");
    assert_eq!(members.len(), created.spec.subtasks as usize, "{link}");
    for member in members {
        let child = get_task(conn, member["@odata.id"].as_str().expect("member"));
        if is_terminal(parent) {
            assert!(is_terminal(&child), "parent {parent} over, child {child}");
        }
    }
}

/// Walks the Tasks collection (following `nextLink`): each known task is
/// listed, no id twice. Returns every id seen there and in subtasks.
fn check_collection(addr: SocketAddr, known: &BTreeMap<u64, Created>) -> BTreeSet<u64> {
    let mut conn = Conn::new(addr);
    let mut listed = BTreeSet::new();
    let mut next = Some(TASKS.to_owned());
    while let Some(page) = next.take() {
        let answer = conn.get(&page).expect("collection answers");
        assert_eq!(answer.status, 200, "GET {page}: {}", answer.text());
        let body = task_check::json(&answer);
        for member in body["Members"].as_array().expect("Members") {
            let uri = member["@odata.id"].as_str().expect("member @odata.id");
            let id: u64 = uri
                .rsplit('/')
                .next()
                .and_then(|s| s.parse().ok())
                .expect("id");
            assert!(listed.insert(id), "id {id} listed twice");
        }
        next = body["Members@odata.nextLink"].as_str().map(str::to_owned);
    }
    for id in known.keys() {
        assert!(listed.contains(id), "task {id} missing from the collection");
    }

    let mut seen = listed.clone();
    for created in known.values().filter(|c| c.spec.subtasks > 0) {
        let link = format!("{}/SubTasks", created.uri);
        let body = task_check::json(&conn.get(&link).expect("subtasks answer"));
        for member in body["Members"].as_array().expect("Members") {
            let uri = member["@odata.id"].as_str().expect("member @odata.id");
            let id: u64 = uri
                .rsplit('/')
                .next()
                .and_then(|s| s.parse().ok())
                .expect("id");
            assert!(seen.insert(id), "subtask id {id} used twice");
        }
    }
    seen
}

/// Creates a few tasks after a restart; each gets an id above all `seen`.
fn create_after_restart(addr: SocketAddr, seen: &BTreeSet<u64>) -> Vec<Created> {
    let newest = seen.last().copied().unwrap_or(0);
    let spec = Spec {
        duration: 0,
        outcome: "Completed",
        steps: 1,
        subtasks: 1,
        start_after: 0,
        cancellable: true,
    };
    let mut conn = Conn::new(addr);
    (0..3)
        .map(|_| {
            let answer = conn.post(TASKS, &spec.body()).expect("POST answers");
            assert_eq!(answer.status, 202, "{}", answer.text());
            let task = task_check::json(&answer);
            assert!(
                id(&task) > newest,
                "new id {} not above {newest}",
                id(&task)
            );
            Created {
                id: id(&task),
                uri: task["@odata.id"].as_str().expect("@odata.id").to_owned(),
                monitor: answer.header("location").expect("Location").to_owned(),
                spec: spec.clone(),
            }
        })
        .collect()
}

/// Waits (bounded) until every task of `open` is finished, checking the
/// unfinished ones again on every pass.
fn wait_all_finished(addr: SocketAddr, mut open: Vec<&Created>) {
    let started = Instant::now();
    while !open.is_empty() {
        assert!(
            started.elapsed() < FINISH_LIMIT,
            "{} tasks still unfinished after {FINISH_LIMIT:?}: {:?}",
            open.len(),
            open.iter().map(|t| t.id).collect::<Vec<_>>()
        );
        thread::sleep(Duration::from_millis(100));
        open = check_all(addr, &open);
    }
}
