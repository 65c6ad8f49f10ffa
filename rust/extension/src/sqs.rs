//! The SQS side: a client built from the standard AWS configuration (environment, including
//! `AWS_ENDPOINT_URL_SQS`) without any network call at start-up, and `SendMessageBatch`.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

use crate::config::{ATTEMPT_TIMEOUT, CONNECT_TIMEOUT};
use crate::outbox::{BatchReply, BatchSender, EntryFailure, Message};

/// Sends batches to one queue.
#[derive(Debug, Clone)]
pub struct SqsSender {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

/// Builds the SQS client. Loads configuration only (environment and profile files); the first
/// connection is made by the first send.
pub async fn client() -> aws_sdk_sqs::Client {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let shared = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        // Retries are the outbox's job (bounded, with backoff, per batch and per entry).
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        )
        .load()
        .await;
    aws_sdk_sqs::Client::new(&shared)
}

impl SqsSender {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: String) -> Self {
        SqsSender { client, queue_url }
    }
}

/// Entry ids are the positions in the batch.
fn entries(batch: &[Message]) -> Result<Vec<SendMessageBatchRequestEntry>, String> {
    batch
        .iter()
        .enumerate()
        .map(|(i, m)| {
            SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(m.body.clone())
                .build()
                .map_err(|e| format!("Cannot build batch entry {i}: {e}"))
        })
        .collect()
}

impl BatchSender for SqsSender {
    async fn send(&self, batch: &[Message]) -> Result<BatchReply, String> {
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries(batch)?))
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?;
        Ok(BatchReply {
            delivered: out
                .successful()
                .iter()
                .filter_map(|s| s.id().parse().ok())
                .collect(),
            failed: out
                .failed()
                .iter()
                .filter_map(|f| {
                    Some(EntryFailure {
                        index: f.id().parse().ok()?,
                        sender_fault: f.sender_fault(),
                        code: f.code().to_owned(),
                    })
                })
                .collect(),
        })
    }
}
