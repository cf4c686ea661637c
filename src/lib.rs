//! taskfish: a DMTF Redfish service whose heart is the Task Service.
//!
//! The crate reads top to bottom as a request does: [`http`] receives and
//! routes it (the route table in [`routes`] is generated from the DMTF
//! schemas, like the types in [`model`]); [`resources`] holds the thin
//! handlers; [`engine`] runs task lifecycles; [`store`] keeps task records;
//! [`registry`] holds the Base and TaskEvent messages as data. This file
//! only wires them together and runs the server.

pub mod config;
pub mod engine;
pub mod etag;
pub mod http;
pub mod logging;
pub mod model;
pub mod registry;
pub mod resources;
pub mod routes;
pub mod schema_docs;
pub mod store;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use config::Config;
use engine::{Engine, EngineOptions};
use resources::Service;

/// Why the server could not run.
#[derive(Debug)]
pub enum ServeError {
    /// The async runtime could not start.
    Runtime(std::io::Error),
    /// The listen address could not be bound.
    Bind(String, std::io::Error),
    /// The task store could not be opened or read.
    Store(String),
    /// The server stopped with an I/O error.
    Serve(std::io::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Runtime(err) => write!(f, "cannot start the runtime: {err}"),
            Self::Bind(addr, err) => write!(f, "cannot listen on {addr}: {err}"),
            Self::Store(err) => write!(f, "cannot open the task store: {err}"),
            Self::Serve(err) => write!(f, "server stopped: {err}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// Runs the service until SIGTERM or SIGINT.
///
/// # Errors
/// Fails when the runtime cannot start, the address cannot be bound, the
/// store cannot be opened, or serving fails.
pub fn serve(config: Config) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async move {
        let server = Server::bind(&config).await?;
        // Install the signal handlers before announcing readiness, so a
        // SIGTERM sent right after the ready line still shuts down cleanly.
        let shutdown = shutdown_signal()?;
        println!("listening on http://{}", server.local_addr());
        // The ready line is the signal scripts wait for; make sure it left.
        let _ = std::io::stdout().flush();
        server.run(shutdown).await
    })
}

// TODO-hardening: there is no per-connection header read timeout (axum's
// `serve` does not expose hyper's), so a client that trickles its headers
// holds a connection open. Safe for now: the service listens on loopback
// for tests and demos, and shutdown no longer waits for such clients.
/// How long shutdown waits for open requests to finish.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// A bound, ready-to-run server (used by `serve` and by tests).
pub struct Server {
    listener: tokio::net::TcpListener,
    router: axum::Router,
    addr: SocketAddr,
}

impl Server {
    /// Builds the service and binds its listener.
    ///
    /// # Errors
    /// Fails when the store cannot be opened or the address bound.
    pub async fn bind(config: &Config) -> Result<Self, ServeError> {
        let store = open_store(config)?;
        let options = EngineOptions {
            time_scale: config.time_scale,
            systems: vec![resources::SYSTEM_ID.to_owned()],
            managers: vec![resources::MANAGER_ID.to_owned()],
            retention: engine::retention::Retention {
                task_minutes: config.task_auto_delete_minutes,
                monitor_seconds: config.monitor_expiry_seconds,
            },
        };
        let engine = Engine::new(store, options).map_err(|e| ServeError::Store(e.to_string()))?;
        engine.set_task_limit(engine::settings::TaskLimit {
            max_tasks: config.max_tasks,
            policy: config.overwrite_policy,
        });
        engine
            .recover()
            .map_err(|e| ServeError::Store(e.to_string()))?;
        engine.spawn_sweeper(std::time::Duration::from_secs(1));
        let service = Service::new(engine, config, service_uuid(config));
        let router = http::server::router(Arc::new(service));

        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .map_err(|e| ServeError::Bind(config.listen.clone(), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ServeError::Bind(config.listen.clone(), e))?;
        Ok(Self {
            listener,
            router,
            addr,
        })
    }

    /// The bound address (with the real port when 0 was asked for).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests
    /// finish for at most [`SHUTDOWN_GRACE`]: a client that stalls
    /// mid-request cannot keep the process (and its data directory lock)
    /// alive.
    ///
    /// # Errors
    /// Fails when the listener fails.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let stopping = Arc::new(tokio::sync::Notify::new());
        let signal = {
            let stopping = Arc::clone(&stopping);
            async move {
                shutdown.await;
                stopping.notify_one();
            }
        };
        let serving = axum::serve(self.listener, self.router).with_graceful_shutdown(signal);
        tokio::select! {
            result = serving => result.map_err(ServeError::Serve),
            () = async {
                stopping.notified().await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => {
                tracing::warn!("connections still open after the grace period; stopping anyway");
                Ok(())
            }
        }
    }
}

/// The durable store in the data directory, or memory with `ephemeral`.
fn open_store(config: &Config) -> Result<Arc<dyn store::TaskStore>, ServeError> {
    if config.ephemeral {
        return Ok(Arc::new(store::memory::MemoryStore::default()));
    }
    let path = config
        .data_dir
        .clone()
        .unwrap_or_else(store::data_dir::DataDir::default_path);
    let dir =
        store::data_dir::DataDir::open(&path).map_err(|e| ServeError::Store(e.to_string()))?;
    let store =
        store::sqlite::SqliteStore::open(&dir).map_err(|e| ServeError::Store(e.to_string()))?;
    tracing::info!(data_dir = %path.display(), "task store opened");
    Ok(Arc::new(store))
}

/// The service UUID: configured, or derived from the machine id so it is
/// stable for the installation, or random when neither is available.
fn service_uuid(config: &Config) -> String {
    if let Some(uuid) = &config.uuid {
        return uuid.to_lowercase();
    }
    let seed = std::fs::read_to_string("/etc/machine-id")
        .or_else(|_| std::fs::read_to_string("/var/lib/dbus/machine-id"));
    match seed {
        Ok(seed) => {
            let name = format!("taskfish:{}", seed.trim());
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes()).to_string()
        }
        Err(_) => uuid::Uuid::new_v4().to_string(),
    }
}

/// Registers SIGTERM and SIGINT; the future resolves on either.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()> + Send + 'static, ServeError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).map_err(ServeError::Runtime)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(ServeError::Runtime)?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        tracing::info!("shutting down");
    })
}
