//! The TaskService singleton: its live settings (read and `PATCH`), the
//! `#TaskService.DeleteAllCompletedTasks` action, and the answer given to
//! new work the service does not admit (disabled, or at its task limit).
//!
//! The resource's ETag covers everything but the live `DateTime`, so it
//! changes exactly when a setting does and an `If-Match` taken from a `GET`
//! stays valid until then.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::Value;

use crate::engine::EngineError;
use crate::engine::settings::{Settings, SettingsChange, TaskLimit};
use crate::engine::view::{TASKS, now_rfc3339};
use crate::http::{ApiError, Reply, Request, reply};
use crate::model::resource;
use crate::model::support::{ActionTarget, Nullable, ODataId};
use crate::model::task_service::{Actions, TaskService};
use crate::registry::base;
use crate::routes::{TASK_SERVICE_ACTIONS, TaskServiceHandler};

use super::patch::PatchSpec;
use super::{Service, action, reset};

/// URI of the TaskService.
pub const TASK_SERVICE: &str = "/redfish/v1/TaskService";

/// Full name of the one action served here.
const DELETE_ALL_COMPLETED: &str = "TaskService.DeleteAllCompletedTasks";

impl TaskServiceHandler for Service {
    async fn get_task_service(&self, _req: Request) -> Reply {
        Ok(self.task_service_response())
    }

    async fn patch_task_service(&self, req: Request) -> Reply {
        let if_match = if_match(&req.headers);
        if !self.etag_matches(if_match.as_deref()) {
            return Err(precondition_failed());
        }

        let accepted = spec().check(&req.body)?;
        let change = to_change(accepted)?;

        let limit = self.engine.task_limit();
        let result = self
            .engine
            .call(move |e| {
                let unchanged = |s: &Settings| matches(if_match.as_deref(), &etag(*s, limit));
                e.change_settings(unchanged, change)
            })
            .await;
        match result {
            Ok(_) => Ok(self.task_service_response()),
            Err(EngineError::PreconditionFailed) => Err(precondition_failed()),
            Err(err) => {
                tracing::error!(error = %err, "task service settings not changed");
                Err(ApiError::internal())
            }
        }
    }

    async fn action_task_service_delete_all_completed_tasks(&self, req: Request) -> Reply {
        let action = TASK_SERVICE_ACTIONS
            .iter()
            .find(|a| a.name == DELETE_ALL_COMPLETED)
            .ok_or_else(|| {
                tracing::error!("action missing from the generated route table");
                ApiError::internal()
            })?;
        action::parse(action, &[], &req.body)?;

        match self.engine.call(|e| e.delete_completed()).await {
            Ok(deleted) => {
                tracing::info!(deleted, "completed tasks deleted on request");
                Ok(super::success())
            }
            Err(err) => {
                tracing::error!(error = %err, "completed tasks not all deleted");
                Err(ApiError::internal())
            }
        }
    }
}

impl Service {
    /// `200` with the TaskService and its settings ETag.
    fn task_service_response(&self) -> axum::response::Response {
        let settings = self.engine.settings();
        let limit = self.engine.task_limit();
        let model = body(settings, limit, Some(now_rfc3339()));
        // Serializing a generated model cannot fail: all keys are strings.
        let bytes = serde_json::to_vec(&model).unwrap_or_default();
        reply::resource(bytes.into(), &etag(settings, limit))
    }

    fn etag_matches(&self, if_match: Option<&str>) -> bool {
        matches(
            if_match,
            &etag(self.engine.settings(), self.engine.task_limit()),
        )
    }
}

/// The answer to new asynchronous work the TaskService does not admit:
/// `503` with `Retry-After` and `ServiceDisabled` or
/// `CreateLimitReachedForResource`. `None` for any other engine error.
#[must_use]
pub fn refused_work(err: &EngineError, retry_after: u64) -> Option<ApiError> {
    let message = match err {
        EngineError::ServiceDisabled => base::service_disabled(TASK_SERVICE),
        EngineError::TaskLimitReached => base::create_limit_reached_for_resource(),
        _ => return None,
    };
    tracing::info!(reason = %err, "new work refused");
    let error = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, vec![message]);
    Some(error.with_retry_after(retry_after))
}

/// The TaskService as the model; `date_time` is left out for the ETag.
fn body(settings: Settings, limit: TaskLimit, date_time: Option<String>) -> TaskService {
    let retention = settings.retention;
    TaskService {
        odata_id: Some(TASK_SERVICE.to_owned()),
        odata_type: Some(TaskService::ODATA_TYPE.to_owned()),
        id: Some("TaskService".to_owned()),
        name: Some("Task Service".to_owned()),
        service_enabled: Some(Nullable::Value(settings.service_enabled)),
        date_time: date_time.map(Nullable::Value),
        completed_task_over_write_policy: Some(limit.policy),
        // There is no event service: no events are sent.
        life_cycle_event_on_task_state_change: Some(false),
        status: Some(status(settings.service_enabled)),
        tasks: Some(ODataId::new(TASKS)),
        actions: Some(Actions {
            task_service_delete_all_completed_tasks: Some(ActionTarget {
                target: format!("{TASK_SERVICE}/Actions/{DELETE_ALL_COMPLETED}"),
                annotations: serde_json::Map::new(),
            }),
            ..Actions::default()
        }),
        task_auto_delete_timeout_minutes: Some(saturate(retention.task_minutes)),
        task_monitor_auto_expiry_seconds: Some(
            retention
                .monitor_seconds
                .map_or(Nullable::Null, |s| Nullable::Value(saturate(s))),
        ),
        ..TaskService::default()
    }
}

/// The ETag: the body without `DateTime`, hashed.
fn etag(settings: Settings, limit: TaskLimit) -> HeaderValue {
    let bytes = serde_json::to_vec(&body(settings, limit, None)).unwrap_or_default();
    reply::etag_of(&bytes)
}

/// What a PATCH may write: the three settings, `null` only for the monitor
/// expiry ("never").
fn spec() -> PatchSpec {
    let example = TaskService {
        service_enabled: Some(Nullable::Value(true)),
        task_auto_delete_timeout_minutes: Some(1),
        task_monitor_auto_expiry_seconds: Some(Nullable::Null),
        ..TaskService::default()
    };
    PatchSpec::new(TaskService::PROPERTIES, &example)
}

/// The engine change for checked PATCH properties.
fn to_change(accepted: serde_json::Map<String, Value>) -> Result<SettingsChange, ApiError> {
    let model: TaskService = serde_json::from_value(Value::Object(accepted)).map_err(|err| {
        tracing::warn!(error = %err, "checked PATCH body did not decode");
        ApiError::bad_request(vec![base::unrecognized_request_body()])
    })?;
    Ok(SettingsChange {
        service_enabled: model.service_enabled.and_then(Nullable::into_option),
        task_minutes: model.task_auto_delete_timeout_minutes.map(unsigned),
        monitor_seconds: model
            .task_monitor_auto_expiry_seconds
            .map(|n| n.into_option().map(unsigned)),
    })
}

/// The `If-Match` list, if sent: every `If-Match` header, joined, since a
/// list may come as one header or as several.
fn if_match(headers: &HeaderMap) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(header::IF_MATCH)
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// RFC 9110 `If-Match`: absent, `*`, or a list holding the current ETag
/// (strong comparison: a weak tag never matches).
fn matches(if_match: Option<&str>, current: &HeaderValue) -> bool {
    let Some(list) = if_match else { return true };
    let current = current.to_str().unwrap_or("");
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == current)
}

/// `Status`: `Enabled` or, with `ServiceEnabled` false, `Disabled`.
fn status(enabled: bool) -> resource::Status {
    let state = if enabled {
        resource::State::Enabled
    } else {
        resource::State::Disabled
    };
    resource::Status {
        state: Some(Nullable::Value(state)),
        ..reset::healthy()
    }
}

fn precondition_failed() -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        vec![base::precondition_failed()],
    )
}

fn saturate(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Checked values are at least their schema minimum (0 or 1).
fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
