//! The HTTP face of the service: Redfish error bodies, common headers,
//! ETags, query options and the single entry point every request goes
//! through ([`server`]). Handlers receive a [`Request`] and return a
//! [`Reply`]; nothing below this module knows about HTTP.

pub mod error;
pub mod query;
pub mod reply;
pub mod server;

pub use error::ApiError;

use axum::http::HeaderMap;
use bytes::Bytes;

use crate::routes::Method;

/// One request as the handlers see it: already routed, size-checked and
/// with its OData-Version and Content-Type validated.
#[derive(Debug, Clone)]
pub struct Request {
    /// The HTTP method (HEAD arrives as HEAD; handlers answer it like GET).
    pub method: Method,
    /// Path segments captured by the route template, in template order.
    pub params: Vec<String>,
    /// Request headers.
    pub headers: HeaderMap,
    /// The whole request body (bounded by the configured limit).
    pub body: Bytes,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// `$top`/`$skip`, already checked by the pipeline (default elsewhere
    /// than on collections).
    pub paging: query::Paging,
    /// The request path, without the query string.
    pub path: String,
}

impl Request {
    /// The `i`-th captured path segment, or `""` when the template has none.
    #[must_use]
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map_or("", String::as_str)
    }
}

/// Parses a request body that must be one JSON object.
///
/// # Errors
/// 400 `MalformedJSON` for unparsable JSON, 400 `UnrecognizedRequestBody`
/// for JSON that is not an object.
pub fn json_object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(vec![
            crate::registry::base::unrecognized_request_body(),
        ])),
        Err(_) => Err(ApiError::malformed_json()),
    }
}

/// What a handler answers: a finished response or a Redfish error.
pub type Reply = Result<axum::response::Response, ApiError>;
