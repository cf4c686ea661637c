//! The task engine: creates tasks, runs their work, moves them through the
//! state machine and keeps a rendered view of each for fast reads.
//!
//! A request flows through it in four steps:
//! 1. [`Engine::start`] checks the job (a reset must make sense for the
//!    machine now, and the machine must not be busy), allocates an id and a
//!    monitor token, and records the new task in the store;
//! 2. only then is the task published and its runner spawned ([`runner`]);
//! 3. the runner walks the job's steps, recording every change through
//!    [`Engine::update`], which writes the store first and then swaps in a
//!    freshly rendered [`Snapshot`];
//! 4. readers take the current snapshot (an `Arc`) without locking anything
//!    for longer than a map lookup; nothing is rendered on the read path.

pub mod job;
pub mod machine;
pub mod recovery;
pub mod retention;
pub mod runner;
pub mod settings;
pub mod state;
pub mod task;
pub mod view;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use tokio::sync::watch;

use crate::model::task::TaskState;
use crate::registry::task_event;
use crate::store::{StoreError, TaskStore};

use job::{Job, MachineId, Schedule};
use machine::PowerState;
use task::{TaskPayload, TaskRecord};

/// How many monitors of deleted tasks keep answering `410 Gone`.
// TODO-hardening: the memory of removed monitors is not persisted, so after
// a restart a deleted task's monitor answers 404 rather than 410; both say
// the result is no longer available.
const GONE_MONITORS: usize = 100_000;

/// Number of lock shards for task changes.
const SHARDS: usize = 64;

/// A task as readers see it: the record plus its serialized Task resource.
#[derive(Debug)]
pub struct Snapshot {
    /// The record.
    pub record: TaskRecord,
    /// The Task resource as JSON.
    pub body: Bytes,
    /// Quoted strong ETag of `body`.
    pub etag: Bytes,
}

/// What a monitor token refers to.
#[derive(Debug)]
pub enum MonitorLookup {
    /// The monitor is live.
    Live(Arc<Snapshot>),
    /// The monitor existed and was removed (cancelled or expired).
    Gone,
    /// No such monitor ever existed.
    Unknown,
}

/// Why the engine refused a request.
#[derive(Debug)]
pub enum EngineError {
    /// No such task.
    NotFound,
    /// The machine is already running another task.
    Busy {
        /// The task in the way.
        task: u64,
    },
    /// The reset makes no sense in the machine's current state.
    Refused(String),
    /// The task cannot be cancelled (finished, or the work does not allow it).
    NotCancellable,
    /// The task is still running and cannot be deleted.
    StillRunning,
    /// The store failed; the change did not happen.
    Store(StoreError),
    /// `ServiceEnabled` is false: no new work is accepted.
    ServiceDisabled,
    /// The task limit is reached and no finished task may make room.
    TaskLimitReached,
    /// A settings change was asked on a precondition that no longer holds.
    PreconditionFailed,
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => f.write_str("no such task"),
            Self::Busy { task } => write!(f, "machine busy with task {task}"),
            Self::Refused(why) => f.write_str(why),
            Self::NotCancellable => f.write_str("task cannot be cancelled"),
            Self::StillRunning => f.write_str("task is still running"),
            Self::Store(err) => err.fmt(f),
            Self::ServiceDisabled => f.write_str("the task service is disabled"),
            Self::TaskLimitReached => f.write_str("the task limit is reached"),
            Self::PreconditionFailed => f.write_str("the settings changed meanwhile"),
        }
    }
}

impl From<StoreError> for EngineError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Factor applied to simulated durations.
    pub time_scale: f64,
    /// ComputerSystem ids to simulate.
    pub systems: Vec<String>,
    /// Manager ids to simulate.
    pub managers: Vec<String>,
    /// When finished tasks and their monitors go away.
    pub retention: retention::Retention,
}

/// A simulated machine's live state.
#[derive(Debug, Clone, Copy)]
struct MachineSlot {
    power: PowerState,
    busy: Option<u64>,
}

/// The engine handle; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn TaskStore>,
    options: EngineOptions,
    /// Serializes changes to one task (sharded by id) so the store and the
    /// published snapshots see them in order, while changes to different
    /// tasks proceed, and can be committed, together.
    shards: [Mutex<()>; SHARDS],
    tasks: RwLock<HashMap<u64, Arc<Snapshot>>>,
    /// Top-level task ids, in creation order.
    top_level: RwLock<Vec<u64>>,
    monitors: RwLock<HashMap<String, u64>>,
    /// Monitors of deleted tasks, oldest first: they stay in `monitors`
    /// (pointing at no task, so they answer `410 Gone`) until
    /// [`GONE_MONITORS`] newer ones push them out.
    gone_monitors: Mutex<std::collections::VecDeque<String>>,
    machines: Mutex<BTreeMap<MachineId, MachineSlot>>,
    cancels: Mutex<HashMap<u64, watch::Sender<bool>>>,
    /// The live TaskService settings and the task limit.
    settings: settings::LiveSettings,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Builds an engine over `store`, loading the tasks it already holds.
    ///
    /// # Errors
    /// Fails when the store cannot be read.
    pub fn new(store: Arc<dyn TaskStore>, options: EngineOptions) -> Result<Self, EngineError> {
        let machines = options
            .systems
            .iter()
            .map(|id| MachineId::System(id.clone()))
            .chain(
                options
                    .managers
                    .iter()
                    .map(|id| MachineId::Manager(id.clone())),
            )
            .map(|id| {
                (
                    id,
                    MachineSlot {
                        power: PowerState::On,
                        busy: None,
                    },
                )
            })
            .collect();
        let settings = settings::LiveSettings::load(store.as_ref(), options.retention)?;
        let engine = Self {
            inner: Arc::new(Inner {
                store,
                options,
                shards: std::array::from_fn(|_| Mutex::new(())),
                tasks: RwLock::new(HashMap::new()),
                top_level: RwLock::new(Vec::new()),
                monitors: RwLock::new(HashMap::new()),
                gone_monitors: Mutex::new(std::collections::VecDeque::new()),
                machines: Mutex::new(machines),
                cancels: Mutex::new(HashMap::new()),
                settings,
            }),
        };
        for record in engine.inner.store.load()? {
            engine.publish(record);
        }
        Ok(engine)
    }

    /// The current snapshot of a top-level task or a subtask.
    #[must_use]
    pub fn task(&self, id: u64) -> Option<Arc<Snapshot>> {
        read(&self.inner.tasks).get(&id).cloned()
    }

    /// Top-level task ids in creation order.
    #[must_use]
    pub fn task_ids(&self) -> Vec<u64> {
        read(&self.inner.top_level).clone()
    }

    /// Resolves a monitor token.
    #[must_use]
    pub fn monitor(&self, token: &str) -> MonitorLookup {
        let Some(id) = read(&self.inner.monitors).get(token).copied() else {
            return MonitorLookup::Unknown;
        };
        match self.task(id) {
            Some(snap) if !snap.record.monitor_gone => MonitorLookup::Live(snap),
            _ => MonitorLookup::Gone,
        }
    }

    /// The power state of a simulated machine.
    #[must_use]
    pub fn power(&self, machine: &MachineId) -> Option<PowerState> {
        lock(&self.inner.machines)
            .get(machine)
            .map(|slot| slot.power)
    }

    /// True when `machine` is simulated here.
    #[must_use]
    pub fn has_machine(&self, machine: &MachineId) -> bool {
        lock(&self.inner.machines).contains_key(machine)
    }

    /// Starts `job` as a new task and returns its first snapshot. The task
    /// is in the store before this returns.
    ///
    /// # Errors
    /// `ServiceDisabled` or `TaskLimitReached` when no new work is admitted
    /// now, `Busy` when the machine runs another task, `Refused` when a
    /// reset makes no sense now, `Store` when the task could not be
    /// recorded.
    pub fn start(
        &self,
        mut job: Job,
        payload: Option<TaskPayload>,
    ) -> Result<Arc<Snapshot>, EngineError> {
        let _admitted = self.admit()?;
        let scale = self.inner.options.time_scale;
        if let Job::Synthetic(s) = &mut job {
            let wait = job::scaled(
                u64::try_from(s.start_after.as_millis()).unwrap_or(u64::MAX),
                scale,
            );
            if !wait.is_zero() {
                let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                s.not_before_ms = Some(view::now_unix_ms().saturating_add(wait_ms));
            }
        }
        let (schedule, machine, cancellable, subtasks) = match &job {
            Job::Reset { machine, reset } => {
                let schedule = self.claim_machine(machine, *reset)?;
                (schedule, Some(machine.clone()), false, 0)
            }
            Job::Synthetic(s) => (
                job::plan_synthetic(s, scale),
                None,
                s.cancellable,
                s.subtasks,
            ),
        };

        let created = self.record_new(&job, payload, &schedule, cancellable, subtasks);
        let snapshot = match created {
            Ok(snapshot) => snapshot,
            Err(err) => {
                if let Some(machine) = &machine {
                    self.release_machine(machine, None);
                }
                return Err(err);
            }
        };
        if let Some(machine) = &machine {
            self.set_busy(machine, snapshot.record.id);
        }

        self.spawn_runner(snapshot.record.id, machine, schedule);
        Ok(snapshot)
    }

    /// Starts the runner of task `id` with its cancel channel.
    fn spawn_runner(&self, id: u64, machine: Option<MachineId>, schedule: Schedule) {
        let (tx, rx) = watch::channel(false);
        lock(&self.inner.cancels).insert(id, tx);
        let engine = self.clone();
        tokio::spawn(async move { runner::run(engine, id, machine, schedule, rx).await });
    }

    /// Asks a running task to stop. It goes to `Cancelling` at once (its
    /// monitor is removed then) and to `Cancelled` when its runner has
    /// stopped.
    ///
    /// # Errors
    /// `NotFound`, `NotCancellable`, or `Store`.
    pub fn cancel(&self, id: u64) -> Result<Arc<Snapshot>, EngineError> {
        let snap = self.task(id).ok_or(EngineError::NotFound)?;
        if !snap.record.can_cancel() {
            return Err(EngineError::NotCancellable);
        }
        let snap = self.update(id, |t| {
            t.set_state(TaskState::Cancelling)
                .map_err(|_| EngineError::NotCancellable)?;
            t.monitor_gone = true;
            Ok(())
        })?;
        if let Some(tx) = lock(&self.inner.cancels).get(&id) {
            tx.send_replace(true);
        }
        Ok(snap)
    }

    /// Removes a finished task and its subtasks.
    ///
    /// # Errors
    /// `NotFound`, `StillRunning`, or `Store`.
    pub fn delete(&self, id: u64) -> Result<(), EngineError> {
        let _shard = self.shard(id);
        let snap = self.task(id).ok_or(EngineError::NotFound)?;
        if !snap.record.is_terminal() {
            return Err(EngineError::StillRunning);
        }
        let ids: Vec<u64> = snap.record.children.iter().copied().chain([id]).collect();
        self.inner.store.remove(&ids)?;
        for child in ids {
            if let Some(gone) = write(&self.inner.tasks).remove(&child) {
                self.remember_gone_monitor(gone.record.monitor.clone());
            }
        }
        write(&self.inner.top_level).retain(|t| *t != id);
        tracing::info!(task = id, "task deleted");
        Ok(())
    }

    /// Applies `change` to a task as one store transaction, then publishes
    /// the new snapshot.
    ///
    /// # Errors
    /// Whatever `change` returns, `NotFound`, or `Store` (nothing changed).
    pub fn update<F>(&self, id: u64, change: F) -> Result<Arc<Snapshot>, EngineError>
    where
        F: FnOnce(&mut TaskRecord) -> Result<(), EngineError>,
    {
        let _shard = self.shard(id);
        let mut record = self.task(id).ok_or(EngineError::NotFound)?.record.clone();
        let before = record.state;
        change(&mut record)?;
        self.inner.store.put(std::slice::from_ref(&record))?;
        if record.state != before {
            tracing::info!(
                task = id,
                from = before.as_str(),
                to = record.state.as_str(),
                "task state"
            );
        }
        Ok(self.publish(record))
    }

    /// Runs blocking engine work (anything that writes the store) off the
    /// async worker threads, so a durable commit never stalls other
    /// requests.
    ///
    /// # Errors
    /// Whatever `work` returns; a panic in `work` becomes a store error.
    pub async fn call<T, F>(&self, work: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, EngineError> + Send + 'static,
    {
        let engine = self.clone();
        tokio::task::spawn_blocking(move || work(&engine))
            .await
            .unwrap_or_else(|err| {
                Err(EngineError::Store(StoreError(format!(
                    "engine work failed: {err}"
                ))))
            })
    }

    /// Keeps a deleted task's monitor answering `410 Gone`, forgetting the
    /// oldest such monitor beyond [`GONE_MONITORS`] (it then answers 404).
    fn remember_gone_monitor(&self, token: String) {
        let mut gone = lock(&self.inner.gone_monitors);
        gone.push_back(token);
        while gone.len() > GONE_MONITORS {
            if let Some(old) = gone.pop_front() {
                write(&self.inner.monitors).remove(&old);
            }
        }
    }

    fn shard(&self, id: u64) -> std::sync::MutexGuard<'_, ()> {
        // The modulo keeps the index below SHARDS, so it fits a usize.
        lock(&self.inner.shards[(id % SHARDS as u64) as usize])
    }

    /// Sets a machine's power state and records it (called by the runner
    /// between steps, off the async workers).
    pub(crate) fn set_power(&self, machine: &MachineId, power: PowerState) {
        self.set_power_quietly(machine, power);
        self.persist_machines();
    }

    /// Sets a machine's power state without recording it.
    fn set_power_quietly(&self, machine: &MachineId, power: PowerState) {
        if let Some(slot) = lock(&self.inner.machines).get_mut(machine) {
            slot.power = power;
        }
    }

    /// Frees a machine after its task ends, in `power`, or, when `None`,
    /// settled where a transition it was caught in was going.
    pub(crate) fn release_machine(&self, machine: &MachineId, power: Option<PowerState>) {
        if let Some(slot) = lock(&self.inner.machines).get_mut(machine) {
            slot.busy = None;
            slot.power = power.unwrap_or_else(|| recovery::settle(slot.power));
        }
        self.persist_machines();
    }

    /// Every machine with its power state.
    fn machine_states(&self) -> Vec<(MachineId, PowerState)> {
        lock(&self.inner.machines)
            .iter()
            .map(|(id, slot)| (id.clone(), slot.power))
            .collect()
    }

    /// Records the machines' power states; a failure is logged, not fatal:
    /// the state is re-derived from the tasks' outcome on the next change.
    fn persist_machines(&self) {
        if let Err(err) = self.save_machines() {
            tracing::error!(error = %err, "could not record machine power states");
        }
    }

    /// Forgets the cancel channel of a finished task.
    pub(crate) fn forget_runner(&self, id: u64) {
        lock(&self.inner.cancels).remove(&id);
    }

    /// Checks a machine is free and the reset makes sense, then marks it
    /// busy (with id 0 until the task exists).
    fn claim_machine(
        &self,
        machine: &MachineId,
        reset: machine::ResetType,
    ) -> Result<Schedule, EngineError> {
        let mut machines = lock(&self.inner.machines);
        let slot = machines.get_mut(machine).ok_or(EngineError::NotFound)?;
        if let Some(task) = slot.busy {
            return Err(EngineError::Busy { task });
        }
        let schedule = job::plan_reset(machine, slot.power, reset, self.inner.options.time_scale)
            .map_err(|refusal| EngineError::Refused(refusal.to_string()))?;
        slot.busy = Some(0);
        Ok(schedule)
    }

    fn set_busy(&self, machine: &MachineId, task: u64) {
        if let Some(slot) = lock(&self.inner.machines).get_mut(machine) {
            slot.busy = Some(task);
        }
    }

    /// Creates the task record (and its subtasks) in the store, then
    /// publishes them.
    fn record_new(
        &self,
        job: &Job,
        payload: Option<TaskPayload>,
        schedule: &Schedule,
        cancellable: bool,
        subtasks: u32,
    ) -> Result<Arc<Snapshot>, EngineError> {
        // New ids are invisible until published: no shard lock is needed.
        let id = self.inner.store.allocate_id()?;
        let now = view::now_rfc3339();
        let estimated = Some(u64::try_from(schedule.total().as_millis()).unwrap_or(u64::MAX));
        let mut parent = new_record(id, view::job_name(job), payload, estimated, cancellable);
        parent.job = Some(job.clone());
        if job.not_before_ms().is_some() {
            // Waits for its start time; the runner moves it to Running.
            parent
                .set_state(TaskState::Pending)
                .map_err(|_| EngineError::NotCancellable)?;
        } else {
            parent
                .set_state(TaskState::Running)
                .map_err(|_| EngineError::NotCancellable)?;
            parent.start_time.clone_from(&now);
            parent.push_message(task_event::task_started(id), false);
        }

        let mut children = Vec::new();
        for n in 1..=subtasks {
            let child_id = self.inner.store.allocate_id()?;
            let name = format!("{} step {n}", parent.name);
            let mut child = new_record(child_id, name, None, None, cancellable);
            child.parent = Some(id);
            child
                .set_state(TaskState::Pending)
                .map_err(|_| EngineError::NotCancellable)?;
            parent.children.push(child_id);
            children.push(child);
        }
        let mut all = children.clone();
        all.push(parent.clone());
        self.inner.store.put(&all)?;

        for child in children {
            self.publish(child);
        }
        write(&self.inner.top_level).push(id);
        tracing::info!(task = id, to = parent.state.as_str(), "task created");
        Ok(self.publish(parent))
    }

    /// Renders and installs a snapshot; registers its monitor.
    fn publish(&self, record: TaskRecord) -> Arc<Snapshot> {
        let id = record.id;
        if record.parent.is_none() {
            let mut top = write(&self.inner.top_level);
            if !top.contains(&id) {
                top.push(id);
                top.sort_unstable();
            }
        }
        write(&self.inner.monitors)
            .entry(record.monitor.clone())
            .or_insert(id);
        let snapshot = Arc::new(view::snapshot(record));
        write(&self.inner.tasks).insert(id, Arc::clone(&snapshot));
        snapshot
    }
}

fn new_record(
    id: u64,
    name: String,
    payload: Option<TaskPayload>,
    estimated_ms: Option<u64>,
    cancellable: bool,
) -> TaskRecord {
    TaskRecord {
        id,
        parent: None,
        children: Vec::new(),
        name,
        state: TaskState::New,
        // Set when the work starts; a task created waiting has none yet.
        start_time: String::new(),
        end_time: None,
        ended_at: None,
        monitor_read_at: None,
        percent: 0,
        messages: Vec::new(),
        monitor: uuid::Uuid::new_v4().simple().to_string(),
        monitor_gone: false,
        payload,
        job: None,
        hide_payload: false,
        estimated_ms,
        cancellable,
        outcome: None,
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it:
/// every critical section here leaves the data consistent at each step.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}
