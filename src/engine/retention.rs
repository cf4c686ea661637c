//! Retention: which finished tasks go away, and when.
//!
//! - A finished task is deleted `TaskAutoDeleteTimeoutMinutes` after it
//!   ended. The deadline is worked out at every sweep from the value in
//!   force then, so a change applies to tasks already finished as well as
//!   to later ones.
//! - A finished task's monitor is removed `TaskMonitorAutoExpirySeconds`
//!   after its first read in the finished state (`0`: right after that
//!   read; `null`: never). A removed monitor answers `410 Gone`.
//! - `#TaskService.DeleteAllCompletedTasks` deletes every finished task.
//! - Under the `Oldest` overwrite policy, admitting a task at the limit
//!   deletes the oldest finished ones (see [`super::settings`]).
//!
//! Running tasks are never touched. Every removal is logged at INFO with
//! the task id and the reason. A background sweep applies the time rules
//! once a second.

use std::time::Duration;

use super::{Engine, EngineError};

/// The retention rules in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Minutes a finished task is kept (at least 1).
    pub task_minutes: u64,
    /// Seconds a finished task's monitor lives after its first read;
    /// `None` keeps it as long as the task.
    pub monitor_seconds: Option<u64>,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            task_minutes: 24 * 60,
            monitor_seconds: Some(3600),
        }
    }
}

/// Why a finished task was removed (the `reason` field of the log event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Its `TaskAutoDeleteTimeoutMinutes` ran out.
    AutoDelete,
    /// `#TaskService.DeleteAllCompletedTasks`.
    DeleteAllCompleted,
    /// Room for a new task under the `Oldest` overwrite policy.
    Overwrite,
}

impl Removal {
    /// The reason as logged.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AutoDelete => "TaskAutoDeleteTimeoutMinutes",
            Self::DeleteAllCompleted => "DeleteAllCompletedTasks",
            Self::Overwrite => "CompletedTaskOverWritePolicy",
        }
    }
}

impl Engine {
    /// The retention rules in force (the live TaskService settings).
    #[must_use]
    pub fn retention(&self) -> Retention {
        self.settings().retention
    }

    /// Notes that a finished task's monitor was read, starting its expiry
    /// clock on the first such read. With an expiry of 0 the monitor is
    /// removed at once: this read is its last.
    pub fn note_monitor_read(&self, id: u64) {
        let unread = self
            .task(id)
            .is_some_and(|s| s.record.is_terminal() && s.record.monitor_read_at.is_none());
        if !unread {
            return;
        }
        let now = now_unix();
        let at_once = self.retention().monitor_seconds == Some(0);
        let result = self.update(id, |t| {
            t.monitor_read_at.get_or_insert(now);
            t.monitor_gone |= at_once;
            Ok(())
        });
        match result {
            Err(err) => tracing::warn!(task = id, error = %err, "could not record a monitor read"),
            Ok(_) if at_once => tracing::info!(task = id, "task monitor expired"),
            Ok(_) => {}
        }
    }

    /// Applies the time rules as of `now` (Unix seconds); returns how many
    /// tasks were deleted.
    pub fn sweep(&self, now: i64) -> usize {
        let rules = self.retention();
        let keep_secs = seconds(rules.task_minutes.saturating_mul(60));
        let mut deleted = 0;
        for id in self.task_ids() {
            let Some(snap) = self.task(id) else { continue };
            let record = &snap.record;
            let Some(ended) = record.ended_at.filter(|_| record.is_terminal()) else {
                continue;
            };

            if now.saturating_sub(ended) >= keep_secs {
                if self.remove_finished(id, Removal::AutoDelete).is_ok() {
                    deleted += 1;
                }
                continue;
            }
            let expired = match (rules.monitor_seconds, record.monitor_read_at) {
                (Some(secs), Some(read)) => {
                    !record.monitor_gone && now.saturating_sub(read) >= seconds(secs)
                }
                _ => false,
            };
            if expired {
                self.expire_monitor(id);
            }
        }
        deleted
    }

    /// Deletes every finished top-level task with its subtasks; running
    /// tasks stay. Returns how many top-level tasks were deleted.
    ///
    /// # Errors
    /// `Store` when a deletion could not be recorded; tasks deleted before
    /// it stay deleted.
    pub fn delete_completed(&self) -> Result<usize, EngineError> {
        let finished: Vec<u64> = self
            .task_ids()
            .into_iter()
            .filter(|id| self.task(*id).is_some_and(|s| s.record.is_terminal()))
            .collect();
        let mut deleted = 0;
        for id in finished {
            match self.remove_finished(id, Removal::DeleteAllCompleted) {
                Ok(()) => deleted += 1,
                Err(EngineError::NotFound) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(deleted)
    }

    /// Deletes the `count` finished top-level tasks that ended first, to
    /// make room for a new one. Deletes nothing when fewer are finished.
    ///
    /// # Errors
    /// `TaskLimitReached` when not enough tasks are finished; `Store` when
    /// a deletion could not be recorded.
    pub(super) fn evict_oldest(&self, count: usize) -> Result<(), EngineError> {
        let mut finished: Vec<(i64, u64)> = self
            .task_ids()
            .into_iter()
            .filter_map(|id| self.task(id))
            .filter(|s| s.record.is_terminal())
            .map(|s| (s.record.ended_at.unwrap_or(i64::MIN), s.record.id))
            .collect();
        if finished.len() < count {
            return Err(EngineError::TaskLimitReached);
        }
        finished.sort_unstable();
        for (_, id) in finished.into_iter().take(count) {
            match self.remove_finished(id, Removal::Overwrite) {
                // Someone else (DELETE, DeleteAllCompletedTasks) removed it
                // meanwhile: the room is made all the same.
                Ok(()) | Err(EngineError::NotFound) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// Deletes one finished task, logging the reason.
    fn remove_finished(&self, id: u64, reason: Removal) -> Result<(), EngineError> {
        let result = self.delete(id);
        match &result {
            Ok(()) => tracing::info!(task = id, reason = reason.as_str(), "task removed"),
            Err(err) => {
                tracing::warn!(task = id, reason = reason.as_str(), error = %err, "task removal failed");
            }
        }
        result
    }

    fn expire_monitor(&self, id: u64) {
        let result = self.update(id, |t| {
            t.monitor_gone = true;
            Ok(())
        });
        match result {
            Ok(_) => tracing::info!(task = id, "task monitor expired"),
            Err(err) => tracing::warn!(task = id, error = %err, "monitor expiry failed"),
        }
    }

    /// Runs [`Engine::sweep`] every `period` until the runtime stops.
    pub fn spawn_sweeper(&self, period: Duration) {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let sweeper = engine.clone();
                // Sweeping writes the store: keep it off the async workers.
                let _ = tokio::task::spawn_blocking(move || sweeper.sweep(now_unix())).await;
            }
        });
    }
}

/// Unix seconds now.
#[must_use]
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn seconds(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::super::settings::SettingsChange;
    use super::super::settings::testing::{engine, finished, running};
    use super::*;

    fn ended_at(engine: &Engine, id: u64) -> i64 {
        engine.task(id).and_then(|s| s.record.ended_at).unwrap()
    }

    #[tokio::test]
    async fn a_new_timeout_applies_to_tasks_already_finished() {
        let engine = engine();
        let done = finished(&engine).await;
        let busy = running(&engine);
        let ended = ended_at(&engine, done);

        assert_eq!(engine.sweep(ended + 30 * 60), 0, "default is a day");
        let change = SettingsChange {
            task_minutes: Some(30),
            ..SettingsChange::default()
        };
        engine.change_settings(|_| true, change).unwrap();
        assert_eq!(engine.sweep(ended + 30 * 60 - 1), 0);
        assert_eq!(engine.sweep(ended + 30 * 60), 1);
        assert!(engine.task(done).is_none());
        assert_eq!(engine.sweep(i64::MAX), 0, "a running task is never swept");
        assert!(engine.task(busy).is_some());
    }

    #[tokio::test]
    async fn monitor_expiry_counts_from_the_first_finished_read() {
        let engine = engine();
        let id = finished(&engine).await;
        engine.note_monitor_read(id);
        let read = engine
            .task(id)
            .and_then(|s| s.record.monitor_read_at)
            .unwrap();

        engine.sweep(read + 3599);
        assert!(!engine.task(id).unwrap().record.monitor_gone);
        engine.sweep(read + 3600);
        assert!(engine.task(id).unwrap().record.monitor_gone);
    }

    #[tokio::test]
    async fn null_expiry_keeps_the_monitor_and_zero_removes_it_after_one_read() {
        let engine = engine();
        let never = SettingsChange {
            monitor_seconds: Some(None),
            task_minutes: Some(20 * 365 * 24 * 60),
            ..SettingsChange::default()
        };
        engine.change_settings(|_| true, never).unwrap();
        let kept = finished(&engine).await;
        engine.note_monitor_read(kept);
        let read = engine
            .task(kept)
            .and_then(|s| s.record.monitor_read_at)
            .unwrap();
        engine.sweep(read + 10 * 365 * 86_400);
        assert!(!engine.task(kept).unwrap().record.monitor_gone);

        let at_once = SettingsChange {
            monitor_seconds: Some(Some(0)),
            ..SettingsChange::default()
        };
        engine.change_settings(|_| true, at_once).unwrap();
        let gone = finished(&engine).await;
        assert!(!engine.task(gone).unwrap().record.monitor_gone);
        engine.note_monitor_read(gone);
        assert!(engine.task(gone).unwrap().record.monitor_gone);
    }

    #[tokio::test]
    async fn delete_completed_keeps_running_tasks() {
        let engine = engine();
        let done = finished(&engine).await;
        let busy = running(&engine);
        let children = engine.task(done).unwrap().record.children.clone();

        assert_eq!(engine.delete_completed().unwrap(), 1);
        assert!(engine.task(done).is_none());
        assert!(children.iter().all(|c| engine.task(*c).is_none()));
        assert_eq!(engine.task_ids(), [busy]);
    }
}
