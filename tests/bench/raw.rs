//! A minimal HTTP/1.1 client over `std::net::TcpStream`, enough for the
//! benchmark's setup requests: one request per connection
//! (`Connection: close`), a fixed read timeout, and content-length or chunked
//! response bodies.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::BenchResult;

const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed HTTP response.
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lower-cased) and values, in order of arrival.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends one request with an optional JSON body and reads the whole answer.
///
/// # Errors
///
/// Fails on connect, I/O or timeout errors and on a malformed response.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    json: Option<&str>,
) -> BenchResult<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;

    let body = json.unwrap_or("");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n\
         Accept: application/json\r\nOData-Version: 4.0\r\n\
         Connection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if json.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;

    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse(&raw).map_err(|err| format!("{method} {path}: {err}").into())
}

/// Splits a complete response into status, headers and decoded body.
fn parse(raw: &[u8]) -> BenchResult<Response> {
    let end = find(raw, b"\r\n\r\n").ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..end])?;
    let rest = &raw[end + 4..];

    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect::<Vec<_>>();

    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    response.body = if response.header("transfer-encoding") == Some("chunked") {
        dechunk(rest)?
    } else if let Some(len) = response.header("content-length") {
        let len: usize = len.parse()?;
        rest.get(..len)
            .ok_or("body shorter than Content-Length")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(response)
}

/// Decodes a chunked body (trailers are ignored).
fn dechunk(mut rest: &[u8]) -> BenchResult<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n").ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&rest[..line_end])?;
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)?;
        if size == 0 {
            return Ok(body);
        }
        let start = line_end + 2;
        let chunk = rest.get(start..start + size).ok_or("truncated chunk")?;
        body.extend_from_slice(chunk);
        rest = rest.get(start + size + 2..).ok_or("truncated chunk end")?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
