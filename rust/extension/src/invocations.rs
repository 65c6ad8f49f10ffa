//! The end-of-invocation protocol. Lambda hands an extension its INVOKE at the start of an
//! invocation, while the function posts its message during it; so before the extension flushes
//! and asks for the next event it waits until the function is done with the invocation: a
//! message tagged with the request id (header `Lambda-Runtime-Aws-Request-Id`) was accepted, or
//! the function called `POST /invocations/<id>/end`. Either may arrive before the INVOKE event
//! reaches the extension (the runtime and the extension get their events concurrently), so
//! endings are remembered until their INVOKE asks.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::time::{timeout_at, Instant};

use crate::config::MAX_REMEMBERED_ENDINGS;

/// Which invocations the function is done with.
#[derive(Debug, Default)]
pub struct Invocations {
    /// Request ids ended and not yet claimed by their INVOKE, oldest first.
    ended: Mutex<VecDeque<String>>,
    changed: Notify,
}

impl Invocations {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<String>> {
        self.ended
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Notes that the function is done with invocation `request_id`; empty ids are ignored.
    /// Past [`MAX_REMEMBERED_ENDINGS`] unclaimed endings the oldest is forgotten.
    pub fn end(&self, request_id: &str) {
        if request_id.is_empty() {
            return;
        }
        {
            let mut ended = self.lock();
            ended.retain(|id| id != request_id);
            ended.push_back(request_id.to_owned());
            while ended.len() > MAX_REMEMBERED_ENDINGS {
                ended.pop_front();
            }
        }
        self.changed.notify_waiters();
    }

    /// Endings remembered and not claimed yet.
    pub fn remembered(&self) -> usize {
        self.lock().len()
    }

    fn take(&self, request_id: &str) -> bool {
        let mut ended = self.lock();
        match ended.iter().position(|id| id == request_id) {
            Some(at) => {
                ended.remove(at);
                true
            }
            None => false,
        }
    }

    /// Waits until invocation `request_id` has ended (claiming the ending), or until
    /// `deadline`. Returns true when it ended, false when the deadline came first.
    pub async fn wait(&self, request_id: &str, deadline: Instant) -> bool {
        if request_id.is_empty() {
            return false;
        }
        loop {
            // Registered before the check, so an ending between the two is not missed.
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.take(request_id) {
                return true;
            }
            if timeout_at(deadline, notified).await.is_err() {
                return self.take(request_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn wait_returns_when_the_invocation_ends() {
        let invocations = Invocations::new();
        let ender = invocations.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            ender.end("other");
            ender.end("r1");
        });
        let started = Instant::now();
        assert!(
            invocations
                .wait("r1", started + Duration::from_secs(10))
                .await
        );
        assert_eq!(started.elapsed(), Duration::from_millis(300));
        assert_eq!(invocations.remembered(), 1, "'other' waits for its INVOKE");
    }

    #[tokio::test(start_paused = true)]
    async fn wait_finds_an_ending_that_came_first() {
        let invocations = Invocations::new();
        invocations.end("early");
        let started = Instant::now();
        assert!(
            invocations
                .wait("early", started + Duration::from_secs(10))
                .await
        );
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(invocations.remembered(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn wait_gives_up_at_the_deadline_and_keeps_late_endings() {
        let invocations = Invocations::new();
        let started = Instant::now();
        assert!(
            !invocations
                .wait("never", started + Duration::from_millis(1_300))
                .await
        );
        assert_eq!(started.elapsed(), Duration::from_millis(1_300));
        assert!(!invocations.wait("", started + Duration::from_secs(1)).await);
        invocations.end("never");
        invocations.end("");
        assert_eq!(invocations.remembered(), 1);
    }

    #[test]
    fn forgets_the_oldest_endings_past_the_limit() {
        let invocations = Invocations::new();
        for i in 0..MAX_REMEMBERED_ENDINGS + 3 {
            invocations.end(&format!("r{i}"));
        }
        assert_eq!(invocations.remembered(), MAX_REMEMBERED_ENDINGS);
        assert!(!invocations.take("r0"));
        assert!(invocations.take(&format!("r{}", MAX_REMEMBERED_ENDINGS + 2)));
    }
}
