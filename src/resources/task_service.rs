//! The TaskService singleton: settings, live `DateTime` and the link to
//! the Tasks collection.

use crate::engine::view::{TASKS, now_rfc3339};
use crate::http::{Reply, Request};
use crate::model::task_service::TaskService;
use crate::routes::TaskServiceHandler;

use super::{Service, render};

impl TaskServiceHandler for Service {
    async fn get_task_service(&self, _req: Request) -> Reply {
        render(&serde_json::json!({
            "@odata.id": "/redfish/v1/TaskService",
            "@odata.type": TaskService::ODATA_TYPE,
            "Id": "TaskService",
            "Name": "Task Service",
            "ServiceEnabled": true,
            "DateTime": now_rfc3339(),
            "CompletedTaskOverWritePolicy": "Manual",
            "LifeCycleEventOnTaskStateChange": false,
            "Status": { "State": "Enabled", "Health": "OK" },
            "Tasks": { "@odata.id": TASKS },
        }))
    }
}
