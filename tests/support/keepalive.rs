//! A keep-alive HTTP/1.1 client over one `std::net::TcpStream`, for code
//! that talks to a spawned taskfish process (the crash and restart tests,
//! both benchmarks). Requests go one at a time on the same
//! connection; each answer is read by its `Content-Length` or chunked
//! encoding. Every read and write has a timeout, so a server that hangs
//! fails the caller instead of blocking it, and any error drops the
//! connection: the next request opens a fresh one. Nothing is retried,
//! since a repeated POST would start a second task.

// Each including crate uses a different part of this module.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long one read or write may block.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// One answer, fully read.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lower-cased) and values, in order of arrival.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (give it in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as text (lossy), for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    ///
    /// # Errors
    /// Fails when the body is not JSON.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// A connection to one server, opened on first use.
pub struct Conn {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    /// A client for `addr`; nothing is connected yet.
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, stream: None }
    }

    /// Sends one request (with a JSON body when given) with the Redfish
    /// request headers and reads the whole answer.
    ///
    /// # Errors
    /// Fails on connect, I/O or timeout errors and on a malformed answer;
    /// the connection is dropped then.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        json: Option<&str>,
    ) -> io::Result<Response> {
        let result = self.exchange(method, path, json);
        match &result {
            Ok(response) if response.header("connection") == Some("close") => {
                self.stream = None;
            }
            Ok(_) => {}
            Err(_) => self.stream = None,
        }
        result
    }

    /// GET `path`.
    ///
    /// # Errors
    /// As [`Conn::request`].
    pub fn get(&mut self, path: &str) -> io::Result<Response> {
        self.request("GET", path, None)
    }

    /// POST `json` to `path`.
    ///
    /// # Errors
    /// As [`Conn::request`].
    pub fn post(&mut self, path: &str, json: &str) -> io::Result<Response> {
        self.request("POST", path, Some(json))
    }

    fn exchange(&mut self, method: &str, path: &str, json: Option<&str>) -> io::Result<Response> {
        let addr = self.addr;
        let reader = match &mut self.stream {
            Some(reader) => reader,
            none => none.insert(BufReader::new(connect(addr)?)),
        };

        let body = json.unwrap_or("");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n\
             Accept: application/json\r\nOData-Version: 4.0\r\n\
             Content-Length: {}\r\n",
            body.len()
        );
        if json.is_some() {
            head.push_str("Content-Type: application/json\r\n");
        }
        head.push_str("\r\n");
        head.push_str(body);
        reader.get_mut().write_all(head.as_bytes())?;

        read_response(reader, method == "HEAD")
    }
}

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Reads the status line, headers and body of one answer.
fn read_response(reader: &mut impl BufRead, head_only: bool) -> io::Result<Response> {
    let status_line = read_line(reader)?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;

    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if head_only || status == 204 || status == 304 {
        return Ok(response);
    }

    response.body = if response.header("transfer-encoding") == Some("chunked") {
        read_chunked(reader)?
    } else if let Some(len) = response.header("content-length") {
        let len: usize = len.parse().map_err(|_| invalid("bad Content-Length"))?;
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        body
    } else {
        return Err(invalid(
            "answer without a length on a kept-alive connection",
        ));
    };
    Ok(response)
}

/// Decodes a chunked body (trailers are skipped).
fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?;
        let size_hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            while !read_line(reader)?.is_empty() {}
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        read_line(reader)?;
    }
}

/// One CRLF-terminated line without its terminator; EOF is an error.
fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn invalid(why: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.into())
}
