//! Systems: the collection and the one simulated ComputerSystem, whose
//! `#ComputerSystem.Reset` runs as a task.

use crate::engine::job::MachineId;
use crate::engine::machine::{PowerState, Target};
use crate::http::{ApiError, Reply, Request};
use crate::model::computer_system::ComputerSystem;
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

fn body(id: &str, power: PowerState) -> serde_json::Value {
    let uri = format!("{SYSTEMS}/{id}");
    serde_json::json!({
        "@odata.id": uri,
        "@odata.type": ComputerSystem::ODATA_TYPE,
        "Id": id,
        "Name": "Simulated system",
        "SystemType": "Physical",
        "PowerState": power.as_str(),
        "Status": { "State": "Enabled", "Health": "OK" },
        "Actions": {
            "#ComputerSystem.Reset": {
                "target": format!("{uri}/Actions/ComputerSystem.Reset"),
                "ResetType@Redfish.AllowableValues": offered(),
            }
        },
    })
}

fn offered() -> Vec<&'static str> {
    Target::System.resets().iter().map(|r| r.as_str()).collect()
}
