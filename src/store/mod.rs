//! Where task state lives. The engine talks to a [`TaskStore`] and assumes
//! nothing about how it keeps records: every change it makes is handed to
//! the store before any client is told about it.

pub mod memory;

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

/// Durable home of task records and the id sequence.
pub trait TaskStore: Send + Sync + 'static {
    /// Hands out the next task id; ids are never reused.
    ///
    /// # Errors
    /// Fails when the store cannot record the new high-water mark.
    fn allocate_id(&self) -> Result<u64, StoreError>;

    /// Inserts or replaces one task record, as one transaction.
    ///
    /// # Errors
    /// Fails when the record could not be written; the change did not happen.
    fn put(&self, task: &TaskRecord) -> Result<(), StoreError>;

    /// Removes a task record; removing an absent one is not an error.
    ///
    /// # Errors
    /// Fails when the store could not be changed.
    fn remove(&self, id: u64) -> Result<(), StoreError>;

    /// Every stored task, in id order.
    ///
    /// # Errors
    /// Fails when the store cannot be read.
    fn load(&self) -> Result<Vec<TaskRecord>, StoreError>;
}
