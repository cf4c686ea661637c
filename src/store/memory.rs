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
    state: BTreeMap<String, String>,
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

    fn put(&self, tasks: &[TaskRecord]) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        for task in tasks {
            inner.tasks.insert(task.id, task.clone());
        }
        Ok(())
    }

    fn remove(&self, ids: &[u64]) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        for id in ids {
            inner.tasks.remove(id);
        }
        Ok(())
    }

    fn load(&self) -> Result<Vec<TaskRecord>, StoreError> {
        Ok(self.lock()?.tasks.values().cloned().collect())
    }

    fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock()?.state.get(key).cloned())
    }

    fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.lock()?.state.insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}
