//! The TaskService over a real socket: live settings and their PATCH
//! (S4, S11), `ServiceEnabled`, `#TaskService.DeleteAllCompletedTasks`,
//! the task limit with both overwrite policies, and finished tasks staying
//! readable (S3). Retention by age is pinned by the engine's unit tests,
//! which sweep with a fake clock instead of waiting minutes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{
    Answer, MONITORS, SYSTEM_RESET, TASKS, TestServer, check_error, check_json_type, config,
    location, start, start_with_tasks, task_uri,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use taskfish::model::task_service::OverWritePolicy;

const TASK_SERVICE: &str = "/redfish/v1/TaskService";
const DELETE_ALL: &str = "/redfish/v1/TaskService/Actions/TaskService.DeleteAllCompletedTasks";

/// A GracefulRestart runs 0.7 s at this scale.
const RESET_SCALE: f64 = 0.05;

/// PATCHes the TaskService with `body` and, when given, `If-Match`.
async fn patch(server: &TestServer, body: &Value, if_match: Option<&str>) -> Answer {
    server
        .send_with(|client| {
            let mut req = client
                .patch(server.url(TASK_SERVICE))
                .header("Content-Type", "application/json")
                .body(body.to_string());
            if let Some(tag) = if_match {
                req = req.header("If-Match", tag);
            }
            req
        })
        .await
}

/// GETs the TaskService; returns its ETag and body.
async fn task_service(server: &TestServer) -> (String, Value) {
    let answer = server.get(TASK_SERVICE).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let etag = answer.header("ETag").expect("ETag").to_owned();
    (etag, answer.json())
}

/// Checks a 400 names `key` for `property` in its RelatedProperties.
fn check_property_error(answer: &Answer, key: &str, property: &str) {
    check_error(answer, StatusCode::BAD_REQUEST, key);
    let body = answer.json();
    let info = body["error"]["@Message.ExtendedInfo"].as_array().unwrap();
    let pointer = format!("#/{property}");
    let named = info.iter().any(|m| {
        m["MessageId"].as_str().unwrap().ends_with(key)
            && m["RelatedProperties"] == json!([pointer])
    });
    assert!(named, "no {key} for {pointer}: {body}");
}

/// Starts a synthetic task that ends at once and waits for its end.
async fn finished_task(server: &TestServer) -> String {
    let answer = server.synthetic(&json!({ "DurationSeconds": 0 })).await;
    let uri = task_uri(&answer.json());
    server.wait_terminal(&uri).await;
    uri
}

/// Starts a synthetic task that runs for 10 s (at scale 0.01).
async fn running_task(server: &TestServer) -> (String, String) {
    let answer = server
        .synthetic(&json!({ "DurationSeconds": 1000, "Steps": 1 }))
        .await;
    (task_uri(&answer.json()), location(&answer))
}

/// Checks a 503 refusal of new work: Retry-After and the Base message.
fn check_refused(answer: &Answer, key: &str) {
    check_error(answer, StatusCode::SERVICE_UNAVAILABLE, key);
    let retry = answer.header("Retry-After").expect("Retry-After on 503");
    assert!(retry.parse::<u64>().is_ok(), "Retry-After {retry:?}");
}

// S4: PATCH with If-Match ---------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s4_patch_with_if_match_from_get_applies_the_timeout() {
    let server = start_with_tasks(0.01).await;
    let (etag, before) = task_service(&server).await;
    assert_eq!(before["TaskAutoDeleteTimeoutMinutes"], 1440);

    let answer = patch(
        &server,
        &json!({ "TaskAutoDeleteTimeoutMinutes": 30 }),
        Some(&etag),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    check_json_type(&answer);
    assert_eq!(answer.json()["TaskAutoDeleteTimeoutMinutes"], 30);
    let new_etag = answer.header("ETag").expect("ETag on 200").to_owned();
    assert_ne!(new_etag, etag);

    let (etag_again, after) = task_service(&server).await;
    assert_eq!(after["TaskAutoDeleteTimeoutMinutes"], 30);
    assert_eq!(etag_again, new_etag);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s4_zero_timeout_is_out_of_range_and_changes_nothing() {
    let server = start_with_tasks(0.01).await;
    let (etag, _) = task_service(&server).await;
    let answer = patch(
        &server,
        &json!({ "TaskAutoDeleteTimeoutMinutes": 0 }),
        Some(&etag),
    )
    .await;
    check_property_error(
        &answer,
        "PropertyValueOutOfRange",
        "TaskAutoDeleteTimeoutMinutes",
    );
    let (etag_after, body) = task_service(&server).await;
    assert_eq!(body["TaskAutoDeleteTimeoutMinutes"], 1440);
    assert_eq!(etag_after, etag);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s4_stale_if_match_is_412_and_changes_nothing() {
    let server = start_with_tasks(0.01).await;
    let (stale, _) = task_service(&server).await;
    let first = patch(
        &server,
        &json!({ "TaskAutoDeleteTimeoutMinutes": 30 }),
        None,
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);

    let answer = patch(
        &server,
        &json!({ "TaskAutoDeleteTimeoutMinutes": 60 }),
        Some(&stale),
    )
    .await;
    check_error(
        &answer,
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailed",
    );
    assert_eq!(
        task_service(&server).await.1["TaskAutoDeleteTimeoutMinutes"],
        30
    );
    let weak = format!("W/{}", task_service(&server).await.0);
    let answer = patch(&server, &json!({ "ServiceEnabled": true }), Some(&weak)).await;
    assert_eq!(
        answer.status,
        StatusCode::PRECONDITION_FAILED,
        "weak tags never match"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_stays_while_only_date_time_moves() {
    let server = start_with_tasks(0.01).await;
    let (first, body) = task_service(&server).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (second, later) = task_service(&server).await;
    assert_ne!(body["DateTime"], later["DateTime"]);
    assert_eq!(first, second);
    let answer = patch(&server, &json!({ "ServiceEnabled": true }), Some(&first)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_refuses_wrong_types_and_null_where_not_allowed() {
    let server = start_with_tasks(0.01).await;
    for (property, value) in [
        ("ServiceEnabled", json!("yes")),
        ("ServiceEnabled", Value::Null),
        ("TaskAutoDeleteTimeoutMinutes", json!("30")),
        ("TaskAutoDeleteTimeoutMinutes", json!(1.5)),
        ("TaskAutoDeleteTimeoutMinutes", Value::Null),
        ("TaskMonitorAutoExpirySeconds", json!(true)),
    ] {
        let answer = patch(&server, &json!({ property: value }), None).await;
        check_property_error(&answer, "PropertyValueTypeError", property);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_refuses_read_only_and_unsupported_properties() {
    let server = start_with_tasks(0.01).await;
    for (property, value) in [
        ("Id", json!("Other")),
        ("Name", json!("Other")),
        ("@odata.id", json!("/redfish/v1/Other")),
        ("DateTime", json!("2030-01-01T00:00:00+00:00")),
        ("CompletedTaskOverWritePolicy", json!("Manual")),
        ("LifeCycleEventOnTaskStateChange", json!(true)),
        ("Status", json!({ "State": "Disabled" })),
    ] {
        let answer = patch(&server, &json!({ property: value }), None).await;
        check_property_error(&answer, "PropertyNotWritable", property);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_refuses_unknown_empty_and_malformed_bodies() {
    let server = start_with_tasks(0.01).await;
    let unknown = patch(&server, &json!({ "TaskRetentionDays": 3 }), None).await;
    check_property_error(&unknown, "PropertyUnknown", "TaskRetentionDays");

    let empty = patch(&server, &json!({}), None).await;
    check_error(&empty, StatusCode::BAD_REQUEST, "EmptyJSON");

    let malformed = server
        .send_with(|client| {
            client
                .patch(server.url(TASK_SERVICE))
                .header("Content-Type", "application/json")
                .body("{\"ServiceEnabled\": ")
        })
        .await;
    check_error(&malformed, StatusCode::BAD_REQUEST, "MalformedJSON");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_good_and_bad_properties_apply_nothing() {
    let server = start_with_tasks(0.01).await;
    let (etag, _) = task_service(&server).await;
    let body = json!({
        "TaskAutoDeleteTimeoutMinutes": 30,
        "ServiceEnabled": false,
        "TaskMonitorAutoExpirySeconds": -1,
        "Bogus": 1,
    });
    let answer = patch(&server, &body, Some(&etag)).await;
    check_property_error(
        &answer,
        "PropertyValueOutOfRange",
        "TaskMonitorAutoExpirySeconds",
    );
    check_property_error(&answer, "PropertyUnknown", "Bogus");

    let (etag_after, after) = task_service(&server).await;
    assert_eq!(etag_after, etag);
    assert_eq!(after["TaskAutoDeleteTimeoutMinutes"], 1440);
    assert_eq!(after["ServiceEnabled"], true);
}

// TaskMonitorAutoExpirySeconds ---------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_expiry_null_is_accepted_and_shown() {
    let server = start_with_tasks(0.01).await;
    let answer = patch(
        &server,
        &json!({ "TaskMonitorAutoExpirySeconds": null }),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json()["TaskMonitorAutoExpirySeconds"], Value::Null);
    let (_, body) = task_service(&server).await;
    assert!(body.as_object().unwrap()["TaskMonitorAutoExpirySeconds"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_expiry_zero_makes_the_first_finished_read_the_last() {
    let server = start_with_tasks(0.01).await;
    let answer = patch(&server, &json!({ "TaskMonitorAutoExpirySeconds": 0 }), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);

    let started = server.synthetic(&json!({ "DurationSeconds": 0 })).await;
    let monitor = location(&started);
    let uri = task_uri(&started.json());
    server.wait_terminal(&uri).await;
    let last = server.get(&monitor).await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.text);
    check_error(&server.get(&monitor).await, StatusCode::GONE, "");
    assert_eq!(server.get(&uri).await.status, StatusCode::OK);
}

// ServiceEnabled -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_service_refuses_new_work_but_serves_existing_tasks() {
    let server = start_with_tasks(0.01).await;
    let (uri, monitor) = running_task(&server).await;
    let off = patch(&server, &json!({ "ServiceEnabled": false }), None).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(off.json()["ServiceEnabled"], false);

    let reset = server.reset_system("ForceRestart").await;
    check_refused(&reset, "ServiceDisabled");
    let args = &reset.json()["error"]["@Message.ExtendedInfo"][0]["MessageArgs"];
    assert_eq!(args, &json!([TASK_SERVICE]));
    let synthetic = server.post(TASKS, &json!({ "DurationSeconds": 0 })).await;
    check_refused(&synthetic, "ServiceDisabled");
    assert_eq!(server.task_count().await, 1, "no task was created");

    assert_eq!(server.get(&uri).await.status, StatusCode::OK);
    assert_eq!(server.get(&monitor).await.status, StatusCode::ACCEPTED);
    let cancel = server.delete(&monitor).await;
    assert_eq!(cancel.status, StatusCode::NO_CONTENT, "{}", cancel.text);
    let task = server
        .wait_task(&uri, |t| t["TaskState"] == "Cancelled")
        .await;
    assert_eq!(task["TaskState"], "Cancelled");

    let on = patch(&server, &json!({ "ServiceEnabled": true }), None).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    server.synthetic(&json!({ "DurationSeconds": 0 })).await;
}

// DeleteAllCompletedTasks --------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_all_completed_tasks_leaves_running_tasks() {
    let server = start_with_tasks(0.01).await;
    let (_, body) = task_service(&server).await;
    let target = &body["Actions"]["#TaskService.DeleteAllCompletedTasks"]["target"];
    assert_eq!(target, DELETE_ALL);

    let done = finished_task(&server).await;
    let with_children = server
        .synthetic(&json!({ "DurationSeconds": 0, "SubTasks": 2 }))
        .await;
    let parent = task_uri(&with_children.json());
    server.wait_terminal(&parent).await;
    let children = server.get_ok(&format!("{parent}/SubTasks")).await;
    let child = children["Members"][0]["@odata.id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (running, _) = running_task(&server).await;

    let answer = server.post(DELETE_ALL, &json!({})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let info = &answer.json()["@Message.ExtendedInfo"][0]["MessageId"];
    assert!(info.as_str().unwrap().ends_with(".Success"), "{info}");

    assert_eq!(server.get(&done).await.status, StatusCode::NOT_FOUND);
    assert_eq!(server.get(&parent).await.status, StatusCode::NOT_FOUND);
    assert_eq!(server.get(&child).await.status, StatusCode::NOT_FOUND);
    assert_eq!(server.get(&running).await.status, StatusCode::OK);
    assert_eq!(server.task_count().await, 1);

    let bad = server.post(DELETE_ALL, &json!({ "Force": true })).await;
    check_error(&bad, StatusCode::BAD_REQUEST, "ActionParameterUnknown");
}

// The task limit -----------------------------------------------------------

fn limited(max_tasks: usize, policy: OverWritePolicy) -> taskfish::config::Config {
    taskfish::config::Config {
        max_tasks,
        overwrite_policy: policy,
        ..config(0.01, true)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oldest_policy_overwrites_the_oldest_finished_task() {
    let server = start(limited(2, OverWritePolicy::Oldest)).await;
    let (_, body) = task_service(&server).await;
    assert_eq!(body["CompletedTaskOverWritePolicy"], "Oldest");

    let done = finished_task(&server).await;
    let (first_running, _) = running_task(&server).await;
    let (second_running, _) = running_task(&server).await;
    assert_eq!(server.get(&done).await.status, StatusCode::NOT_FOUND);
    assert_eq!(server.get(&first_running).await.status, StatusCode::OK);
    assert_eq!(server.get(&second_running).await.status, StatusCode::OK);

    let refused = server.post(TASKS, &json!({ "DurationSeconds": 0 })).await;
    check_refused(&refused, "CreateLimitReachedForResource");
    assert_eq!(server.task_count().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_policy_refuses_new_work_at_the_limit() {
    let server = start(limited(1, OverWritePolicy::Manual)).await;
    let (_, body) = task_service(&server).await;
    assert_eq!(body["CompletedTaskOverWritePolicy"], "Manual");

    let done = finished_task(&server).await;
    let refused = server.reset_system("ForceRestart").await;
    check_refused(&refused, "CreateLimitReachedForResource");
    assert_eq!(server.get(&done).await.status, StatusCode::OK);

    assert_eq!(server.delete(&done).await.status, StatusCode::NO_CONTENT);
    let reset = server.reset_system("ForceRestart").await;
    assert_eq!(reset.status, StatusCode::ACCEPTED, "{}", reset.text);
}

// S3 -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_finished_task_stays_readable_across_polls() {
    let server = start_with_tasks(0.01).await;
    let started = server
        .synthetic(&json!({ "DurationSeconds": 20, "Steps": 4 }))
        .await;
    let uri = task_uri(&started.json());
    let first_end = server.wait_terminal(&uri).await;
    // Poll across more than one retention sweep (they run every second).
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let task = server.get_ok(&uri).await;
        assert_eq!(task["TaskState"], "Completed");
        assert_eq!(task["EndTime"], first_end["EndTime"]);
        assert_eq!(task["TaskStatus"], "OK");
        assert!(!task["Messages"].as_array().unwrap().is_empty());
    }
}

// S11 ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_patch_is_synchronous_and_a_second_reset_is_409_with_retry_after() {
    let server = start_with_tasks(RESET_SCALE).await;
    let first = server.reset_system("GracefulRestart").await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
    assert!(location(&first).starts_with(MONITORS));

    let answer = patch(
        &server,
        &json!({ "TaskAutoDeleteTimeoutMinutes": 45 }),
        None,
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "PATCH answers in the same request"
    );
    assert!(answer.header("Location").is_none());
    assert_eq!(answer.json()["TaskAutoDeleteTimeoutMinutes"], 45);

    let second = server
        .post(SYSTEM_RESET, &json!({ "ResetType": "ForceRestart" }))
        .await;
    check_error(&second, StatusCode::CONFLICT, "ResourceInUse");
    assert!(second.header("Retry-After").is_some(), "{second:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_service_allows_patch_and_other_writes_are_405() {
    let server = start_with_tasks(0.01).await;
    let answer = server.get(TASK_SERVICE).await;
    assert_eq!(answer.allow(), ["GET", "HEAD", "PATCH"]);
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let refused = server.send(method, TASK_SERVICE, Some(&json!({}))).await;
        check_error(
            &refused,
            StatusCode::METHOD_NOT_ALLOWED,
            "OperationNotAllowed",
        );
    }
}
