//! Retention: finished tasks are deleted `TaskAutoDeleteTimeoutMinutes`
//! after they end, and the monitor of a finished task is removed
//! `TaskMonitorAutoExpirySeconds` after it is first read in its finished
//! state (a removed monitor answers `410 Gone`). Running tasks are never
//! touched. A background sweep applies both rules once a second.

use std::time::Duration;

use super::Engine;

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

impl Engine {
    /// The retention rules in force.
    #[must_use]
    pub fn retention(&self) -> Retention {
        self.inner.options.retention
    }

    /// Notes that a finished task's monitor was read, starting its expiry
    /// clock on the first such read.
    pub fn note_monitor_read(&self, id: u64) {
        let unread = self
            .task(id)
            .is_some_and(|s| s.record.is_terminal() && s.record.monitor_read_at.is_none());
        if unread {
            let now = now_unix();
            let result = self.update(id, |t| {
                t.monitor_read_at.get_or_insert(now);
                Ok(())
            });
            if let Err(err) = result {
                tracing::warn!(task = id, error = %err, "could not record a monitor read");
            }
        }
    }

    /// Applies both rules as of `now` (Unix seconds); returns how many tasks
    /// were deleted.
    pub fn sweep(&self, now: i64) -> usize {
        let rules = self.retention();
        let keep_secs = i64::try_from(rules.task_minutes.saturating_mul(60)).unwrap_or(i64::MAX);
        let mut deleted = 0;
        for id in self.task_ids() {
            let Some(snap) = self.task(id) else { continue };
            let record = &snap.record;
            let Some(ended) = record.ended_at.filter(|_| record.is_terminal()) else {
                continue;
            };

            if now.saturating_sub(ended) >= keep_secs {
                match self.delete(id) {
                    Ok(()) => {
                        deleted += 1;
                        tracing::info!(
                            task = id,
                            reason = "TaskAutoDeleteTimeoutMinutes",
                            "task removed"
                        );
                    }
                    Err(err) => tracing::warn!(task = id, error = %err, "retention delete failed"),
                }
                continue;
            }
            let expired = match (rules.monitor_seconds, record.monitor_read_at) {
                (Some(secs), Some(read)) => {
                    !record.monitor_gone
                        && now.saturating_sub(read) >= i64::try_from(secs).unwrap_or(i64::MAX)
                }
                _ => false,
            };
            if expired {
                if let Err(err) = self.update(id, |t| {
                    t.monitor_gone = true;
                    Ok(())
                }) {
                    tracing::warn!(task = id, error = %err, "monitor expiry failed");
                } else {
                    tracing::info!(task = id, "task monitor expired");
                }
            }
        }
        deleted
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
