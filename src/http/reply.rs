//! Building successful responses: JSON bodies with the Redfish headers,
//! cached bodies with their ETags, and `Allow` header values.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;

use crate::routes::{Method, ROUTES};

/// `application/json; charset=utf-8`, the only JSON media type we send.
pub const JSON: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

/// A response carrying `body` as JSON.
#[must_use]
pub fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    // Serializing a `Value` cannot fail: its keys are strings.
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    bytes_json(status, Bytes::from(bytes))
}

/// A response carrying pre-serialized JSON.
#[must_use]
pub fn bytes_json(status: StatusCode, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, JSON);
    response
}

/// A cached resource body with its ETag (already a valid header value).
#[must_use]
pub fn resource(body: Bytes, etag: &HeaderValue) -> Response {
    let mut response = bytes_json(StatusCode::OK, body);
    response.headers_mut().insert(header::ETAG, etag.clone());
    response
}

/// The strong ETag of `bytes` as a header value.
#[must_use]
pub fn etag_of(bytes: &[u8]) -> HeaderValue {
    HeaderValue::from_str(&crate::etag::strong(bytes)).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The `Allow` value for a method list. Lists taken from the generated route
/// table are rendered once and reused.
#[must_use]
pub fn allow_value(methods: &'static [Method]) -> HeaderValue {
    static CACHE: OnceLock<Vec<(usize, HeaderValue)>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        ROUTES
            .iter()
            .map(|r| (r.methods.as_ptr() as usize, render_allow(r.methods)))
            .collect()
    });
    let key = methods.as_ptr() as usize;
    cache
        .iter()
        .find(|(k, v)| *k == key && !v.is_empty())
        .map_or_else(|| render_allow(methods), |(_, v)| v.clone())
}

fn render_allow(methods: &[Method]) -> HeaderValue {
    let text: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
    HeaderValue::from_str(&text.join(", ")).unwrap_or(HeaderValue::from_static("GET, HEAD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_methods_in_order() {
        const M: &[Method] = &[Method::Get, Method::Head, Method::Delete];
        assert_eq!(allow_value(M), "GET, HEAD, DELETE");
    }
}
