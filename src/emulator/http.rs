//! A minimal HTTP/1.1 server for the emulator's REST API on loopback: one request per
//! connection, `Content-Length` bodies only, small limits. The emulator is a test and rehearsal
//! tool; a ceremony binary should not carry an async HTTP stack for it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Largest request body accepted.
const MAX_BODY: usize = 64 * 1024;
/// Largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;

/// One request.
pub struct Request {
    /// `GET`, `POST`, `DELETE`.
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The query string (after `?`), or empty.
    pub query: String,
    /// The body.
    pub body: Vec<u8>,
}

/// Reads one request; `None` on malformed or oversized input.
pub fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    let mut head_len = reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut content_length = 0usize;
    loop {
        let mut header = String::new();
        head_len += reader.read_line(&mut header).ok()?;
        if head_len > MAX_HEAD {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().ok()?;
        }
    }
    if content_length > MAX_BODY {
        return None;
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    Some(Request { method, path, query, body })
}

/// Writes a JSON response and closes.
pub fn respond(mut stream: &TcpStream, status: u16, body: &serde_json::Value) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Error",
    };
    let text = body.to_string();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.flush();
}
