//! What happens to work a restart (clean or a crash) cut off.
//!
//! Nothing is silently dropped. On start-up, for every task not in a
//! terminal state:
//! - a task that was being cancelled ends `Cancelled`;
//! - work whose job can resume ([`super::job::Job::resumable`]) carries on
//!   from its last recorded progress, and a task still waiting for its
//!   start time (`Pending`) keeps waiting;
//! - any other work ends `Exception` with `TaskAborted` and a
//!   `ServiceShuttingDown` message, and its monitor answers `503` with that
//!   error, so a client learns the operation did not complete and may
//!   retry it.
//!
//! The simulated machines come back in their recorded power state; a
//! machine caught in a transition is settled where the transition was going
//! (a host finishes powering off or on whether or not its BMC restarts).

use crate::model::task::TaskState;
use crate::registry::{RedfishMessage, base, task_event};

use super::job::{self, Job};
use super::machine::PowerState;
use super::task::{FinalResponse, TaskRecord};
use super::{Engine, EngineError, runner, view};

/// Store state key of the machines' power states.
pub const MACHINES_KEY: &str = "machines";

/// What recovery did, for the log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Tasks whose work carries on.
    pub resumed: usize,
    /// Tasks ended `Exception` because their work could not resume.
    pub aborted: usize,
    /// Tasks that were being cancelled, now `Cancelled`.
    pub cancelled: usize,
}

impl Engine {
    /// Restores machine states and deals with unfinished tasks. Call once,
    /// inside the async runtime, before serving.
    ///
    /// # Errors
    /// Fails when the store cannot be read or written.
    pub fn recover(&self) -> Result<Recovered, EngineError> {
        self.restore_machines()?;
        let mut done = Recovered::default();
        for id in self.task_ids() {
            let Some(snap) = self.task(id) else { continue };
            if snap.record.is_terminal() {
                continue;
            }
            let job = snap.record.job.clone();
            match (snap.record.state, job) {
                (TaskState::Cancelling, _) => {
                    self.end_all(id, runner::cancelled)?;
                    done.cancelled += 1;
                }
                (_, Some(job)) if job.resumable() => {
                    self.resume(&snap.record, &job);
                    done.resumed += 1;
                }
                _ => {
                    self.end_all(id, aborted_by_restart)?;
                    done.aborted += 1;
                }
            }
        }
        tracing::info!(
            resumed = done.resumed,
            aborted = done.aborted,
            cancelled = done.cancelled,
            "recovered unfinished tasks"
        );
        Ok(done)
    }

    /// Saves the machines' power states (one store transaction).
    pub(crate) fn save_machines(&self) -> Result<(), EngineError> {
        let states: std::collections::BTreeMap<String, PowerState> = self
            .machine_states()
            .into_iter()
            .map(|(id, p)| (machine_key(&id), p))
            .collect();
        let text = serde_json::to_string(&states)
            .map_err(|e| EngineError::Store(crate::store::StoreError(e.to_string())))?;
        self.inner.store.put_state(MACHINES_KEY, &text)?;
        Ok(())
    }

    fn restore_machines(&self) -> Result<(), EngineError> {
        let Some(text) = self.inner.store.get_state(MACHINES_KEY)? else {
            return Ok(());
        };
        let states: std::collections::BTreeMap<String, PowerState> = serde_json::from_str(&text)
            .map_err(|e| {
                EngineError::Store(crate::store::StoreError(format!("machine state: {e}")))
            })?;
        for (id, _) in self.machine_states() {
            if let Some(power) = states.get(&machine_key(&id)) {
                self.set_power_quietly(&id, settle(*power));
            }
        }
        Ok(())
    }

    /// Re-plans the remaining steps of a resumable job and runs them.
    fn resume(&self, record: &TaskRecord, job: &Job) {
        let Job::Synthetic(synthetic) = job else {
            return;
        };
        let mut schedule = job::plan_synthetic(synthetic, self.inner.options.time_scale);
        schedule
            .steps
            .retain(|step| step.percent_after > record.percent);
        tracing::info!(task = record.id, percent = record.percent, "resuming task");
        self.spawn_runner(record.id, None, schedule);
    }

    /// Ends a task's open subtasks, then the task, with `end`.
    fn end_all(
        &self,
        id: u64,
        end: fn(&mut TaskRecord) -> Result<(), EngineError>,
    ) -> Result<(), EngineError> {
        let children = self
            .task(id)
            .map(|s| s.record.children.clone())
            .unwrap_or_default();
        for child in children {
            if self.task(child).is_some_and(|c| !c.record.is_terminal()) {
                self.update(child, end)?;
            }
        }
        self.update(id, end)?;
        Ok(())
    }
}

fn machine_key(id: &super::job::MachineId) -> String {
    match id {
        super::job::MachineId::System(id) => format!("System/{id}"),
        super::job::MachineId::Manager(id) => format!("Manager/{id}"),
    }
}

/// Where a power transition cut off (by a restart or a failure) ends up.
pub(crate) fn settle(power: PowerState) -> PowerState {
    match power {
        PowerState::PoweringOn => PowerState::On,
        PowerState::PoweringOff => PowerState::Off,
        other => other,
    }
}

fn aborted_by_restart(t: &mut TaskRecord) -> Result<(), EngineError> {
    t.set_state(TaskState::Exception)
        .map_err(|_| EngineError::NotCancellable)?;
    view::mark_ended(t);
    t.push_message(task_event::task_aborted(t.id), false);
    let why = base::service_shutting_down();
    t.outcome = Some(FinalResponse {
        status: 503,
        body: RedfishMessage::error_body(std::slice::from_ref(&why)),
        // The service is back: the operation may be retried now.
        retry_after: Some(1),
    });
    t.push_message(why, false);
    Ok(())
}
