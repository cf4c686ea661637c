//! The Redfish view of a task: a [`TaskRecord`] rendered once, on every
//! change, into the generated `Task` model and serialized, so that reads
//! only copy a reference-counted buffer.

use bytes::Bytes;

use crate::model::message::Message;
use crate::model::resource::Health;
use crate::model::support::{Nullable, ODataId};
use crate::model::task::{Payload, Task};
use crate::registry::{RedfishMessage, Severity};

use super::Snapshot;
use super::job::Job;
use super::task::TaskRecord;

/// URI of the Tasks collection.
pub const TASKS: &str = "/redfish/v1/TaskService/Tasks";

/// Prefix of task monitor URIs.
pub const MONITORS: &str = "/redfish/v1/TaskService/TaskMonitors";

/// The task's own URI (a subtask lives under its parent).
#[must_use]
pub fn task_uri(record: &TaskRecord) -> String {
    match record.parent {
        Some(parent) => format!("{TASKS}/{parent}/SubTasks/{}", record.id),
        None => format!("{TASKS}/{}", record.id),
    }
}

/// Renders `record` into a snapshot.
#[must_use]
pub fn snapshot(record: TaskRecord) -> Snapshot {
    let task = render(&record);
    // Serializing generated models cannot fail: all map keys are strings.
    let body = Bytes::from(serde_json::to_vec(&task).unwrap_or_default());
    let etag = Bytes::from(crate::etag::strong(&body));
    Snapshot { record, body, etag }
}

/// The generated `Task` model for a record.
#[must_use]
pub fn render(record: &TaskRecord) -> Task {
    let uri = task_uri(record);
    let payload = record
        .payload
        .as_ref()
        .filter(|_| !record.hide_payload)
        .map(|p| Payload {
            target_uri: Some(p.target_uri.clone()),
            http_operation: Some(p.http_operation.clone()),
            http_headers: Some(p.http_headers.clone()),
            json_body: Some(p.json_body.clone()),
        });
    let sub_tasks = (!record.children.is_empty()).then(|| ODataId {
        odata_id: format!("{uri}/SubTasks"),
    });
    Task {
        odata_id: Some(uri),
        odata_type: Some(Task::ODATA_TYPE.to_owned()),
        id: Some(record.id.to_string()),
        name: Some(record.name.clone()),
        task_state: Some(record.state),
        start_time: (!record.start_time.is_empty()).then(|| record.start_time.clone()),
        end_time: record.end_time.clone(),
        task_status: record.status().map(health),
        messages: Some(record.messages.iter().map(message).collect()),
        task_monitor: Some(format!("{MONITORS}/{}", record.monitor)),
        payload,
        hide_payload: Some(record.hide_payload),
        percent_complete: Some(Nullable::Value(i64::from(record.percent))),
        sub_tasks,
        estimated_duration: record
            .estimated_ms
            .map(|ms| Nullable::Value(iso_duration(ms))),
        ..Task::default()
    }
}

/// The generated `Message` model for a registry message.
#[must_use]
pub fn message(m: &RedfishMessage) -> Message {
    Message {
        message_id: Some(m.message_id.clone()),
        message: Some(m.message.clone()),
        message_args: Some(m.message_args.clone()),
        message_severity: Some(health(m.severity)),
        resolution: Some(m.resolution.clone()),
        related_properties: (!m.related_properties.is_empty())
            .then(|| m.related_properties.clone()),
        ..Message::default()
    }
}

/// Message severity as a Redfish `Health` value.
#[must_use]
pub fn health(severity: Severity) -> Health {
    match severity {
        Severity::Ok => Health::OK,
        Severity::Warning => Health::Warning,
        Severity::Critical => Health::Critical,
    }
}

/// A readable name for a job's task.
#[must_use]
pub fn job_name(job: &Job) -> String {
    match job {
        Job::Reset { machine, reset } => {
            let (kind, id) = match machine {
                super::job::MachineId::System(id) => ("system", id),
                super::job::MachineId::Manager(id) => ("manager", id),
            };
            format!("{} reset of {kind} {id}", reset.as_str())
        }
        Job::Synthetic(_) => "Synthetic test task".to_owned(),
    }
}

/// An ISO 8601 duration such as `PT8S` or `PT0.125S`.
#[must_use]
pub fn iso_duration(ms: u64) -> String {
    match (ms / 1000, ms % 1000) {
        (secs, 0) => format!("PT{secs}S"),
        (secs, frac) => format!("PT{secs}.{frac:03}S"),
    }
}

/// Unix milliseconds now.
#[must_use]
pub fn now_unix_ms() -> i64 {
    let millis = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    i64::try_from(millis).unwrap_or(i64::MAX)
}

/// Stamps the end of a task's work.
pub fn mark_ended(record: &mut TaskRecord) {
    record.end_time = Some(now_rfc3339());
    record.ended_at = Some(time::OffsetDateTime::now_utc().unix_timestamp());
}

/// The current time in RFC 3339 with a UTC offset, as Redfish wants it.
#[must_use]
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+00:00");
    now.format(&format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00+00:00".to_owned())
}
