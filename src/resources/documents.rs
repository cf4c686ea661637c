//! Fixed documents: the version document at `/redfish`, `$metadata`, the
//! OData service document, the OpenAPI document and the CSDL files that
//! `$metadata` refers to. All are built once and served from memory.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;

use crate::http::{ApiError, Reply, reply};
use crate::schema_docs;

/// Methods every fixed document answers.
pub const READ_ONLY: &[crate::routes::Method] =
    &[crate::routes::Method::Get, crate::routes::Method::Head];

/// `GET /redfish`: where version 1 of the API lives.
pub fn version_document() -> Reply {
    static DOC: OnceLock<(Bytes, HeaderValue)> = OnceLock::new();
    let (body, etag) = DOC.get_or_init(|| json_doc(&serde_json::json!({ "v1": "/redfish/v1/" })));
    Ok(reply::resource(body.clone(), etag))
}

/// `GET /redfish/v1/odata`: the OData service document listing the
/// service root's top-level resources.
pub fn odata_document() -> Reply {
    static DOC: OnceLock<(Bytes, HeaderValue)> = OnceLock::new();
    let (body, etag) = DOC.get_or_init(|| {
        let entries: Vec<_> = super::service_root::TOP_LEVEL
            .iter()
            .map(|(name, url)| serde_json::json!({ "name": name, "kind": "Singleton", "url": url }))
            .chain([serde_json::json!({ "name": "Service", "kind": "Singleton", "url": "/redfish/v1/" })])
            .collect();
        json_doc(&serde_json::json!({
            "@odata.context": "/redfish/v1/$metadata",
            "value": entries,
        }))
    });
    Ok(reply::resource(body.clone(), etag))
}

/// `GET /redfish/v1/$metadata`.
pub fn metadata() -> Reply {
    static ETAG: OnceLock<HeaderValue> = OnceLock::new();
    let bytes = schema_docs::METADATA_XML.as_bytes();
    Ok(static_doc(
        bytes,
        "application/xml",
        ETAG.get_or_init(|| reply::etag_of(bytes)),
    ))
}

/// `GET /redfish/v1/openapi.yaml`.
pub fn openapi() -> Reply {
    static ETAG: OnceLock<HeaderValue> = OnceLock::new();
    let bytes = schema_docs::OPENAPI_YAML.as_bytes();
    Ok(static_doc(
        bytes,
        "application/yaml",
        ETAG.get_or_init(|| reply::etag_of(bytes)),
    ))
}

/// `GET /redfish/v1/schema/{file}`: one of the CSDL files `$metadata` names.
pub fn schema_file(path: &str, file: &str) -> Reply {
    static ETAGS: OnceLock<Vec<HeaderValue>> = OnceLock::new();
    let etags = ETAGS.get_or_init(|| {
        schema_docs::SCHEMA_FILES
            .iter()
            .map(|(_, b)| reply::etag_of(b))
            .collect()
    });
    schema_docs::SCHEMA_FILES
        .iter()
        .zip(etags)
        .find(|((name, _), _)| *name == file)
        .map(|((_, bytes), etag)| static_doc(bytes, "application/xml", etag))
        .ok_or_else(|| ApiError::not_found(path))
}

fn json_doc(value: &serde_json::Value) -> (Bytes, HeaderValue) {
    let body = Bytes::from(serde_json::to_vec(value).unwrap_or_default());
    let etag = reply::etag_of(&body);
    (body, etag)
}

fn static_doc(bytes: &'static [u8], content_type: &'static str, etag: &HeaderValue) -> Response {
    let mut response = Response::new(Body::from(Bytes::from_static(bytes)));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::ETAG, etag.clone());
    response
}
