//! An in-memory [`TaskStore`] for tests, demos and this first release.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{StoreError, TaskStore};
use crate::engine::task::TaskRecord;

/// Keeps records in a map; everything is gone when the process ends.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    last_id: u64,
    tasks: BTreeMap<u64, TaskRecord>,
}

impl MemoryStore {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError("memory store lock poisoned".into()))
    }
}

impl TaskStore for MemoryStore {
    fn allocate_id(&self) -> Result<u64, StoreError> {
        let mut inner = self.lock()?;
        inner.last_id += 1;
        Ok(inner.last_id)
    }

    fn put(&self, task: &TaskRecord) -> Result<(), StoreError> {
        self.lock()?.tasks.insert(task.id, task.clone());
        Ok(())
    }

    fn remove(&self, id: u64) -> Result<(), StoreError> {
        self.lock()?.tasks.remove(&id);
        Ok(())
    }

    fn load(&self) -> Result<Vec<TaskRecord>, StoreError> {
        Ok(self.lock()?.tasks.values().cloned().collect())
    }
}
