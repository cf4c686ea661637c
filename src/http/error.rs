//! The one API error type. It turns into a DSP0266 error body:
//! `{"error": {"code", "message", "@Message.ExtendedInfo": [...]}}` with a
//! Base registry MessageId, the right status and, where the protocol asks
//! for them, `Allow` and `Retry-After`. Internal detail never reaches the
//! client; it is logged by the caller instead.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::registry::{RedfishMessage, base};
use crate::routes::Method;

use super::reply;

/// A request that ends in a Redfish error response.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    messages: Vec<RedfishMessage>,
    allow: Option<&'static [Method]>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with `status` explained by `messages` (at least one).
    #[must_use]
    pub fn new(status: StatusCode, messages: Vec<RedfishMessage>) -> Self {
        Self {
            status,
            messages,
            allow: None,
            retry_after: None,
        }
    }

    /// 400 with one or more Base messages about the request body.
    #[must_use]
    pub fn bad_request(messages: Vec<RedfishMessage>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, messages)
    }

    /// 404 ResourceMissingAtURI for `uri`.
    #[must_use]
    pub fn not_found(uri: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            vec![base::resource_missing_at_uri(uri)],
        )
    }

    /// 405 with `Allow` listing `allow`.
    #[must_use]
    pub fn method_not_allowed(allow: &'static [Method]) -> Self {
        let mut err = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            vec![base::operation_not_allowed()],
        );
        err.allow = Some(allow);
        err
    }

    /// 501 for something the schema allows but this service does not do.
    #[must_use]
    pub fn not_implemented() -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            vec![base::operation_not_allowed()],
        )
    }

    /// 500 InternalError; log the cause before calling this.
    #[must_use]
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            vec![base::internal_error()],
        )
    }

    /// 400 MalformedJSON.
    #[must_use]
    pub fn malformed_json() -> Self {
        Self::bad_request(vec![base::malformed_json()])
    }

    /// Adds a `Retry-After` header (whole seconds).
    #[must_use]
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Replaces the `Allow` list sent with the error.
    #[must_use]
    pub fn with_allow(mut self, allow: &'static [Method]) -> Self {
        self.allow = Some(allow);
        self
    }

    /// The HTTP status this error answers with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The MessageIds carried, for logs and tests.
    pub fn message_ids(&self) -> impl Iterator<Item = &str> {
        self.messages.iter().map(|m| m.message_id.as_str())
    }

    /// The DSP0266 error body.
    #[must_use]
    pub fn body(&self) -> serde_json::Value {
        RedfishMessage::error_body(&self.messages)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = reply::json(self.status, &self.body());
        let headers = response.headers_mut();
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, reply::allow_value(allow));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
