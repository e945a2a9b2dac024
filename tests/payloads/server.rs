//! The HTTP server the network payloads talk to: on 127.0.0.1, an ephemeral
//! port, in this (unfiltered) test process. One thread per connection, one
//! request per connection (`Connection: close`), a bounded number of
//! connections; it stops when the test process ends.
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /hello` | `hello from the corpus server` |
//! | `GET /json` | `{"name": "corpus", "items": [1, 2, 3]}` |
//! | `POST /echo` | `you sent: ` and the body |
//! | `GET /headers` | the request's header lines, one per line |
//! | `GET /redirect` | `302` to `/hello` |
//! | anything else | `404` |

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// At most this many connections are served; the corpus makes far fewer.
const MAX_CONNECTIONS: usize = 2000;

/// Starts the server; returns its port.
pub fn start() -> std::io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let port = listener.local_addr()?.port();
    std::thread::Builder::new()
        .name("corpus-http".into())
        .spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS).flatten() {
                let _ = std::thread::Builder::new()
                    .name("corpus-http-conn".into())
                    .spawn(move || {
                        let _ = serve(stream);
                    });
            }
        })?;
    Ok(port)
}

const TEXT: &str = "Content-Type: text/plain\r\n";

fn serve(stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        headers.push(line);
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let path = target.split('?').next().unwrap_or("");
    let (status, extra, text) = match (method.as_str(), path) {
        ("GET" | "HEAD", "/hello") => ("200 OK", TEXT, "hello from the corpus server\n".to_owned()),
        ("GET", "/json") => (
            "200 OK",
            "Content-Type: application/json\r\n",
            "{\"name\": \"corpus\", \"items\": [1, 2, 3]}\n".to_owned(),
        ),
        ("POST", "/echo") => (
            "200 OK",
            TEXT,
            format!("you sent: {}\n", String::from_utf8_lossy(&body)),
        ),
        ("GET", "/headers") => ("200 OK", TEXT, headers.join("\n") + "\n"),
        ("GET", "/redirect") => (
            "302 Found",
            "Location: /hello\r\nContent-Type: text/plain\r\n",
            "moved\n".to_owned(),
        ),
        _ => ("404 Not Found", TEXT, "not found\n".to_owned()),
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        text.len()
    )?;
    if method != "HEAD" {
        out.write_all(text.as_bytes())?;
    }
    out.flush()
}
