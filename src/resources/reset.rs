//! The reset actions of systems and managers: check the request, start the
//! reset as a task and answer `202 Accepted` with its monitor.

use axum::http::StatusCode;

use crate::engine::EngineError;
use crate::engine::job::{Job, MachineId};
use crate::engine::machine::{PowerState, ResetType};
use crate::engine::task::TaskPayload;
use crate::http::{ApiError, Reply, Request};
use crate::model::resource;
use crate::model::support::{ActionTarget, Nullable};
use crate::registry::base;
use crate::routes::{Action, ROUTES};

use super::action::{self, Accept};
use super::{Service, task_monitor};

/// The only request headers recorded in a task payload. An allowlist, not
/// a blocklist: credentials travel in many headers (`Authorization`,
/// `Cookie`, `X-Auth-Token`, vendor ones), and none of these carries one.
const PAYLOAD_HEADERS: &[&str] = &[
    "accept",
    "content-type",
    "content-length",
    "odata-version",
    "if-match",
    "if-none-match",
    "user-agent",
];

/// Runs a reset action on `machine`, offering the reset types `offered`.
pub async fn start(
    service: &Service,
    req: &Request,
    action: &str,
    machine: MachineId,
    offered: &[&str],
) -> Reply {
    if !service.engine.has_machine(&machine) {
        return Err(ApiError::not_found(&req.path));
    }
    let action = find_action(action).ok_or_else(|| {
        tracing::error!(action, "action missing from the generated route table");
        ApiError::internal()
    })?;
    let accept = [Accept {
        name: "ResetType",
        required: true,
        allowed: Some(offered),
    }];
    let params = action::parse(action, &accept, &req.body)?;
    let reset = params
        .get("ResetType")
        .and_then(serde_json::Value::as_str)
        .and_then(ResetType::from_name)
        .ok_or_else(|| {
            ApiError::bad_request(vec![base::action_parameter_missing(
                action.name,
                "ResetType",
            )])
        })?;

    let job = Job::Reset { machine, reset };
    let payload = payload(req);
    match service
        .engine
        .call(move |e| e.start(job, Some(payload)))
        .await
    {
        Ok(snapshot) => Ok(task_monitor::accepted(&snapshot, service.retry_after)),
        Err(err) => Err(refusal(err, reset, service.retry_after)),
    }
}

/// The `Actions` entry of a reset: its target and offered reset types.
#[must_use]
pub fn target(resource_uri: &str, action: &str, offered: &[&str]) -> ActionTarget {
    let mut annotations = serde_json::Map::new();
    annotations.insert(
        "ResetType@Redfish.AllowableValues".to_owned(),
        offered.into(),
    );
    ActionTarget {
        target: format!("{resource_uri}/Actions/{action}"),
        annotations,
    }
}

/// A machine model power state as the schema's `PowerState`.
#[must_use]
pub fn power_state(power: PowerState) -> Nullable<resource::PowerState> {
    resource::PowerState::from_name(power.as_str()).map_or(Nullable::Null, Nullable::Value)
}

/// `Status` of a simulated machine: enabled and healthy.
#[must_use]
pub fn healthy() -> resource::Status {
    resource::Status {
        state: Some(Nullable::Value(resource::State::Enabled)),
        health: Some(Nullable::Value(resource::Health::OK)),
        ..resource::Status::default()
    }
}

/// The generated description of an action, by its full name.
fn find_action(name: &str) -> Option<&'static Action> {
    ROUTES
        .iter()
        .flat_map(|r| r.actions.iter())
        .find(|a| a.name == name)
}

/// The Task `Payload` for a request, without credentials.
#[must_use]
pub fn payload(req: &Request) -> TaskPayload {
    let http_headers = req
        .headers
        .iter()
        .filter(|(name, _)| PAYLOAD_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, value)| value.to_str().ok().map(|v| format!("{name}: {v}")))
        .collect();
    TaskPayload {
        target_uri: req.path.clone(),
        http_operation: req.method.as_str().to_owned(),
        http_headers,
        json_body: String::from_utf8_lossy(&req.body).into_owned(),
    }
}

fn refusal(err: EngineError, reset: ResetType, retry_after: u64) -> ApiError {
    match err {
        EngineError::Busy { task } => {
            tracing::info!(busy_with = task, "reset refused: machine busy");
            ApiError::new(StatusCode::CONFLICT, vec![base::resource_in_use()])
                .with_retry_after(retry_after)
        }
        EngineError::Refused(why) => {
            tracing::info!(reason = %why, "reset refused");
            let msg = base::action_parameter_value_conflict("ResetType", reset.as_str());
            ApiError::new(
                StatusCode::CONFLICT,
                vec![msg.with_related_property("#/ResetType")],
            )
        }
        other => super::task_service::refused_work(&other, retry_after).unwrap_or_else(|| {
            tracing::error!(error = %other, "reset could not start");
            ApiError::internal()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    #[test]
    fn payload_leaves_out_credentials() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Basic eDp5"));
        headers.insert("x-auth-token", HeaderValue::from_static("secret"));
        headers.insert("cookie", HeaderValue::from_static("a=b"));
        headers.insert("x-password", HeaderValue::from_static("hunter2"));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let req = Request {
            method: crate::routes::Method::Post,
            params: Vec::new(),
            headers,
            body: bytes::Bytes::from_static(b"{}"),
            query: None,
            paging: crate::http::query::Paging::default(),
            path: "/x".into(),
        };
        assert_eq!(
            payload(&req).http_headers,
            vec!["content-type: application/json"]
        );
    }
}
