//! Managers: the collection and the one simulated BMC, whose
//! `#Manager.Reset` runs as a task.

use crate::engine::job::MachineId;
use crate::engine::machine::{PowerState, Target};
use crate::http::{ApiError, Reply, Request};
use crate::model::manager::{Actions, Manager, ManagerType};
use crate::model::manager_collection::ManagerCollection;
use crate::routes::{ManagerCollectionHandler, ManagerHandler};

use super::{MANAGER_ID, Service, collection, render, reset};

const MANAGERS: &str = "/redfish/v1/Managers";

impl ManagerCollectionHandler for Service {
    async fn get_manager_collection(&self, _req: Request) -> Reply {
        let members = vec![format!("{MANAGERS}/{MANAGER_ID}")];
        collection(
            MANAGERS,
            ManagerCollection::ODATA_TYPE,
            "Manager Collection",
            members,
        )
    }
}

impl ManagerHandler for Service {
    async fn get_manager(&self, req: Request) -> Reply {
        let machine = MachineId::Manager(req.param(0).to_owned());
        let power = self
            .engine
            .power(&machine)
            .ok_or_else(|| ApiError::not_found(&req.path))?;
        render(&body(req.param(0), power))
    }

    async fn action_manager_reset(&self, req: Request) -> Reply {
        let machine = MachineId::Manager(req.param(0).to_owned());
        reset::start(self, &req, "Manager.Reset", machine, &offered()).await
    }
}

fn body(id: &str, power: PowerState) -> Manager {
    let uri = format!("{MANAGERS}/{id}");
    Manager {
        actions: Some(Actions {
            manager_reset: Some(reset::target(&uri, "Manager.Reset", &offered())),
            ..Actions::default()
        }),
        odata_id: Some(uri),
        odata_type: Some(Manager::ODATA_TYPE.to_owned()),
        id: Some(id.to_owned()),
        name: Some("Simulated BMC".to_owned()),
        manager_type: Some(ManagerType::BMC),
        power_state: Some(reset::power_state(power)),
        status: Some(reset::healthy()),
        ..Manager::default()
    }
}

fn offered() -> Vec<&'static str> {
    Target::Manager
        .resets()
        .iter()
        .map(|r| r.as_str())
        .collect()
}
