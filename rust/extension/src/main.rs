#![deny(clippy::all)]

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    lambda_extension::tracing::init_default_subscriber();
    match battle_ext_rust::extension::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("extension failed: {err}");
            ExitCode::FAILURE
        }
    }
}
