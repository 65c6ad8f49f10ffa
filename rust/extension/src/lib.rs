//! `battle-ext-rust`: a Lambda extension that accepts message bodies from the function over HTTP
//! on 127.0.0.1 and delivers them to SQS with `SendMessageBatch`. On INVOKE it waits until the
//! function is done with the invocation (its tagged message, or `/invocations/<id>/end`); before
//! it asks Lambda for the next event it has delivered everything accepted so far; on SHUTDOWN it
//! flushes within the deadline and exits.
#![deny(clippy::all)]

pub mod batch;
pub mod config;
pub mod extension;
pub mod http;
pub mod invocations;
pub mod outbox;
pub mod sqs;
pub mod summary;
