//! The smallest `provided` runtime: one keep-alive connection, plain `std::net`, answers every
//! event with its payload. It has almost no work of its own, so timing an invocation through
//! it measures the sandbox. `noop-bootstrap --ping HOST:PORT N` instead makes N sequential
//! `POST /` round trips with the same HTTP code and prints each in microseconds, one per line:
//! the bare loopback baseline.
#![deny(clippy::all)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

struct Conn {
    reader: BufReader<TcpStream>,
}

struct Reply {
    request_id: Option<String>,
    body: Vec<u8>,
}

impl Conn {
    fn open(addr: &str) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            reader: BufReader::new(stream),
        })
    }

    fn call(&mut self, method: &str, path: &str, body: &[u8]) -> io::Result<Reply> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: runtime\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let stream = self.reader.get_mut();
        stream.write_all(&[head.as_bytes(), body].concat())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let mut length = 0usize;
        let mut chunked = false;
        let mut request_id = None;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some((name, value)) = trimmed.split_once(':') {
                let value = value.trim();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse().unwrap_or(0),
                    "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                    "lambda-runtime-aws-request-id" => request_id = Some(value.to_string()),
                    _ => {}
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk)?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            body.resize(length, 0);
            self.reader.read_exact(&mut body)?;
        }
        Ok(Reply { request_id, body })
    }
}

fn ping(addr: &str, count: usize) -> io::Result<()> {
    let mut conn = Conn::open(addr)?;
    let mut out = String::new();
    for _ in 0..count {
        let start = Instant::now();
        conn.call("POST", "/", b"{}")?;
        out.push_str(&format!("{}\n", start.elapsed().as_secs_f64() * 1e6));
    }
    io::stdout().write_all(out.as_bytes())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "--ping" {
        return ping(&args[2], args[3].parse().unwrap_or(1000));
    }
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .map_err(|_| io::Error::other("AWS_LAMBDA_RUNTIME_API is not set"))?;
    let mut conn = Conn::open(&api)?;
    loop {
        let event = conn.call("GET", "/2018-06-01/runtime/invocation/next", b"")?;
        let id = event
            .request_id
            .ok_or_else(|| io::Error::other("event without Lambda-Runtime-Aws-Request-Id"))?;
        let path = format!("/2018-06-01/runtime/invocation/{id}/response");
        conn.call("POST", &path, &event.body)?;
    }
}
