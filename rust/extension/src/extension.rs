//! Registration and the events loop: INVOKE → wait until the function is done with the
//! invocation (see [`crate::invocations`]) → flush, bounded by the deadline (what is left stays
//! for the next INVOKE or SHUTDOWN) → `/next`; SHUTDOWN → flush → stop sending, wait briefly for
//! the requests in flight → log the exact counts → exit.
//! Registration is separate from the loop so a bad configuration can be reported to
//! `/init/error`, and a failed loop to `/exit/error`; the `lambda-extension` crate calls `/next`
//! itself each time the events processor returns.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_extension::{requests, service_fn, Error, Extension, LambdaEvent, NextEvent};
use lambda_runtime_api_client::Client;
use tokio::time::Instant;
use tracing::{error, info, warn};

use crate::config::{
    Config, CONFIG_ERROR_TYPE, EVENTS, EXTENSION_NAME, FATAL_ERROR_TYPE, INVOKE_MARGIN,
    LISTEN_ERROR_TYPE, SHUTDOWN_MARGIN,
};
use crate::invocations::Invocations;
use crate::outbox::{run_sender, Limits, Outbox};
use crate::summary::{invoke_line, shutdown_line, ShutdownCounts};
use crate::{http, sqs};

/// The name to register with: the executable's file name, as Lambda expects.
fn extension_name() -> String {
    std::env::args()
        .next()
        .as_deref()
        .and_then(|arg0| Path::new(arg0).file_name())
        .and_then(|name| name.to_str())
        .map_or_else(|| EXTENSION_NAME.to_owned(), str::to_owned)
}

/// An epoch-milliseconds deadline as an `Instant`, `margin` earlier.
pub fn deadline_instant(deadline_ms: u64, margin: Duration) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let left = Duration::from_millis(deadline_ms.saturating_sub(now_ms)).saturating_sub(margin);
    Instant::now() + left
}

async fn on_event(
    outbox: Arc<Outbox>,
    invocations: Arc<Invocations>,
    event: LambdaEvent,
) -> Result<(), Error> {
    match event.next {
        NextEvent::Invoke(invoke) => {
            // INVOKE comes at the start of the invocation: first wait until the function is done
            // with it (its tagged message or /invocations/<id>/end), then deliver, then /next.
            let deadline = deadline_instant(invoke.deadline_ms, INVOKE_MARGIN);
            if !invocations.wait(&invoke.request_id, deadline).await {
                warn!(request_id = %invoke.request_id, "no message or end from the function by its deadline");
            }
            let before = outbox.stats();
            // Past the deadline the rest stays in the outbox for the next INVOKE or SHUTDOWN.
            outbox.flush(Some(deadline)).await;
            let after = outbox.stats();
            let on_retry = after.delivered_on_retry - before.delivered_on_retry;
            if after.outstanding > 0 || on_retry > 0 {
                let line = invoke_line(
                    &invoke.request_id,
                    after.delivered - before.delivered,
                    on_retry,
                    after.outstanding,
                );
                if after.outstanding > 0 {
                    warn!("{line}");
                } else {
                    info!("{line}");
                }
            }
            Ok(())
        }
        NextEvent::Shutdown(shutdown) => {
            outbox
                .flush(Some(deadline_instant(
                    shutdown.deadline_ms,
                    SHUTDOWN_MARGIN,
                )))
                .await;
            // No new request after the flush's deadline; those in flight get half the margin.
            let in_flight = outbox
                .close(deadline_instant(shutdown.deadline_ms, SHUTDOWN_MARGIN / 2))
                .await;
            let stats = outbox.stats();
            let line = shutdown_line(
                &shutdown.shutdown_reason,
                &ShutdownCounts {
                    accepted: stats.accepted,
                    delivered: stats.delivered,
                    delivered_on_retry: stats.delivered_on_retry,
                    unsent: stats.outstanding - in_flight + stats.given_up,
                    refused: stats.refused,
                    in_flight,
                    turned_away: stats.turned_away,
                },
            );
            if stats.accepted > stats.delivered {
                error!("{line}");
            } else {
                info!("{line}");
            }
            // Lambda ends the process after SHUTDOWN anyway; don't ask for another event.
            std::process::exit(0)
        }
    }
}

/// Which error route a report goes to.
#[derive(Debug, Clone, Copy)]
enum Phase {
    Init,
    Exit,
}

/// Posts `/init/error` or `/exit/error`; a failure to report is logged, not returned.
async fn report_error(phase: Phase, extension_id: &str, error_type: &str, message: &str) {
    let body = requests::ErrorRequest {
        error_message: message,
        error_type,
        stack_trace: vec![],
    };
    let send = async {
        let req = match phase {
            Phase::Init => requests::init_error(extension_id, error_type, Some(body))?,
            Phase::Exit => requests::exit_error(extension_id, error_type, Some(body))?,
        };
        Client::builder().build()?.call(req).await?;
        Ok::<(), Error>(())
    };
    if let Err(err) = send.await {
        error!("cannot report the {phase:?} error {error_type}: {err}");
    }
}

/// Registers, reports `message` to `/init/error`, and returns it as the error.
async fn fail_init(name: &str, error_type: &str, message: String) -> Result<(), Error> {
    error!("init failed: {message}");
    let registered = Extension::new()
        .with_extension_name(name)
        .with_events(EVENTS)
        .register()
        .await?;
    report_error(Phase::Init, &registered.extension_id, error_type, &message).await;
    Err(message.into())
}

/// Starts the HTTP API and the sender, registers, and runs the events loop until SHUTDOWN.
pub async fn run() -> Result<(), Error> {
    let name = extension_name();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(message) => return fail_init(&name, CONFIG_ERROR_TYPE, message).await,
    };
    let listener = match http::bind(config.port).await {
        Ok(listener) => listener,
        Err(err) => {
            let message = format!("Cannot listen on 127.0.0.1:{}: {err}", config.port);
            return fail_init(&name, LISTEN_ERROR_TYPE, message).await;
        }
    };
    let outbox = Outbox::new(Limits {
        max_messages: config.max_messages,
        max_bytes: config.max_bytes,
    });
    let invocations = Invocations::new();
    tokio::spawn(http::serve(listener, outbox.clone(), invocations.clone()));

    let sender_outbox = outbox.clone();
    let events = service_fn(move |event| on_event(outbox.clone(), invocations.clone(), event));
    let registered = Extension::new()
        .with_extension_name(&name)
        .with_events(EVENTS)
        .with_events_processor(events)
        .register()
        .await?;
    info!(
        port = config.port,
        "{name} registered, listening on 127.0.0.1:{}", config.port
    );
    // Lambda starts the runtime once every extension has registered, so the SQS client
    // (configuration, CA certificates: a few ms of CPU) is built after registering, alongside
    // the runtime's own Init, and before the first /next.
    let sender = sqs::SqsSender::new(sqs::client().await, config.queue_url);
    tokio::spawn(run_sender(
        sender_outbox,
        Arc::new(sender),
        config.concurrency,
    ));
    let extension_id = registered.extension_id.clone();
    let result = registered.run().await;
    if let Err(err) = &result {
        // A /next that failed or did not hold an event: Lambda gets the reason before the exit.
        report_error(
            Phase::Exit,
            &extension_id,
            FATAL_ERROR_TYPE,
            &err.to_string(),
        )
        .await;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch_ms() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    #[test]
    fn deadline_instant_keeps_the_margin_back() {
        let at = deadline_instant(epoch_ms() + 2_000, Duration::from_millis(200));
        let left = at.saturating_duration_since(Instant::now());
        assert!(
            left <= Duration::from_millis(1_800) && left >= Duration::from_millis(1_700),
            "{left:?}"
        );
    }

    #[test]
    fn deadline_instant_is_now_for_past_or_missing_deadlines() {
        for deadline_ms in [0, epoch_ms() - 5_000, epoch_ms() + 100] {
            let at = deadline_instant(deadline_ms, Duration::from_millis(200));
            assert!(at <= Instant::now(), "{deadline_ms}");
        }
    }
}
