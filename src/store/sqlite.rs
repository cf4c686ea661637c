//! The durable [`TaskStore`]: one SQLite file, `tasks.db`, in a locked
//! [`DataDir`].
//!
//! 1. **Durability.** The database runs in WAL mode with
//!    `synchronous=FULL`, so a commit returns only after the write-ahead log
//!    has been synced: a change the engine was told about survives a crash
//!    or a power cut. Readers never block the writer, nor it them.
//! 2. **Layout.** Three tables: `meta` (the layout version and the task id
//!    high-water mark), `tasks` (id and the record as serde JSON) and
//!    `state` (small service state by key). Layout 0 is a file without a
//!    `meta` table, i.e. a new one. On open, a file of an older layout is
//!    brought up to date by the steps in [`UPGRADES`], all in one
//!    transaction; a file of a newer layout is refused untouched.
//! 3. **Ids.** The high-water mark lives in memory and starts from the
//!    larger of the stored mark and the largest stored id. Every `put`
//!    persists it in its own transaction, so an id a client has seen (it
//!    sees one only after the `put` of that task returned) is never handed
//!    out again. An id allocated but never stored may come back after a
//!    restart; nobody outside the process can have seen it.
//! 4. **Group commit.** One writer thread owns the write connection. Every
//!    `put`, `remove` and `put_state` becomes a request on a channel and
//!    waits for its answer. The writer takes all pending requests, applies
//!    each under its own SAVEPOINT inside one transaction, commits once (one
//!    sync for the lot) and then answers each caller with its own result: a
//!    request that fails is rolled back alone, the others still commit. When
//!    the commit itself fails, every request in the batch fails.
//! 5. **Reads** (`load`, `get_state`) use a second connection; each is a
//!    single statement and so sees one committed snapshot.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::data_dir::DataDir;
use super::{StoreError, TaskStore};
use crate::engine::task::TaskRecord;

/// Name of the database file inside the data directory.
const DB_FILE: &str = "tasks.db";

/// The layout this build writes and understands.
const LAYOUT: u32 = 1;

/// `UPGRADES[n]` holds the statements that take layout `n` to `n + 1`. A
/// future step that must rewrite records in Rust turns this into a table of
/// functions; so far plain SQL is enough.
const UPGRADES: [&[&str]; LAYOUT as usize] = [&[
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE tasks (id INTEGER PRIMARY KEY, record TEXT NOT NULL)",
    "CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "INSERT INTO meta (key, value) VALUES ('high_water', 0)",
]];

/// Most requests the writer puts in one transaction.
const MAX_BATCH: usize = 1024;

/// How long a connection waits for a lock held inside this process (the
/// data directory lock keeps other processes out).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest id SQLite can store as an `INTEGER PRIMARY KEY`.
const MAX_ID: u64 = i64::MAX.unsigned_abs();

/// A [`TaskStore`] kept in SQLite; see the module documentation.
pub struct SqliteStore {
    path: PathBuf,
    high_water: AtomicU64,
    reader: Mutex<Connection>,
    requests: Option<mpsc::Sender<Request>>,
    writer: Option<JoinHandle<()>>,
    _dir: DataDir,
}

/// One change, already encoded, waiting for the writer.
enum Change {
    Put {
        rows: Vec<(i64, String)>,
        high_water: i64,
    },
    Remove(Vec<i64>),
    PutState {
        key: String,
        value: String,
    },
}

/// A change and where to send its result.
struct Request {
    change: Change,
    done: mpsc::SyncSender<Result<(), StoreError>>,
}

impl SqliteStore {
    /// Opens (creating or upgrading when needed) `tasks.db` in `dir`. The
    /// store keeps a clone of `dir`, so the directory stays locked while
    /// the store lives.
    ///
    /// # Errors
    /// Fails when the file cannot be opened or switched to WAL mode, when it
    /// was written by a newer taskfish, when an upgrade step fails (the file
    /// is then left as it was), or when the writer thread cannot start.
    pub fn open(dir: &DataDir) -> Result<Self, StoreError> {
        let path = dir.path().join(DB_FILE);
        let mut writer = connect(&path)?;
        refuse_newer(&writer, &path)?;
        writer
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| sql_error(&path, "PRAGMA synchronous = FULL", e))?;
        enable_wal(&writer, &path)?;
        upgrade(&mut writer, &path)?;
        let high_water = read_high_water(&writer, &path)?;
        sync_dir(dir.path())?;

        let reader = connect(&path)?;
        reader
            .pragma_update(None, "query_only", "ON")
            .map_err(|e| sql_error(&path, "PRAGMA query_only = ON", e))?;

        let (requests, inbox) = mpsc::channel();
        let writer_path = path.clone();
        let writer = std::thread::Builder::new()
            .name("taskfish-store".into())
            .spawn(move || write_loop(writer, &writer_path, &inbox))
            .map_err(|e| StoreError(format!("cannot start the store writer thread: {e}")))?;

        Ok(Self {
            path,
            high_water: AtomicU64::new(high_water),
            reader: Mutex::new(reader),
            requests: Some(requests),
            writer: Some(writer),
            _dir: dir.clone(),
        })
    }

    /// Hands a change to the writer and waits until it is durable.
    fn submit(&self, change: Change) -> Result<(), StoreError> {
        let gone = || {
            StoreError(format!(
                "{}: the writer thread has stopped",
                self.path.display()
            ))
        };
        let (done, answer) = mpsc::sync_channel(1);
        let requests = self.requests.as_ref().ok_or_else(gone)?;
        requests
            .send(Request { change, done })
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }

    fn reader(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.reader
            .lock()
            .map_err(|_| StoreError(format!("{}: reader lock poisoned", self.path.display())))
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("high_water", &self.high_water)
            .finish_non_exhaustive()
    }
}

impl TaskStore for SqliteStore {
    fn allocate_id(&self) -> Result<u64, StoreError> {
        let next = |id: u64| id.checked_add(1).filter(|n| *n <= MAX_ID);
        let previous = self
            .high_water
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, next)
            .map_err(|_| StoreError("task ids are exhausted".into()))?;
        Ok(previous + 1)
    }

    fn put(&self, tasks: &[TaskRecord]) -> Result<(), StoreError> {
        let Some(max_id) = tasks.iter().map(|t| t.id).max() else {
            return Ok(());
        };
        let rows = tasks.iter().map(encode).collect::<Result<Vec<_>, _>>()?;
        let previous = self.high_water.fetch_max(max_id, Ordering::SeqCst);
        let high_water = sql_id(previous.max(max_id))?;
        self.submit(Change::Put { rows, high_water })
    }

    fn remove(&self, ids: &[u64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        // An id SQLite cannot hold cannot be stored, so there is nothing
        // to remove for it.
        let ids = ids.iter().filter_map(|id| sql_id(*id).ok()).collect();
        self.submit(Change::Remove(ids))
    }

    fn load(&self) -> Result<Vec<TaskRecord>, StoreError> {
        const SELECT: &str = "SELECT id, record FROM tasks ORDER BY id";
        let fail = |e| sql_error(&self.path, SELECT, e);
        let reader = self.reader()?;
        let mut statement = reader.prepare_cached(SELECT).map_err(fail)?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(fail)?;
        let mut tasks = Vec::new();
        for row in rows {
            let (id, json) = row.map_err(fail)?;
            tasks.push(decode(&self.path, id, &json)?);
        }
        Ok(tasks)
    }

    fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        const SELECT: &str = "SELECT value FROM state WHERE key = ?1";
        let fail = |e| sql_error(&self.path, SELECT, e);
        let reader = self.reader()?;
        let mut statement = reader.prepare_cached(SELECT).map_err(fail)?;
        statement
            .query_row([key], |row| row.get(0))
            .optional()
            .map_err(fail)
    }

    fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.submit(Change::PutState {
            key: key.to_owned(),
            value: value.to_owned(),
        })
    }
}

impl Drop for SqliteStore {
    /// Closes the request channel, lets the writer finish and joins it.
    fn drop(&mut self) {
        drop(self.requests.take());
        let Some(writer) = self.writer.take() else {
            return;
        };
        if writer.join().is_err() {
            tracing::error!(path = %self.path.display(), "store writer thread panicked");
        }
    }
}

/// Opens a connection with the settings both connections share.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| sql_error(path, "open", e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| sql_error(path, "set busy timeout", e))?;
    Ok(conn)
}

/// Refuses, before changing anything, a file from a newer taskfish.
fn refuse_newer(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let layout = read_layout(conn, path)?;
    if layout > LAYOUT {
        return Err(StoreError(format!(
            "{} was written by a newer taskfish (layout {layout}, this build knows {LAYOUT})",
            path.display()
        )));
    }
    Ok(())
}

/// Switches the file to WAL mode (a persistent property of the file).
fn enable_wal(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    const WHAT: &str = "PRAGMA journal_mode = WAL";
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|e| sql_error(path, WHAT, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError(format!(
            "{}: {WHAT}: the file stayed in {mode} mode",
            path.display()
        )));
    }
    Ok(())
}

/// The layout version of the file: 0 when it has no `meta` table yet.
fn read_layout(conn: &Connection, path: &Path) -> Result<u32, StoreError> {
    const HAS_META: &str =
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')";
    const SELECT: &str = "SELECT value FROM meta WHERE key = 'layout'";
    let has_meta: bool = conn
        .query_row(HAS_META, [], |row| row.get(0))
        .map_err(|e| sql_error(path, HAS_META, e))?;
    if !has_meta {
        return Ok(0);
    }
    conn.query_row(SELECT, [], |row| row.get::<_, u32>(0))
        .optional()
        .map_err(|e| sql_error(path, SELECT, e))?
        .ok_or_else(|| StoreError(format!("{}: meta table has no layout", path.display())))
}

/// Brings the file to [`LAYOUT`] in one transaction.
fn upgrade(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    const SET_LAYOUT: &str = "INSERT INTO meta (key, value) VALUES ('layout', ?1) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| sql_error(path, "BEGIN IMMEDIATE", e))?;
    let from = read_layout(&tx, path)?;
    if from == LAYOUT {
        return Ok(());
    }
    if from > LAYOUT {
        return refuse_newer(&tx, path);
    }

    for (layout, step) in (from..LAYOUT).zip(&UPGRADES[from as usize..]) {
        for statement in *step {
            tx.execute_batch(statement).map_err(|e| {
                let what = format!(
                    "upgrade from layout {layout} to {}: {statement}",
                    layout + 1
                );
                sql_error(path, &what, e)
            })?;
        }
    }
    tx.execute(SET_LAYOUT, [LAYOUT])
        .map_err(|e| sql_error(path, SET_LAYOUT, e))?;
    tx.commit()
        .map_err(|e| sql_error(path, "COMMIT upgrade", e))
}

/// The larger of the stored high-water mark and the largest stored id.
fn read_high_water(conn: &Connection, path: &Path) -> Result<u64, StoreError> {
    const SELECT: &str = "SELECT max((SELECT value FROM meta WHERE key = 'high_water'), \
         (SELECT coalesce(max(id), 0) FROM tasks))";
    let high_water: i64 = conn
        .query_row(SELECT, [], |row| row.get(0))
        .map_err(|e| sql_error(path, SELECT, e))?;
    u64::try_from(high_water).map_err(|_| {
        StoreError(format!(
            "{}: negative id high-water mark {high_water}",
            path.display()
        ))
    })
}

/// Syncs the directory so a newly created database file is durable too.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError(format!("cannot sync directory {}: {e}", dir.display())))
}

/// The writer thread: takes what is pending, commits it, answers.
fn write_loop(mut conn: Connection, path: &Path, inbox: &mpsc::Receiver<Request>) {
    while let Ok(first) = inbox.recv() {
        let mut batch = vec![first];
        batch.extend(inbox.try_iter().take(MAX_BATCH - 1));
        let changes: Vec<&Change> = batch.iter().map(|r| &r.change).collect();
        let results = commit_batch(&mut conn, path, &changes);
        for (request, result) in batch.into_iter().zip(results) {
            // A caller that went away no longer needs its answer.
            let _ = request.done.send(result);
        }
    }
}

/// Applies `changes` in one transaction; one result per change.
fn commit_batch(
    conn: &mut Connection,
    path: &Path,
    changes: &[&Change],
) -> Vec<Result<(), StoreError>> {
    match apply_batch(conn, path, changes) {
        Ok(results) => results,
        Err(err) => changes
            .iter()
            .map(|_| Err(StoreError(err.0.clone())))
            .collect(),
    }
}

/// Each change under its own savepoint, then one commit. An `Err` means
/// the whole transaction was rolled back.
fn apply_batch(
    conn: &mut Connection,
    path: &Path,
    changes: &[&Change],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let step = |tx: &Transaction<'_>, sql: &str| {
        tx.execute_batch(sql).map_err(|e| sql_error(path, sql, e))
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| sql_error(path, "BEGIN IMMEDIATE", e))?;

    let mut results = Vec::with_capacity(changes.len());
    for change in changes {
        step(&tx, "SAVEPOINT change")?;
        let result = apply(&tx, path, change);
        if result.is_err() {
            step(&tx, "ROLLBACK TO change")?;
        }
        step(&tx, "RELEASE change")?;
        results.push(result);
    }

    tx.commit().map_err(|e| sql_error(path, "COMMIT", e))?;
    Ok(results)
}

/// Applies one change inside the writer's transaction.
fn apply(tx: &Transaction<'_>, path: &Path, change: &Change) -> Result<(), StoreError> {
    const PUT: &str = "INSERT INTO tasks (id, record) VALUES (?1, ?2) \
         ON CONFLICT (id) DO UPDATE SET record = excluded.record";
    const HIGH_WATER: &str = "UPDATE meta SET value = max(value, ?1) WHERE key = 'high_water'";
    const REMOVE: &str = "DELETE FROM tasks WHERE id = ?1";
    const PUT_STATE: &str = "INSERT INTO state (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value";

    let run = |sql: &str, what: &dyn Fn() -> String, params: &[&dyn rusqlite::ToSql]| {
        tx.prepare_cached(sql)
            .and_then(|mut statement| statement.execute(params))
            .map(drop)
            .map_err(|e| sql_error(path, &what(), e))
    };
    match change {
        Change::Put { rows, high_water } => {
            for (id, json) in rows {
                run(PUT, &|| format!("put task {id}: {PUT}"), params![id, json])?;
            }
            run(HIGH_WATER, &|| HIGH_WATER.to_owned(), params![high_water])
        }
        Change::Remove(ids) => ids.iter().try_for_each(|id| {
            run(
                REMOVE,
                &|| format!("remove task {id}: {REMOVE}"),
                params![id],
            )
        }),
        Change::PutState { key, value } => run(
            PUT_STATE,
            &|| format!("put state {key:?}: {PUT_STATE}"),
            params![key, value],
        ),
    }
}

/// A record as its row: SQLite id and JSON text.
fn encode(task: &TaskRecord) -> Result<(i64, String), StoreError> {
    let json = serde_json::to_string(task)
        .map_err(|e| StoreError(format!("cannot encode task {}: {e}", task.id)))?;
    Ok((sql_id(task.id)?, json))
}

/// A row back as a record, checking that it is the one its key says.
fn decode(path: &Path, id: i64, json: &str) -> Result<TaskRecord, StoreError> {
    let task: TaskRecord = serde_json::from_str(json)
        .map_err(|e| StoreError(format!("{}: cannot decode task {id}: {e}", path.display())))?;
    if i64::try_from(task.id) != Ok(id) {
        return Err(StoreError(format!(
            "{}: row {id} holds task {}",
            path.display(),
            task.id
        )));
    }
    Ok(task)
}

/// A task id as SQLite stores it.
fn sql_id(id: u64) -> Result<i64, StoreError> {
    i64::try_from(id).map_err(|_| StoreError(format!("task id {id} is too large to store")))
}

/// A SQLite error with the file and the statement it came from.
fn sql_error(path: &Path, what: &str, err: rusqlite::Error) -> StoreError {
    StoreError(format!("{}: {what}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::task::{FinalResponse, TaskPayload};
    use crate::model::task::TaskState;
    use crate::registry::{RedfishMessage, Severity};
    use crate::store::data_dir::tests::TempDir;
    use std::sync::Arc;

    fn record(id: u64) -> TaskRecord {
        TaskRecord {
            id,
            parent: None,
            children: Vec::new(),
            name: format!("Task {id}"),
            state: TaskState::New,
            start_time: "2025-01-02T03:04:05+00:00".into(),
            end_time: None,
            ended_at: None,
            monitor_read_at: None,
            percent: 0,
            messages: Vec::new(),
            monitor: format!("m{id}"),
            monitor_gone: false,
            payload: None,
            job: None,
            hide_payload: false,
            estimated_ms: None,
            cancellable: false,
            outcome: None,
        }
    }

    fn full_record(id: u64) -> TaskRecord {
        TaskRecord {
            parent: Some(1),
            children: vec![id + 1, id + 2],
            state: TaskState::Completed,
            end_time: Some("2025-01-02T03:05:00+00:00".into()),
            ended_at: Some(1_735_787_100),
            monitor_read_at: Some(1_735_787_101),
            percent: 100,
            messages: vec![RedfishMessage {
                message_id: "TaskEvent.1.0.3.TaskCompletedOK".into(),
                message: "The task with Id '7' has completed.".into(),
                message_args: vec!["7".into()],
                severity: Severity::Warning,
                resolution: "None.".into(),
                related_properties: vec!["#/Name".into()],
            }],
            monitor_gone: true,
            payload: Some(TaskPayload {
                target_uri: "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset".into(),
                http_operation: "POST".into(),
                http_headers: vec!["Content-Type: application/json".into()],
                json_body: r#"{"ResetType":"On"}"#.into(),
            }),
            hide_payload: true,
            estimated_ms: Some(1500),
            cancellable: true,
            outcome: Some(FinalResponse {
                status: 200,
                body: serde_json::json!({"a": [1, "two", null], "b": {"c": 3.5}}),
                retry_after: Some(7),
            }),
            ..record(id)
        }
    }

    fn open(tmp: &TempDir) -> SqliteStore {
        SqliteStore::open(&DataDir::open(&tmp.0).unwrap()).unwrap()
    }

    fn open_err(tmp: &TempDir) -> String {
        match SqliteStore::open(&DataDir::open(&tmp.0).unwrap()) {
            Ok(_) => panic!("open should fail"),
            Err(err) => err.to_string(),
        }
    }

    /// A plain connection to the store's file, for fixtures and checks.
    fn raw(tmp: &TempDir) -> Connection {
        std::fs::create_dir_all(&tmp.0).unwrap();
        Connection::open(tmp.0.join(DB_FILE)).unwrap()
    }

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn meta(conn: &Connection, key: &str) -> i64 {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .unwrap()
    }

    fn ids(store: &SqliteStore) -> Vec<u64> {
        store.load().unwrap().iter().map(|t| t.id).collect()
    }

    /// Makes the database refuse to store the task with this id.
    fn poison_task(tmp: &TempDir, id: u64) {
        raw(tmp)
            .execute_batch(&format!(
                "CREATE TRIGGER poison BEFORE INSERT ON tasks WHEN NEW.id = {id} \
                 BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
            ))
            .unwrap();
    }

    #[test]
    fn records_round_trip_with_every_field() {
        let tmp = TempDir::new("sqlite-roundtrip");
        let tasks = vec![full_record(7), record(8)];
        {
            let store = open(&tmp);
            store.put(&tasks).unwrap();
            assert_eq!(store.load().unwrap(), tasks);
        }
        assert_eq!(open(&tmp).load().unwrap(), tasks);
    }

    #[test]
    fn put_replaces_and_remove_ignores_absent_ids() {
        let tmp = TempDir::new("sqlite-replace");
        let store = open(&tmp);
        store.put(&[record(1), record(2), record(3)]).unwrap();
        let mut changed = record(2);
        changed.percent = 40;
        store.put(std::slice::from_ref(&changed)).unwrap();
        store.remove(&[1, 99, u64::MAX]).unwrap();
        assert_eq!(store.load().unwrap(), vec![changed, record(3)]);
        store.put(&[]).unwrap();
        store.remove(&[]).unwrap();
    }

    #[test]
    fn state_round_trips_and_survives_reopen() {
        let tmp = TempDir::new("sqlite-state");
        {
            let store = open(&tmp);
            assert_eq!(store.get_state("service").unwrap(), None);
            store.put_state("service", r#"{"a":1}"#).unwrap();
            store.put_state("service", r#"{"a":2}"#).unwrap();
        }
        let store = open(&tmp);
        assert_eq!(
            store.get_state("service").unwrap().as_deref(),
            Some(r#"{"a":2}"#)
        );
    }

    #[test]
    fn ids_are_never_reused_across_reopen() {
        let tmp = TempDir::new("sqlite-ids");
        let (stored, seen) = {
            let store = open(&tmp);
            let first = store.allocate_id().unwrap();
            let second = store.allocate_id().unwrap();
            store.put(&[record(first)]).unwrap();
            // `second` was never stored, but a `put` after its allocation
            // persisted the mark past it.
            (first, second)
        };
        let store = open(&tmp);
        let next = store.allocate_id().unwrap();
        assert!(
            next > stored && next > seen,
            "{next} after {stored}, {seen}"
        );

        // An id allocated after the last put may come back after a restart
        // (no client can have seen it), but never one below the mark.
        drop(store);
        let store = open(&tmp);
        assert!(store.allocate_id().unwrap() > seen);
    }

    #[test]
    fn ids_stay_above_stored_records_even_without_the_mark() {
        let tmp = TempDir::new("sqlite-ids-max");
        {
            let store = open(&tmp);
            store.put(&[record(50)]).unwrap();
            assert_eq!(store.allocate_id().unwrap(), 51);
        }
        raw(&tmp)
            .execute("UPDATE meta SET value = 0 WHERE key = 'high_water'", [])
            .unwrap();
        assert_eq!(open(&tmp).allocate_id().unwrap(), 51);
    }

    #[test]
    fn data_dir_stays_locked_while_the_store_lives() {
        let tmp = TempDir::new("sqlite-lock");
        let store = open(&tmp);
        let err = DataDir::open(&tmp.0).unwrap_err().to_string();
        assert!(
            err.contains("is in use by another taskfish process"),
            "{err}"
        );
        drop(store);
        DataDir::open(&tmp.0).unwrap();
    }

    #[test]
    fn drop_checkpoints_and_leaves_no_wal_behind() {
        let tmp = TempDir::new("sqlite-close");
        let store = open(&tmp);
        store.put(&[record(1)]).unwrap();
        let conn = raw(&tmp);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(conn);
        drop(store);
        assert!(!tmp.0.join("tasks.db-wal").exists());
    }

    #[test]
    fn newer_layout_is_refused_untouched() {
        let tmp = TempDir::new("sqlite-newer");
        drop(open(&tmp));
        raw(&tmp)
            .execute("UPDATE meta SET value = 2 WHERE key = 'layout'", [])
            .unwrap();
        let err = open_err(&tmp);
        assert!(
            err.contains("written by a newer taskfish (layout 2, this build knows 1)"),
            "{err}"
        );
        assert!(err.contains(DB_FILE), "{err}");
        assert_eq!(meta(&raw(&tmp), "layout"), 2);
    }

    #[test]
    fn layout_zero_file_is_upgraded() {
        let tmp = TempDir::new("sqlite-layout0");
        // Layout 0: a valid SQLite file without a meta table, as a first
        // start that died before its upgrade committed leaves behind.
        let conn = raw(&tmp);
        conn.execute_batch("PRAGMA user_version = 0; VACUUM")
            .unwrap();
        assert_eq!(read_layout(&conn, &tmp.0).unwrap(), 0);
        drop(conn);

        let store = open(&tmp);
        assert_eq!(store.allocate_id().unwrap(), 1);
        let conn = raw(&tmp);
        assert_eq!(tables(&conn), ["meta", "state", "tasks"]);
        assert_eq!(meta(&conn, "layout"), i64::from(LAYOUT));
        assert_eq!(meta(&conn, "high_water"), 0);
    }

    #[test]
    fn failed_upgrade_leaves_no_partial_schema() {
        let tmp = TempDir::new("sqlite-failed-upgrade");
        // A stray `state` table makes the last CREATE of step 0 -> 1 fail
        // after `meta` and `tasks` were created in the same transaction.
        raw(&tmp).execute_batch("CREATE TABLE state (x)").unwrap();
        let err = open_err(&tmp);
        assert!(
            err.contains("upgrade from layout 0 to 1: CREATE TABLE state"),
            "{err}"
        );
        assert_eq!(tables(&raw(&tmp)), ["state"]);
    }

    #[test]
    fn failing_put_writes_none_of_its_records() {
        let tmp = TempDir::new("sqlite-failed-put");
        drop(open(&tmp));
        poison_task(&tmp, 13);
        let store = open(&tmp);
        let err = store
            .put(&[record(12), record(13)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("put task 13") && err.contains("poisoned"),
            "{err}"
        );
        assert!(store.load().unwrap().is_empty());
        store.put(&[record(12)]).unwrap();
        assert_eq!(ids(&store), [12]);
    }

    #[test]
    fn failing_request_in_a_batch_spares_the_others() {
        let tmp = TempDir::new("sqlite-batch");
        drop(open(&tmp));
        poison_task(&tmp, 2);
        let put = |id: u64| Change::Put {
            rows: vec![encode(&record(id)).unwrap()],
            high_water: 3,
        };
        let state = Change::PutState {
            key: "k".into(),
            value: "v".into(),
        };
        let changes = [put(1), put(2), state, put(3)];
        let mut conn = raw(&tmp);
        let refs: Vec<&Change> = changes.iter().collect();
        let results = commit_batch(&mut conn, &tmp.0, &refs);
        let ok: Vec<bool> = results.iter().map(Result::is_ok).collect();
        assert_eq!(ok, [true, false, true, true]);
        drop(conn);

        let store = open(&tmp);
        assert_eq!(ids(&store), [1, 3]);
        assert_eq!(store.get_state("k").unwrap().as_deref(), Some("v"));
        assert_eq!(store.allocate_id().unwrap(), 4);
    }

    #[test]
    fn undecodable_record_is_reported_with_its_id() {
        let tmp = TempDir::new("sqlite-corrupt");
        drop(open(&tmp));
        raw(&tmp)
            .execute("INSERT INTO tasks (id, record) VALUES (5, '{}')", [])
            .unwrap();
        let err = open(&tmp).load().unwrap_err().to_string();
        assert!(err.contains("cannot decode task 5"), "{err}");
    }

    #[test]
    fn concurrent_puts_all_land() {
        const THREADS: u64 = 8;
        const PER_THREAD: u64 = 200;
        let tmp = TempDir::new("sqlite-concurrent");
        let store = Arc::new(open(&tmp));
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || {
                    for _ in 0..PER_THREAD {
                        let id = store.allocate_id().unwrap();
                        store.put(&[record(id)]).unwrap();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        drop(store);

        let store = open(&tmp);
        let expected: Vec<u64> = (1..=THREADS * PER_THREAD).collect();
        assert_eq!(ids(&store), expected);
        assert_eq!(store.allocate_id().unwrap(), THREADS * PER_THREAD + 1);
    }
}
