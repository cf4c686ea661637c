//! The baseline: a bare axum server in this process that answers every
//! request with a fixed JSON body, on its own multi-threaded tokio runtime
//! (the same default worker count as taskfish's).

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;

use crate::BenchResult;

/// Starts the server on 127.0.0.1:0 and returns its address. It runs until
/// the process exits.
///
/// # Errors
///
/// Fails when the runtime cannot be built or the port cannot be bound.
pub fn start(body: Bytes) -> BenchResult<SocketAddr> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (tx, rx) = mpsc::channel();

    thread::spawn(move || {
        runtime.block_on(async move {
            let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                Ok(listener) => listener,
                Err(err) => return drop(tx.send(Err(err.to_string()))),
            };
            let _ = tx.send(listener.local_addr().map_err(|err| err.to_string()));
            let app = Router::new().fallback(move || {
                let body = body.clone();
                async move { ([(CONTENT_TYPE, "application/json")], body) }
            });
            if let Err(err) = axum::serve(listener, app).await {
                eprintln!("bare axum server stopped: {err}");
            }
        });
    });

    let addr = rx.recv_timeout(Duration::from_secs(10))??;
    Ok(addr)
}
