//! The blank extension: the smallest correct Lambda extension on AWS's `lambda-extension`
//! crate. It registers for INVOKE and SHUTDOWN under its executable's name, asks for the next
//! event after each INVOKE without doing anything, and exits 0 on SHUTDOWN. A failed events
//! loop is reported to `/exit/error` as `Extension.Crash` (the contract's error type), then it
//! exits non-zero. It measures what merely having an extension costs.
#![deny(clippy::all)]

use std::process::ExitCode;

use lambda_extension::{requests, service_fn, Error, Extension, LambdaEvent, NextEvent};
use lambda_runtime_api_client::Client;

/// The error type of a failed events loop (`errorTypes.fatal` of extensions/contract.json).
const CRASH_ERROR_TYPE: &str = "Extension.Crash";

/// What the loop does after an event.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    /// Ask for the next event.
    Next,
    /// Exit with code 0.
    Exit,
}

fn flow_after(event: &NextEvent) -> Flow {
    match event {
        NextEvent::Invoke(_) => Flow::Next,
        NextEvent::Shutdown(_) => Flow::Exit,
    }
}

async fn on_event(event: LambdaEvent) -> Result<(), Error> {
    if flow_after(&event.next) == Flow::Exit {
        // The crate's loop would call /event/next again; after SHUTDOWN there is nothing left.
        std::process::exit(0);
    }
    Ok(())
}

async fn report_crash(extension_id: &str, message: &str) -> Result<(), Error> {
    let body = requests::ErrorRequest {
        error_message: message,
        error_type: CRASH_ERROR_TYPE,
        stack_trace: vec![],
    };
    let request = requests::exit_error(extension_id, CRASH_ERROR_TYPE, Some(body))?;
    Client::builder().build()?.call(request).await?;
    eprintln!("[battle-ext-blank] events loop failed: {message}");
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let registered = match Extension::new()
        .with_events(&["INVOKE", "SHUTDOWN"])
        .with_events_processor(service_fn(on_event))
        .register()
        .await
    {
        Ok(registered) => registered,
        Err(err) => {
            eprintln!("[battle-ext-blank] cannot register: {err}");
            return ExitCode::FAILURE;
        }
    };
    let extension_id = registered.extension_id.clone();
    if let Err(err) = registered.run().await {
        if let Err(report) = report_crash(&extension_id, &err.to_string()).await {
            eprintln!("[battle-ext-blank] cannot report the failure: {report}");
        }
    }
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> NextEvent {
        serde_json::from_str(json).expect("a captured /event/next body")
    }

    #[test]
    fn asks_for_the_next_event_after_invoke_and_exits_on_shutdown() {
        let invoke = event(
            r#"{"eventType":"INVOKE","deadlineMs":1700000000000,"requestId":"r1",
                "invokedFunctionArn":"arn:aws:lambda:us-east-1:000000000000:function:f",
                "tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-0-0"}}"#,
        );
        let shutdown = event(
            r#"{"eventType":"SHUTDOWN","deadlineMs":1700000002000,"shutdownReason":"spindown"}"#,
        );
        assert_eq!(flow_after(&invoke), Flow::Next);
        assert_eq!(flow_after(&shutdown), Flow::Exit);
    }

    #[test]
    fn reports_the_contracts_crash_error_type() {
        let contract: serde_json::Value =
            serde_json::from_str(include_str!("../../../extensions/contract.json")).unwrap();
        assert_eq!(contract["errorTypes"]["fatal"], CRASH_ERROR_TYPE);
    }
}
