//! The service root (`/redfish/v1`): version, identity, links to the
//! top-level services and an honest list of supported protocol features.

use std::sync::OnceLock;

use axum::http::HeaderValue;
use bytes::Bytes;

use crate::http::{Reply, Request, reply};
use crate::model::service_root::ServiceRoot;
use crate::routes::ServiceRootHandler;

use super::Service;

/// The DSP0266 version this service implements.
pub const REDFISH_VERSION: &str = "1.21.0";

/// Top-level resources linked from the root, by property name.
pub const TOP_LEVEL: &[(&str, &str)] = &[
    ("Systems", "/redfish/v1/Systems"),
    ("Managers", "/redfish/v1/Managers"),
    ("TaskService", "/redfish/v1/TaskService"),
    ("SessionService", "/redfish/v1/SessionService"),
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

fn root(uuid: &str) -> serde_json::Value {
    let mut root = serde_json::json!({
        "@odata.id": "/redfish/v1",
        "@odata.type": ServiceRoot::ODATA_TYPE,
        "Id": "RootService",
        "Name": "Root Service",
        "RedfishVersion": REDFISH_VERSION,
        "UUID": uuid,
        "Product": "taskfish",
        "Links": { "Sessions": { "@odata.id": "/redfish/v1/SessionService/Sessions" } },
        "ProtocolFeaturesSupported": {
            "ExpandQuery": { "ExpandAll": false, "Levels": false, "Links": false, "NoLinks": false },
            "FilterQuery": false,
            "SelectQuery": false,
            "OnlyMemberQuery": false,
            "ExcludeQuery": false,
            "TopSkipQuery": true,
            "DeepOperations": { "DeepPATCH": false, "DeepPOST": false },
        },
    });
    for (name, uri) in TOP_LEVEL {
        root[*name] = serde_json::json!({ "@odata.id": uri });
    }
    root
}
