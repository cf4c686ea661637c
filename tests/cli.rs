//! The `taskfish` binary's command line: it prints its ready line, serves
//! HTTP, stops cleanly on SIGTERM, and refuses bad flag values with a
//! message and a non-zero exit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_taskfish");

/// A spawned server, killed (by its own PID) if the test fails early.
struct Spawned {
    child: Child,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits for the child to exit, at most `limit`.
fn wait_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Spawns `taskfish serve` with `args` and returns it with its address.
fn serve(args: &[&str]) -> (Spawned, String) {
    let child = Command::new(BIN)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--log", "warn", "--ephemeral"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut spawned = Spawned { child };
    let stdout = spawned.child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("ready line within 10 s");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected ready line {line:?}"))
        .to_owned();
    (spawned, addr)
}

fn raw_get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\
         OData-Version: 4.0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = stream.read_to_string(&mut out);
    out
}

#[test]
fn serve_prints_ready_line_answers_and_exits_0_on_sigterm() {
    let (mut server, addr) = serve(&["--time-scale", "0.01"]);
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    let reply = raw_get(&addr, "/redfish/v1");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let lower = reply.to_ascii_lowercase();
    assert!(lower.contains("odata-version: 4.0"), "{reply}");
    assert!(reply.contains("\"@odata.id\":\"/redfish/v1\""), "{reply}");

    let pid = server.child.id().to_string();
    let kill = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(kill.success());
    let status = wait_exit(&mut server.child, Duration::from_secs(5)).expect("exits on SIGTERM");
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn serve_with_test_tasks_accepts_synthetic_tasks() {
    let (mut server, addr) = serve(&["--time-scale", "0.001", "--test-tasks"]);
    let body = r#"{"DurationSeconds": 0}"#;
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let request = format!(
        "POST /redfish/v1/TaskService/Tasks HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 202"), "{reply}");

    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = wait_exit(&mut server.child, Duration::from_secs(5)).expect("exits");
    assert!(status.success(), "{status:?}");
}

/// Runs the binary to completion (bounded) and returns (status, stderr).
fn run_to_end(args: &[&str]) -> (ExitStatus, String) {
    // Never touch the per-user data directory from a test.
    let ephemeral: &[&str] = if args.first() == Some(&"serve") {
        &["--ephemeral"]
    } else {
        &[]
    };
    let mut child = Command::new(BIN)
        .args(args)
        .args(ephemeral)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let status = wait_exit(&mut child, Duration::from_secs(5));
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("taskfish {args:?} did not exit");
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status, stderr)
}

#[test]
fn out_of_range_time_scale_is_refused_with_a_message() {
    // Above 1000 the simulated durations would overflow (1e300 once panicked).
    for value in ["0", "-1", "NaN", "inf", "1000.5", "1e300"] {
        let flag = format!("--time-scale={value}");
        let (status, stderr) = run_to_end(&["serve", "--listen", "127.0.0.1:0", &flag]);
        assert!(!status.success(), "{value}: {status:?}");
        assert!(stderr.contains("time-scale"), "{value}: {stderr:?}");
    }
}

#[test]
fn non_numeric_time_scale_and_unknown_flag_are_refused() {
    for args in [
        &["serve", "--listen", "127.0.0.1:0", "--time-scale", "fast"][..],
        &["serve", "--listen", "127.0.0.1:0", "--no-such-flag"][..],
        &[][..],
    ] {
        let (status, stderr) = run_to_end(args);
        assert!(!status.success(), "{args:?}: {status:?}");
        assert!(!stderr.trim().is_empty(), "{args:?}: no message");
    }
}

#[test]
fn unusable_listen_address_is_refused_with_a_message() {
    let (status, stderr) = run_to_end(&["serve", "--listen", "not-an-address"]);
    assert!(!status.success(), "{status:?}");
    assert!(stderr.contains("not-an-address"), "{stderr:?}");
}

#[test]
fn missing_config_file_is_refused_with_its_name() {
    let (status, stderr) = run_to_end(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        "/nonexistent/taskfish-test.toml",
    ]);
    assert!(!status.success(), "{status:?}");
    assert!(stderr.contains("taskfish-test.toml"), "{stderr:?}");
}
