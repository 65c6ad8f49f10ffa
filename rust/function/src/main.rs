//! The application's function on Rust, built as a `provided.al2023` bootstrap with the
//! workspace's release profile (LTO, one codegen unit, abort on panic, stripped).
#![deny(clippy::all)]

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::Client;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use battle_function::{Config, Error, Handler, Item, Mode, Putter, Sender, Workload};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use tokio::sync::OnceCell;

/// The SDK configuration: built without default features, the SDK's HTTP client is named here,
/// as the extension's is (rustls on ring); three attempts.
async fn sdk_config() -> aws_config::SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// Puts each item into `BATTLE_TABLE_NAME` with one DynamoDB client per environment, made on
/// the first invocation (lazily), as the multi-runtime study's functions do. The SDK honours
/// `AWS_ENDPOINT_URL_DYNAMODB`.
fn dynamodb_putter() -> Putter {
    let table = std::env::var("BATTLE_TABLE_NAME").unwrap_or_default();
    let client: Arc<OnceCell<aws_sdk_dynamodb::Client>> = Arc::new(OnceCell::new());
    Box::new(move |item: Item| {
        let table = table.clone();
        let client = client.clone();
        Box::pin(async move {
            if table.is_empty() {
                return Err("BATTLE_TABLE_NAME is not set".into());
            }
            let client = client
                .get_or_init(|| async { aws_sdk_dynamodb::Client::new(&sdk_config().await) })
                .await;
            client
                .put_item()
                .table_name(table)
                .item("id", AttributeValue::S(item.id))
                .item("payload", AttributeValue::S(item.payload))
                .item("sentAt", AttributeValue::N(item.sent_at.to_string()))
                .send()
                .await
                .map_err(|e| format!("PutItem failed: {}", DisplayErrorContext(&e)))?;
            Ok(())
        })
    })
}

/// One SQS client per environment, made at init (mode `direct` only); the SDK honours
/// `AWS_ENDPOINT_URL_SQS`.
async fn sqs_sender() -> Sender {
    let config = sdk_config().await;
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
    let dynamodb = config.workload == Workload::Dynamodb;
    let mut handler = Handler::new(config, send)?;
    if dynamodb {
        handler = handler.with_putter(dynamodb_putter());
    }
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
