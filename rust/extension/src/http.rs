//! The HTTP API the function calls: `POST /messages` with the message as the body answers 202
//! `{"accepted":true}` at once (a `Lambda-Runtime-Aws-Request-Id` header tags it with its
//! invocation), or 503 with `Retry-After` while the outbox is full; `POST /invocations/<id>/end` ends an invocation without a message (204);
//! everything else gets 400, 404, 405 or 413 with a JSON error.

use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tracing::{debug, warn};

use crate::config::{
    DRAIN_LIMIT_BYTES, END_SUFFIX, INVOCATIONS_PREFIX, MAX_MESSAGE_BYTES, MESSAGES_PATH,
    REQUEST_ID_HEADER, RETRY_AFTER_SECONDS,
};
use crate::invocations::Invocations;
use crate::outbox::Outbox;

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    Messages,
    /// `POST /invocations/<id>/end`, with the id as it appears in the path (percent-encoded).
    End(&'a str),
    WrongMethod,
    NotFound,
}

/// The `<id>` of `/invocations/<id>/end`: one non-empty path segment.
fn end_id(path: &str) -> Option<&str> {
    path.strip_prefix(INVOCATIONS_PREFIX)?
        .strip_suffix(END_SUFFIX)
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

/// Routes by method and path (the query string is ignored).
pub fn route<'a>(method: &Method, path: &'a str) -> Route<'a> {
    let end = end_id(path);
    match (
        path == MESSAGES_PATH || end.is_some(),
        method == Method::POST,
    ) {
        (true, true) => end.map_or(Route::Messages, Route::End),
        (true, false) => Route::WrongMethod,
        (false, _) => Route::NotFound,
    }
}

/// Decodes `%XX` escapes; None when an escape is broken or the result is not UTF-8.
pub fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Why a message body is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Empty,
    TooLarge {
        bytes: usize,
    },
    NotUtf8 {
        at: usize,
    },
    /// A character SQS does not allow in a message (XML 1.0's excluded code points).
    Forbidden {
        ch: char,
        at: usize,
    },
}

impl Rejection {
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Rejection::Empty => "The message body is empty".into(),
            Rejection::TooLarge { bytes } => {
                format!("The message body is over {MAX_MESSAGE_BYTES} bytes (at least {bytes})")
            }
            Rejection::NotUtf8 { at } => format!("The message body is not UTF-8 (byte {at})"),
            Rejection::Forbidden { ch, at } => {
                format!(
                    "The message body holds U+{:04X} at byte {at}, which SQS does not allow",
                    *ch as u32
                )
            }
        }
    }
}

/// SQS accepts #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF.
fn sqs_allows(ch: char) -> bool {
    matches!(ch, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Turns a complete request body into a message, or says why not.
pub fn parse_message(body: &[u8]) -> Result<String, Rejection> {
    if body.is_empty() {
        return Err(Rejection::Empty);
    }
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(Rejection::TooLarge { bytes: body.len() });
    }
    let text = std::str::from_utf8(body).map_err(|e| Rejection::NotUtf8 {
        at: e.valid_up_to(),
    })?;
    if let Some((at, ch)) = text.char_indices().find(|(_, ch)| !sqs_allows(*ch)) {
        return Err(Rejection::Forbidden { ch, at });
    }
    Ok(text.to_owned())
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

fn json_error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json(status, serde_json::json!({ "error": message }).to_string())
}

/// The body, as far as it was read; `complete` is false when it was over the limit.
struct ReadBody {
    bytes: Bytes,
    seen: usize,
    complete: bool,
}

/// Reads up to `MAX_MESSAGE_BYTES`; past that, keeps reading (and dropping) up to
/// `DRAIN_LIMIT_BYTES` so the client is done sending when the 413 goes out.
async fn read_body(mut body: Incoming) -> Result<ReadBody, hyper::Error> {
    let mut buf = BytesMut::new();
    let mut seen = 0;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            seen += data.len();
            if seen <= MAX_MESSAGE_BYTES {
                buf.extend_from_slice(&data);
            } else if seen > DRAIN_LIMIT_BYTES {
                break;
            }
        }
    }
    Ok(ReadBody {
        bytes: buf.freeze(),
        seen,
        complete: seen <= MAX_MESSAGE_BYTES,
    })
}

async fn accept_message(
    req: Request<Incoming>,
    outbox: &Outbox,
    invocations: &Invocations,
) -> Response<Full<Bytes>> {
    let tag = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(bytes) = declared.filter(|&n| n > DRAIN_LIMIT_BYTES) {
        let mut res = json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &Rejection::TooLarge { bytes }.message(),
        );
        res.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return res;
    }
    let body = match read_body(req.into_body()).await {
        Ok(body) => body,
        Err(err) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                &format!("Cannot read the request body: {err}"),
            )
        }
    };
    let parsed = if body.complete {
        parse_message(&body.bytes)
    } else {
        Err(Rejection::TooLarge { bytes: body.seen })
    };
    match parsed {
        Ok(message) => match outbox.push(message) {
            // Queued first, so the flush that the ending releases includes it.
            Ok(_) => {
                if let Some(request_id) = tag {
                    invocations.end(&request_id);
                }
                json(StatusCode::ACCEPTED, r#"{"accepted":true}"#.to_owned())
            }
            Err(full) => {
                let mut res = json_error(StatusCode::SERVICE_UNAVAILABLE, &full.to_string());
                res.headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
                res
            }
        },
        Err(rejection) => {
            debug!("refused a message: {}", rejection.message());
            json_error(rejection.status(), &rejection.message())
        }
    }
}

fn end_invocation(raw_id: &str, invocations: &Invocations) -> Response<Full<Bytes>> {
    match percent_decode(raw_id) {
        Some(request_id) => {
            invocations.end(&request_id);
            let mut res = Response::new(Full::new(Bytes::new()));
            *res.status_mut() = StatusCode::NO_CONTENT;
            res
        }
        None => json_error(
            StatusCode::BAD_REQUEST,
            &format!("The request id {raw_id:?} is not valid percent-encoding"),
        ),
    }
}

/// Answers one request.
pub async fn handle(
    req: Request<Incoming>,
    outbox: Arc<Outbox>,
    invocations: Arc<Invocations>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let res = match route(req.method(), req.uri().path()) {
        Route::Messages => accept_message(req, &outbox, &invocations).await,
        Route::End(raw_id) => end_invocation(raw_id, &invocations),
        Route::WrongMethod => {
            let mut res = json_error(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!(
                    "{} is not allowed on {}; use POST",
                    req.method(),
                    req.uri().path()
                ),
            );
            res.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            res
        }
        Route::NotFound => json_error(
            StatusCode::NOT_FOUND,
            &format!(
                "No route {} {}; use POST {MESSAGES_PATH}",
                req.method(),
                req.uri().path()
            ),
        ),
    };
    Ok(res)
}

/// Binds the API on 127.0.0.1 only.
pub async fn bind(port: u16) -> io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await
}

/// Serves the API forever, one task per connection.
pub async fn serve(listener: TcpListener, outbox: Arc<Outbox>, invocations: Arc<Invocations>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                // Out of file descriptors and the like: back off instead of spinning.
                warn!("accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if let Err(err) = stream.set_nodelay(true) {
            debug!("set_nodelay failed: {err}");
        }
        let outbox = outbox.clone();
        let invocations = invocations.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, outbox.clone(), invocations.clone()));
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                debug!("connection ended with an error: {err}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_method_and_path() {
        let cases = [
            (Method::POST, "/messages", Route::Messages),
            (Method::GET, "/messages", Route::WrongMethod),
            (Method::PUT, "/messages", Route::WrongMethod),
            (Method::POST, "/", Route::NotFound),
            (Method::POST, "/messages/", Route::NotFound),
            (Method::POST, "/messages/extra", Route::NotFound),
            (Method::GET, "/nope", Route::NotFound),
            (Method::POST, "/invocations/r-1/end", Route::End("r-1")),
            (Method::GET, "/invocations/r-1/end", Route::WrongMethod),
            (Method::DELETE, "/invocations/r-1/end", Route::WrongMethod),
            (Method::POST, "/invocations/r-1", Route::NotFound),
            (Method::POST, "/invocations//end", Route::NotFound),
            (Method::POST, "/invocations/a/b/end", Route::NotFound),
            (Method::POST, "/invocations/r-1/end/x", Route::NotFound),
        ];
        for (method, path, want) in cases {
            assert_eq!(route(&method, path), want, "{method} {path}");
        }
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("r-1").as_deref(), Some("r-1"));
        assert_eq!(percent_decode("a%2Fb%20c").as_deref(), Some("a/b c"));
        assert_eq!(percent_decode("%C5%BE").as_deref(), Some("ž"));
        for broken in ["%", "%2", "%zz", "%+1", "%FF", "%E0%A4%A", "%\u{17E}"] {
            assert_eq!(percent_decode(broken), None, "{broken}");
        }
    }

    #[test]
    fn accepts_text_sqs_can_carry() {
        for body in [
            "a",
            "žluťoučký kůň 🐎",
            "tab\tnew\nline\r",
            "\u{E000}\u{FFFD}\u{10FFFF}",
        ] {
            assert_eq!(parse_message(body.as_bytes()).as_deref(), Ok(body));
        }
        let max = "x".repeat(MAX_MESSAGE_BYTES);
        assert_eq!(
            parse_message(max.as_bytes()).map(|m| m.len()),
            Ok(MAX_MESSAGE_BYTES)
        );
    }

    #[test]
    fn refuses_bad_bodies() {
        let too_big = vec![b'x'; MAX_MESSAGE_BYTES + 1];
        let cases: [(&[u8], Rejection, u16); 5] = [
            (b"", Rejection::Empty, 400),
            (
                &too_big,
                Rejection::TooLarge {
                    bytes: MAX_MESSAGE_BYTES + 1,
                },
                413,
            ),
            (b"f\xff\xfe", Rejection::NotUtf8 { at: 1 }, 400),
            (b"a\x00b", Rejection::Forbidden { ch: '\0', at: 1 }, 400),
            (
                "ok\u{FFFF}".as_bytes(),
                Rejection::Forbidden {
                    ch: '\u{FFFF}',
                    at: 2,
                },
                400,
            ),
        ];
        for (body, want, status) in cases {
            let got = parse_message(body).unwrap_err();
            assert_eq!(got, want);
            assert_eq!(got.status().as_u16(), status);
            assert!(!got.message().is_empty());
        }
    }

    #[test]
    fn error_bodies_are_json() {
        let res = json_error(StatusCode::NOT_FOUND, "No \"route\"");
        assert_eq!(res.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}
