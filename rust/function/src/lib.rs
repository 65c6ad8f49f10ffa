//! The application's handler on Rust, with the semantics of every runtime's copy
//! (functions/README.md): the workload of `BATTLE_WORKLOAD` (`sqs` and `cpu`: deterministic CPU
//! work; `delay`: sleep `BATTLE_DELAY_MS`, 500 ms by default; `dynamodb`: one `PutItem` keyed by
//! the request id; `none`: nothing), a JSON payload of the configured size, then by
//! `BATTLE_MODE` nothing, a direct SQS `SendMessage`, or a POST to the extension tagged with the
//! request id (or, when the handler fails before the extension accepted its message,
//! `POST /invocations/<id>/end`).
#![deny(clippy::all)]

use std::future::Future;
use std::pin::Pin;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde::Serialize;

/// The extension's endpoint when `BATTLE_EXTENSION_URL` is not set.
pub const DEFAULT_EXTENSION_URL: &str = "http://127.0.0.1:4243/messages";
/// The header that tags a message with its invocation (extensions/contract.json).
pub const REQUEST_ID_HEADER: &str = "Lambda-Runtime-Aws-Request-Id";

/// Errors of the handler, as Lambda reports them.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// What the handler does with its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    None,
    Direct,
    Extension,
}

/// The function's own work on each invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    Sqs,
    Dynamodb,
    Delay,
    Cpu,
    None,
}

/// How long workload `delay` sleeps when `BATTLE_DELAY_MS` is not set.
pub const DEFAULT_DELAY_MS: u64 = 500;

/// The configuration, read once at init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub mode: Mode,
    pub workload: Workload,
    pub delay_ms: u64,
    pub iterations: u64,
    pub default_bytes: usize,
    pub extension_url: String,
}

/// The handler's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandlerResult {
    pub mode: Mode,
    pub workload: Workload,
    pub payload_bytes: usize,
    pub iterations: u64,
    pub checksum: u32,
}

/// Sends one message to SQS (mode `direct`).
pub type SendFuture = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;
pub type Sender = Box<dyn Fn(String) -> SendFuture + Send + Sync>;

/// What workload `dynamodb` puts: the request id (the table's key), the payload, a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: String,
    pub payload: String,
    pub sent_at: u64,
}

/// Puts one item into the table (workload `dynamodb`).
pub type Putter = Box<dyn Fn(Item) -> SendFuture + Send + Sync>;

/// `iterations` rounds of a 32-bit FNV-1a style mix; returns the final hash.
pub fn cpu_work(iterations: u64) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for i in 0..iterations {
        h ^= (i & 0xff) as u32;
        h = h.wrapping_mul(0x0100_0193);
        h ^= h >> 13;
    }
    h
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PayloadFields<'a> {
    request_id: &'a str,
    sent_at: u64,
    checksum: u32,
    pad: String,
}

/// A JSON message of exactly `size` bytes (or the smallest possible); `pad` fills it.
pub fn build_payload(size: usize, request_id: &str, sent_at: u64, checksum: u32) -> String {
    let mut fields = PayloadFields {
        request_id,
        sent_at,
        checksum,
        pad: String::new(),
    };
    let bare = serde_json::to_string(&fields).unwrap_or_default().len();
    fields.pad = "x".repeat(size.saturating_sub(bare));
    serde_json::to_string(&fields).unwrap_or_default()
}

fn int_from(value: Option<&str>, fallback: u64, what: &str) -> Result<u64, Error> {
    match value {
        None | Some("") => Ok(fallback),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("{what} must be a non-negative integer, got \"{v}\"").into()),
    }
}

impl Config {
    /// Reads `BATTLE_MODE`, `BATTLE_WORKLOAD`, `BATTLE_DELAY_MS`, `BATTLE_WORK_ITERATIONS`,
    /// `BATTLE_PAYLOAD_BYTES`, `BATTLE_EXTENSION_URL` through `get`. Without `BATTLE_WORKLOAD`
    /// the workload follows the mode: `sqs` in the modes that send, `cpu` in mode `none`.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let mode = match get("BATTLE_MODE").as_deref() {
            None | Some("") | Some("none") => Mode::None,
            Some("direct") => Mode::Direct,
            Some("extension") => Mode::Extension,
            Some(other) => {
                return Err(format!(
                    "BATTLE_MODE must be none, direct or extension, got \"{other}\""
                )
                .into())
            }
        };
        let workload = match get("BATTLE_WORKLOAD").as_deref() {
            None | Some("") if mode == Mode::None => Workload::Cpu,
            None | Some("") | Some("sqs") => Workload::Sqs,
            Some("dynamodb") => Workload::Dynamodb,
            Some("delay") => Workload::Delay,
            Some("cpu") => Workload::Cpu,
            Some("none") => Workload::None,
            Some(other) => {
                return Err(format!(
                    "BATTLE_WORKLOAD must be sqs, dynamodb, delay, cpu, none, got \"{other}\""
                )
                .into())
            }
        };
        let delay_ms = int_from(
            get("BATTLE_DELAY_MS").as_deref(),
            DEFAULT_DELAY_MS,
            "BATTLE_DELAY_MS",
        )?;
        let mut iterations = int_from(
            get("BATTLE_WORK_ITERATIONS").as_deref(),
            0,
            "BATTLE_WORK_ITERATIONS",
        )?;
        if !matches!(workload, Workload::Sqs | Workload::Cpu) {
            iterations = 0;
        }
        let default_bytes = int_from(
            get("BATTLE_PAYLOAD_BYTES").as_deref(),
            256,
            "BATTLE_PAYLOAD_BYTES",
        )? as usize;
        let extension_url = get("BATTLE_EXTENSION_URL")
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_EXTENSION_URL.to_string());
        Ok(Config {
            mode,
            workload,
            delay_ms,
            iterations,
            default_bytes,
            extension_url,
        })
    }
}

/// The event's optional `payloadBytes` (a number or a numeric string).
pub fn payload_bytes_of(event: &serde_json::Value, fallback: usize) -> Result<usize, Error> {
    let bad = |v: &serde_json::Value| -> Error {
        format!("payloadBytes must be a non-negative integer, got {v}").into()
    };
    match event.get("payloadBytes") {
        None | Some(serde_json::Value::Null) => Ok(fallback),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok(fallback),
        Some(v @ serde_json::Value::String(s)) => s.trim().parse().map_err(|_| bad(v)),
        Some(v @ serde_json::Value::Number(n)) => {
            n.as_u64().map(|n| n as usize).ok_or_else(|| bad(v))
        }
        Some(v) => Err(bad(v)),
    }
}

/// `/invocations/<id>/end` beside the messages URL, the id percent-encoded.
pub fn end_url(messages_url: &str, request_id: &str) -> String {
    let origin = match messages_url.find("://").map(|i| i + 3) {
        Some(start) => match messages_url[start..].find('/') {
            Some(slash) => &messages_url[..start + slash],
            None => messages_url,
        },
        None => "",
    };
    let mut encoded = String::new();
    for b in request_id.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{origin}/invocations/{encoded}/end")
}

/// The handler of one configuration.
pub struct Handler {
    config: Config,
    send: Option<Sender>,
    put: Option<Putter>,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl Handler {
    /// Builds the handler; mode `direct` needs a sender.
    pub fn new(config: Config, send: Option<Sender>) -> Result<Handler, Error> {
        if config.mode == Mode::Direct && send.is_none() {
            return Err("BATTLE_MODE is direct but no SQS client was made".into());
        }
        let http = Client::builder(TokioExecutor::new()).build_http();
        Ok(Handler {
            config,
            send,
            put: None,
            http,
        })
    }

    /// Gives the handler its item writer (workload `dynamodb`).
    pub fn with_putter(mut self, put: Putter) -> Handler {
        self.put = Some(put);
        self
    }

    /// Runs one invocation.
    pub async fn handle(
        &self,
        request_id: &str,
        event: &serde_json::Value,
    ) -> Result<HandlerResult, Error> {
        let result = self.run(request_id, event).await;
        let accepted = result.is_ok();
        if self.config.mode == Mode::Extension && !accepted && !request_id.is_empty() {
            self.end_invocation(request_id).await;
        }
        result
    }

    async fn run(
        &self,
        request_id: &str,
        event: &serde_json::Value,
    ) -> Result<HandlerResult, Error> {
        let size = payload_bytes_of(event, self.config.default_bytes)?;
        let checksum = cpu_work(self.config.iterations);
        if self.config.workload == Workload::Delay {
            tokio::time::sleep(std::time::Duration::from_millis(self.config.delay_ms)).await;
        }
        let sent_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let payload = build_payload(size, request_id, sent_at, checksum);
        let payload_bytes = payload.len();
        if self.config.workload == Workload::Dynamodb {
            let put = self
                .put
                .as_ref()
                .ok_or("BATTLE_WORKLOAD is dynamodb but no DynamoDB client was made")?;
            put(Item {
                id: request_id.to_string(),
                payload: payload.clone(),
                sent_at,
            })
            .await?;
        }
        match self.config.mode {
            Mode::Extension => {
                let (status, text) = self
                    .post(&self.config.extension_url, Some(request_id), payload)
                    .await?;
                if status != 202 {
                    let text: String = text.chars().take(200).collect();
                    return Err(format!(
                        "The extension at {} answered HTTP {status}: {text}",
                        self.config.extension_url
                    )
                    .into());
                }
            }
            Mode::Direct => {
                if let Some(send) = &self.send {
                    send(payload).await?;
                }
            }
            Mode::None => {}
        }
        Ok(HandlerResult {
            mode: self.config.mode,
            workload: self.config.workload,
            payload_bytes,
            iterations: self.config.iterations,
            checksum,
        })
    }

    async fn post(
        &self,
        url: &str,
        request_id: Option<&str>,
        body: String,
    ) -> Result<(u16, String), Error> {
        let mut request = hyper::Request::post(url).header("Content-Type", "application/json");
        if let Some(id) = request_id.filter(|id| !id.is_empty()) {
            request = request.header(REQUEST_ID_HEADER, id);
        }
        let response = self
            .http
            .request(request.body(Full::new(Bytes::from(body)))?)
            .await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Best effort: a failure is logged, never hides the handler's own error.
    async fn end_invocation(&self, request_id: &str) {
        let url = end_url(&self.config.extension_url, request_id);
        if let Err(e) = self.post(&url, None, String::new()).await {
            eprintln!("Cannot end invocation {request_id} at {url}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// From the Node.js handler's cpuWork (functions/nodejs/handler.ts): every runtime agrees.
    #[test]
    fn cpu_work_matches_the_node_handler() {
        for (iterations, want) in [
            (0, 2166136261),
            (1, 84702589),
            (10, 2800307176),
            (2000, 2082985886),
        ] {
            assert_eq!(cpu_work(iterations), want, "cpu_work({iterations})");
        }
    }

    #[test]
    fn build_payload_has_exactly_the_size_asked() {
        for n in [100, 1024, 65536] {
            let p = build_payload(n, "r", 1, 7);
            assert_eq!(p.len(), n);
            let v: serde_json::Value = serde_json::from_str(&p).unwrap();
            assert_eq!(v["requestId"], "r");
        }
        assert_eq!(
            build_payload(1, "r", 1, 7),
            r#"{"requestId":"r","sentAt":1,"checksum":7,"pad":""}"#
        );
    }

    #[test]
    fn config_rejects_bad_values_and_has_defaults() {
        for (k, v) in [
            ("BATTLE_MODE", "sideways"),
            ("BATTLE_WORK_ITERATIONS", "-1"),
            ("BATTLE_PAYLOAD_BYTES", "1.5"),
        ] {
            let got = Config::from_env(|name| (name == k).then(|| v.to_string()));
            assert!(got.is_err(), "{k}={v} accepted");
        }
        let c = Config::from_env(|_| None).unwrap();
        assert_eq!(
            (c.mode, c.default_bytes, c.extension_url.as_str()),
            (Mode::None, 256, DEFAULT_EXTENSION_URL)
        );
    }

    #[test]
    fn end_url_is_beside_the_messages_url() {
        assert_eq!(
            end_url("http://e:1/messages", "r/9"),
            "http://e:1/invocations/r%2F9/end"
        );
    }

    /// A fake extension on a loopback port: records `METHOD path tag` and answers `status` to
    /// `/messages`, 204 to anything else.
    async fn fake_extension(status: u16) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/messages", listener.local_addr().unwrap());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        let mut chunk = [0u8; 4096];
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        let Some(end) = text.find("\r\n\r\n") else {
                            continue;
                        };
                        let head = &text[..end];
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() < end + 4 + length {
                            continue;
                        }
                        let mut parts = head.lines().next().unwrap_or("").split(' ');
                        let (method, path) =
                            (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                        let tag = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .starts_with("lambda-runtime-aws-request-id:")
                                    .then(|| l[30..].trim().to_string())
                            })
                            .unwrap_or_default();
                        seen.lock()
                            .unwrap()
                            .push(format!("{method} {path} {tag}").trim().to_string());
                        let code = if path == "/messages" { status } else { 204 };
                        let reply = format!("HTTP/1.1 {code} X\r\ncontent-length: 2\r\n\r\n{{}}");
                        let _ = socket.write_all(reply.as_bytes()).await;
                        buf.drain(..end + 4 + length);
                    }
                });
            }
        });
        (url, calls)
    }

    fn config(mode: Mode, url: &str) -> Config {
        Config {
            mode,
            workload: Workload::Sqs,
            delay_ms: DEFAULT_DELAY_MS,
            iterations: 10,
            default_bytes: 300,
            extension_url: url.to_string(),
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn mode_extension_posts_the_tagged_payload() {
        let (url, calls) = fake_extension(202).await;
        let h = Handler::new(config(Mode::Extension, &url), None).unwrap();
        let r = h.handle("req-1", &serde_json::json!({})).await.unwrap();
        assert_eq!(
            r,
            HandlerResult {
                mode: Mode::Extension,
                workload: Workload::Sqs,
                payload_bytes: 300,
                iterations: 10,
                checksum: cpu_work(10)
            }
        );
        assert_eq!(
            *calls.lock().unwrap(),
            vec!["POST /messages req-1"],
            "no /end after an accepted message"
        );
        assert_eq!(serde_json::to_value(&r).unwrap()["payloadBytes"], 300);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_invocation_ends_when_the_handler_fails_first() {
        let (url, calls) = fake_extension(413).await;
        let h = Handler::new(config(Mode::Extension, &url), None).unwrap();
        let err = h.handle("r/9", &serde_json::json!({})).await.unwrap_err();
        assert!(err.to_string().contains("413"), "{err}");
        let bad = h
            .handle("r2", &serde_json::json!({ "payloadBytes": -1 }))
            .await;
        assert!(bad.is_err());
        assert_eq!(
            *calls.lock().unwrap(),
            vec![
                "POST /messages r/9",
                "POST /invocations/r%2F9/end",
                "POST /invocations/r2/end"
            ]
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn mode_direct_sends_and_none_does_nothing() {
        let sent = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = sent.clone();
        let send: Sender = Box::new(move |body| {
            sink.lock().unwrap().push(body);
            Box::pin(async { Ok(()) })
        });
        let h = Handler::new(config(Mode::Direct, DEFAULT_EXTENSION_URL), Some(send)).unwrap();
        let r = h
            .handle("r", &serde_json::json!({ "payloadBytes": "512" }))
            .await
            .unwrap();
        assert_eq!((r.payload_bytes, sent.lock().unwrap()[0].len()), (512, 512));
        assert!(Handler::new(config(Mode::Direct, DEFAULT_EXTENSION_URL), None).is_err());
        let none = Handler::new(config(Mode::None, DEFAULT_EXTENSION_URL), None).unwrap();
        assert_eq!(
            none.handle("r", &serde_json::json!(null))
                .await
                .unwrap()
                .mode,
            Mode::None
        );
    }

    #[test]
    fn config_reads_the_workload_and_follows_the_mode_without_one() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Config::from_env(env(&[])).unwrap().workload, Workload::Cpu);
        let direct = Config::from_env(env(&[("BATTLE_MODE", "direct")])).unwrap();
        assert_eq!(direct.workload, Workload::Sqs);
        let delay = Config::from_env(env(&[
            ("BATTLE_WORKLOAD", "delay"),
            ("BATTLE_WORK_ITERATIONS", "99"),
        ]))
        .unwrap();
        assert_eq!(
            (delay.workload, delay.delay_ms, delay.iterations),
            (Workload::Delay, 500, 0)
        );
        let err = Config::from_env(env(&[("BATTLE_WORKLOAD", "gpu")])).unwrap_err();
        assert!(
            err.to_string().contains("sqs, dynamodb, delay, cpu, none"),
            "{err}"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn workload_delay_sleeps_the_configured_time() {
        let mut c = config(Mode::None, DEFAULT_EXTENSION_URL);
        c.workload = Workload::Delay;
        c.delay_ms = 40;
        c.iterations = 0;
        let h = Handler::new(c, None).unwrap();
        let started = std::time::Instant::now();
        let r = h.handle("r", &serde_json::json!({})).await.unwrap();
        assert!(started.elapsed() >= std::time::Duration::from_millis(40));
        assert_eq!((r.workload, r.iterations), (Workload::Delay, 0));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn workload_dynamodb_puts_one_item_keyed_by_the_request_id() {
        let mut c = config(Mode::None, DEFAULT_EXTENSION_URL);
        c.workload = Workload::Dynamodb;
        let without = Handler::new(c.clone(), None).unwrap();
        let err = without
            .handle("r", &serde_json::json!({}))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no DynamoDB client"), "{err}");
        let items = Arc::new(Mutex::new(Vec::<Item>::new()));
        let seen = items.clone();
        let h = Handler::new(c, None)
            .unwrap()
            .with_putter(Box::new(move |item| {
                seen.lock().unwrap().push(item);
                Box::pin(async { Ok(()) })
            }));
        let r = h.handle("req-7", &serde_json::json!({})).await.unwrap();
        let items = items.lock().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].id, "req-7");
        assert_eq!(items[0].payload.len(), 300);
        assert_eq!(r.workload, Workload::Dynamodb);
    }
}
