//! The service root (`/redfish/v1`): version, identity, links to the
//! top-level services and an honest list of supported protocol features.

use std::sync::OnceLock;

use axum::http::HeaderValue;
use bytes::Bytes;

use crate::http::{Reply, Request, reply};
use crate::model::service_root::{
    DeepOperations, Expand, Links, ProtocolFeaturesSupported, ServiceRoot,
};
use crate::model::support::{Nullable, ODataId};
use crate::routes::ServiceRootHandler;

use super::Service;

/// The DSP0266 version this service implements.
pub const REDFISH_VERSION: &str = "1.21.0";

const SYSTEMS: &str = "/redfish/v1/Systems";
const MANAGERS: &str = "/redfish/v1/Managers";
const TASK_SERVICE: &str = "/redfish/v1/TaskService";
const SESSION_SERVICE: &str = "/redfish/v1/SessionService";
const SESSIONS: &str = "/redfish/v1/SessionService/Sessions";

/// Top-level resources linked from the root, by their property name in the
/// root (the OData service document lists them).
pub const TOP_LEVEL: &[(&str, &str)] = &[
    ("Systems", SYSTEMS),
    ("Managers", MANAGERS),
    ("Tasks", TASK_SERVICE),
    ("SessionService", SESSION_SERVICE),
];

impl ServiceRootHandler for Service {
    async fn get_service_root(&self, _req: Request) -> Reply {
        static BODY: OnceLock<(Bytes, HeaderValue)> = OnceLock::new();
        let (body, etag) = BODY.get_or_init(|| {
            let bytes = Bytes::from(serde_json::to_vec(&root(&self.uuid)).unwrap_or_default());
            let etag = reply::etag_of(&bytes);
            (bytes, etag)
        });
        Ok(reply::resource(body.clone(), etag))
    }
}

fn root(uuid: &str) -> ServiceRoot {
    let link = |uri: &str| Some(ODataId::new(uri));
    ServiceRoot {
        odata_id: Some("/redfish/v1".to_owned()),
        odata_type: Some(ServiceRoot::ODATA_TYPE.to_owned()),
        id: Some("RootService".to_owned()),
        name: Some("Root Service".to_owned()),
        redfish_version: Some(REDFISH_VERSION.to_owned()),
        uuid: Some(Nullable::Value(uuid.to_owned())),
        product: Some(Nullable::Value("taskfish".to_owned())),
        systems: link(SYSTEMS),
        managers: link(MANAGERS),
        tasks: link(TASK_SERVICE),
        session_service: link(SESSION_SERVICE),
        links: Some(Links {
            sessions: link(SESSIONS),
            ..Links::default()
        }),
        protocol_features_supported: Some(features()),
        ..ServiceRoot::default()
    }
}

/// What the service supports, truthfully: paging with `$top`/`$skip` and
/// nothing else.
fn features() -> ProtocolFeaturesSupported {
    ProtocolFeaturesSupported {
        expand_query: Some(Expand {
            links: Some(false),
            no_links: Some(false),
            expand_all: Some(false),
            levels: Some(false),
            max_levels: None,
        }),
        filter_query: Some(false),
        select_query: Some(false),
        excerpt_query: Some(false),
        only_member_query: Some(false),
        deep_operations: Some(DeepOperations {
            deep_patch: Some(false),
            deep_post: Some(false),
            max_levels: None,
        }),
        multiple_http_requests: Some(false),
        top_skip_query: Some(true),
        include_origin_of_condition_query: Some(false),
        ..ProtocolFeaturesSupported::default()
    }
}
