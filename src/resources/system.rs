//! Systems: the collection and the one simulated ComputerSystem, whose
//! `#ComputerSystem.Reset` runs as a task.

use crate::engine::job::MachineId;
use crate::engine::machine::{PowerState, Target};
use crate::http::{ApiError, Reply, Request};
use crate::model::computer_system::{Actions, ComputerSystem, SystemType};
use crate::model::computer_system_collection::ComputerSystemCollection;
use crate::routes::{ComputerSystemCollectionHandler, ComputerSystemHandler};

use super::{SYSTEM_ID, Service, collection, render, reset};

const SYSTEMS: &str = "/redfish/v1/Systems";

impl ComputerSystemCollectionHandler for Service {
    async fn get_computer_system_collection(&self, _req: Request) -> Reply {
        let members = vec![format!("{SYSTEMS}/{SYSTEM_ID}")];
        collection(
            SYSTEMS,
            ComputerSystemCollection::ODATA_TYPE,
            "Computer System Collection",
            members,
        )
    }
}

impl ComputerSystemHandler for Service {
    async fn get_computer_system(&self, req: Request) -> Reply {
        let machine = MachineId::System(req.param(0).to_owned());
        let power = self
            .engine
            .power(&machine)
            .ok_or_else(|| ApiError::not_found(&req.path))?;
        render(&body(req.param(0), power))
    }

    async fn action_computer_system_reset(&self, req: Request) -> Reply {
        let machine = MachineId::System(req.param(0).to_owned());
        reset::start(self, &req, "ComputerSystem.Reset", machine, &offered()).await
    }
}

fn body(id: &str, power: PowerState) -> ComputerSystem {
    let uri = format!("{SYSTEMS}/{id}");
    ComputerSystem {
        actions: Some(Actions {
            computer_system_reset: Some(reset::target(&uri, "ComputerSystem.Reset", &offered())),
            ..Actions::default()
        }),
        odata_id: Some(uri),
        odata_type: Some(ComputerSystem::ODATA_TYPE.to_owned()),
        id: Some(id.to_owned()),
        name: Some("Simulated system".to_owned()),
        system_type: Some(SystemType::Physical),
        power_state: Some(reset::power_state(power)),
        status: Some(reset::healthy()),
        ..ComputerSystem::default()
    }
}

fn offered() -> Vec<&'static str> {
    Target::System.resets().iter().map(|r| r.as_str()).collect()
}
