//! The application's function on Rust, built as a `provided.al2023` bootstrap with the
//! workspace's release profile (LTO, one codegen unit, abort on panic, stripped).
#![deny(clippy::all)]

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::Client;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use battle_function::{Config, Error, Handler, Mode, Sender};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;

/// One SQS client per environment, made at init (mode `direct` only); the SDK honours
/// `AWS_ENDPOINT_URL_SQS`.
async fn sqs_sender() -> Sender {
    // The SDK is built without default features: its HTTP client is named here, as the
    // extension's is (rustls on ring).
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3))
        .load()
        .await;
    let client = Client::new(&config);
    let queue_url = std::env::var("BATTLE_QUEUE_URL").unwrap_or_default();
    Box::new(move |body| {
        let client = client.clone();
        let queue_url = queue_url.clone();
        Box::pin(async move {
            if queue_url.is_empty() {
                return Err("BATTLE_QUEUE_URL is not set".into());
            }
            client
                .send_message()
                .queue_url(queue_url)
                .message_body(body)
                .send()
                .await
                .map_err(|e| format!("SendMessage failed: {}", DisplayErrorContext(&e)))?;
            Ok(())
        })
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let config = Config::from_env(|name| std::env::var(name).ok())?;
    let send = if config.mode == Mode::Direct {
        Some(sqs_sender().await)
    } else {
        None
    };
    let handler = Handler::new(config, send)?;
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler
            .handle(&event.context.request_id, &event.payload)
            .await
            .map_err(|e| Diagnostic {
                error_type: "HandlerError".to_string(),
                error_message: e.to_string(),
            })
    }))
    .await
}
