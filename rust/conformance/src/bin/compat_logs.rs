//! The `lambda-extension` crate's README "Log processor extension", unchanged but for printing
//! each record it gets (so the sandbox's compatibility suite can assert what arrived). The crate
//! binds 0.0.0.0:9002, subscribes to the Logs API (schema 2021-03-18) with
//! `http://sandbox.localdomain:9002`, and refuses a batch holding a record type it does not know.

use lambda_extension::{service_fn, Error, Extension, LambdaLog, LambdaLogRecord, SharedService};

async fn handler(logs: Vec<LambdaLog>) -> Result<(), Error> {
    for log in logs {
        match log.record {
            LambdaLogRecord::Function(record) => {
                println!("compat-logs function: {}", record.trim_end());
            }
            // Its own lines come back as extension records: print them once, not in a loop.
            LambdaLogRecord::Extension(record) if !record.starts_with("compat-logs") => {
                println!("compat-logs extension: {}", record.trim_end());
            }
            LambdaLogRecord::PlatformStart { request_id, .. } => {
                println!("compat-logs platform.start {request_id}");
            }
            LambdaLogRecord::PlatformReport { request_id, .. } => {
                println!("compat-logs platform.report {request_id}");
            }
            _ => (),
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let logs_processor = SharedService::new(service_fn(handler));
    Extension::new()
        .with_logs_processor(logs_processor)
        .run()
        .await?;
    Ok(())
}
