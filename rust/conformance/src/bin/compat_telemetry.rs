//! The `lambda-extension` crate's README "Telemetry processor extension", unchanged but for
//! printing each record's kind (so the sandbox's compatibility suite can assert what arrived).
//! The crate binds 0.0.0.0:9003 and subscribes to the Telemetry API (schema 2022-07-01) with
//! `http://sandbox.localdomain:9003`.

use lambda_extension::{
    service_fn, Error, Extension, LambdaTelemetry, LambdaTelemetryRecord, SharedService,
};

async fn handler(events: Vec<LambdaTelemetry>) -> Result<(), Error> {
    for event in events {
        match event.record {
            LambdaTelemetryRecord::Function(record) => {
                println!("compat-telemetry function: {}", record.trim_end());
            }
            LambdaTelemetryRecord::PlatformInitStart {
                runtime_version, ..
            } => {
                println!("compat-telemetry platform.initStart {runtime_version:?}");
            }
            LambdaTelemetryRecord::PlatformRuntimeDone { request_id, .. } => {
                println!("compat-telemetry platform.runtimeDone {request_id}");
            }
            LambdaTelemetryRecord::PlatformReport { request_id, .. } => {
                println!("compat-telemetry platform.report {request_id}");
            }
            _ => (),
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let telemetry_processor = SharedService::new(service_fn(handler));
    Extension::new()
        .with_telemetry_processor(telemetry_processor)
        .run()
        .await?;
    Ok(())
}
