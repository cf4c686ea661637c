//! Checks on Task bodies and monitor answers shared by the out-of-process
//! tests (`tests/crash.rs`, `tests/restart.rs`): a Task is consistent when
//! its `TaskState` is a DMTF value, `EndTime` and `TaskStatus` appear
//! exactly in terminal states, `PercentComplete` stays in 0..=100 and is
//! 100 only on `Completed`, and every message is whole. Test code: the
//! checks panic with the offending body.

// Each including crate uses a different part of this module.
#![allow(dead_code)]

use serde_json::Value;

use crate::keepalive::Response;

#[path = "message_check.rs"]
mod message_check;
pub use message_check::check_message;

/// Every `TaskState` of Task v1.7.
pub const STATES: &[&str] = &[
    "New",
    "Starting",
    "Running",
    "Suspended",
    "Interrupted",
    "Pending",
    "Stopping",
    "Completed",
    "Killed",
    "Exception",
    "Service",
    "Cancelling",
    "Cancelled",
];

/// Terminal `TaskState` values.
pub const TERMINAL: &[&str] = &["Completed", "Exception", "Cancelled", "Killed"];

/// The `TaskState` of a Task body.
pub fn state(task: &Value) -> &str {
    task["TaskState"]
        .as_str()
        .unwrap_or_else(|| panic!("no TaskState: {task}"))
}

/// True when the Task body is in a terminal state.
pub fn is_terminal(task: &Value) -> bool {
    TERMINAL.contains(&state(task))
}

/// `PercentComplete` of a Task body.
pub fn percent(task: &Value) -> u64 {
    task["PercentComplete"]
        .as_u64()
        .unwrap_or_else(|| panic!("PercentComplete: {task}"))
}

/// The numeric `Id` of a Task body.
pub fn id(task: &Value) -> u64 {
    task["Id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("Id is not a number: {task}"))
}

/// Checks one Task body is consistent (see the module doc).
pub fn check_task(task: &Value) {
    let state = state(task);
    assert!(STATES.contains(&state), "unknown TaskState {state}: {task}");
    assert!(task["@odata.id"].is_string(), "@odata.id: {task}");
    let terminal = TERMINAL.contains(&state);
    assert_eq!(
        task["EndTime"].is_string(),
        terminal,
        "EndTime vs {state}: {task}"
    );
    assert_eq!(
        task.get("TaskStatus").is_some(),
        terminal,
        "TaskStatus vs {state}: {task}"
    );
    if terminal {
        let status = task["TaskStatus"].as_str().unwrap_or("");
        assert!(
            matches!(status, "OK" | "Warning" | "Critical"),
            "TaskStatus {status}: {task}"
        );
    }
    let percent = percent(task);
    assert!(percent <= 100, "PercentComplete {percent}: {task}");
    assert_eq!(
        percent == 100,
        state == "Completed",
        "PercentComplete {percent} in {state}: {task}"
    );
    if state == "Exception" {
        assert_eq!(task["TaskStatus"], "Critical", "{task}");
    }
    let messages = task["Messages"]
        .as_array()
        .unwrap_or_else(|| panic!("Messages: {task}"));
    messages.iter().for_each(check_message);
}

/// The message keys (after the version) of a Task's `Messages`.
pub fn message_keys(task: &Value) -> Vec<String> {
    task["Messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["MessageId"].as_str())
        .map(|id| id.rsplit('.').next().unwrap_or("").to_owned())
        .collect()
}

/// The message keys of an answer's `@Message.ExtendedInfo`, at the top
/// level (a success answer) or under `error` (an error body).
pub fn extended_info_keys(body: &Value) -> Vec<String> {
    let info = body
        .get("error")
        .unwrap_or(body)
        .get("@Message.ExtendedInfo")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no @Message.ExtendedInfo: {body}"));
    info.iter().for_each(check_message);
    info.iter()
        .filter_map(|m| m["MessageId"].as_str())
        .map(|id| id.rsplit('.').next().unwrap_or("").to_owned())
        .collect()
}

/// Checks a 202 monitor answer: `Location` is the monitor, `Retry-After`
/// whole seconds, and the body a consistent, unfinished Task.
pub fn check_running_monitor(answer: &Response, monitor: &str) -> Value {
    assert_eq!(answer.status, 202, "{}", answer.text());
    assert_eq!(answer.header("location"), Some(monitor), "{answer:?}");
    let retry = answer.header("retry-after").unwrap_or("");
    assert!(retry.parse::<u64>().is_ok(), "Retry-After {retry:?}");
    let task = json(answer);
    check_task(&task);
    assert!(
        !is_terminal(&task),
        "monitor 202 with a finished Task: {task}"
    );
    task
}

/// Checks the final monitor answer of a terminal Task: `200` with a
/// `Success` message after `Completed`, the error `status` and `key` after
/// `Exception` (`500`/`OperationFailed` for failed work, `503`/
/// `ServiceShuttingDown` for work a restart cut off).
pub fn check_final_monitor(answer: &Response, task: &Value, error: (u16, &str)) {
    let body = json(answer);
    let keys = extended_info_keys(&body);
    match state(task) {
        "Completed" => {
            assert_eq!(answer.status, 200, "{body} for {task}");
            assert!(keys.iter().any(|k| k == "Success"), "{body}");
        }
        "Exception" => {
            assert_eq!(answer.status, error.0, "{body} for {task}");
            assert!(body["error"]["code"].is_string(), "{body}");
            assert!(keys.iter().any(|k| k == error.1), "{} in {body}", error.1);
        }
        other => panic!("final monitor answer for a task in {other}: {task}"),
    }
}

/// The body of an answer as JSON (panics with the body when it is not).
pub fn json(answer: &Response) -> Value {
    answer
        .json()
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", answer.status, answer.text()))
}
