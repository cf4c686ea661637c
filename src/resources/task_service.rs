//! The TaskService singleton: retention settings, live `DateTime` and the
//! link to the Tasks collection.

use crate::engine::view::{TASKS, now_rfc3339};
use crate::http::{Reply, Request};
use crate::model::support::{Nullable, ODataId};
use crate::model::task_service::{OverWritePolicy, TaskService};
use crate::routes::TaskServiceHandler;

use super::{Service, render, reset};

impl TaskServiceHandler for Service {
    async fn get_task_service(&self, _req: Request) -> Reply {
        let retention = self.engine.retention();
        render(&TaskService {
            odata_id: Some("/redfish/v1/TaskService".to_owned()),
            odata_type: Some(TaskService::ODATA_TYPE.to_owned()),
            id: Some("TaskService".to_owned()),
            name: Some("Task Service".to_owned()),
            service_enabled: Some(Nullable::Value(true)),
            date_time: Some(Nullable::Value(now_rfc3339())),
            // Finished tasks are only removed by age or DELETE, never to
            // make room for new ones.
            completed_task_over_write_policy: Some(OverWritePolicy::Manual),
            life_cycle_event_on_task_state_change: Some(false),
            status: Some(reset::healthy()),
            tasks: Some(ODataId::new(TASKS)),
            task_auto_delete_timeout_minutes: Some(saturate(retention.task_minutes)),
            task_monitor_auto_expiry_seconds: Some(
                retention
                    .monitor_seconds
                    .map_or(Nullable::Null, |s| Nullable::Value(saturate(s))),
            ),
            ..TaskService::default()
        })
    }
}

fn saturate(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
