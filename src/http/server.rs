//! The single entry point of every request, in six steps:
//! 1. open a tracing span (request id, method, path);
//! 2. check the protocol headers (`OData-Version`) and read the body within
//!    the size limit;
//! 3. route: the fixed documents and the task monitor first, then the
//!    generated route table;
//! 4. check query options and the body's media type;
//! 5. dispatch to the resource handlers;
//! 6. finish the response: `OData-Version`, `304` for a matching
//!    `If-None-Match`, no body for HEAD, and one completion event.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::registry::base;
use crate::resources::Service;
use crate::routes::{self, Method};

use super::{ApiError, Request, query, reply};

/// The only OData version this service speaks.
const ODATA_VERSION: HeaderValue = HeaderValue::from_static("4.0");

/// Builds the axum router: one fallback handler serves everything so that
/// routing, errors and headers follow the same path for every URI.
pub fn router(service: Arc<Service>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(service)
}

async fn handle(State(service): State<Arc<Service>>, request: axum::extract::Request) -> Response {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let request_id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    let method = request.method().clone();
    // Cloning a `Uri` shares its buffer; it is kept for the completion event.
    let uri = request.uri().clone();
    // The span is DEBUG so that at the default level a successful read costs
    // no log formatting; refusals and failures are logged with their own
    // fields below and so stand alone.
    let span =
        tracing::debug_span!("request", id = request_id, method = %method, path = uri.path());

    async move {
        let is_head = method == axum::http::Method::HEAD;
        let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
        let mut response = match answer(&service, request).await {
            Ok(response) => response,
            Err(err) => err.into_response(),
        };
        finish(&mut response, if_none_match.as_ref(), is_head);

        let status = response.status().as_u16();
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let path = uri.path();
        match status {
            500..=502 | 504.. => tracing::error!(id = request_id, %method, path, status, latency_us, "request failed"),
            // 503 is a refusal the client is told to retry (service
            // disabled, task limit), not a failure of the service.
            400..500 | 503 => tracing::warn!(id = request_id, %method, path, status, latency_us, "request refused"),
            _ => tracing::debug!(status, latency_us, "request done"),
        }
        response
    }
    .instrument(span)
    .await
}

/// Steps 2 to 5.
async fn answer(service: &Service, request: axum::extract::Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    check_odata_version(&parts.headers)?;
    let Some(method) = method_of(&parts.method) else {
        let allow = service.allow_for(parts.uri.path());
        let allow = allow.ok_or_else(|| ApiError::not_found(parts.uri.path()))?;
        return Err(ApiError::method_not_allowed(allow));
    };
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let limit = service.max_body_bytes();
    if declared_length(&parts.headers).is_some_and(|len| len > limit) {
        return Err(payload_too_large());
    }
    // A read without a body (the common case, polling) skips collecting it.
    let bodyless = matches!(method, Method::Get | Method::Head)
        && !parts.headers.contains_key(header::CONTENT_LENGTH)
        && !parts.headers.contains_key(header::TRANSFER_ENCODING);
    let body = if bodyless {
        bytes::Bytes::new()
    } else {
        axum::body::to_bytes(body, limit)
            .await
            .map_err(body_error)?
    };

    let req = Request {
        method,
        params: Vec::new(),
        headers: parts.headers,
        body,
        query,
        path,
        paging: query::Paging::default(),
    };
    // Monitors and fixed documents answer every write with 405 whatever
    // the body; the media type matters only to the resources below.
    if let Some(reply) = service.answer_fixed(&req).await {
        return reply;
    }
    if !req.body.is_empty() && matches!(method, Method::Post | Method::Patch | Method::Put) {
        check_json_media_type(&req.headers)?;
    }

    // Matched against the request's own URI, which outlives `req`.
    let path = parts.uri.path();
    let matched = routes::match_path(path).ok_or_else(|| ApiError::not_found(path))?;
    if matches!(matched.target, routes::Target::UnknownAction) {
        return Err(ApiError::not_found(path));
    }
    let is_collection = matched.route.odata_type.contains("Collection.");
    let paging = query::parse(req.query.as_deref(), is_collection)?;
    let params = (0..4)
        .map_while(|i| matched.params.get(i).map(str::to_owned))
        .collect();
    let req = Request {
        params,
        paging,
        ..req
    };
    let mut response = routes::dispatch(service, &matched, req).await?;
    if !response.headers().contains_key(header::ALLOW) {
        let allow = reply::allow_value(service.route_allow(&matched));
        response.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(response)
}

/// Step 6.
fn finish(response: &mut Response, if_none_match: Option<&HeaderValue>, is_head: bool) {
    let headers = response.headers_mut();
    headers.insert("OData-Version", ODATA_VERSION);
    let not_modified = response.status() == StatusCode::OK
        && matches!((if_none_match, response.headers().get(header::ETAG)),
            (Some(want), Some(have)) if etag_matches(want, have));
    if not_modified {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        *response.body_mut() = Body::empty();
        response.headers_mut().remove(header::CONTENT_TYPE);
    } else if is_head {
        // HEAD answers the headers GET would, Content-Length included:
        // say the length, then drop the body.
        let length = axum::body::HttpBody::size_hint(response.body()).exact();
        *response.body_mut() = Body::empty();
        if let Some(length) = length {
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        }
    }
}

/// `If-None-Match` holds `*` or a comma-separated list of ETags.
fn etag_matches(want: &HeaderValue, have: &HeaderValue) -> bool {
    let (Ok(want), Ok(have)) = (want.to_str(), have.to_str()) else {
        return false;
    };
    want.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == have)
}

fn check_odata_version(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get("OData-Version") {
        None => Ok(()),
        Some(v) if v.as_bytes() == b"4.0" => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            vec![base::header_invalid("OData-Version")],
        )),
    }
}

fn check_json_media_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            let essence = ct.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/json")
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            vec![base::header_invalid("Content-Type")],
        ))
    }
}

/// The Redfish method, or `None` for one Redfish does not use (OPTIONS...).
fn method_of(method: &axum::http::Method) -> Option<Method> {
    Some(match *method {
        axum::http::Method::GET => Method::Get,
        axum::http::Method::HEAD => Method::Head,
        axum::http::Method::POST => Method::Post,
        axum::http::Method::PUT => Method::Put,
        axum::http::Method::PATCH => Method::Patch,
        axum::http::Method::DELETE => Method::Delete,
        _ => return None,
    })
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// A body over the limit is 413; one that could not be read whole
/// (truncated, badly chunked) is the client's malformed request, 400.
fn body_error(err: axum::Error) -> ApiError {
    let inner = err.into_inner();
    if inner
        .downcast_ref::<http_body_util::LengthLimitError>()
        .is_some()
    {
        payload_too_large()
    } else {
        ApiError::bad_request(vec![base::unrecognized_request_body()])
    }
}

fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        vec![base::payload_too_large()],
    )
}
