//! Field scenarios from `shared/scenarios.md`, each played against a real
//! server over a real socket: S1, S2, S3, S6, S7, S10, S12 and S13. Test
//! names say the behaviour a correct service shows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{
    MONITORS, TASKS, TestServer, check_error, check_json_type, check_message, check_messages,
    check_running_monitor, location, message_keys, start_with_tasks, task_uri,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A GracefulRestart takes 14 s of base time: 0.7 s at this scale, long
/// enough to observe it running, short enough to wait for.
const RESET_SCALE: f64 = 0.05;

/// A synthetic task that does not change for a whole second: one step of
/// 100 base seconds at scale 0.01.
fn frozen_task() -> Value {
    json!({ "DurationSeconds": 100, "Steps": 1 })
}

/// Starts a reset and returns (monitor, Task URI, the 202 body).
async fn running_reset(server: &TestServer) -> (String, String, Value) {
    let answer = server.reset_system("GracefulRestart").await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    let monitor = location(&answer);
    let task = answer.json();
    (monitor, task_uri(&task), task)
}

// S1 ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s1_reset_answers_202_with_monitor_location_and_task_body() {
    let server = start_with_tasks(RESET_SCALE).await;
    let answer = server.reset_system("GracefulRestart").await;

    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    check_json_type(&answer);
    let monitor = location(&answer);
    let task = answer.json();
    assert_eq!(task["TaskMonitor"].as_str(), Some(monitor.as_str()));
    assert_eq!(
        task["@odata.type"].as_str().map(|t| t.contains(".Task")),
        Some(true)
    );
    let uri = task_uri(&task);
    assert_ne!(uri, monitor, "monitor and Task must be different resources");
    assert!(!monitor.starts_with(TASKS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s1_monitor_returns_202_while_running_and_task_returns_200() {
    let server = start_with_tasks(RESET_SCALE).await;
    let (monitor, uri, _) = running_reset(&server).await;

    let on_monitor = server.get(&monitor).await;
    check_running_monitor(&on_monitor, &monitor);
    let on_task = server.get(&uri).await;
    assert_eq!(on_task.status, StatusCode::OK, "{}", on_task.text);
    assert_eq!(on_task.json()["TaskState"], "Running");

    let last = server.poll_monitor(&monitor).await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.text);
    assert_eq!(server.get(&uri).await.status, StatusCode::OK);
}

// S2 ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s2_running_task_reads_200_without_end_time() {
    let server = start_with_tasks(0.01).await;
    let answer = server.synthetic(&frozen_task()).await;
    let uri = task_uri(&answer.json());

    let read = server.get(&uri).await;
    assert_eq!(read.status, StatusCode::OK);
    check_json_type(&read);
    assert!(read.header("ETag").is_some());
    let task = read.json();
    assert_eq!(task["TaskState"], "Running");
    assert!(
        task.get("EndTime").is_none(),
        "running task has EndTime: {task}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s2_every_collection_member_reads_200_while_work_runs() {
    let server = start_with_tasks(0.01).await;
    server.synthetic(&frozen_task()).await;
    server.synthetic(&json!({ "DurationSeconds": 0 })).await;
    let (_, _, _) = running_reset(&server).await;

    let tasks = server.get_ok(TASKS).await;
    let members = tasks["Members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    for member in members {
        let uri = member["@odata.id"].as_str().unwrap();
        let answer = server.get(uri).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.text);
        assert_eq!(answer.json()["@odata.id"].as_str(), Some(uri));
    }
}

// S3 ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_finished_task_stays_readable_with_terminal_fields() {
    let server = start_with_tasks(0.01).await;
    let answer = server
        .synthetic(&json!({ "DurationSeconds": 10, "Steps": 5 }))
        .await;
    let uri = task_uri(&answer.json());

    let done = server.wait_terminal(&uri).await;
    assert_eq!(done["TaskState"], "Completed");
    assert_eq!(done["TaskStatus"], "OK");
    assert_eq!(done["PercentComplete"], 100);
    assert!(done["EndTime"].is_string(), "{done}");
    assert!(message_keys(&done).contains(&"TaskCompletedOK".to_owned()));

    // Completing is not a reason to disappear: still there a while later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = server.get(&uri).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["TaskState"], "Completed");
    let tasks = server.get_ok(TASKS).await;
    assert!(
        tasks["Members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["@odata.id"] == uri)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_finished_reset_task_keeps_end_time_and_status() {
    let server = start_with_tasks(0.01).await;
    let (monitor, uri, _) = running_reset(&server).await;
    server.poll_monitor(&monitor).await;

    let done = server.get_ok(&uri).await;
    assert_eq!(done["TaskState"], "Completed");
    assert!(done["EndTime"].is_string());
    assert_eq!(done["TaskStatus"], "OK");
    check_messages(&done);
}

// S6 ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s6_failed_job_ends_in_exception_with_critical_status() {
    let server = start_with_tasks(0.01).await;
    let answer = server
        .synthetic(&json!({ "DurationSeconds": 10, "Steps": 4, "Outcome": "Exception" }))
        .await;
    let uri = task_uri(&answer.json());

    let task = server.wait_terminal(&uri).await;
    assert_eq!(task["TaskState"], "Exception", "{task}");
    assert_eq!(task["TaskStatus"], "Critical", "{task}");
    assert!(task["EndTime"].is_string(), "{task}");
    assert!(
        message_keys(&task).contains(&"TaskAborted".to_owned()),
        "{task}"
    );
    let aborted = task["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["MessageId"].as_str().unwrap().ends_with(".TaskAborted"))
        .unwrap();
    assert_eq!(aborted["MessageSeverity"], "Critical");
    check_messages(&task);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s6_failed_job_keeps_last_real_percent_not_100() {
    let server = start_with_tasks(0.01).await;
    let answer = server
        .synthetic(&json!({ "DurationSeconds": 10, "Steps": 4, "Outcome": "Exception" }))
        .await;
    let uri = task_uri(&answer.json());

    let task = server.wait_terminal(&uri).await;
    let percent = task["PercentComplete"].as_u64().expect("PercentComplete");
    assert_ne!(
        percent, 100,
        "an Exception never claims 100 percent: {task}"
    );
    // The last progress the task reported is the percent it keeps.
    let last_progress = task["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|m| {
            m["MessageId"]
                .as_str()
                .unwrap()
                .ends_with(".TaskProgressChanged")
        })
        .map(|m| {
            m["MessageArgs"][1]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        });
    assert_eq!(last_progress, Some(percent), "{task}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s6_failed_monitor_answers_an_error_not_success() {
    let server = start_with_tasks(0.01).await;
    let answer = server
        .synthetic(&json!({ "DurationSeconds": 5, "Outcome": "Exception" }))
        .await;
    let monitor = location(&answer);

    let last = server.poll_monitor(&monitor).await;
    assert!(last.status.is_server_error(), "{last:?}");
    check_error(&last, last.status, "OperationFailed");
}

// S7 ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s7_finished_reset_monitor_answers_200_success_on_every_read() {
    let server = start_with_tasks(0.01).await;
    let (monitor, _, _) = running_reset(&server).await;
    let first = server.poll_monitor(&monitor).await;

    for answer in [
        first,
        server.get(&monitor).await,
        server.get(&monitor).await,
    ] {
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        check_json_type(&answer);
        let body = answer.json();
        let info = body["@Message.ExtendedInfo"]
            .as_array()
            .expect("ExtendedInfo");
        assert!(!info.is_empty());
        info.iter().for_each(check_message);
        assert!(
            info.iter()
                .any(|m| m["MessageId"].as_str().unwrap().ends_with(".Success")),
            "{body}"
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.get(&monitor).await.status, StatusCode::OK);
}

// S10 --------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_every_poll_of_a_running_monitor_is_complete() {
    let server = start_with_tasks(0.01).await;
    let answer = server
        .synthetic(&json!({ "DurationSeconds": 40, "Steps": 8 }))
        .await;
    let monitor = location(&answer);
    check_running_monitor(&answer, &monitor);

    let mut polls = 0;
    let mut percents = Vec::new();
    let last = loop {
        let answer = server.get(&monitor).await;
        if answer.status != StatusCode::ACCEPTED {
            break answer;
        }
        check_running_monitor(&answer, &monitor);
        percents.push(answer.json()["PercentComplete"].as_u64().unwrap());
        polls += 1;
        assert!(polls < 2_000, "monitor never finished");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert!(polls > 1, "too few polls to mean anything");
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    assert_eq!(last.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_head_on_running_monitor_carries_the_same_headers() {
    let server = start_with_tasks(0.01).await;
    let monitor = location(&server.synthetic(&frozen_task()).await);

    let head = server.send(Method::HEAD, &monitor, None).await;
    assert_eq!(head.status, StatusCode::ACCEPTED);
    assert_eq!(head.header("Location"), Some(monitor.as_str()));
    assert!(head.header("Retry-After").is_some());
    assert!(head.text.is_empty());
}

// S12 --------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s12_messages_are_whole_in_every_terminal_state() {
    let server = start_with_tasks(0.01).await;
    let mut uris = Vec::new();
    for outcome in ["Completed", "Warning", "Exception"] {
        let body = json!({ "DurationSeconds": 3, "Steps": 3, "Outcome": outcome });
        uris.push(task_uri(&server.synthetic(&body).await.json()));
    }
    let cancelled = task_uri(&server.synthetic(&frozen_task()).await.json());
    assert_eq!(server.delete(&cancelled).await.status, StatusCode::OK);
    uris.push(cancelled);
    let (monitor, reset, _) = running_reset(&server).await;
    server.poll_monitor(&monitor).await;
    uris.push(reset);

    for uri in &uris {
        let task = server.wait_terminal(uri).await;
        check_messages(&task);
        assert!(message_keys(&task).len() >= 2, "{task}");
        let first = &task["Messages"][0];
        assert!(
            first["MessageId"]
                .as_str()
                .unwrap()
                .starts_with("TaskEvent.1.0.")
        );
    }
    let warning = server.get_ok(&uris[1]).await;
    assert_eq!(warning["TaskStatus"], "Warning", "{warning}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s12_messages_of_a_running_task_are_whole() {
    let server = start_with_tasks(0.01).await;
    let answer = server
        .synthetic(&json!({ "DurationSeconds": 60, "Steps": 20 }))
        .await;
    let uri = task_uri(&answer.json());
    let task = server
        .wait_task(&uri, |t| {
            message_keys(t).contains(&"TaskProgressChanged".to_owned())
        })
        .await;
    check_messages(&task);
    let progress = task["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["MessageId"]
                .as_str()
                .unwrap()
                .ends_with(".TaskProgressChanged")
        })
        .unwrap();
    assert_eq!(progress["MessageArgs"].as_array().unwrap().len(), 2);
}

// S13 --------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s13_write_methods_on_monitor_are_405_and_change_nothing() {
    let server = start_with_tasks(0.01).await;
    let answer = server.synthetic(&frozen_task()).await;
    let monitor = location(&answer);
    let uri = task_uri(&answer.json());
    let before = server.get(&uri).await;
    let count = server.task_count().await;

    let sends = [
        (Method::POST, json!({ "ResetType": "ForceRestart" })),
        (Method::PATCH, json!({})),
        (Method::PUT, json!({ "DurationSeconds": 1 })),
    ];
    for (method, body) in sends {
        let answer = server.send(method.clone(), &monitor, Some(&body)).await;
        check_error(
            &answer,
            StatusCode::METHOD_NOT_ALLOWED,
            "OperationNotAllowed",
        );
        let allow = answer.allow();
        assert_eq!(allow, ["GET", "HEAD", "DELETE"], "{method}");
    }

    let after = server.get(&uri).await;
    assert_eq!(after.text, before.text, "task changed");
    assert_eq!(after.header("ETag"), before.header("ETag"));
    assert_eq!(server.task_count().await, count, "a second task appeared");
    check_running_monitor(&server.get(&monitor).await, &monitor);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s13_write_methods_on_reset_monitor_are_405_without_delete_in_allow() {
    let server = start_with_tasks(RESET_SCALE).await;
    let (monitor, uri, _) = running_reset(&server).await;

    let answer = server
        .post(&monitor, &json!({ "ResetType": "ForceRestart" }))
        .await;
    check_error(
        &answer,
        StatusCode::METHOD_NOT_ALLOWED,
        "OperationNotAllowed",
    );
    assert_eq!(answer.allow(), ["GET", "HEAD"]);
    assert_eq!(server.task_count().await, 1, "a second task appeared");
    assert_eq!(
        server.get_ok(&uri).await["Name"]
            .as_str()
            .map(|n| n.starts_with("GracefulRestart")),
        Some(true)
    );

    // A reset cannot be cancelled: DELETE is not allowed either.
    let delete = server.delete(&monitor).await;
    assert_eq!(delete.status, StatusCode::METHOD_NOT_ALLOWED, "{delete:?}");
    let last = server.poll_monitor(&monitor).await;
    assert_eq!(last.status, StatusCode::OK);
    assert_eq!(server.get_ok(&uri).await["TaskState"], "Completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s13_running_reset_monitor_never_answers_3xx() {
    let server = start_with_tasks(RESET_SCALE).await;
    let (monitor, _, _) = running_reset(&server).await;

    let mut seen = Vec::new();
    for _ in 0..2_000 {
        let answer = server.get(&monitor).await;
        assert!(!answer.status.is_redirection(), "redirect: {answer:?}");
        assert!(
            answer
                .header("Location")
                .is_none_or(|l| l.starts_with(MONITORS))
        );
        seen.push(answer.status);
        if answer.status != StatusCode::ACCEPTED {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen.first(), Some(&StatusCode::ACCEPTED));
    assert_eq!(seen.last(), Some(&StatusCode::OK));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s13_write_methods_on_finished_monitor_are_405() {
    let server = start_with_tasks(0.01).await;
    let (monitor, _, _) = running_reset(&server).await;
    server.poll_monitor(&monitor).await;

    let answer = server.send(Method::PATCH, &monitor, Some(&json!({}))).await;
    check_error(
        &answer,
        StatusCode::METHOD_NOT_ALLOWED,
        "OperationNotAllowed",
    );
    assert!(!answer.allow().contains(&"PATCH".to_owned()));
    assert_eq!(server.task_count().await, 1);
}
