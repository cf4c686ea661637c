//! Task monitors: the opaque URI a client polls after a `202 Accepted`.
//!
//! While the work runs, every read answers `202` with `Location`,
//! `Retry-After` and the current Task. Once the work is over, every read
//! answers what the request would have answered synchronously. `DELETE`
//! cancels work that can be cancelled; the monitor is then gone (`410`).
//! Any other method is `405`, leaving the task exactly as it was.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::engine::{Engine, EngineError, MonitorLookup, Snapshot};
use crate::http::{ApiError, Reply, Request, reply};
use crate::registry::base;
use crate::routes::Method;

/// Path prefix of every monitor URI.
pub const PREFIX: &str = "/redfish/v1/TaskService/TaskMonitors/";

const CAN_CANCEL: &[Method] = &[Method::Get, Method::Head, Method::Delete];
const READ_ONLY: &[Method] = &[Method::Get, Method::Head];

/// The monitor URI of a task.
#[must_use]
pub fn uri(snapshot: &Snapshot) -> String {
    format!("{PREFIX}{}", snapshot.record.monitor)
}

/// The `202 Accepted` answer for running work: Location, Retry-After and
/// the current Task.
#[must_use]
pub fn accepted(snapshot: &Snapshot, retry_after: u64) -> Response {
    let mut response = reply::bytes_json(StatusCode::ACCEPTED, snapshot.body.clone());
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&uri(snapshot)) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    headers.insert(header::ALLOW, reply::allow_value(allow(snapshot)));
    response
}

/// Answers any request on a monitor URI.
pub async fn answer(engine: &Engine, req: &Request, token: &str, retry_after: u64) -> Reply {
    let snapshot = match engine.monitor(token) {
        MonitorLookup::Live(snapshot) => snapshot,
        MonitorLookup::Gone => return Err(gone(&req.path)),
        MonitorLookup::Unknown => return Err(ApiError::not_found(&req.path)),
    };
    match req.method {
        Method::Get | Method::Head => {
            // Only a GET delivers the result; a HEAD does not start expiry.
            let delivered = req.method == Method::Get && snapshot.record.outcome.is_some();
            if delivered && snapshot.record.monitor_read_at.is_none() {
                let id = snapshot.record.id;
                let noted = engine.call(move |e| {
                    e.note_monitor_read(id);
                    Ok(())
                });
                noted.await.ok();
            }
            Ok(read(&snapshot, retry_after))
        }
        Method::Delete => cancel(engine, &snapshot).await,
        Method::Post | Method::Put | Method::Patch => {
            Err(ApiError::method_not_allowed(allow(&snapshot)))
        }
    }
}

fn read(snapshot: &Snapshot, retry_after: u64) -> Response {
    let Some(outcome) = &snapshot.record.outcome else {
        return accepted(snapshot, retry_after);
    };
    let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::OK);
    let mut response = reply::json(status, &outcome.body);
    if let Some(seconds) = outcome.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
        .headers_mut()
        .insert(header::ALLOW, reply::allow_value(READ_ONLY));
    response
}

async fn cancel(engine: &Engine, snapshot: &Snapshot) -> Reply {
    let id = snapshot.record.id;
    match engine.call(move |e| e.cancel(id)).await {
        Ok(_) => {
            let mut response = Response::new(axum::body::Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            Ok(response)
        }
        Err(EngineError::NotCancellable) => Err(ApiError::method_not_allowed(READ_ONLY)),
        Err(EngineError::NotFound) => Err(gone(&uri(snapshot))),
        Err(err) => {
            tracing::error!(task = snapshot.record.id, error = %err, "cancel failed");
            Err(ApiError::internal())
        }
    }
}

/// The methods the monitor `token` accepts now (GET and HEAD once it is
/// gone, so a client learns what it could have done).
#[must_use]
pub fn allow_for(engine: &Engine, token: &str) -> &'static [Method] {
    match engine.monitor(token) {
        MonitorLookup::Live(snapshot) => allow(&snapshot),
        MonitorLookup::Gone | MonitorLookup::Unknown => READ_ONLY,
    }
}

fn allow(snapshot: &Snapshot) -> &'static [Method] {
    if snapshot.record.can_cancel() {
        CAN_CANCEL
    } else {
        READ_ONLY
    }
}

fn gone(path: &str) -> ApiError {
    ApiError::new(StatusCode::GONE, vec![base::resource_missing_at_uri(path)])
}
