//! Resource handlers, one file per resource family. Each implements the
//! generated handler trait of its resources: parse, ask the engine, answer.
//! Handlers stay thin; the lifecycle lives in [`crate::engine`].

pub mod action;
pub mod documents;
pub mod manager;
pub mod patch;
pub mod reset;
pub mod service_root;
pub mod session;
pub mod synthetic;
pub mod system;
pub mod task;
pub mod task_monitor;
pub mod task_service;

use axum::http::StatusCode;
use serde::Serialize;

use crate::config::Config;
use crate::engine::Engine;
use crate::http::{ApiError, Reply, Request, reply};
use crate::routes::{self, Matched, Method, Target};

/// The id of the one simulated ComputerSystem.
pub const SYSTEM_ID: &str = "1";

/// The id of the one simulated Manager.
pub const MANAGER_ID: &str = "BMC";

/// Everything a handler needs: the engine and the service's settings.
#[derive(Debug)]
pub struct Service {
    /// The task engine.
    pub engine: Engine,
    /// Whether the synthetic-task aid is on.
    pub test_tasks: bool,
    /// `Retry-After` seconds for running work.
    pub retry_after: u64,
    /// Request body limit in bytes.
    pub max_body_bytes: usize,
    /// The service UUID.
    pub uuid: String,
}

impl Service {
    /// Builds the service over an engine.
    #[must_use]
    pub fn new(engine: Engine, config: &Config, uuid: String) -> Self {
        Self {
            engine,
            test_tasks: config.test_tasks,
            retry_after: config.retry_after_seconds,
            max_body_bytes: config.max_body_bytes,
            uuid,
        }
    }

    /// Request body limit in bytes.
    #[must_use]
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Answers the URIs that are not schema resources: the version
    /// document, `$metadata`, the OData and OpenAPI documents, schema files
    /// and task monitors. `None` means "not one of these".
    pub async fn answer_fixed(&self, req: &Request) -> Option<Reply> {
        let path = req.path.as_str();
        if let Some(token) = path.strip_prefix(task_monitor::PREFIX) {
            let token = token.trim_end_matches('/');
            return Some(task_monitor::answer(&self.engine, req, token, self.retry_after).await);
        }
        let reply = match fixed_document(path)? {
            Fixed::Document(document) => read_only(req).and_then(|()| document()),
            Fixed::SchemaFile(file) => {
                read_only(req).and_then(|()| documents::schema_file(path, file))
            }
        };
        Some(reply.map(|mut response| {
            let allow = reply::allow_value(documents::READ_ONLY);
            response
                .headers_mut()
                .insert(axum::http::header::ALLOW, allow);
            response
        }))
    }

    /// The methods a URI accepts now, or `None` for an unknown URI.
    #[must_use]
    pub fn allow_for(&self, path: &str) -> Option<&'static [Method]> {
        if let Some(token) = path.strip_prefix(task_monitor::PREFIX) {
            return Some(task_monitor::allow_for(
                &self.engine,
                token.trim_end_matches('/'),
            ));
        }
        if fixed_document(path).is_some() {
            return Some(documents::READ_ONLY);
        }
        routes::match_path(path).map(|m| self.route_allow(&m))
    }

    /// The methods a routed URI accepts: its served methods. The
    /// synthetic-task aid's POST on Tasks is deliberately not advertised:
    /// the schema forbids POST there, and `Allow` speaks for the schema's
    /// resource, not for a test extension.
    #[must_use]
    pub fn route_allow(&self, matched: &Matched<'_>) -> &'static [Method] {
        const READ_ONLY: &[Method] = &[Method::Get, Method::Head];
        match matched.target {
            Target::Action(_) | Target::UnknownAction => routes::ACTION_METHODS,
            // A subtask is removed with its parent, never on its own.
            Target::Resource
                if matched.route.resource == routes::Resource::Task && matched.params.len() > 1 =>
            {
                READ_ONLY
            }
            Target::Resource => matched.route.methods,
        }
    }
}

/// A fixed (non-schema) document URI.
enum Fixed<'a> {
    Document(fn() -> Reply),
    SchemaFile(&'a str),
}

fn fixed_document(path: &str) -> Option<Fixed<'_>> {
    Some(match path.trim_end_matches('/') {
        "/redfish" => Fixed::Document(documents::version_document),
        "/redfish/v1/$metadata" => Fixed::Document(documents::metadata),
        "/redfish/v1/odata" => Fixed::Document(documents::odata_document),
        "/redfish/v1/openapi.yaml" => Fixed::Document(documents::openapi),
        other => Fixed::SchemaFile(other.strip_prefix("/redfish/v1/schema/")?),
    })
}

/// Refuses anything but GET and HEAD on a fixed document.
fn read_only(req: &Request) -> Result<(), ApiError> {
    match req.method {
        Method::Get | Method::Head => Ok(()),
        _ => Err(ApiError::method_not_allowed(documents::READ_ONLY)),
    }
}

/// Serializes a model rendered on demand, with its ETag.
fn render<T: Serialize>(model: &T) -> Reply {
    let body = serde_json::to_vec(model).map_err(|err| {
        tracing::error!(error = %err, "could not serialize a resource");
        ApiError::internal()
    })?;
    let etag = reply::etag_of(&body);
    Ok(reply::resource(body.into(), &etag))
}

/// A `200 OK` with a success message, for synchronous actions.
#[must_use]
pub fn success() -> axum::response::Response {
    let info = vec![crate::registry::base::success().to_json()];
    reply::json(
        StatusCode::OK,
        &serde_json::json!({ "@Message.ExtendedInfo": info }),
    )
}

/// Builds a collection body.
fn collection(odata_id: &str, odata_type: &str, name: &str, members: Vec<String>) -> Reply {
    let members: Vec<_> = members
        .into_iter()
        .map(|m| serde_json::json!({ "@odata.id": m }))
        .collect();
    render(&serde_json::json!({
        "@odata.id": odata_id,
        "@odata.type": odata_type,
        "Name": name,
        "Members@odata.count": members.len(),
        "Members": members,
    }))
}
