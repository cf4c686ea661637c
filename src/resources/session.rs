//! The session service and its (always empty) session collection. This
//! release serves plain HTTP without authentication, so no sessions are
//! ever created; the resources exist because the service root must link
//! to `Sessions`.

use crate::http::{Reply, Request};
use crate::model::session_collection::SessionCollection;
use crate::model::session_service::SessionService;
use crate::routes::{SessionCollectionHandler, SessionServiceHandler};

use super::{Service, collection, render};

const SESSIONS: &str = "/redfish/v1/SessionService/Sessions";

impl SessionServiceHandler for Service {
    async fn get_session_service(&self, _req: Request) -> Reply {
        render(&serde_json::json!({
            "@odata.id": "/redfish/v1/SessionService",
            "@odata.type": SessionService::ODATA_TYPE,
            "Id": "SessionService",
            "Name": "Session Service",
            "ServiceEnabled": false,
            "Sessions": { "@odata.id": SESSIONS },
        }))
    }
}

impl SessionCollectionHandler for Service {
    async fn get_session_collection(&self, _req: Request) -> Reply {
        collection(
            SESSIONS,
            SessionCollection::ODATA_TYPE,
            "Session Collection",
            Vec::new(),
        )
    }
}
