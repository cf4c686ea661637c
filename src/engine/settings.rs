//! The TaskService settings in force, and admission of new work.
//!
//! Three settings are live: `ServiceEnabled`, `TaskAutoDeleteTimeoutMinutes`
//! and `TaskMonitorAutoExpirySeconds`. They start from the configured
//! defaults, are replaced by whatever the store holds under
//! [`STATE_KEY`] (persisted values win), and change only through
//! [`Engine::change_settings`], which writes the store in one transaction
//! before the new values take effect.
//!
//! The task limit (`max-tasks` and `CompletedTaskOverWritePolicy`) comes
//! from the configuration only. [`Engine::admit`] applies it, with
//! `ServiceEnabled`, before a new task is created:
//! 1. a disabled service refuses new work;
//! 2. below the limit, the task is admitted;
//! 3. at the limit, `Oldest` removes the oldest finished tasks to make room,
//!    and `Manual` (or nothing finished to remove) refuses the work.

use std::sync::{Mutex, RwLock};

use serde::{Deserialize, Serialize};

use crate::model::task_service::OverWritePolicy;
use crate::store::{StoreError, TaskStore};

use super::retention::Retention;
use super::{Engine, EngineError, lock, read};

/// The store key under which the settings are kept, as JSON.
pub const STATE_KEY: &str = "task_service";

/// The live, client-writable TaskService settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// `ServiceEnabled`: whether new asynchronous work is accepted.
    pub service_enabled: bool,
    /// `TaskAutoDeleteTimeoutMinutes` and `TaskMonitorAutoExpirySeconds`.
    pub retention: Retention,
}

/// A requested change; `None` leaves a setting as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsChange {
    /// New `ServiceEnabled`.
    pub service_enabled: Option<bool>,
    /// New `TaskAutoDeleteTimeoutMinutes` (at least 1).
    pub task_minutes: Option<u64>,
    /// New `TaskMonitorAutoExpirySeconds`; `Some(None)` means never.
    pub monitor_seconds: Option<Option<u64>>,
}

/// How many tasks are kept, and what happens when a new one would exceed
/// that number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskLimit {
    /// Most top-level tasks kept at once (at least 1).
    pub max_tasks: usize,
    /// `CompletedTaskOverWritePolicy`.
    pub policy: OverWritePolicy,
}

impl Default for TaskLimit {
    fn default() -> Self {
        Self {
            max_tasks: 10_000,
            policy: OverWritePolicy::Oldest,
        }
    }
}

/// The persisted form. Every field is optional so that a document written
/// by an older release still loads; a missing field keeps its default.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    #[serde(rename = "ServiceEnabled", default)]
    service_enabled: Option<bool>,
    #[serde(rename = "TaskAutoDeleteTimeoutMinutes", default)]
    task_minutes: Option<u64>,
    /// Absent: the default; `null`: never expire.
    #[serde(
        rename = "TaskMonitorAutoExpirySeconds",
        default,
        with = "explicit_null"
    )]
    monitor_seconds: Option<Option<u64>>,
}

/// The engine's settings state (one field of the engine).
#[derive(Debug)]
pub(super) struct LiveSettings {
    current: Mutex<Settings>,
    limit: RwLock<TaskLimit>,
    /// Tasks admitted whose creation has not finished yet; they count
    /// against the limit so that concurrent creations never overshoot it.
    in_flight: Mutex<usize>,
}

impl LiveSettings {
    /// The configured defaults overlaid with what `store` holds.
    ///
    /// # Errors
    /// Fails when the store cannot be read or holds an undecodable or
    /// out-of-range document.
    pub(super) fn load(store: &dyn TaskStore, defaults: Retention) -> Result<Self, EngineError> {
        let mut settings = Settings {
            service_enabled: true,
            retention: defaults,
        };
        if let Some(text) = store.get_state(STATE_KEY)? {
            let stored: Stored = serde_json::from_str(&text).map_err(|err| {
                EngineError::Store(StoreError(format!("{STATE_KEY} state: {err}")))
            })?;
            settings = apply(settings, &stored.into_change())
                .map_err(|why| EngineError::Store(StoreError(format!("{STATE_KEY}: {why}"))))?;
        }
        Ok(Self {
            current: Mutex::new(settings),
            limit: RwLock::new(TaskLimit::default()),
            in_flight: Mutex::new(0),
        })
    }
}

/// Holds an admitted task's place against the limit until its creation
/// has finished (successfully or not).
#[derive(Debug)]
pub struct Admission<'a> {
    in_flight: &'a Mutex<usize>,
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        let mut n = lock(self.in_flight);
        *n = n.saturating_sub(1);
    }
}

impl Engine {
    /// The settings in force.
    #[must_use]
    pub fn settings(&self) -> Settings {
        *lock(&self.inner.settings.current)
    }

    /// The task limit in force.
    #[must_use]
    pub fn task_limit(&self) -> TaskLimit {
        *read(&self.inner.settings.limit)
    }

    /// Sets the task limit (from the configuration, at startup).
    pub fn set_task_limit(&self, limit: TaskLimit) {
        let limit = TaskLimit {
            max_tasks: limit.max_tasks.max(1),
            ..limit
        };
        *super::write(&self.inner.settings.limit) = limit;
    }

    /// Applies `change` if `precondition` holds for the current settings,
    /// persisting the result first. Check, write and swap happen under one
    /// lock, so a precondition (an ETag compare) and the change are atomic.
    ///
    /// # Errors
    /// `PreconditionFailed` when `precondition` is false, `Refused` for a
    /// value out of range, `Store` when the change could not be persisted
    /// (nothing changed then).
    pub fn change_settings<P>(
        &self,
        precondition: P,
        change: SettingsChange,
    ) -> Result<Settings, EngineError>
    where
        P: FnOnce(&Settings) -> bool,
    {
        let mut current = lock(&self.inner.settings.current);
        if !precondition(&current) {
            return Err(EngineError::PreconditionFailed);
        }
        let next = apply(*current, &change).map_err(|why| EngineError::Refused(why.into()))?;
        let text = serde_json::to_string(&Stored::from(next))
            .map_err(|err| EngineError::Store(StoreError(err.to_string())))?;
        self.inner.store.put_state(STATE_KEY, &text)?;
        *current = next;
        tracing::info!(
            service_enabled = next.service_enabled,
            task_auto_delete_minutes = next.retention.task_minutes,
            monitor_expiry_seconds = ?next.retention.monitor_seconds,
            "task service settings changed"
        );
        Ok(next)
    }

    /// Decides whether a new task may be created now, making room under
    /// the `Oldest` policy. Hold the returned guard until the task is
    /// recorded.
    ///
    /// # Errors
    /// `ServiceDisabled`, `TaskLimitReached`, or `Store` when making room
    /// failed.
    pub fn admit(&self) -> Result<Admission<'_>, EngineError> {
        if !self.settings().service_enabled {
            return Err(EngineError::ServiceDisabled);
        }
        let limit = self.task_limit();
        let mut in_flight = lock(&self.inner.settings.in_flight);
        let held = read(&self.inner.top_level).len() + *in_flight;
        let excess = (held + 1).saturating_sub(limit.max_tasks);
        if excess > 0 {
            if limit.policy == OverWritePolicy::Manual {
                return Err(EngineError::TaskLimitReached);
            }
            // The admission lock stays held while evicting, so no other
            // creation can take the room being made.
            self.evict_oldest(excess)?;
        }
        *in_flight += 1;
        Ok(Admission {
            in_flight: &self.inner.settings.in_flight,
        })
    }
}

/// `settings` with `change` applied.
///
/// # Errors
/// Names the setting that is out of range.
fn apply(settings: Settings, change: &SettingsChange) -> Result<Settings, &'static str> {
    let mut next = settings;
    if let Some(enabled) = change.service_enabled {
        next.service_enabled = enabled;
    }
    if let Some(minutes) = change.task_minutes {
        if minutes == 0 {
            return Err("TaskAutoDeleteTimeoutMinutes must be at least 1");
        }
        next.retention.task_minutes = minutes;
    }
    if let Some(seconds) = change.monitor_seconds {
        next.retention.monitor_seconds = seconds;
    }
    Ok(next)
}

impl Stored {
    fn into_change(self) -> SettingsChange {
        SettingsChange {
            service_enabled: self.service_enabled,
            task_minutes: self.task_minutes,
            monitor_seconds: self.monitor_seconds,
        }
    }
}

impl From<Settings> for Stored {
    fn from(s: Settings) -> Self {
        Self {
            service_enabled: Some(s.service_enabled),
            task_minutes: Some(s.retention.task_minutes),
            monitor_seconds: Some(s.retention.monitor_seconds),
        }
    }
}

/// Keeps an explicit `null` (`Some(None)`) apart from an absent field.
mod explicit_null {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Option<Option<u64>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.flatten().serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<u64>>, D::Error> {
        Option::<u64>::deserialize(deserializer).map(Some)
    }
}

/// Engines over a memory store and synthetic tasks, for the engine's tests.
#[cfg(test)]
pub(super) mod testing {
    use std::sync::Arc;
    use std::time::Duration;

    use crate::engine::job::{Job, Outcome, SyntheticJob};
    use crate::engine::{Engine, EngineOptions};
    use crate::store::TaskStore;
    use crate::store::memory::MemoryStore;

    /// An engine over `store` with default options.
    pub fn engine_over(store: Arc<dyn TaskStore>) -> Engine {
        let options = EngineOptions {
            time_scale: 0.001,
            systems: Vec::new(),
            managers: Vec::new(),
            retention: super::Retention::default(),
        };
        Engine::new(store, options).unwrap()
    }

    /// An engine over a fresh memory store.
    pub fn engine() -> Engine {
        engine_over(Arc::new(MemoryStore::default()))
    }

    /// Starts a synthetic task of `seconds` (unscaled: 0.001 s each).
    pub fn start(engine: &Engine, seconds: u64) -> u64 {
        let job = Job::Synthetic(SyntheticJob {
            duration: Duration::from_secs(seconds),
            outcome: Outcome::Completed,
            steps: 1,
            cancellable: true,
            subtasks: 1,
            start_after: Duration::ZERO,
            not_before_ms: None,
        });
        engine.start(job, None).unwrap().record.id
    }

    /// Starts a task that ends at once and waits until it has.
    pub async fn finished(engine: &Engine) -> u64 {
        let id = start(engine, 0);
        for _ in 0..500 {
            if engine.task(id).is_some_and(|s| s.record.is_terminal()) {
                return id;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("task {id} did not finish");
    }

    /// Starts a task that runs for a long time.
    pub fn running(engine: &Engine) -> u64 {
        start(engine, 10_000_000)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::testing::{engine, engine_over, finished, running};
    use super::*;
    use crate::store::memory::MemoryStore;

    #[test]
    fn persisted_settings_win_over_configured_defaults() {
        let store = Arc::new(MemoryStore::default());
        let doc = r#"{"TaskAutoDeleteTimeoutMinutes": 30, "TaskMonitorAutoExpirySeconds": null}"#;
        store.put_state(STATE_KEY, doc).unwrap();
        let settings = engine_over(store).settings();
        assert!(settings.service_enabled);
        assert_eq!(settings.retention.task_minutes, 30);
        assert_eq!(settings.retention.monitor_seconds, None);
    }

    #[test]
    fn a_change_is_persisted_and_survives_a_new_engine() {
        let store: Arc<MemoryStore> = Arc::new(MemoryStore::default());
        let first = engine_over(store.clone());
        let change = SettingsChange {
            service_enabled: Some(false),
            monitor_seconds: Some(Some(0)),
            ..SettingsChange::default()
        };
        first.change_settings(|_| true, change).unwrap();

        let again = engine_over(store).settings();
        assert!(!again.service_enabled);
        assert_eq!(again.retention.monitor_seconds, Some(0));
        assert_eq!(again.retention.task_minutes, 24 * 60);
    }

    #[test]
    fn a_failed_precondition_or_a_zero_timeout_changes_nothing() {
        let engine = engine();
        let before = engine.settings();
        let change = SettingsChange {
            task_minutes: Some(5),
            ..SettingsChange::default()
        };
        let stale = engine.change_settings(|_| false, change);
        assert!(matches!(stale, Err(EngineError::PreconditionFailed)));
        let zero = SettingsChange {
            task_minutes: Some(0),
            ..SettingsChange::default()
        };
        assert!(matches!(
            engine.change_settings(|_| true, zero),
            Err(EngineError::Refused(_))
        ));
        assert_eq!(engine.settings(), before);
    }

    #[tokio::test]
    async fn a_disabled_service_admits_no_work() {
        let engine = engine();
        let off = SettingsChange {
            service_enabled: Some(false),
            ..SettingsChange::default()
        };
        engine.change_settings(|_| true, off).unwrap();
        assert!(matches!(engine.admit(), Err(EngineError::ServiceDisabled)));
    }

    #[tokio::test]
    async fn oldest_policy_evicts_the_first_finished_and_never_a_running_task() {
        let engine = engine();
        engine.set_task_limit(TaskLimit {
            max_tasks: 3,
            policy: OverWritePolicy::Oldest,
        });
        let old = finished(&engine).await;
        let busy = running(&engine);
        let newer = finished(&engine).await;

        let fourth = running(&engine);
        assert!(engine.task(old).is_none(), "oldest finished task kept");
        for id in [busy, newer, fourth] {
            assert!(engine.task(id).is_some(), "task {id} removed");
        }
        let fifth = running(&engine);
        assert!(engine.task(newer).is_none());
        assert_eq!(engine.task_ids(), [busy, fourth, fifth]);
        assert!(matches!(engine.admit(), Err(EngineError::TaskLimitReached)));
    }

    #[tokio::test]
    async fn manual_policy_refuses_at_the_limit() {
        let engine = engine();
        engine.set_task_limit(TaskLimit {
            max_tasks: 1,
            policy: OverWritePolicy::Manual,
        });
        let only = finished(&engine).await;
        assert!(matches!(engine.admit(), Err(EngineError::TaskLimitReached)));
        assert!(engine.task(only).is_some());
    }
}
