//! Where task state lives. The engine talks to a [`TaskStore`] and assumes
//! nothing about how it keeps records: every change it makes is handed to
//! the store before any client is told about it.

pub mod data_dir;
pub mod memory;
pub mod sqlite;

use std::fmt;

use crate::engine::task::TaskRecord;

/// A store failure; the engine logs it and answers 500 to the client.
#[derive(Debug)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// Durable home of task records, the id sequence and small service state
/// (TaskService settings, the simulated machines).
///
/// Every call is one transaction: when it returns `Ok`, the change is
/// durable (for a durable store) and visible to [`TaskStore::load`]; when it
/// returns `Err`, nothing changed. Calls may come from many threads at once;
/// a store may commit concurrent calls together (group commit) as long as
/// each call returns only after its own change is durable.
pub trait TaskStore: Send + Sync + 'static {
    /// Hands out the next task id. Ids are never reused, across restarts
    /// too: a store persists the high-water mark with the records it saves.
    ///
    /// # Errors
    /// Fails when the store is unusable.
    fn allocate_id(&self) -> Result<u64, StoreError>;

    /// Inserts or replaces task records (a task and its subtasks, or one
    /// changed task), as one transaction.
    ///
    /// # Errors
    /// Fails when the records could not be written; none of them was.
    fn put(&self, tasks: &[TaskRecord]) -> Result<(), StoreError>;

    /// Removes task records, as one transaction; absent ids are ignored.
    ///
    /// # Errors
    /// Fails when the store could not be changed; nothing was removed.
    fn remove(&self, ids: &[u64]) -> Result<(), StoreError>;

    /// Every stored task, in id order.
    ///
    /// # Errors
    /// Fails when the store cannot be read or a record cannot be decoded.
    fn load(&self) -> Result<Vec<TaskRecord>, StoreError>;

    /// Reads one piece of service state (JSON text) by key.
    ///
    /// # Errors
    /// Fails when the store cannot be read.
    fn get_state(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Writes one piece of service state (JSON text) by key, as one
    /// transaction.
    ///
    /// # Errors
    /// Fails when the state could not be written.
    fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError>;
}
