//! DSP0266 protocol behaviour over a real socket: headers, ETags, methods,
//! error bodies, query options, the fixed documents, reset validation and
//! the power model, task cancellation and deletion, payload secrets,
//! subtasks, and robustness against malformed requests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{
    MANAGER_RESET, SYSTEM_RESET, TASKS, TestServer, check_error, check_json_type, check_messages,
    config, location, message_keys, start, start_with_tasks, task_uri,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A synthetic task that stays Running for a second.
fn long_task() -> Value {
    json!({ "DurationSeconds": 100, "Steps": 1 })
}

/// Runs a system reset to its end; returns the final monitor status.
async fn reset_to_end(server: &TestServer, reset: &str) -> StatusCode {
    let answer = server.reset_system(reset).await;
    assert_eq!(
        answer.status,
        StatusCode::ACCEPTED,
        "{reset}: {}",
        answer.text
    );
    let monitor = location(&answer);
    let last = server.poll_monitor(&monitor).await;
    let task = server.wait_terminal(&task_uri(&answer.json())).await;
    assert_eq!(task["TaskState"], "Completed", "{reset}: {task}");
    last.status
}

// Headers ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_odata_version_and_json_charset() {
    let server = start_with_tasks(0.01).await;
    // `send` itself asserts OData-Version 4.0 on every answer.
    let paths = [
        "/redfish/v1",
        "/redfish/v1/",
        "/redfish",
        "/redfish/v1/odata",
        "/redfish/v1/TaskService",
        TASKS,
        "/redfish/v1/Systems",
        "/redfish/v1/Systems/1",
        "/redfish/v1/Managers",
        "/redfish/v1/Managers/BMC",
        "/redfish/v1/SessionService",
        "/redfish/v1/SessionService/Sessions",
        "/redfish/v1/nowhere",
    ];
    for path in paths {
        let answer = server.get(path).await;
        check_json_type(&answer);
    }
    let error = server.post(SYSTEM_RESET, &json!({})).await;
    check_json_type(&error);
    let xml = server.get("/redfish/v1/$metadata").await;
    assert_eq!(xml.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_and_matching_if_none_match_gives_304() {
    let server = start_with_tasks(0.01).await;
    let done = server.synthetic(&json!({ "DurationSeconds": 0 })).await;
    let task = task_uri(&done.json());
    server.wait_terminal(&task).await;

    for path in [
        "/redfish/v1",
        "/redfish/v1/Systems/1",
        task.as_str(),
        "/redfish/v1/$metadata",
    ] {
        let first = server.get(path).await;
        let etag = first
            .header("ETag")
            .unwrap_or_else(|| panic!("no ETag on {path}"));
        assert!(etag.starts_with('"') || etag.starts_with("W/\""), "{etag}");
        let again = server
            .send_with(|c| c.get(server.url(path)).header("If-None-Match", etag))
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.text.is_empty());
        let other = server
            .send_with(|c| c.get(server.url(path)).header("If-None-Match", "\"nope\""))
            .await;
        assert_eq!(other.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_header_on_get_and_head_of_resources() {
    let server = start_with_tasks(0.01).await;
    let task = task_uri(
        &server
            .synthetic(&json!({ "DurationSeconds": 0 }))
            .await
            .json(),
    );
    let cases = [
        ("/redfish/v1", vec!["GET", "HEAD"]),
        (TASKS, vec!["GET", "HEAD"]),
        (task.as_str(), vec!["GET", "HEAD", "DELETE"]),
    ];
    for (path, want) in cases {
        for method in [Method::GET, Method::HEAD] {
            let answer = server.send(method.clone(), path, None).await;
            assert_eq!(answer.status, StatusCode::OK, "{method} {path}");
            assert_eq!(answer.allow(), want, "{method} {path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_header_on_get_of_fixed_documents() {
    let server = start(config(0.01, false)).await;
    for path in [
        "/redfish",
        "/redfish/v1/$metadata",
        "/redfish/v1/odata",
        "/redfish/v1/openapi.yaml",
    ] {
        let answer = server.get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.allow(), ["GET", "HEAD"], "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_has_no_body_but_the_get_headers() {
    let server = start(config(0.01, false)).await;
    for path in [
        "/redfish/v1",
        "/redfish/v1/Systems/1",
        "/redfish/v1/$metadata",
    ] {
        let get = server.get(path).await;
        let head = server.send(Method::HEAD, path, None).await;
        assert_eq!(head.status, StatusCode::OK, "{path}");
        assert!(head.text.is_empty(), "HEAD {path} has a body");
        assert_eq!(head.header("ETag"), get.header("ETag"), "{path}");
        assert_eq!(head.header("Content-Type"), get.header("Content-Type"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odata_version_other_than_4_0_is_412() {
    let server = start(config(0.01, false)).await;
    let answer = server
        .send_with(|c| {
            c.get(server.url("/redfish/v1"))
                .header("OData-Version", "4.1")
        })
        .await;
    check_error(&answer, StatusCode::PRECONDITION_FAILED, "");
}

// Errors -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_uri_is_404_resource_missing_at_uri() {
    let server = start(config(0.01, false)).await;
    for path in [
        "/redfish/v1/Nothing",
        "/redfish/v1/Systems/2",
        "/redfish/v1/TaskService/Tasks/999",
        "/redfish/v1/TaskService/TaskMonitors/deadbeef",
        "/redfish/v1/schema/NoSuch_v1.xml",
        "/redfish/v2",
    ] {
        let answer = server.get(path).await;
        check_error(&answer, StatusCode::NOT_FOUND, "ResourceMissingAtURI");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_400_malformed_json() {
    let server = start_with_tasks(0.01).await;
    for path in [SYSTEM_RESET, TASKS] {
        let answer = server
            .send_with(|c| {
                c.post(server.url(path))
                    .header("Content-Type", "application/json")
                    .body("{\"ResetType\": ")
            })
            .await;
        check_error(&answer, StatusCode::BAD_REQUEST, "MalformedJSON");
    }
    assert_eq!(server.task_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_plain_body_is_415() {
    let server = start_with_tasks(0.01).await;
    let answer = server
        .send_with(|c| {
            c.post(server.url(SYSTEM_RESET))
                .header("Content-Type", "text/plain")
                .body(r#"{"ResetType": "On"}"#)
        })
        .await;
    check_error(&answer, StatusCode::UNSUPPORTED_MEDIA_TYPE, "");
    assert_eq!(server.task_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_method_is_405_with_allow() {
    let server = start(config(0.01, false)).await;
    let patch_root = server
        .send(Method::PATCH, "/redfish/v1", Some(&json!({ "Name": "x" })))
        .await;
    check_error(
        &patch_root,
        StatusCode::METHOD_NOT_ALLOWED,
        "OperationNotAllowed",
    );
    assert_eq!(patch_root.allow(), ["GET", "HEAD"]);

    let post_tasks = server.post(TASKS, &json!({ "DurationSeconds": 1 })).await;
    check_error(
        &post_tasks,
        StatusCode::METHOD_NOT_ALLOWED,
        "OperationNotAllowed",
    );
    assert!(!post_tasks.allow().contains(&"POST".to_owned()));

    let delete_doc = server.delete("/redfish/v1/$metadata").await;
    check_error(
        &delete_doc,
        StatusCode::METHOD_NOT_ALLOWED,
        "OperationNotAllowed",
    );
    assert_eq!(delete_doc.allow(), ["GET", "HEAD"]);

    let get_action = server.get(SYSTEM_RESET).await;
    check_error(
        &get_action,
        StatusCode::METHOD_NOT_ALLOWED,
        "OperationNotAllowed",
    );
    assert_eq!(get_action.allow(), ["POST"]);
    assert_eq!(server.task_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_http_method_is_405_with_allow() {
    let server = start(config(0.01, false)).await;
    let answer = server.send(Method::OPTIONS, "/redfish/v1", None).await;
    check_error(&answer, StatusCode::METHOD_NOT_ALLOWED, "");
    assert_eq!(answer.allow(), ["GET", "HEAD"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_action_is_404() {
    let server = start(config(0.01, false)).await;
    for path in [
        "/redfish/v1/Systems/1/Actions/ComputerSystem.Foo",
        "/redfish/v1/Managers/BMC/Actions/ComputerSystem.Reset",
    ] {
        let answer = server.post(path, &json!({})).await;
        check_error(&answer, StatusCode::NOT_FOUND, "");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_on_unknown_system_is_404() {
    let server = start(config(0.01, false)).await;
    let answer = server
        .post(
            "/redfish/v1/Systems/9/Actions/ComputerSystem.Reset",
            &json!({ "ResetType": "On" }),
        )
        .await;
    check_error(&answer, StatusCode::NOT_FOUND, "ResourceMissingAtURI");
    assert_eq!(server.task_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_the_limit_is_413() {
    let mut config = config(0.01, true);
    config.max_body_bytes = 1024;
    let server = start(config).await;
    let padding = "x".repeat(4096);
    let body = json!({ "ResetType": "On", "Pad": padding });
    let answer = server.post(SYSTEM_RESET, &body).await;
    check_error(&answer, StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge");

    // Without Content-Length (chunked), the limit holds as well.
    let chunk = format!("{{\"DurationSeconds\": 1, \"X\": \"{padding}\"}}");
    let raw = format!(
        "POST {TASKS} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    let reply = server.raw(raw.as_bytes(), Duration::from_secs(3));
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert_eq!(server.task_count().await, 0);
}

// Query options ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expand_is_501_and_bad_top_is_400() {
    let server = start(config(0.01, false)).await;
    let expand = server.get("/redfish/v1/TaskService/Tasks?$expand=*").await;
    check_error(&expand, StatusCode::NOT_IMPLEMENTED, "");
    let top = server.get("/redfish/v1/TaskService/Tasks?$top=abc").await;
    check_error(
        &top,
        StatusCode::BAD_REQUEST,
        "QueryParameterValueTypeError",
    );
    let skip = server.get("/redfish/v1/TaskService/Tasks?$skip=-1").await;
    check_error(&skip, StatusCode::BAD_REQUEST, "");
    let on_resource = server.get("/redfish/v1/Systems/1?$top=1").await;
    check_error(&on_resource, StatusCode::BAD_REQUEST, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_and_skip_page_tasks_with_next_link() {
    let server = start_with_tasks(0.01).await;
    for _ in 0..5 {
        server.synthetic(&json!({ "DurationSeconds": 0 })).await;
    }
    let all: Vec<Value> = server.get_ok(TASKS).await["Members"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.len(), 5);

    let mut seen = Vec::new();
    let mut next = Some(format!("{TASKS}?$top=2"));
    let mut pages = 0;
    while let Some(link) = next {
        let page = server.get_ok(&link).await;
        assert_eq!(page["Members@odata.count"], 5, "{page}");
        let members = page["Members"].as_array().unwrap();
        assert!(members.len() <= 2, "{page}");
        seen.extend(members.iter().cloned());
        next = page["Members@odata.nextLink"].as_str().map(str::to_owned);
        pages += 1;
        assert!(pages <= 5, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, all);

    let skipped = server.get_ok(&format!("{TASKS}?$skip=3")).await;
    assert_eq!(skipped["Members"].as_array().unwrap()[..], all[3..]);
    let past = server.get_ok(&format!("{TASKS}?$skip=10&$top=2")).await;
    assert!(past["Members"].as_array().unwrap().is_empty());
    assert!(past.get("Members@odata.nextLink").is_none());
}

// Fixed documents --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_document_and_service_root_answer() {
    let server = start(config(0.01, false)).await;
    let version = server.get_ok("/redfish").await;
    assert_eq!(version["v1"], "/redfish/v1/");
    let root = server.get_ok("/redfish/v1").await;
    assert_eq!(server.get_ok("/redfish/v1/").await, root);
    assert_eq!(root["@odata.id"], "/redfish/v1");
    assert_eq!(root["UUID"], "8e2d9c1a-5b7f-4c3e-9a1d-2f6b8c0e4d71");
    for link in ["Systems", "Managers", "Tasks", "SessionService"] {
        let uri = root[link]["@odata.id"].as_str().unwrap();
        server.get_ok(uri).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odata_service_document_lists_reachable_singletons() {
    let server = start(config(0.01, false)).await;
    let doc = server.get_ok("/redfish/v1/odata").await;
    assert_eq!(doc["@odata.context"], "/redfish/v1/$metadata");
    let entries = doc["value"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["name"] == "Service"));
    for entry in entries {
        assert_eq!(entry["kind"], "Singleton");
        server.get_ok(entry["url"].as_str().unwrap()).await;
    }
}

/// The `edmx:Reference` URIs of `$metadata`, after checking it is XML.
async fn metadata_references(server: &TestServer) -> Vec<String> {
    let answer = server.get("/redfish/v1/$metadata").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .header("Content-Type")
            .unwrap()
            .starts_with("application/xml")
    );
    let doc = roxmltree::Document::parse(&answer.text).expect("$metadata parses");
    assert_eq!(doc.root_element().tag_name().name(), "Edmx");
    doc.descendants()
        .filter(|n| n.has_tag_name("Reference"))
        .map(|n| n.attribute("Uri").expect("Reference Uri").to_owned())
        .collect()
}

/// Whether `uri` is served as a parsable CSDL file.
async fn serves_csdl(server: &TestServer, uri: &str) -> bool {
    let file = server.get(uri).await;
    file.status == StatusCode::OK
        && file
            .header("Content-Type")
            .is_some_and(|t| t.starts_with("application/xml"))
        && roxmltree::Document::parse(&file.text)
            .is_ok_and(|xml| xml.root_element().tag_name().name() == "Edmx")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_xml_and_served_resources_schemas_are_served() {
    let server = start(config(0.01, false)).await;
    let uris = metadata_references(&server).await;
    assert!(
        uris.iter().all(|u| u.starts_with("/redfish/v1/schema/")),
        "{uris:?}"
    );
    for name in [
        "ServiceRoot",
        "TaskService",
        "TaskCollection",
        "Task",
        "ComputerSystem",
        "Manager",
        "Message",
        "Resource",
    ] {
        let uri = format!("/redfish/v1/schema/{name}_v1.xml");
        assert!(uris.contains(&uri), "$metadata lacks {uri}");
        assert!(serves_csdl(&server, &uri).await, "{uri} not served");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_every_reference_is_served() {
    let server = start(config(0.01, false)).await;
    let mut missing = Vec::new();
    for uri in metadata_references(&server).await {
        if !serves_csdl(&server, &uri).await {
            missing.push(uri);
        }
    }
    assert!(missing.is_empty(), "not served: {missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_exactly_the_served_routes() {
    use taskfish::routes::{EXTRA_PATHS, ROUTES};
    let server = start(config(0.01, false)).await;
    let answer = server.get("/redfish/v1/openapi.yaml").await;
    assert_eq!(answer.status, StatusCode::OK);
    let doc: openapiv3::OpenAPI = serde_yaml::from_str(&answer.text).expect("OpenAPI parses");

    let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let lower = |m: &taskfish::routes::Method| m.as_str().to_ascii_lowercase();
    for route in ROUTES {
        want.entry(route.template.to_owned())
            .or_default()
            .extend(route.methods.iter().map(lower));
        for action in route.actions {
            let path = format!("{}/Actions/{}", route.template, action.name);
            want.entry(path).or_default().insert("post".to_owned());
        }
    }
    for extra in EXTRA_PATHS {
        want.entry(extra.template.to_owned())
            .or_default()
            .extend(extra.methods.iter().map(lower));
    }

    let mut have: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, item) in &doc.paths.paths {
        let item = item.as_item().expect("inline path item");
        let ops = have.entry(path.clone()).or_default();
        for (name, op) in [
            ("get", &item.get),
            ("head", &item.head),
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
            ("options", &item.options),
            ("trace", &item.trace),
        ] {
            if op.is_some() {
                ops.insert(name.to_owned());
            }
        }
    }
    assert_eq!(have, want);
}

// Reset validation -------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_body_errors_are_400_and_create_no_task() {
    let server = start(config(0.01, false)).await;
    let cases = [
        (json!({}), "ActionParameterMissing"),
        (
            json!({ "ResetType": "Bogus" }),
            "ActionParameterValueNotInList",
        ),
        (
            json!({ "ResetType": "Suspend" }),
            "ActionParameterValueNotInList",
        ),
        (json!({ "ResetType": 5 }), "ActionParameterValueTypeError"),
        (
            json!({ "ResetType": true }),
            "ActionParameterValueTypeError",
        ),
        (
            json!({ "ResetType": "On", "Force": 1 }),
            "ActionParameterUnknown",
        ),
        (json!([1, 2]), ""),
    ];
    for (body, key) in cases {
        for path in [SYSTEM_RESET, MANAGER_RESET] {
            let answer = server.post(path, &body).await;
            check_error(&answer, StatusCode::BAD_REQUEST, key);
        }
    }
    let manager_off = server
        .post(MANAGER_RESET, &json!({ "ResetType": "ForceOff" }))
        .await;
    check_error(
        &manager_off,
        StatusCode::BAD_REQUEST,
        "ActionParameterValueNotInList",
    );
    assert_eq!(server.task_count().await, 0);
    assert_eq!(server.system_power().await, "On");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_reset_while_one_runs_is_409_with_retry_after() {
    let server = start(config(0.05, false)).await;
    let first = server.reset_system("GracefulRestart").await;
    assert_eq!(first.status, StatusCode::ACCEPTED);

    let second = server.reset_system("ForceRestart").await;
    check_error(&second, StatusCode::CONFLICT, "");
    let retry = second.header("Retry-After").expect("Retry-After on 409");
    assert!(retry.parse::<u64>().is_ok(), "{retry}");
    assert_eq!(server.task_count().await, 1);
    server.poll_monitor(&location(&first)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nmi_and_restarts_on_an_off_system_are_409() {
    let server = start(config(0.001, false)).await;
    reset_to_end(&server, "ForceOff").await;
    assert_eq!(server.system_power().await, "Off");
    let count = server.task_count().await;

    for reset in ["Nmi", "GracefulRestart", "ForceRestart"] {
        let answer = server.reset_system(reset).await;
        check_error(&answer, StatusCode::CONFLICT, "");
    }
    assert_eq!(server.task_count().await, count);
    assert_eq!(server.system_power().await, "Off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reset_type_drives_power_state_as_the_model_says() {
    let server = start(config(0.001, false)).await;
    // (reset, PowerState after), starting from On; see engine/machine.rs.
    let steps = [
        ("On", "On"),
        ("ForceOn", "On"),
        ("ForceOff", "Off"),
        ("ForceOff", "Off"),
        ("GracefulShutdown", "Off"),
        ("On", "On"),
        ("GracefulShutdown", "Off"),
        ("PushPowerButton", "On"),
        ("PushPowerButton", "Off"),
        ("ForceOn", "On"),
        ("GracefulRestart", "On"),
        ("ForceRestart", "On"),
        ("Nmi", "On"),
        ("PowerCycle", "On"),
        ("FullPowerCycle", "On"),
        ("ForceOff", "Off"),
        ("PowerCycle", "On"),
        ("ForceOff", "Off"),
        ("FullPowerCycle", "On"),
    ];
    assert_eq!(server.system_power().await, "On");
    for (reset, after) in steps {
        let last = reset_to_end(&server, reset).await;
        assert_eq!(last, StatusCode::OK, "{reset}");
        assert_eq!(server.system_power().await, after, "after {reset}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_resets_run_as_tasks_and_leave_it_on() {
    let server = start(config(0.001, false)).await;
    for reset in ["GracefulRestart", "ForceRestart"] {
        let answer = server
            .post(MANAGER_RESET, &json!({ "ResetType": reset }))
            .await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
        let last = server.poll_monitor(&location(&answer)).await;
        assert_eq!(last.status, StatusCode::OK);
        let manager = server.get_ok("/redfish/v1/Managers/BMC").await;
        assert_eq!(manager["PowerState"], "On");
    }
}

// Cancellation and deletion ----------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_on_monitor_cancels_a_cancellable_task() {
    let server = start_with_tasks(0.01).await;
    let answer = server.synthetic(&long_task()).await;
    let monitor = location(&answer);
    let uri = task_uri(&answer.json());

    let delete = server.delete(&monitor).await;
    assert!(delete.status.is_success(), "{delete:?}");
    let states = observed_states(&server, &uri).await;
    assert!(
        states.iter().all(|s| s == "Cancelling" || s == "Cancelled"),
        "{states:?}"
    );
    let task = server.get_ok(&uri).await;
    assert_eq!(task["TaskState"], "Cancelled");
    assert!(task["EndTime"].is_string());
    assert!(
        message_keys(&task).contains(&"TaskCancelled".to_owned()),
        "{task}"
    );
    check_messages(&task);

    let gone = server.get(&monitor).await;
    check_error(&gone, StatusCode::GONE, "");
    assert_eq!(server.task_count().await, 1);
}

/// The states a task shows from now until it is terminal (bounded).
async fn observed_states(server: &TestServer, uri: &str) -> Vec<String> {
    let mut states: Vec<String> = Vec::new();
    for _ in 0..1_000 {
        let task = server.get_ok(uri).await;
        let state = task["TaskState"].as_str().unwrap().to_owned();
        let done = common::TERMINAL.contains(&state.as_str());
        if states.last() != Some(&state) {
            states.push(state);
        }
        if done {
            return states;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("task {uri} never ended: {states:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_on_running_task_cancels_it_without_a_second_task() {
    let server = start_with_tasks(0.01).await;
    let answer = server.synthetic(&long_task()).await;
    let monitor = location(&answer);
    let uri = task_uri(&answer.json());

    let delete = server.delete(&uri).await;
    assert_eq!(delete.status, StatusCode::OK, "{delete:?}");
    let state = delete.json()["TaskState"].as_str().unwrap().to_owned();
    assert!(state == "Cancelling" || state == "Cancelled", "{state}");

    let task = server.wait_terminal(&uri).await;
    assert_eq!(task["TaskState"], "Cancelled");
    assert!(message_keys(&task).contains(&"TaskCancelled".to_owned()));
    assert_ne!(task["PercentComplete"], 100);
    assert_eq!(server.task_count().await, 1);
    assert_eq!(server.get(&monitor).await.status, StatusCode::GONE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_on_uncancellable_running_task_is_409() {
    let server = start_with_tasks(0.01).await;
    let body = json!({ "DurationSeconds": 100, "Steps": 1, "Cancellable": false });
    let answer = server.synthetic(&body).await;
    let uri = task_uri(&answer.json());
    assert_eq!(answer.allow(), ["GET", "HEAD"]);

    let delete = server.delete(&uri).await;
    check_error(&delete, StatusCode::CONFLICT, "");
    assert!(delete.header("Retry-After").is_some());
    assert_eq!(server.get_ok(&uri).await["TaskState"], "Running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_on_finished_task_is_204_then_404() {
    let server = start_with_tasks(0.01).await;
    let answer = server.synthetic(&json!({ "DurationSeconds": 0 })).await;
    let monitor = location(&answer);
    let uri = task_uri(&answer.json());
    server.wait_terminal(&uri).await;

    let delete = server.delete(&uri).await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT, "{delete:?}");
    assert!(delete.text.is_empty());
    check_error(
        &server.get(&uri).await,
        StatusCode::NOT_FOUND,
        "ResourceMissingAtURI",
    );
    check_error(&server.delete(&uri).await, StatusCode::NOT_FOUND, "");
    assert_eq!(server.task_count().await, 0);
    // The monitor existed and was removed with its task: 410, not 404.
    check_error(&server.get(&monitor).await, StatusCode::GONE, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtask_cannot_be_deleted_or_cancelled_alone_and_parent_finishes() {
    let server = start_with_tasks(0.01).await;
    let answer = server
        .synthetic(&json!({ "DurationSeconds": 2, "SubTasks": 2, "Steps": 4 }))
        .await;
    let parent = task_uri(&answer.json());
    let children = server.get_ok(&format!("{parent}/SubTasks")).await;
    let child = children["Members"][0]["@odata.id"]
        .as_str()
        .unwrap()
        .to_owned();

    let refused = server.delete(&child).await;
    check_error(
        &refused,
        StatusCode::METHOD_NOT_ALLOWED,
        "ResourceCannotBeDeleted",
    );
    assert_eq!(refused.allow(), vec!["GET".to_owned(), "HEAD".to_owned()]);
    let child_monitor = server.get_ok(&child).await["TaskMonitor"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = server.delete(&child_monitor).await;
    assert_eq!(
        refused.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{refused:?}"
    );

    let done = server.wait_terminal(&parent).await;
    assert_eq!(done["TaskState"], "Completed", "{done}");
    let listed = server.get_ok(&format!("{parent}/SubTasks")).await;
    for member in listed["Members"].as_array().unwrap() {
        let sub = server.get_ok(member["@odata.id"].as_str().unwrap()).await;
        assert_eq!(sub["TaskState"], "Completed", "{sub}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_ids_have_one_spelling() {
    let server = start_with_tasks(0.01).await;
    let uri = task_uri(
        &server
            .synthetic(&json!({ "DurationSeconds": 0 }))
            .await
            .json(),
    );
    assert!(uri.ends_with("/1"), "{uri}");
    for alias in ["01", "+1", "1.0"] {
        let path = uri.trim_end_matches('1').to_owned() + alias;
        check_error(
            &server.get(&path).await,
            StatusCode::NOT_FOUND,
            "ResourceMissingAtURI",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_zero_has_no_next_link_and_next_link_keeps_the_page_size() {
    let server = start_with_tasks(0.01).await;
    for _ in 0..3 {
        server.synthetic(&json!({ "DurationSeconds": 0 })).await;
    }
    let none = server.get_ok(&format!("{TASKS}?$top=0")).await;
    assert_eq!(none["Members"].as_array().unwrap().len(), 0);
    assert!(none.get("Members@odata.nextLink").is_none(), "{none}");
    let page = server.get_ok(&format!("{TASKS}?$top=2")).await;
    let next = page["Members@odata.nextLink"].as_str().unwrap();
    assert!(next.ends_with("?$skip=2&$top=2"), "{next}");
    let encoded = server.get_ok(&format!("{TASKS}?%24top=1")).await;
    assert_eq!(encoded["Members"].as_array().unwrap().len(), 1);
}

// Payload, subtasks --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payload_never_holds_credentials() {
    let server = start_with_tasks(0.01).await;
    let secrets = [
        ("Authorization", "Basic c2VjcmV0LXVzZXI6cGFzcw=="),
        ("Cookie", "session=cookie-secret-42"),
        ("X-Auth-Token", "token-secret-77"),
        ("Proxy-Authorization", "Basic cHJveHk6c2VjcmV0"),
    ];
    for path in [SYSTEM_RESET, TASKS] {
        let body = if path == TASKS {
            json!({ "DurationSeconds": 0 })
        } else {
            json!({ "ResetType": "On" })
        };
        let answer = server
            .send_with(|c| {
                let mut req = c
                    .post(server.url(path))
                    .header("Content-Type", "application/json")
                    .header("X-Visible", "shown")
                    .body(body.to_string());
                for (name, value) in secrets {
                    req = req.header(name, value);
                }
                req
            })
            .await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
        let uri = task_uri(&answer.json());
        let task = server.wait_terminal(&uri).await;
        let text = task.to_string();
        for (name, value) in secrets {
            assert!(!text.contains(value), "{name} leaked: {text}");
        }
        let headers = task["Payload"]["HttpHeaders"]
            .as_array()
            .expect("HttpHeaders");
        // An allowlist: the media type is kept, an unknown header is not
        // (it could carry a vendor credential).
        let has = |prefix: &str| {
            headers
                .iter()
                .any(|h| h.as_str().unwrap().to_ascii_lowercase().starts_with(prefix))
        };
        assert!(has("content-type"), "{headers:?}");
        assert!(!has("x-visible"), "{headers:?}");
        for h in headers {
            let h = h.as_str().unwrap().to_ascii_lowercase();
            for (name, _) in secrets {
                assert!(!h.starts_with(&name.to_ascii_lowercase()), "{h}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtasks_are_a_link_to_a_collection_of_plain_tasks() {
    let server = start_with_tasks(0.01).await;
    let answer = server
        .synthetic(&json!({ "DurationSeconds": 4, "SubTasks": 2 }))
        .await;
    let uri = task_uri(&answer.json());
    let link = format!("{uri}/SubTasks");
    assert_eq!(answer.json()["SubTasks"], json!({ "@odata.id": link }));

    let collection = server.get_ok(&link).await;
    assert_eq!(collection["@odata.type"], "#TaskCollection.TaskCollection");
    assert_eq!(collection["@odata.id"], link);
    let members = collection["Members"].as_array().unwrap().clone();
    assert_eq!(members.len(), 2);
    assert_eq!(collection["Members@odata.count"], 2);
    for member in &members {
        let child = member["@odata.id"].as_str().unwrap();
        let n = child
            .strip_prefix(&format!("{link}/"))
            .expect("under SubTasks");
        assert!(n.parse::<u64>().is_ok(), "{child}");
        let task = server.get_ok(child).await;
        assert_eq!(task["@odata.id"], child);
        assert!(task["@odata.type"].as_str().unwrap().starts_with("#Task."));
        assert!(task.get("SubTasks").is_none(), "{task}");
        check_messages(&task);
    }

    server.wait_terminal(&uri).await;
    for member in &members {
        let task = server.get_ok(member["@odata.id"].as_str().unwrap()).await;
        assert_eq!(task["TaskState"], "Completed", "{task}");
    }
    let tasks = server.get_ok(TASKS).await;
    assert_eq!(
        tasks["Members@odata.count"], 1,
        "subtasks are not top-level"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_without_children_has_no_subtasks_link() {
    let server = start_with_tasks(0.01).await;
    let answer = server.synthetic(&json!({ "DurationSeconds": 0 })).await;
    let uri = task_uri(&answer.json());
    assert!(answer.json().get("SubTasks").is_none());
    check_error(
        &server.get(&format!("{uri}/SubTasks")).await,
        StatusCode::NOT_FOUND,
        "ResourceMissingAtURI",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synthetic_body_errors_are_400_and_create_no_task() {
    let server = start_with_tasks(0.01).await;
    let cases = [
        json!({}),
        json!({ "DurationSeconds": -1 }),
        json!({ "DurationSeconds": "1" }),
        json!({ "DurationSeconds": 1, "Outcome": "Maybe" }),
        json!({ "DurationSeconds": 1, "SubTasks": 17 }),
        json!({ "DurationSeconds": 1, "Bogus": true }),
    ];
    for body in cases {
        let answer = server.post(TASKS, &body).await;
        check_error(&answer, StatusCode::BAD_REQUEST, "");
    }
    assert_eq!(server.task_count().await, 0);
}

// Robustness ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_of_malformed_requests_never_kills_the_server() {
    let server = start_with_tasks(0.01).await;
    let addr = server.addr;
    let garbage: Vec<Vec<u8>> = vec![
        b"GARBAGE\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"GET /redfish/v1 HTTP/9.9\r\n\r\n".to_vec(),
        b"GET /redfish/v1 HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n".to_vec(),
        b"POST /redfish/v1/TaskService/Tasks HTTP/1.1\r\nHost: x\r\n\
          Content-Length: abc\r\n\r\n{}"
            .to_vec(),
        b"POST /redfish/v1/TaskService/Tasks HTTP/1.1\r\nHost: x\r\n\
          Transfer-Encoding: chunked\r\n\r\nzz\r\n"
            .to_vec(),
        vec![0xff, 0xfe, 0x00, 0x01, b'\r', b'\n', b'\r', b'\n'],
        format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(20_000)).into_bytes(),
        b"GET /redfish/v1 HTTP/1.1\r\nHost: x\r\nOData-Version: \xff\r\n\
          Connection: close\r\n\r\n"
            .to_vec(),
    ];
    let burst = tokio::task::spawn_blocking(move || {
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let garbage = garbage.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let request = &garbage[(t * 50 + i) % garbage.len()];
                        let _ = send_and_half_close(addr, request);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
    });
    tokio::time::timeout(Duration::from_secs(30), burst)
        .await
        .expect("burst is bounded")
        .unwrap();

    assert_eq!(server.get("/redfish/v1").await.status, StatusCode::OK);
    let raw = server.raw(
        b"GET /redfish/v1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration::from_secs(3),
    );
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert_eq!(server.task_count().await, 0);
}

/// Sends one malformed request, closes the writing side so the server never
/// waits for more, and reads what comes back (bounded).
fn send_and_half_close(addr: std::net::SocketAddr, request: &[u8]) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let _ = stream.write_all(request);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_reset_leaves_machine_settled_and_free_at_once() {
    let server = start(config(0.001, false)).await;
    for round in 0..40 {
        let (reset, settled) = if round % 2 == 0 {
            ("ForceOff", "Off")
        } else {
            ("On", "On")
        };
        let answer = server.reset_system(reset).await;
        assert_eq!(
            answer.status,
            StatusCode::ACCEPTED,
            "round {round}: {}",
            answer.text
        );
        let task = task_uri(&answer.json());
        // A client that sees the task Completed may act on the machine.
        server
            .wait_task(&task, |t| t["TaskState"] == "Completed")
            .await;
        assert_eq!(server.system_power().await, settled, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_allow_stays_schema_true_when_synthetic_tasks_are_on() {
    // The test aid's POST works but is not advertised: the schema forbids
    // POST on a TaskCollection and validators check Allow against it.
    let server = start_with_tasks(0.01).await;
    let answer = server.get(TASKS).await;
    assert_eq!(
        answer.allow(),
        vec!["GET".to_owned(), "HEAD".to_owned()],
        "{answer:?}"
    );
    let created = server
        .send(Method::POST, TASKS, Some(&json!({"DurationSeconds": 0})))
        .await;
    assert_eq!(created.status, 202, "{created:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_lists_only_methods_the_service_implements() {
    let server = start(config(0.01, false)).await;
    let mut unimplemented = Vec::new();
    for path in [
        "/redfish/v1",
        "/redfish/v1/TaskService",
        TASKS,
        "/redfish/v1/Systems",
        "/redfish/v1/Managers",
        "/redfish/v1/Managers/BMC",
        "/redfish/v1/SessionService",
        "/redfish/v1/SessionService/Sessions",
        // Last: a DELETE here, if implemented, may remove the system.
        "/redfish/v1/Systems/1",
    ] {
        for method in server.get(path).await.allow() {
            if method == "GET" || method == "HEAD" {
                continue;
            }
            let verb = Method::from_bytes(method.as_bytes()).unwrap();
            let answer = server.send(verb, path, Some(&json!({}))).await;
            if answer.status == StatusCode::NOT_IMPLEMENTED {
                unimplemented.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        unimplemented.is_empty(),
        "501 for advertised: {unimplemented:?}"
    );
}
