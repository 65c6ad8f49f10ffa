//! Every constant of the wire contract in one place, and the configuration read from the
//! environment. The contract's numbers and names are shared with the JavaScript extension and
//! the contract suite through `extensions/contract.json`; a test checks these equal it.

use std::time::Duration;

/// The name Lambda knows the extension by (its executable's name in `/opt/extensions`).
pub const EXTENSION_NAME: &str = "battle-ext-rust";
/// The Extensions API events it registers for.
pub const EVENTS: &[&str] = &["INVOKE", "SHUTDOWN"];

/// Port variable and its default.
pub const PORT_VAR: &str = "BATTLE_EXTENSION_PORT";
pub const DEFAULT_PORT: u16 = 4243;
/// The queue every message goes to.
pub const QUEUE_URL_VAR: &str = "BATTLE_QUEUE_URL";

/// The route that takes messages: `POST /messages`.
pub const MESSAGES_PATH: &str = "/messages";
/// The route that ends an invocation without a message: `POST /invocations/<id>/end` → 204.
pub const INVOCATIONS_PREFIX: &str = "/invocations/";
pub const END_SUFFIX: &str = "/end";
/// The header a function tags its message with: the invocation's request id.
pub const REQUEST_ID_HEADER: &str = "lambda-runtime-aws-request-id";
/// Endings remembered for INVOKEs that have not asked yet; the oldest are forgotten first.
pub const MAX_REMEMBERED_ENDINGS: usize = 64;
/// The largest message body accepted, in bytes: SQS's classic 256 KiB limit. One more is 413.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// How much of an oversize body is read (and dropped) so the 413 reliably reaches the client;
/// past this the connection is closed. Lambda payloads are at most 6 MiB.
pub const DRAIN_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// SQS limits on one `SendMessageBatch`: entries and the sum of message body bytes.
pub const MAX_BATCH_ENTRIES: usize = 10;
pub const MAX_BATCH_BYTES: usize = 256 * 1024;
/// `SendMessageBatch` requests in flight at once (each takes the next batch as one answers),
/// and the variable that changes it.
pub const CONCURRENCY_VAR: &str = "BATTLE_SQS_CONCURRENCY";
pub const DEFAULT_CONCURRENCY: usize = 8;

/// The outbox's bounds: messages and body bytes held (queued or in flight) at most; past
/// either, `POST /messages` answers 503 with `Retry-After`. Sized so that a full outbox is
/// delivered within SHUTDOWN's deadline.
pub const MAX_MESSAGES_VAR: &str = "BATTLE_OUTBOX_MAX_MESSAGES";
pub const DEFAULT_MAX_MESSAGES: usize = 2_000;
pub const MAX_BYTES_VAR: &str = "BATTLE_OUTBOX_MAX_BYTES";
pub const DEFAULT_MAX_BYTES: usize = 4 * 1024 * 1024;
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// Retry: exponential backoff from `RETRY_BASE`, doubled per attempt up to `RETRY_MAX_BACKOFF`,
/// for at most `RETRY_BUDGET` per batch; then its messages count as undelivered.
pub const RETRY_BASE: Duration = Duration::from_millis(50);
pub const RETRY_MAX_BACKOFF: Duration = Duration::from_millis(1_000);
pub const RETRY_BUDGET: Duration = Duration::from_secs(20);
/// SQS request time-outs (the SDK's own retries are off: the loop above is the only one).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Time kept back before an event's deadline: to log and exit on SHUTDOWN (Lambda sends
/// SIGKILL at the deadline), to return to `/next` before the function times out on INVOKE.
pub const SHUTDOWN_MARGIN: Duration = Duration::from_millis(200);
pub const INVOKE_MARGIN: Duration = Duration::from_millis(200);

/// The error type reported to `/init/error` when the configuration is unusable.
pub const CONFIG_ERROR_TYPE: &str = "Extension.ConfigInvalid";
/// The error type reported to `/init/error` when the HTTP API cannot listen on its port.
pub const LISTEN_ERROR_TYPE: &str = "Extension.ListenFailed";
/// The error type reported to `/exit/error` when the events loop fails after registration.
pub const FATAL_ERROR_TYPE: &str = "Extension.Crash";

/// What the extension needs from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub port: u16,
    pub queue_url: String,
    pub concurrency: usize,
    pub max_messages: usize,
    pub max_bytes: usize,
}

/// A positive whole number from `var`, or `default` when it is unset or blank.
fn positive(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: usize,
) -> Result<usize, String> {
    match var(name) {
        None => Ok(default),
        Some(raw) if raw.trim().is_empty() => Ok(default),
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{name} \"{raw}\" is not a positive whole number")),
        },
    }
}

impl Config {
    /// Reads the configuration through `var` (the process environment in production).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let port = match var(PORT_VAR) {
            None => DEFAULT_PORT,
            Some(raw) => match raw.trim().parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(format!("{PORT_VAR} must be a port number, got {raw:?}")),
            },
        };
        let queue_url = match var(QUEUE_URL_VAR) {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => url,
            Some(url) => {
                return Err(format!(
                    "{QUEUE_URL_VAR} must be an http(s) URL, got {url:?}"
                ))
            }
            None => return Err(format!("{QUEUE_URL_VAR} is not set")),
        };
        Ok(Config {
            port,
            queue_url,
            concurrency: positive(&var, CONCURRENCY_VAR, DEFAULT_CONCURRENCY)?,
            max_messages: positive(&var, MAX_MESSAGES_VAR, DEFAULT_MAX_MESSAGES)?,
            max_bytes: positive(&var, MAX_BYTES_VAR, DEFAULT_MAX_BYTES)?,
        })
    }

    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    /// `extensions/contract.json`, the one copy of the contract's numbers and names.
    fn contract() -> serde_json::Value {
        serde_json::from_str(include_str!("../../../extensions/contract.json"))
            .expect("extensions/contract.json is JSON")
    }

    fn number(contract: &serde_json::Value, pointer: &str) -> u64 {
        contract
            .pointer(pointer)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or_else(|| panic!("contract.json has no number at {pointer}"))
    }

    fn text<'a>(contract: &'a serde_json::Value, pointer: &str) -> &'a str {
        contract
            .pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_else(|| panic!("contract.json has no string at {pointer}"))
    }

    fn millis(duration: Duration) -> u64 {
        duration.as_millis() as u64
    }

    #[test]
    fn constants_equal_the_shared_contract() {
        let c = contract();
        let numbers: &[(&str, u64)] = &[
            ("/port/default", u64::from(DEFAULT_PORT)),
            ("/maxMessageBytes", MAX_MESSAGE_BYTES as u64),
            ("/batch/maxEntries", MAX_BATCH_ENTRIES as u64),
            ("/batch/maxBytes", MAX_BATCH_BYTES as u64),
            ("/batch/concurrency/default", DEFAULT_CONCURRENCY as u64),
            ("/outbox/maxMessages/default", DEFAULT_MAX_MESSAGES as u64),
            ("/outbox/maxBytes/default", DEFAULT_MAX_BYTES as u64),
            ("/outbox/retryAfterSeconds", RETRY_AFTER_SECONDS),
            ("/deadlineMarginMs", millis(INVOKE_MARGIN)),
            ("/deadlineMarginMs", millis(SHUTDOWN_MARGIN)),
            ("/maxRememberedEndings", MAX_REMEMBERED_ENDINGS as u64),
            ("/retry/baseDelayMs", millis(RETRY_BASE)),
            ("/retry/maxDelayMs", millis(RETRY_MAX_BACKOFF)),
            ("/retry/budgetMs", millis(RETRY_BUDGET)),
            ("/sqsAttemptTimeoutMs", millis(ATTEMPT_TIMEOUT)),
        ];
        for (pointer, value) in numbers {
            assert_eq!(number(&c, pointer), *value, "{pointer}");
        }
        let names: &[(&str, &str)] = &[
            ("/port/variable", PORT_VAR),
            ("/queueUrlVariable", QUEUE_URL_VAR),
            ("/batch/concurrency/variable", CONCURRENCY_VAR),
            ("/outbox/maxMessages/variable", MAX_MESSAGES_VAR),
            ("/outbox/maxBytes/variable", MAX_BYTES_VAR),
            ("/paths/messages", MESSAGES_PATH),
            ("/paths/invocationsPrefix", INVOCATIONS_PREFIX),
            ("/paths/endSuffix", END_SUFFIX),
            ("/errorTypes/configInvalid", CONFIG_ERROR_TYPE),
            ("/errorTypes/listenFailed", LISTEN_ERROR_TYPE),
            ("/errorTypes/fatal", FATAL_ERROR_TYPE),
        ];
        for (pointer, value) in names {
            assert_eq!(text(&c, pointer), *value, "{pointer}");
        }
        // HTTP header names are case-insensitive; hyper wants them lower-case.
        assert_eq!(
            text(&c, "/requestIdHeader").to_ascii_lowercase(),
            REQUEST_ID_HEADER
        );
    }

    #[test]
    fn reads_port_and_queue() {
        let vars = [
            (PORT_VAR, "9000"),
            (QUEUE_URL_VAR, "http://127.0.0.1:1/0/q"),
        ];
        let config = Config::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(
            config,
            Config {
                port: 9000,
                queue_url: "http://127.0.0.1:1/0/q".into(),
                concurrency: DEFAULT_CONCURRENCY,
                max_messages: DEFAULT_MAX_MESSAGES,
                max_bytes: DEFAULT_MAX_BYTES,
            }
        );
    }

    #[test]
    fn reads_the_bounds() {
        let vars = [
            (QUEUE_URL_VAR, "http://q"),
            (CONCURRENCY_VAR, "3"),
            (MAX_MESSAGES_VAR, "20"),
            (MAX_BYTES_VAR, " 10000 "),
        ];
        let config = Config::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(
            (config.concurrency, config.max_messages, config.max_bytes),
            (3, 20, 10_000)
        );
    }

    #[test]
    fn defaults_the_port() {
        let vars = [(QUEUE_URL_VAR, "https://sqs.us-east-1.amazonaws.com/1/q")];
        assert_eq!(
            Config::from_lookup(lookup(&vars)).unwrap().port,
            DEFAULT_PORT
        );
    }

    #[test]
    fn rejects_bad_values() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "BATTLE_QUEUE_URL is not set"),
            (&[(QUEUE_URL_VAR, "queue")], "must be an http(s) URL"),
            (
                &[(QUEUE_URL_VAR, "http://q"), (PORT_VAR, "0")],
                "must be a port number",
            ),
            (
                &[(QUEUE_URL_VAR, "http://q"), (PORT_VAR, "70000")],
                "must be a port number",
            ),
            (
                &[(QUEUE_URL_VAR, "http://q"), (MAX_MESSAGES_VAR, "0")],
                "BATTLE_OUTBOX_MAX_MESSAGES \"0\" is not a positive whole number",
            ),
            (
                &[(QUEUE_URL_VAR, "http://q"), (MAX_BYTES_VAR, "4MB")],
                "BATTLE_OUTBOX_MAX_BYTES \"4MB\" is not a positive whole number",
            ),
            (
                &[(QUEUE_URL_VAR, "http://q"), (CONCURRENCY_VAR, "-1")],
                "BATTLE_SQS_CONCURRENCY \"-1\" is not a positive whole number",
            ),
        ];
        for (vars, message) in cases {
            let err = Config::from_lookup(lookup(vars)).unwrap_err();
            assert!(err.contains(message), "{err} should contain {message}");
        }
    }
}
