//! An external extension built on AWS's `lambda-extension` crate. It registers for INVOKE and
//! SHUTDOWN and prints one line per event it receives. With `CONFORMANCE_TELEMETRY_PORT` set it
//! also subscribes to the Telemetry API (platform and function records) and prints one line per
//! record type it receives; with `CONFORMANCE_LOGS_PORT` set it subscribes to the Logs API
//! instead (the crate's logs processor, schema 2021-03-18) and prints one line per record; with
//! `CONFORMANCE_CRASH_FILE` set it exits with status 3 on an INVOKE while that file exists
//! (removing it first), to test the sandbox's crash handling.
#![deny(clippy::all)]

use lambda_extension::{
    service_fn, Error, Extension, LambdaEvent, LambdaLog, LambdaLogRecord, LambdaTelemetry,
    LambdaTelemetryRecord, NextEvent, SharedService,
};

async fn on_event(event: LambdaEvent) -> Result<(), Error> {
    match event.next {
        NextEvent::Invoke(invoke) => {
            println!("conformance-extension INVOKE {}", invoke.request_id);
            if let Ok(path) = std::env::var("CONFORMANCE_CRASH_FILE") {
                if std::fs::remove_file(&path).is_ok() {
                    println!("conformance-extension crashing on purpose");
                    std::process::exit(3);
                }
            }
        }
        NextEvent::Shutdown(shutdown) => {
            println!(
                "conformance-extension SHUTDOWN {}",
                shutdown.shutdown_reason
            );
        }
    }
    Ok(())
}

fn record_type(record: &LambdaTelemetryRecord) -> &'static str {
    match record {
        LambdaTelemetryRecord::Function(_) => "function",
        LambdaTelemetryRecord::Extension(_) => "extension",
        LambdaTelemetryRecord::PlatformInitStart { .. } => "platform.initStart",
        LambdaTelemetryRecord::PlatformInitRuntimeDone { .. } => "platform.initRuntimeDone",
        LambdaTelemetryRecord::PlatformInitReport { .. } => "platform.initReport",
        LambdaTelemetryRecord::PlatformStart { .. } => "platform.start",
        LambdaTelemetryRecord::PlatformRuntimeDone { .. } => "platform.runtimeDone",
        LambdaTelemetryRecord::PlatformReport { .. } => "platform.report",
        LambdaTelemetryRecord::PlatformExtension { .. } => "platform.extension",
        LambdaTelemetryRecord::PlatformTelemetrySubscription { .. } => {
            "platform.telemetrySubscription"
        }
        LambdaTelemetryRecord::PlatformLogsDropped { .. } => "platform.logsDropped",
    }
}

fn log_type(record: &LambdaLogRecord) -> &'static str {
    match record {
        LambdaLogRecord::Function(_) => "function",
        LambdaLogRecord::Extension(_) => "extension",
        LambdaLogRecord::PlatformStart { .. } => "platform.start",
        LambdaLogRecord::PlatformEnd { .. } => "platform.end",
        LambdaLogRecord::PlatformReport { .. } => "platform.report",
        LambdaLogRecord::PlatformFault(_) => "platform.fault",
        LambdaLogRecord::PlatformExtension { .. } => "platform.extension",
        LambdaLogRecord::PlatformLogsSubscription { .. } => "platform.logsSubscription",
        LambdaLogRecord::PlatformLogsDropped { .. } => "platform.logsDropped",
        LambdaLogRecord::PlatformRuntimeDone { .. } => "platform.runtimeDone",
    }
}

async fn on_logs(logs: Vec<LambdaLog>) -> Result<(), Error> {
    for log in logs {
        println!("conformance-extension LOGS {}", log_type(&log.record));
    }
    Ok(())
}

async fn on_telemetry(events: Vec<LambdaTelemetry>) -> Result<(), Error> {
    for event in events {
        println!(
            "conformance-extension TELEMETRY {}",
            record_type(&event.record)
        );
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let events = service_fn(on_event);
    if let Some(port) = std::env::var("CONFORMANCE_LOGS_PORT")
        .ok()
        .and_then(|p| p.parse::<u16>().ok())
    {
        return Extension::new()
            .with_events_processor(events)
            .with_logs_processor(SharedService::new(service_fn(on_logs)))
            .with_log_types(&["platform", "function"])
            .with_log_port_number(port)
            .run()
            .await;
    }
    match std::env::var("CONFORMANCE_TELEMETRY_PORT")
        .ok()
        .and_then(|p| p.parse::<u16>().ok())
    {
        Some(port) => {
            Extension::new()
                .with_events_processor(events)
                .with_telemetry_processor(SharedService::new(service_fn(on_telemetry)))
                .with_telemetry_types(&["platform", "function"])
                .with_telemetry_port_number(port)
                .run()
                .await
        }
        None => Extension::new().with_events_processor(events).run().await,
    }
}
