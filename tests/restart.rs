//! Tasks across restarts of the real binary (scenario S5 and its friends),
//! each test on its own data directory: running work survives a clean
//! (SIGTERM) and a hard (SIGKILL) restart and completes; a reset cut off by
//! a crash ends `Exception` with `ServiceShuttingDown` and leaves the
//! machine settled; a `Pending` task keeps waiting; a finished monitor
//! keeps its final answer; ids are never reused; and a second server is
//! refused the same data directory.
//!
//! Every wait is bounded, and every spawned server is killed when its test
//! ends, passing or not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/keepalive.rs"]
mod keepalive;
#[path = "support/spawned.rs"]
mod spawned;
#[path = "support/task_check.rs"]
mod task_check;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keepalive::{Conn, Response};
use serde_json::{Value, json};
use spawned::{Spawned, TempDir};
use task_check::{
    check_final_monitor, check_running_monitor, check_task, id, is_terminal, message_keys, percent,
    state,
};

const BIN: &str = env!("CARGO_BIN_EXE_taskfish");
const TASKS: &str = "/redfish/v1/TaskService/Tasks";
const SYSTEM: &str = "/redfish/v1/Systems/1";
const SYSTEM_RESET: &str = "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset";
/// How long any wait in these tests may take.
const LIMIT: Duration = Duration::from_secs(10);
/// The final answer of a synthetic task that ends `Exception`.
const FAILED: (u16, &str) = (500, "OperationFailed");
/// The final answer of work a restart cut off.
const CUT_OFF: (u16, &str) = (503, "ServiceShuttingDown");

/// How a restart stops the running server.
#[derive(Debug, Clone, Copy)]
enum Stop {
    /// SIGTERM; the server must exit 0.
    Term,
    /// SIGKILL: a crash.
    Kill,
}

/// One taskfish service on its own data directory, restartable.
struct Service {
    // Declared first: the server is killed before its directory goes.
    server: Spawned,
    conn: Conn,
    scale: String,
    starts: usize,
    dir: TempDir,
}

impl Service {
    /// Starts a server with synthetic tasks at `scale` on a new directory.
    fn start(label: &str, scale: f64) -> Self {
        let dir = TempDir::new(label).expect("temp dir");
        let scale = scale.to_string();
        let server = spawn(&dir, &scale, 0);
        Self {
            conn: Conn::new(server.addr),
            server,
            scale,
            starts: 1,
            dir,
        }
    }

    /// Stops the server as `stop` says and starts a new one on the same
    /// directory.
    fn restart(&mut self, stop: Stop) {
        match stop {
            Stop::Term => {
                let status = self.server.terminate(LIMIT).expect("stops on SIGTERM");
                assert!(status.success(), "exit after SIGTERM: {status}");
            }
            Stop::Kill => self.server.kill().expect("SIGKILL"),
        }
        self.server = spawn(&self.dir, &self.scale, self.starts);
        self.starts += 1;
        self.conn = Conn::new(self.server.addr);
    }

    fn send(&mut self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let body = body.map(Value::to_string);
        self.conn
            .request(method, path, body.as_deref())
            .unwrap_or_else(|e| {
                let tail = self.server.stderr_tail();
                panic!("{method} {path}: {e}; server stderr:\n{tail}")
            })
    }

    fn get(&mut self, path: &str) -> Response {
        self.send("GET", path, None)
    }

    /// GET `path`, requiring 200; the body as JSON.
    fn get_ok(&mut self, path: &str) -> Value {
        let answer = self.get(path);
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.text());
        task_check::json(&answer)
    }

    /// Starts work with a POST answered 202; returns (Task URI, monitor).
    fn start_work(&mut self, path: &str, body: &Value) -> (String, String) {
        let answer = self.send("POST", path, Some(body));
        assert_eq!(answer.status, 202, "POST {path} {body}: {}", answer.text());
        let monitor = answer.header("location").expect("Location").to_owned();
        let task = task_check::json(&answer);
        assert_eq!(task["TaskMonitor"], monitor.as_str(), "{task}");
        let uri = task["@odata.id"].as_str().expect("@odata.id").to_owned();
        (uri, monitor)
    }

    /// Starts a synthetic task.
    fn synthetic(&mut self, body: &Value) -> (String, String) {
        self.start_work(TASKS, body)
    }

    /// Polls a Task until `done` holds, checking every read; returns it.
    fn wait_task(&mut self, uri: &str, mut done: impl FnMut(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let task = self.get_ok(uri);
            check_task(&task);
            if done(&task) {
                return task;
            }
            assert!(started.elapsed() < LIMIT, "{uri} not done: {task}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn power(&mut self) -> String {
        let system = self.get_ok(SYSTEM);
        system["PowerState"]
            .as_str()
            .expect("PowerState")
            .to_owned()
    }
}

/// Spawns the binary on `dir` (start number `n` names its stderr log).
fn spawn(dir: &TempDir, scale: &str, n: usize) -> Spawned {
    let data = dir.join("data");
    let log = dir.join(&format!("stderr-{n}.log"));
    Spawned::start(Path::new(BIN), &serve_args(&data, scale), &log).expect("server starts")
}

fn serve_args<'a>(data: &'a Path, scale: &'a str) -> Vec<&'a str> {
    let data = data.to_str().expect("UTF-8 temp path");
    vec![
        "--test-tasks",
        "--time-scale",
        scale,
        "--data-dir",
        data,
        "--log",
        "warn",
    ]
}

/// A synthetic task running across a restart keeps its id, never reads
/// 404, never loses progress, and completes.
fn running_task_survives(stop: Stop) {
    let mut svc = Service::start("restart-running", 0.01);
    // 2 s of work in 20 steps of 100 ms.
    let (uri, monitor) = svc.synthetic(&json!({"DurationSeconds": 200, "Steps": 20}));
    let before = svc.wait_task(&uri, |t| percent(t) >= 20);
    assert_eq!(state(&before), "Running", "{before}");

    svc.restart(stop);

    let after = svc.get_ok(&uri);
    check_task(&after);
    assert_eq!(id(&after), id(&before));
    assert_eq!(state(&after), "Running", "after {stop:?}: {after}");
    assert!(
        percent(&after) >= percent(&before),
        "progress went back from {} to {}: {after}",
        percent(&before),
        percent(&after)
    );
    let answer = svc.get(&monitor);
    check_running_monitor(&answer, &monitor);

    let mut last = percent(&after);
    let done = svc.wait_task(&uri, |t| {
        let now = percent(t);
        assert!(now >= last, "progress went back from {last} to {now}: {t}");
        last = now;
        is_terminal(t)
    });
    assert_eq!(state(&done), "Completed", "{done}");
    assert_eq!(done["TaskStatus"], "OK", "{done}");
    assert_eq!(done["StartTime"], before["StartTime"], "{done}");
    let answer = svc.get(&monitor);
    check_final_monitor(&answer, &done, FAILED);
}

#[test]
fn running_task_survives_sigterm_restart_and_completes() {
    running_task_survives(Stop::Term);
}

#[test]
fn running_task_survives_sigkill_restart_and_completes() {
    running_task_survives(Stop::Kill);
}

/// A graceful shutdown (8 s at scale 1) cut off by a restart ends
/// `Exception`, says why, answers 503 on its monitor, and leaves the
/// system `Off` and free for the next reset.
fn reset_cut_off(stop: Stop) {
    let mut svc = Service::start("restart-reset", 1.0);
    assert_eq!(svc.power(), "On");
    let (uri, monitor) = svc.start_work(SYSTEM_RESET, &json!({"ResetType": "GracefulShutdown"}));
    let running = svc.wait_task(&uri, |t| state(t) == "Running");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(svc.power(), "PoweringOff");

    svc.restart(stop);

    let task = svc.get_ok(&uri);
    check_task(&task);
    assert_eq!(id(&task), id(&running));
    assert_eq!(state(&task), "Exception", "after {stop:?}: {task}");
    assert_eq!(task["TaskStatus"], "Critical", "{task}");
    let keys = message_keys(&task);
    for key in ["TaskAborted", "ServiceShuttingDown"] {
        assert!(keys.iter().any(|k| k == key), "{key} missing: {task}");
    }
    let answer = svc.get(&monitor);
    check_final_monitor(&answer, &task, CUT_OFF);
    // Every read gives the same final answer.
    assert_eq!(svc.get(&monitor).body, answer.body);

    assert_eq!(svc.power(), "Off", "machine not settled after {stop:?}");
    let (next, _) = svc.start_work(SYSTEM_RESET, &json!({"ResetType": "On"}));
    let next = svc.get_ok(&next);
    assert!(id(&next) > id(&task), "id reused: {next}");
}

#[test]
fn reset_cut_off_by_sigkill_ends_exception_with_service_shutting_down() {
    reset_cut_off(Stop::Kill);
}

#[test]
fn reset_cut_off_by_sigterm_ends_exception_with_service_shutting_down() {
    reset_cut_off(Stop::Term);
}

#[test]
fn pending_task_stays_pending_across_restart_and_starts_later() {
    let mut svc = Service::start("restart-pending", 0.01);
    // Waits 3 s, then runs 0.1 s.
    let body = json!({"DurationSeconds": 10, "StartAfterSeconds": 300});
    let (uri, monitor) = svc.synthetic(&body);
    let created = Instant::now();
    let pending = svc.get_ok(&uri);
    check_task(&pending);
    assert_eq!(state(&pending), "Pending", "{pending}");

    svc.restart(Stop::Kill);

    let task = svc.get_ok(&uri);
    let read = created.elapsed();
    check_task(&task);
    assert!(read < Duration::from_millis(2500), "restart took {read:?}");
    assert_eq!(state(&task), "Pending", "after restart: {task}");
    let answer = svc.get(&monitor);
    check_running_monitor(&answer, &monitor);

    let started = svc.wait_task(&uri, |t| state(t) != "Pending");
    let waited = created.elapsed();
    assert!(
        waited >= Duration::from_millis(2800),
        "started after {waited:?}, before its start time: {started}"
    );
    let done = svc.wait_task(&uri, is_terminal);
    assert_eq!(state(&done), "Completed", "{done}");
    assert!(message_keys(&done).iter().any(|k| k == "TaskStarted"));
}

#[test]
fn finished_task_monitor_keeps_its_final_answer_across_restarts() {
    let mut svc = Service::start("restart-finished", 0.01);
    let mut finished = Vec::new();
    for outcome in ["Completed", "Warning", "Exception"] {
        let body = json!({"DurationSeconds": 0, "Outcome": outcome});
        let (uri, monitor) = svc.synthetic(&body);
        let task = svc.wait_task(&uri, is_terminal);
        let answer = svc.get(&monitor);
        check_final_monitor(&answer, &task, FAILED);
        finished.push((uri, monitor, task, answer));
    }

    for stop in [Stop::Term, Stop::Kill] {
        svc.restart(stop);
        for (uri, monitor, task, answer) in &finished {
            let now = svc.get_ok(uri);
            check_task(&now);
            for name in ["TaskState", "TaskStatus", "EndTime", "Messages"] {
                assert_eq!(now[name], task[name], "{name} after {stop:?}: {now}");
            }
            let again = svc.get(monitor);
            assert_eq!(again.status, answer.status, "{monitor} after {stop:?}");
            assert_eq!(again.text(), answer.text(), "{monitor} after {stop:?}");
        }
    }
}

#[test]
fn ids_are_not_reused_after_the_newest_task_is_deleted_and_the_service_crashes() {
    let mut svc = Service::start("restart-ids", 0.01);
    let (uri, _) = svc.synthetic(&json!({"DurationSeconds": 0, "SubTasks": 2}));
    let old = svc.wait_task(&uri, is_terminal);
    let subtasks = svc.get_ok(&format!("{uri}/SubTasks"));
    let mut seen = vec![id(&old)];
    for member in subtasks["Members"].as_array().expect("Members") {
        let child = svc.get_ok(member["@odata.id"].as_str().expect("member"));
        seen.push(id(&child));
    }
    assert_eq!(svc.send("DELETE", &uri, None).status, 204);
    assert_eq!(svc.get(&uri).status, 404);

    svc.restart(Stop::Kill);

    assert_eq!(svc.get(&uri).status, 404, "a deleted task came back");
    let (next, _) = svc.synthetic(&json!({"DurationSeconds": 0}));
    let next = svc.get_ok(&next);
    let newest = seen.iter().max().copied().unwrap_or(0);
    assert!(
        id(&next) > newest,
        "id {} reused (seen {seen:?})",
        id(&next)
    );
}

#[test]
fn second_server_on_the_same_data_dir_is_refused_while_the_first_runs() {
    let mut svc = Service::start("restart-lock", 0.01);
    let data = svc.dir.join("data");
    let log = svc.dir.join("second.log");
    let mut second = Command::new(BIN)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(serve_args(&data, &svc.scale))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("second server starts");
    let status = spawned::wait_child(&mut second, LIMIT);
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    let Some(status) = status else {
        panic!("second server on the same --data-dir kept running: {stderr}");
    };
    assert!(!status.success(), "second server exited with {status}");
    let shown = data.display().to_string();
    assert!(
        stderr.contains(&shown),
        "message does not name {shown}: {stderr:?}"
    );

    // The first one is untouched, and the directory is free once it stops.
    let (uri, _) = svc.synthetic(&json!({"DurationSeconds": 0}));
    svc.wait_task(&uri, is_terminal);
    svc.restart(Stop::Term);
    svc.get_ok(&uri);
}

#[test]
fn task_service_settings_changed_by_patch_survive_restarts() {
    let mut svc = Service::start("restart-settings", 0.01);
    let body = json!({
        "TaskAutoDeleteTimeoutMinutes": 30,
        "TaskMonitorAutoExpirySeconds": null,
        "ServiceEnabled": false,
    });
    let answer = svc.send("PATCH", "/redfish/v1/TaskService", Some(&body));
    assert_eq!(answer.status, 200, "{}", answer.text());

    for stop in [Stop::Term, Stop::Kill] {
        svc.restart(stop);
        let service = svc.get_ok("/redfish/v1/TaskService");
        assert_eq!(
            service["TaskAutoDeleteTimeoutMinutes"], 30,
            "after {stop:?}: {service}"
        );
        assert!(
            service["TaskMonitorAutoExpirySeconds"].is_null(),
            "after {stop:?}: {service}"
        );
        assert_eq!(
            service["ServiceEnabled"], false,
            "after {stop:?}: {service}"
        );
        // Still disabled: new work is refused.
        let refused = svc.send(
            "POST",
            "/redfish/v1/TaskService/Tasks",
            Some(&json!({"DurationSeconds": 0})),
        );
        assert_eq!(refused.status, 503, "after {stop:?}: {}", refused.text());
    }
}
