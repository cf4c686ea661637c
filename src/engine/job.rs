//! Kinds of work a task can track, and how each becomes a list of timed
//! steps for the runner. A reset asks the machine model for its plan; a
//! synthetic job (the `--test-tasks` aid) is described by the client.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::machine::{self, PowerState, ResetType};

/// Which simulated machine a reset is aimed at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MachineId {
    /// A ComputerSystem by its Id.
    System(String),
    /// A Manager by its Id.
    Manager(String),
}

impl MachineId {
    /// The machine model's kind for this machine.
    #[must_use]
    pub fn kind(&self) -> machine::Target {
        match self {
            Self::System(_) => machine::Target::System,
            Self::Manager(_) => machine::Target::Manager,
        }
    }
}

/// How a synthetic job ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Success.
    Completed,
    /// Success with a warning.
    Warning,
    /// Failure: the task ends in `Exception`.
    Exception,
}

/// A client-described job for testing clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticJob {
    /// Total run time before time scaling.
    pub duration: Duration,
    /// How it ends.
    pub outcome: Outcome,
    /// Number of progress steps (at least 1).
    pub steps: u32,
    /// Whether clients may cancel it.
    pub cancellable: bool,
    /// Number of subtasks to create (run one after the other).
    pub subtasks: u32,
    /// How long the task waits in `Pending` before it starts (unscaled).
    #[serde(default)]
    pub start_after: Duration,
    /// Unix time in milliseconds before which the work does not start; set
    /// by the engine from `start_after` when the task is created.
    #[serde(default)]
    pub not_before_ms: Option<i64>,
}

/// The work a task tracks; recorded with the task so that work cut off by
/// a restart can be resumed or ended honestly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Job {
    /// `#ComputerSystem.Reset` or `#Manager.Reset`.
    Reset {
        /// The machine being reset.
        machine: MachineId,
        /// The requested reset.
        reset: ResetType,
    },
    /// A synthetic job.
    Synthetic(SyntheticJob),
}

/// One timed piece of work.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkStep {
    /// Scaled time the step takes.
    pub duration: Duration,
    /// Parent progress once the step is done.
    pub percent_after: u8,
    /// Power state the machine enters when the step begins.
    pub power: Option<PowerState>,
    /// Subtask (index into the parent's children) this step belongs to.
    pub child: Option<usize>,
}

/// A job turned into steps, plus what it settles on.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Steps in order.
    pub steps: Vec<WorkStep>,
    /// Power state after the last step, for resets.
    pub final_power: Option<PowerState>,
    /// How the job ends.
    pub outcome: Outcome,
}

impl Schedule {
    /// Scaled total duration.
    #[must_use]
    pub fn total(&self) -> Duration {
        self.steps
            .iter()
            .fold(Duration::ZERO, |sum, s| sum.saturating_add(s.duration))
    }
}

impl Job {
    /// Whether work cut off by a restart can carry on from where it was.
    /// A reset cannot: the power sequence it drove is gone with the
    /// process, and repeating part of it would surprise the operator. A
    /// synthetic job can: it only has to finish its remaining steps.
    #[must_use]
    pub fn resumable(&self) -> bool {
        matches!(self, Self::Synthetic(_))
    }

    /// When a delayed job may start (Unix milliseconds), if it waits.
    #[must_use]
    pub fn not_before_ms(&self) -> Option<i64> {
        match self {
            Self::Synthetic(s) => s.not_before_ms,
            Self::Reset { .. } => None,
        }
    }
}

/// Scales a base duration in milliseconds.
#[must_use]
pub fn scaled(ms: u64, scale: f64) -> Duration {
    // A duration too large to represent saturates rather than panics.
    Duration::try_from_secs_f64(ms as f64 / 1000.0 * scale).unwrap_or(Duration::MAX)
}

/// Plans a reset of a machine currently in `current`.
///
/// # Errors
/// Returns the machine model's reason when the reset makes no sense now.
pub fn plan_reset(
    machine: &MachineId,
    current: PowerState,
    reset: ResetType,
    scale: f64,
) -> Result<Schedule, machine::Refusal> {
    let plan = machine::plan(machine.kind(), current, reset)?;
    let steps = plan
        .steps
        .iter()
        .map(|s| WorkStep {
            duration: scaled(s.duration_ms, scale),
            percent_after: s.percent_after,
            power: Some(s.power_state),
            child: None,
        })
        .collect();
    Ok(Schedule {
        steps,
        final_power: Some(plan.final_state),
        outcome: Outcome::Completed,
    })
}

/// Plans a synthetic job: its duration spread evenly over its steps, and the
/// steps spread evenly over its subtasks.
#[must_use]
pub fn plan_synthetic(job: &SyntheticJob, scale: f64) -> Schedule {
    // Work that takes no time has no progress to report: it ends at once
    // (one step per subtask remains, to run each subtask through its
    // states).
    let steps = if job.duration.is_zero() {
        job.subtasks
    } else {
        job.steps.max(1).max(job.subtasks)
    };
    let total =
        Duration::try_from_secs_f64(job.duration.as_secs_f64() * scale).unwrap_or(Duration::MAX);
    let each = total / steps.max(1);
    let steps = (1..=steps)
        .map(|i| WorkStep {
            duration: each,
            percent_after: percent_of(i, steps),
            power: None,
            child: (job.subtasks > 0).then(|| ((i - 1) * job.subtasks / steps) as usize),
        })
        .collect();
    Schedule {
        steps,
        final_power: None,
        outcome: job.outcome,
    }
}

/// Progress after step `i` of `n`, capped below 100 until the work is done.
fn percent_of(i: u32, n: u32) -> u8 {
    let pct = u64::from(i) * 100 / u64::from(n.max(1));
    u8::try_from(pct.min(99)).unwrap_or(99)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_steps_share_the_duration_and_never_claim_100() {
        let job = SyntheticJob {
            duration: Duration::from_secs(10),
            outcome: Outcome::Completed,
            steps: 4,
            cancellable: true,
            subtasks: 2,
            start_after: Duration::ZERO,
            not_before_ms: None,
        };
        let s = plan_synthetic(&job, 0.5);
        assert_eq!(s.steps.len(), 4);
        assert_eq!(s.total(), Duration::from_secs(5));
        let pcts: Vec<u8> = s.steps.iter().map(|s| s.percent_after).collect();
        assert_eq!(pcts, vec![25, 50, 75, 99]);
        let children: Vec<_> = s.steps.iter().map(|s| s.child).collect();
        assert_eq!(children, vec![Some(0), Some(0), Some(1), Some(1)]);
    }

    #[test]
    fn zero_duration_has_no_progress_steps() {
        let job = SyntheticJob {
            duration: Duration::ZERO,
            outcome: Outcome::Completed,
            steps: 10,
            cancellable: true,
            subtasks: 0,
            start_after: Duration::ZERO,
            not_before_ms: None,
        };
        assert!(plan_synthetic(&job, 1.0).steps.is_empty());
        let with_children = SyntheticJob { subtasks: 3, ..job };
        assert_eq!(plan_synthetic(&with_children, 1.0).steps.len(), 3);
    }

    #[test]
    fn scaling_saturates_instead_of_panicking() {
        assert_eq!(scaled(u64::MAX, f64::MAX), Duration::MAX);
    }
}
