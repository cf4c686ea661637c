//! The task state machine.
//!
//! Every transition the engine may make is listed in [`allowed`]; anything
//! else is refused. Terminal states (`Completed`, `Exception`, `Cancelled`,
//! `Killed`) have no way out. The engine never writes `TaskState` except
//! through [`transition`], so a task can never move backwards or leave a
//! terminal state.

use crate::model::task::TaskState;

/// A refused transition, kept for the log; the client never sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    /// State the task was in.
    pub from: TaskState,
    /// State that was asked for.
    pub to: TaskState,
}

impl std::fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "task state {} cannot move to {}",
            self.from.as_str(),
            self.to.as_str()
        )
    }
}

/// True when no transition leaves `state`.
#[must_use]
pub fn is_terminal(state: TaskState) -> bool {
    matches!(
        state,
        TaskState::Completed | TaskState::Exception | TaskState::Cancelled | TaskState::Killed
    )
}

/// True while a client may still cancel the work.
#[must_use]
pub fn is_cancellable(state: TaskState) -> bool {
    allowed(state, TaskState::Cancelling)
}

/// The transition table: `true` exactly for the moves the engine may make.
#[must_use]
pub fn allowed(from: TaskState, to: TaskState) -> bool {
    use TaskState::{
        Cancelled, Cancelling, Completed, Exception, Interrupted, New, Pending, Running, Service,
        Starting, Stopping, Suspended,
    };
    match from {
        New => matches!(to, Pending | Starting | Running | Cancelled | Exception),
        Pending => matches!(to, Starting | Running | Cancelling | Cancelled | Exception),
        Starting => matches!(to, Running | Cancelling | Exception),
        Running => matches!(
            to,
            Completed | Exception | Cancelling | Suspended | Interrupted | Stopping | Service
        ),
        Suspended | Interrupted | Service => matches!(to, Running | Cancelling | Exception),
        Stopping => matches!(to, Completed | Exception | Cancelled),
        Cancelling => matches!(to, Cancelled | Exception),
        _ => false,
    }
}

/// Moves `state` to `to` if the table allows it.
///
/// # Errors
/// Returns [`IllegalTransition`] and leaves `state` untouched otherwise.
pub fn transition(state: &mut TaskState, to: TaskState) -> Result<(), IllegalTransition> {
    if allowed(*state, to) {
        *state = to;
        Ok(())
    } else {
        Err(IllegalTransition { from: *state, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair the table allows, written out once more by hand so a change
    /// to the table has to be made twice on purpose.
    const EXPECTED: &[(TaskState, &[TaskState])] = {
        use TaskState::*;
        &[
            (New, &[Pending, Starting, Running, Cancelled, Exception]),
            (
                Pending,
                &[Starting, Running, Cancelling, Cancelled, Exception],
            ),
            (Starting, &[Running, Cancelling, Exception]),
            (
                Running,
                &[
                    Completed,
                    Exception,
                    Cancelling,
                    Suspended,
                    Interrupted,
                    Stopping,
                    Service,
                ],
            ),
            (Suspended, &[Running, Cancelling, Exception]),
            (Interrupted, &[Running, Cancelling, Exception]),
            (Service, &[Running, Cancelling, Exception]),
            (Stopping, &[Completed, Exception, Cancelled]),
            (Cancelling, &[Cancelled, Exception]),
        ]
    };

    #[test]
    fn every_pair_is_allowed_exactly_when_listed() {
        for &from in TaskState::ALL {
            let listed = EXPECTED
                .iter()
                .find(|(f, _)| *f == from)
                .map_or(&[][..], |e| e.1);
            for &to in TaskState::ALL {
                assert_eq!(
                    allowed(from, to),
                    listed.contains(&to),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn terminal_states_never_change() {
        for &from in TaskState::ALL.iter().filter(|s| is_terminal(**s)) {
            for &to in TaskState::ALL {
                let mut state = from;
                assert!(transition(&mut state, to).is_err());
                assert_eq!(state, from);
            }
        }
    }

    #[test]
    fn refused_transition_leaves_state_alone() {
        let mut state = TaskState::Running;
        assert!(transition(&mut state, TaskState::New).is_err());
        assert_eq!(state, TaskState::Running);
        assert!(transition(&mut state, TaskState::Completed).is_ok());
        assert_eq!(state, TaskState::Completed);
    }
}
