//! A task as the engine keeps it: lifecycle fields, messages, the request
//! that started it and, once finished, the response its monitor replays.

use serde::{Deserialize, Serialize};

use crate::model::task::TaskState;
use crate::registry::{RedfishMessage, Severity};

use super::state;

/// The request that started a task (the Task's `Payload`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskPayload {
    /// URI the request was sent to.
    pub target_uri: String,
    /// HTTP method of the request.
    pub http_operation: String,
    /// `Name: value` lines, secrets already removed.
    pub http_headers: Vec<String>,
    /// The request body as text.
    pub json_body: String,
}

/// What the task monitor answers once the work is over: the response the
/// request would have had if it had been synchronous.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: serde_json::Value,
    /// `Retry-After` seconds, for an answer that invites a retry.
    #[serde(default)]
    pub retry_after: Option<u64>,
}

/// One task. Its serde form is what a durable store keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Numeric id; never reused.
    pub id: u64,
    /// Parent task id for a subtask.
    pub parent: Option<u64>,
    /// Ids of this task's subtasks, in creation order.
    pub children: Vec<u64>,
    /// Human-readable name.
    pub name: String,
    /// Lifecycle state; change it only through [`TaskRecord::set_state`].
    pub state: TaskState,
    /// When the work started (RFC 3339); empty while it waits (`New`,
    /// `Pending`), so clients never time work that has not begun.
    pub start_time: String,
    /// When it reached a terminal state (RFC 3339).
    pub end_time: Option<String>,
    /// The same moment in Unix seconds, for retention.
    pub ended_at: Option<i64>,
    /// Unix seconds of the first monitor read after the work ended.
    pub monitor_read_at: Option<i64>,
    /// Progress 0..=100; reaches 100 only on success.
    pub percent: u8,
    /// TaskEvent messages, oldest first.
    pub messages: Vec<RedfishMessage>,
    /// Opaque token of the task monitor (the last path segment).
    pub monitor: String,
    /// The monitor no longer answers (cancelled or expired).
    pub monitor_gone: bool,
    /// The originating request, if any.
    pub payload: Option<TaskPayload>,
    /// The work itself, so a restart can resume or end it.
    #[serde(default)]
    pub job: Option<super::job::Job>,
    /// Whether the payload is hidden from readers.
    pub hide_payload: bool,
    /// Expected run time in milliseconds.
    pub estimated_ms: Option<u64>,
    /// Whether clients may cancel the work.
    pub cancellable: bool,
    /// Set once the work is over.
    pub outcome: Option<FinalResponse>,
}

impl TaskRecord {
    /// Moves to `to` when the state machine allows it.
    ///
    /// # Errors
    /// Returns the refused transition; the record is unchanged.
    pub fn set_state(&mut self, to: TaskState) -> Result<(), state::IllegalTransition> {
        state::transition(&mut self.state, to)
    }

    /// True once the task can no longer change state.
    #[must_use]
    pub fn is_terminal(&self) -> bool {
        state::is_terminal(self.state)
    }

    /// True while a client may cancel it. A subtask is never cancelled on
    /// its own: it belongs to its parent's work and is cancelled with it.
    #[must_use]
    pub fn can_cancel(&self) -> bool {
        self.cancellable && self.parent.is_none() && state::is_cancellable(self.state)
    }

    /// `TaskStatus`: the worst message severity, known only once terminal.
    #[must_use]
    pub fn status(&self) -> Option<Severity> {
        self.is_terminal().then(|| {
            self.messages
                .iter()
                .map(|m| m.severity)
                .fold(Severity::Ok, Severity::worst)
        })
    }

    /// Adds a message, replacing older ones with the same MessageId when
    /// `replace` is set (used for progress updates).
    pub fn push_message(&mut self, message: RedfishMessage, replace: bool) {
        if replace {
            self.messages.retain(|m| m.message_id != message.message_id);
        }
        self.messages.push(message);
    }
}
