//! Shared harness for the real-socket integration tests: starts an
//! in-process taskfish server on `127.0.0.1:0` with a chosen
//! [`Config`], gives tests a Redfish-flavoured HTTP client, and holds the
//! checks every test repeats (Redfish headers, DSP0266 error bodies,
//! complete messages, bounded monitor polling).
//!
//! Every wait here is bounded, so a server that hangs fails a test instead
//! of stalling the suite.

#![allow(dead_code)]

#[path = "../support/message_check.rs"]
mod message_check;
pub use message_check::check_message;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use taskfish::config::Config;
use tokio::sync::oneshot;

/// How long any poll loop may run before the test fails.
pub const POLL_LIMIT: Duration = Duration::from_secs(10);

/// A running in-process server; dropping it asks the server to stop.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    /// The bound address.
    pub addr: SocketAddr,
    /// A client that sends the Redfish request headers and never follows
    /// redirects (so a 3xx is seen, not hidden).
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A test configuration: port 0 on loopback, the given time scale and
/// synthetic-task aid, everything else default.
pub fn config(time_scale: f64, test_tasks: bool) -> Config {
    Config {
        listen: "127.0.0.1:0".to_owned(),
        time_scale,
        test_tasks,
        uuid: Some("8e2d9c1a-5b7f-4c3e-9a1d-2f6b8c0e4d71".to_owned()),
        ephemeral: true,
        ..Config::default()
    }
}

/// Starts a server with `config` inside the current tokio runtime.
pub async fn start(config: Config) -> TestServer {
    let server = taskfish::Server::bind(&config).await.expect("server binds");
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = server
            .run(async move {
                let _ = rx.await;
            })
            .await;
    });
    TestServer {
        base: format!("http://{addr}"),
        addr,
        client: client(),
        shutdown: Some(tx),
    }
}

/// Starts a server with the synthetic-task aid on and `time_scale`.
pub async fn start_with_tasks(time_scale: f64) -> TestServer {
    start(config(time_scale, true)).await
}

/// A client with `Accept: application/json`, `OData-Version: 4.0`, no
/// redirects and a per-request timeout.
pub fn client() -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert("Accept", HeaderValue::from_static("application/json"));
    headers.insert("OData-Version", HeaderValue::from_static("4.0"));
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client builds")
}

/// One answer, fully read.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Raw body.
    pub text: String,
}

impl Answer {
    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text))
    }

    /// A header as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Allow` methods, upper-cased and trimmed.
    pub fn allow(&self) -> Vec<String> {
        self.header("Allow")
            .unwrap_or_else(|| panic!("no Allow header on {} answer", self.status))
            .split(',')
            .map(|m| m.trim().to_ascii_uppercase())
            .collect()
    }
}

impl TestServer {
    /// Absolute URL of a service path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request (JSON body when given) and reads the whole answer.
    /// Every answer is checked for `OData-Version: 4.0`.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut req = self.client.request(method, self.url(path));
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        finish(req).await
    }

    /// Sends a prepared request builder for this server.
    pub async fn send_with(
        &self,
        build: impl FnOnce(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Answer {
        finish(build(&self.client)).await
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    /// POST `body` as JSON to `path`.
    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    /// DELETE `path`.
    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None).await
    }

    /// GET `path`, requiring 200, and return the JSON body.
    pub async fn get_ok(&self, path: &str) -> Value {
        let answer = self.get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "GET {path}: {}", answer.text);
        answer.json()
    }

    /// `Members@odata.count` of the Tasks collection.
    pub async fn task_count(&self) -> u64 {
        let tasks = self.get_ok(TASKS).await;
        tasks["Members@odata.count"]
            .as_u64()
            .expect("Members@odata.count")
    }

    /// Starts a synthetic task and returns the 202 answer.
    pub async fn synthetic(&self, body: &Value) -> Answer {
        let answer = self.post(TASKS, body).await;
        assert_eq!(
            answer.status,
            StatusCode::ACCEPTED,
            "synthetic task: {}",
            answer.text
        );
        answer
    }

    /// Starts a reset of system 1 and returns the answer as is.
    pub async fn reset_system(&self, reset_type: &str) -> Answer {
        self.post(
            SYSTEM_RESET,
            &serde_json::json!({ "ResetType": reset_type }),
        )
        .await
    }

    /// Polls a monitor until it stops answering 202 and returns the first
    /// other answer. Every 202 on the way is checked to be complete (S10).
    pub async fn poll_monitor(&self, monitor: &str) -> Answer {
        let started = Instant::now();
        loop {
            let answer = self.get(monitor).await;
            if answer.status != StatusCode::ACCEPTED {
                assert!(
                    !answer.status.is_redirection(),
                    "monitor answered a redirect: {answer:?}"
                );
                return answer;
            }
            check_running_monitor(&answer, monitor);
            assert!(
                started.elapsed() < POLL_LIMIT,
                "monitor {monitor} still 202 after {POLL_LIMIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Polls a Task until its state is terminal; returns the Task.
    pub async fn wait_terminal(&self, task: &str) -> Value {
        self.wait_task(task, |t| {
            TERMINAL.contains(&t["TaskState"].as_str().unwrap_or(""))
        })
        .await
    }

    /// Polls a Task (always 200) until `done` holds; returns the Task.
    pub async fn wait_task(&self, task: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let body = self.get_ok(task).await;
            if done(&body) {
                return body;
            }
            assert!(
                started.elapsed() < POLL_LIMIT,
                "task {task} not done after {POLL_LIMIT:?}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The `PowerState` of system 1.
    pub async fn system_power(&self) -> String {
        let system = self.get_ok(SYSTEM).await;
        system["PowerState"]
            .as_str()
            .expect("PowerState")
            .to_owned()
    }

    /// Sends raw bytes on a fresh connection and returns what came back
    /// before the server closed it (or `limit` elapsed).
    pub fn raw(&self, request: &[u8], limit: Duration) -> String {
        raw_exchange(self.addr, request, limit)
    }
}

/// Reads a response and checks the header every answer must carry.
async fn finish(req: reqwest::RequestBuilder) -> Answer {
    let response = req.send().await.expect("request is answered");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body is read");
    let answer = Answer {
        status,
        headers,
        text,
    };
    assert_eq!(
        answer.header("OData-Version"),
        Some("4.0"),
        "OData-Version missing on {answer:?}"
    );
    answer
}

/// Writes `request` on a new connection and reads until close or `limit`.
pub fn raw_exchange(addr: SocketAddr, request: &[u8], limit: Duration) -> String {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.set_read_timeout(Some(limit)).expect("timeout set");
    stream.set_write_timeout(Some(limit)).expect("timeout set");
    // The server may close early on garbage; a failed write is fine then.
    let _ = stream.write_all(request);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// URI of the Tasks collection.
pub const TASKS: &str = "/redfish/v1/TaskService/Tasks";
/// URI of the simulated system.
pub const SYSTEM: &str = "/redfish/v1/Systems/1";
/// The system's reset action.
pub const SYSTEM_RESET: &str = "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset";
/// The manager's reset action.
pub const MANAGER_RESET: &str = "/redfish/v1/Managers/BMC/Actions/Manager.Reset";
/// Prefix of task monitor URIs.
pub const MONITORS: &str = "/redfish/v1/TaskService/TaskMonitors/";
/// Terminal `TaskState` values.
pub const TERMINAL: &[&str] = &["Completed", "Exception", "Cancelled", "Killed"];

/// The monitor path a 202 answer points at (path-only `Location`).
pub fn location(answer: &Answer) -> String {
    let location = answer
        .header("Location")
        .unwrap_or_else(|| panic!("no Location on {answer:?}"))
        .to_owned();
    assert!(
        location.starts_with(MONITORS),
        "Location {location} is not a task monitor"
    );
    location
}

/// The Task URI (`@odata.id`) of a Task body.
pub fn task_uri(task: &Value) -> String {
    let uri = task["@odata.id"].as_str().expect("@odata.id").to_owned();
    assert!(uri.starts_with(TASKS), "{uri} is not under {TASKS}");
    uri
}

/// Checks one 202 answer of a running monitor: Location (the monitor
/// itself), whole-second Retry-After, and a complete current Task.
pub fn check_running_monitor(answer: &Answer, monitor: &str) {
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(answer.header("Location"), Some(monitor), "{answer:?}");
    let retry = answer.header("Retry-After").expect("Retry-After on 202");
    assert!(
        retry.parse::<u64>().is_ok(),
        "Retry-After {retry:?} is not whole seconds"
    );
    check_json_type(answer);
    let task = answer.json();
    for name in ["@odata.id", "@odata.type", "Id", "Name", "TaskState"] {
        assert!(task[name].is_string(), "{name} missing from {task}");
    }
    assert!(task["PercentComplete"].is_u64(), "PercentComplete: {task}");
    check_messages(&task);
}

/// Checks the JSON media type with its charset.
pub fn check_json_type(answer: &Answer) {
    assert_eq!(
        answer.header("Content-Type"),
        Some("application/json; charset=utf-8"),
        "{answer:?}"
    );
}

/// Checks every entry of a Task's `Messages` is whole (S12).
pub fn check_messages(task: &Value) {
    let messages = task["Messages"].as_array().expect("Messages array");
    for m in messages {
        check_message(m);
        let id = m["MessageId"].as_str().unwrap_or("");
        assert!(id.starts_with("TaskEvent.1."), "task message {id}");
    }
}

/// Checks a DSP0266 error answer: status, JSON type and an error body whose
/// ExtendedInfo holds complete Base messages, one of them ending in `key`
/// (any key when `key` is empty).
pub fn check_error(answer: &Answer, status: StatusCode, key: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    check_json_type(answer);
    let body = answer.json();
    let error = &body["error"];
    assert!(error["code"].is_string(), "error.code: {body}");
    assert!(error["message"].is_string(), "error.message: {body}");
    let info = error["@Message.ExtendedInfo"]
        .as_array()
        .unwrap_or_else(|| panic!("ExtendedInfo: {body}"));
    assert!(!info.is_empty(), "empty ExtendedInfo: {body}");
    for m in info {
        check_message(m);
        let id = m["MessageId"].as_str().unwrap_or("");
        assert!(id.starts_with("Base.1."), "{id} is not a Base message");
    }
    let ids: Vec<&str> = info
        .iter()
        .filter_map(|m| m["MessageId"].as_str())
        .collect();
    assert!(
        key.is_empty() || ids.iter().any(|id| id.ends_with(&format!(".{key}"))),
        "{key} not among {ids:?}"
    );
}

/// The MessageIds of a Task's messages, keys only (after the version).
pub fn message_keys(task: &Value) -> Vec<String> {
    task["Messages"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m["MessageId"].as_str())
                .map(|id| id.rsplit('.').next().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}
