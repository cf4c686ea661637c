//! Runs one task's work: walks its schedule step by step, records progress,
//! honours cancellation between and during steps, and ends the task in the
//! right terminal state with the response its monitor will replay.

use tokio::sync::watch;

use crate::model::task::TaskState;
use crate::registry::{RedfishMessage, base, task_event};

use super::job::{MachineId, Outcome, Schedule};
use super::task::{FinalResponse, TaskRecord};
use super::{Engine, EngineError, view};

/// How the walk through the schedule ended.
enum Ending {
    Done,
    Cancelled,
    Failed,
}

/// Drives task `id` through `schedule`; spawned by [`Engine::start`].
pub async fn run(
    engine: Engine,
    id: u64,
    machine: Option<MachineId>,
    schedule: Schedule,
    mut cancel: watch::Receiver<bool>,
) {
    let ending = match wait_for_start(&engine, id, &mut cancel).await {
        Ok(()) => walk(&engine, id, machine.as_ref(), &schedule, &mut cancel).await,
        Err(ending) => ending,
    };
    // `None` settles a machine caught mid-transition where it was going.
    let settled = match ending {
        Ending::Done => schedule.final_power,
        Ending::Cancelled | Ending::Failed => None,
    };
    // Settle the machine first, so that a client who sees the task
    // finished also sees the machine in its final state and free.
    if let Some(machine) = machine {
        let _ = engine
            .call(move |e| {
                e.release_machine(&machine, settled);
                Ok(())
            })
            .await;
    }
    let outcome = match ending {
        Ending::Done => Some(schedule.outcome),
        // Work that could not go on (its progress could not be recorded)
        // ends as a failure rather than staying Running for ever.
        Ending::Failed => Some(Outcome::Exception),
        Ending::Cancelled => None,
    };
    record_end(&engine, id, outcome).await;
    engine.forget_runner(id);
}

/// Records how a task ended. A store failure (a full disk, say) is retried
/// with a growing pause (at most 5 s) until it succeeds, so the task does not stay
/// `Running` once the store recovers; any other error is logged once.
async fn record_end(engine: &Engine, id: u64, outcome: Option<Outcome>) {
    let mut pause = std::time::Duration::from_millis(100);
    loop {
        let result = match outcome {
            Some(outcome) => engine.call(move |e| finish(e, id, outcome)).await,
            None => engine.call(move |e| finish_cancelled(e, id)).await,
        };
        match result {
            Ok(()) => return,
            Err(EngineError::Store(err)) => {
                tracing::error!(task = id, error = %err, "could not record the end of a task; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(5));
            }
            Err(err) => {
                tracing::error!(task = id, error = %err, "could not record the end of a task");
                return;
            }
        }
    }
}

/// Holds a `Pending` task until its start time, then moves it to
/// `Running`. Any other task passes straight through.
async fn wait_for_start(
    engine: &Engine,
    id: u64,
    cancel: &mut watch::Receiver<bool>,
) -> Result<(), Ending> {
    let Some(snap) = engine.task(id) else {
        return Err(Ending::Failed);
    };
    if snap.record.state != TaskState::Pending {
        return Ok(());
    }
    let not_before = snap
        .record
        .job
        .as_ref()
        .and_then(super::job::Job::not_before_ms);
    let wait_ms = not_before.map_or(0, |t| t.saturating_sub(view::now_unix_ms()));
    let wait = std::time::Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0));
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        _ = cancel.changed() => return Err(Ending::Cancelled),
    }
    let started = engine
        .call(move |e| {
            e.update(id, |t| {
                if t.state != TaskState::Pending {
                    return Ok(());
                }
                t.set_state(TaskState::Running)
                    .map_err(|_| EngineError::NotCancellable)?;
                t.start_time = view::now_rfc3339();
                t.push_message(task_event::task_started(id), false);
                Ok(())
            })
        })
        .await;
    match started {
        Ok(snap) if snap.record.state == TaskState::Cancelling => Err(Ending::Cancelled),
        Ok(_) => Ok(()),
        Err(err) => {
            tracing::error!(task = id, error = %err, "could not start a pending task");
            Err(Ending::Failed)
        }
    }
}

async fn walk(
    engine: &Engine,
    id: u64,
    machine: Option<&MachineId>,
    schedule: &Schedule,
    cancel: &mut watch::Receiver<bool>,
) -> Ending {
    for (index, step) in schedule.steps.iter().enumerate() {
        if *cancel.borrow() {
            return Ending::Cancelled;
        }
        if let (Some(machine), Some(power)) = (machine, step.power) {
            let machine = machine.clone();
            let _ = engine
                .call(move |e| {
                    e.set_power(&machine, power);
                    Ok(())
                })
                .await;
        }
        if let Some(child) = step.child
            && let Err(err) = engine.call(move |e| start_child(e, id, child)).await
        {
            tracing::error!(task = id, error = %err, "could not start a subtask");
            return Ending::Failed;
        }

        tokio::select! {
            () = tokio::time::sleep(step.duration) => {}
            _ = cancel.changed() => return Ending::Cancelled,
        }

        let last_of_child = step.child.is_some()
            && schedule.steps.get(index + 1).map(|next| next.child) != Some(step.child);
        // Work that fails, fails during its last step: that step's progress
        // is never reached, so the task keeps its last real percentage.
        let failing = schedule.outcome == Outcome::Exception && index + 1 == schedule.steps.len();
        if failing {
            break;
        }
        let percent = step.percent_after;
        let done_child = last_of_child.then_some(step.child).flatten();
        if let Err(err) = engine
            .call(move |e| progress(e, id, percent, done_child))
            .await
        {
            tracing::error!(task = id, error = %err, "could not record progress");
            return Ending::Failed;
        }
    }
    Ending::Done
}

/// Records the parent's progress and, at the end of a subtask's share,
/// completes that subtask.
fn progress(
    engine: &Engine,
    id: u64,
    percent: u8,
    done_child: Option<usize>,
) -> Result<(), EngineError> {
    let snap = engine.update(id, |t| {
        if t.state != TaskState::Running || percent <= t.percent {
            return Ok(());
        }
        t.percent = percent;
        let msg = task_event::task_progress_changed(id, percent);
        t.push_message(msg, true);
        Ok(())
    })?;
    if let Some(child) = done_child.and_then(|i| snap.record.children.get(i).copied()) {
        engine.update(child, |c| {
            c.set_state(TaskState::Completed)
                .map_err(|_| EngineError::NotCancellable)?;
            c.percent = 100;
            view::mark_ended(c);
            c.push_message(task_event::task_completed_ok(child), false);
            c.outcome = Some(success(None));
            Ok(())
        })?;
    }
    Ok(())
}

fn start_child(engine: &Engine, id: u64, index: usize) -> Result<(), EngineError> {
    let Some(child) = engine
        .task(id)
        .and_then(|s| s.record.children.get(index).copied())
    else {
        return Ok(());
    };
    engine.update(child, |c| {
        if c.state == TaskState::Pending {
            c.set_state(TaskState::Running)
                .map_err(|_| EngineError::NotCancellable)?;
            c.start_time = view::now_rfc3339();
            c.push_message(task_event::task_started(child), false);
        }
        Ok(())
    })?;
    Ok(())
}

/// Ends the task (and any unfinished subtask) by its outcome.
fn finish(engine: &Engine, id: u64, outcome: Outcome) -> Result<(), EngineError> {
    // A cancel that raced with the last step wins: the client was told so.
    if engine
        .task(id)
        .is_some_and(|t| t.record.state == TaskState::Cancelling)
    {
        return finish_cancelled(engine, id);
    }
    // Subtasks end first: once the parent reads finished, nothing under it
    // changes any more (so it can be deleted safely).
    for child in open_children(engine, id) {
        engine.update(child, |c| end(c, outcome))?;
    }
    engine.update(id, |t| {
        if t.is_terminal() {
            Ok(())
        } else {
            end(t, outcome)
        }
    })?;
    Ok(())
}

fn end(t: &mut TaskRecord, outcome: Outcome) -> Result<(), EngineError> {
    let id = t.id.to_string();
    let (state, message, response) = match outcome {
        Outcome::Completed => (
            TaskState::Completed,
            task_event::task_completed_ok(&id),
            success(None),
        ),
        Outcome::Warning => {
            // The synchronous answer carries the warning as well.
            let warning = task_event::task_completed_warning(&id);
            (
                TaskState::Completed,
                warning.clone(),
                success(Some(warning)),
            )
        }
        Outcome::Exception => (
            TaskState::Exception,
            task_event::task_aborted(&id),
            failure(),
        ),
    };
    t.set_state(state)
        .map_err(|_| EngineError::NotCancellable)?;
    if state == TaskState::Completed {
        t.percent = 100;
    }
    view::mark_ended(t);
    t.push_message(message, false);
    t.outcome = Some(response);
    Ok(())
}

/// Ends a cancelled task and its unfinished subtasks; the monitor goes away.
fn finish_cancelled(engine: &Engine, id: u64) -> Result<(), EngineError> {
    for child in open_children(engine, id) {
        engine.update(child, cancelled)?;
    }
    engine.update(id, cancelled)?;
    Ok(())
}

/// Subtasks of `id` not yet in a terminal state.
fn open_children(engine: &Engine, id: u64) -> Vec<u64> {
    let children = engine
        .task(id)
        .map(|s| s.record.children.clone())
        .unwrap_or_default();
    children
        .into_iter()
        .filter(|c| engine.task(*c).is_some_and(|s| !s.record.is_terminal()))
        .collect()
}

/// Ends a task `Cancelled` (through `Cancelling` if it was not there yet);
/// its monitor goes away.
pub(super) fn cancelled(t: &mut TaskRecord) -> Result<(), EngineError> {
    if t.state != TaskState::Cancelling {
        t.set_state(TaskState::Cancelling)
            .map_err(|_| EngineError::NotCancellable)?;
    }
    t.set_state(TaskState::Cancelled)
        .map_err(|_| EngineError::NotCancellable)?;
    view::mark_ended(t);
    t.push_message(task_event::task_cancelled(t.id), false);
    t.monitor_gone = true;
    Ok(())
}

/// The synchronous answer of a successful operation without a body of its
/// own: 200 with a Success message.
fn success(warning: Option<RedfishMessage>) -> FinalResponse {
    let info: Vec<_> = [base::success()]
        .iter()
        .chain(warning.as_ref())
        .map(RedfishMessage::to_json)
        .collect();
    FinalResponse {
        status: 200,
        body: serde_json::json!({ "@Message.ExtendedInfo": info }),
        retry_after: None,
    }
}

/// The synchronous answer of a failed operation: 500 with an error body.
fn failure() -> FinalResponse {
    let body = RedfishMessage::error_body(&[base::operation_failed()]);
    FinalResponse {
        status: 500,
        body,
        retry_after: None,
    }
}
