//! Tasks: the Tasks collection, each Task, a task's SubTasks collection,
//! and the opt-in synthetic-task aid on `POST .../Tasks`.
//!
//! A Task is always read with `200`, running or not; only its monitor
//! answers `202`. `DELETE` on a finished Task removes it; on running work
//! that can be cancelled it cancels it (the Task stays, `Cancelling` then
//! `Cancelled`); on running work that cannot be cancelled it is `409`.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::engine::view::TASKS;
use crate::engine::{EngineError, Snapshot};
use crate::http::{ApiError, Reply, Request, reply};
use crate::model::task_collection::TaskCollection;
use crate::registry::base;
use crate::routes::{Method, TaskCollectionHandler, TaskHandler};

use super::{Service, render, synthetic, task_monitor};

impl TaskCollectionHandler for Service {
    async fn get_task_collection(&self, req: Request) -> Reply {
        let paging = req.paging;
        let (uri, members) = match req.params.first() {
            None => (TASKS.to_owned(), self.engine.task_ids()),
            Some(parent) => {
                let parent = self.top_level(parent, &req.path)?;
                if parent.record.children.is_empty() {
                    return Err(ApiError::not_found(&req.path));
                }
                (
                    format!("{TASKS}/{}/SubTasks", parent.record.id),
                    parent.record.children.clone(),
                )
            }
        };
        let total = members.len();
        let window: Vec<_> = members
            .iter()
            .skip(paging.skip)
            .take(paging.top.unwrap_or(usize::MAX))
            .map(|id| serde_json::json!({ "@odata.id": format!("{uri}/{id}") }))
            .collect();
        let mut body = serde_json::json!({
            "@odata.id": uri,
            "@odata.type": TaskCollection::ODATA_TYPE,
            "Name": "Task Collection",
            "Members@odata.count": total,
            "Members": window,
        });
        // The next page has the same size as the one asked for; `$top=0`
        // asks for no members, so there is no next page.
        let shown = paging.skip.saturating_add(window.len());
        if let Some(top) = paging.top.filter(|t| *t > 0 && shown < total) {
            body["Members@odata.nextLink"] =
                serde_json::json!(format!("{uri}?$skip={shown}&$top={top}"));
        }
        render(&body)
    }

    async fn post_task_collection(&self, req: Request) -> Reply {
        if !self.test_tasks || !req.params.is_empty() {
            return Err(ApiError::method_not_allowed(READ_ONLY));
        }
        let job = synthetic::parse(&req.body)?;
        let payload = super::reset::payload(&req);
        let job = crate::engine::job::Job::Synthetic(job);
        match self.engine.call(move |e| e.start(job, Some(payload))).await {
            Ok(snapshot) => Ok(task_monitor::accepted(&snapshot, self.retry_after)),
            Err(err) => Err(super::task_service::refused_work(&err, self.retry_after)
                .unwrap_or_else(|| {
                    tracing::error!(error = %err, "synthetic task could not start");
                    ApiError::internal()
                })),
        }
    }
}

impl TaskHandler for Service {
    async fn get_task(&self, req: Request) -> Reply {
        let snapshot = self.addressed(&req)?;
        Ok(task_response(&snapshot, StatusCode::OK))
    }

    async fn delete_task(&self, req: Request) -> Reply {
        let snapshot = self.addressed(&req)?;
        let id = snapshot.record.id;
        if snapshot.record.parent.is_some() {
            // Subtasks are part of their parent: removed and cancelled with it.
            let refusal = vec![base::resource_cannot_be_deleted()];
            return Err(
                ApiError::new(StatusCode::METHOD_NOT_ALLOWED, refusal).with_allow(READ_ONLY)
            );
        }
        if snapshot.record.is_terminal() {
            return match self.engine.call(move |e| e.delete(id)).await {
                Ok(()) => Ok(empty(StatusCode::NO_CONTENT)),
                Err(EngineError::NotFound) => Err(ApiError::not_found(&req.path)),
                Err(err) => Err(internal(&err)),
            };
        }
        match self.engine.call(move |e| e.cancel(id)).await {
            Ok(snapshot) => Ok(task_response(&snapshot, StatusCode::OK)),
            Err(EngineError::NotCancellable) => Err(ApiError::new(
                StatusCode::CONFLICT,
                vec![base::resource_in_use()],
            )
            .with_retry_after(self.retry_after)),
            Err(EngineError::NotFound) => Err(ApiError::not_found(&req.path)),
            Err(err) => Err(internal(&err)),
        }
    }
}

const READ_ONLY: &[Method] = &[Method::Get, Method::Head];

impl Service {
    /// The task a Task URI names: `/Tasks/{id}` for top-level tasks,
    /// `/Tasks/{parent}/SubTasks/{id}` for subtasks.
    fn addressed(&self, req: &Request) -> Result<Arc<Snapshot>, ApiError> {
        match req.params.as_slice() {
            [id] => self.top_level(id, &req.path),
            [parent, child] => {
                let parent = self.top_level(parent, &req.path)?;
                let child = canonical_id(child).ok_or_else(|| ApiError::not_found(&req.path))?;
                if !parent.record.children.contains(&child) {
                    return Err(ApiError::not_found(&req.path));
                }
                self.engine
                    .task(child)
                    .ok_or_else(|| ApiError::not_found(&req.path))
            }
            _ => Err(ApiError::not_found(&req.path)),
        }
    }

    fn top_level(&self, id: &str, path: &str) -> Result<Arc<Snapshot>, ApiError> {
        let id = canonical_id(id).ok_or_else(|| ApiError::not_found(path))?;
        self.engine
            .task(id)
            .filter(|s| s.record.parent.is_none())
            .ok_or_else(|| ApiError::not_found(path))
    }
}

/// A task id as the service writes it (no sign, no leading zeros), so each
/// task has exactly one URI.
fn canonical_id(text: &str) -> Option<u64> {
    let id: u64 = text.parse().ok()?;
    (id.to_string() == text).then_some(id)
}

/// The Task body with its ETag.
fn task_response(snapshot: &Snapshot, status: StatusCode) -> Response {
    let mut response = reply::bytes_json(status, snapshot.body.clone());
    if let Ok(etag) = HeaderValue::from_maybe_shared(snapshot.etag.clone()) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = status;
    response
}

fn internal(err: &EngineError) -> ApiError {
    tracing::error!(error = %err, "task change failed");
    ApiError::internal()
}
