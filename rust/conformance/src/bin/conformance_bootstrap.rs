//! A `provided` runtime bootstrap built on AWS's `lambda_runtime` crate. The handler echoes its
//! event; fields of the event ask for the other paths the sandbox must handle:
//! `{"fail": "msg"}` returns an error, `{"sleepMs": N}` sleeps, `{"allocMb": N}` allocates and
//! touches N MiB, `{"responseBytes": N}` answers with a string of N bytes.
#![deny(clippy::all)]

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::{json, Value};
use std::time::Duration;

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let payload = event.payload;
    if let Some(message) = payload.get("fail").and_then(Value::as_str) {
        return Err(Diagnostic {
            error_type: "Conformance.Failure".to_string(),
            error_message: message.to_string(),
        });
    }
    if let Some(ms) = payload.get("sleepMs").and_then(Value::as_u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(mib) = payload.get("allocMb").and_then(Value::as_u64) {
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        for i in 0..mib {
            // Touch every page so the memory is resident, not just reserved.
            blocks.push(vec![(i % 251) as u8 + 1; 1 << 20]);
        }
        let total: usize = blocks.iter().map(Vec::len).sum();
        return Ok(json!({ "allocated": total }));
    }
    if let Some(bytes) = payload.get("responseBytes").and_then(Value::as_u64) {
        return Ok(Value::String("x".repeat(bytes as usize)));
    }
    Ok(json!({ "echo": payload, "requestId": event.context.request_id }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(handler)).await
}
