//! The messages accepted and not yet settled, the background task that delivers them in
//! batches with bounded retry, and `flush`, which waits until everything accepted so far is
//! settled (delivered, or given up and counted as undelivered).

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout_at, Instant};
use tracing::{error, warn};

use crate::batch::next_batch_len;
use crate::config::{MAX_CONCURRENT_BATCHES, RETRY_BASE, RETRY_BUDGET, RETRY_MAX_BACKOFF};

/// One accepted message; `seq` numbers them in order of acceptance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub seq: u64,
    pub body: String,
}

/// An entry SQS refused within an otherwise answered batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFailure {
    /// Position of the entry in the batch sent.
    pub index: usize,
    /// True when the request itself was wrong: retrying cannot help.
    pub sender_fault: bool,
    pub code: String,
}

/// What SQS answered to one batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReply {
    /// Positions SQS acknowledged.
    pub delivered: Vec<usize>,
    /// Positions SQS refused. Positions in neither list are retried.
    pub failed: Vec<EntryFailure>,
}

/// Sends one batch; `Err` when the whole request failed (network, throttling, 5xx, ...).
pub trait BatchSender: Send + Sync + 'static {
    fn send(&self, batch: &[Message]) -> impl Future<Output = Result<BatchReply, String>> + Send;
}

#[derive(Debug, Default)]
struct State {
    next_seq: u64,
    pending: VecDeque<Message>,
    in_flight: BTreeSet<u64>,
    delivered: u64,
    undelivered: u64,
}

impl State {
    /// Every message numbered below this is settled.
    fn low_water(&self) -> u64 {
        let in_flight = self.in_flight.first().copied();
        let pending = self.pending.front().map(|m| m.seq);
        [in_flight, pending]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(self.next_seq)
    }

    fn unsettled_below(&self, seq: u64) -> u64 {
        let pending = self.pending.iter().take_while(|m| m.seq < seq).count();
        let in_flight = self.in_flight.range(..seq).count();
        (pending + in_flight) as u64
    }
}

/// Counters for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub accepted: u64,
    pub delivered: u64,
    pub undelivered: u64,
    pub outstanding: u64,
}

/// The shared queue between the HTTP server, the sender task and the events loop.
#[derive(Debug)]
pub struct Outbox {
    state: Mutex<State>,
    work: Notify,
    settled: watch::Sender<u64>,
}

impl Outbox {
    pub fn new() -> Arc<Self> {
        Arc::new(Outbox {
            state: Mutex::new(State::default()),
            work: Notify::new(),
            settled: watch::Sender::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain counters behind: still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a message for delivery and wakes the sender.
    pub fn push(&self, body: String) -> u64 {
        let seq = {
            let mut state = self.lock();
            let seq = state.next_seq;
            state.next_seq += 1;
            state.pending.push_back(Message { seq, body });
            seq
        };
        self.work.notify_one();
        seq
    }

    /// Takes up to `max` batches off the queue and marks their messages in flight.
    pub fn take_batches(&self, max: usize) -> Vec<Vec<Message>> {
        let mut state = self.lock();
        let mut batches = Vec::new();
        while batches.len() < max && !state.pending.is_empty() {
            let n = next_batch_len(state.pending.iter().map(|m| m.body.len()));
            let batch: Vec<Message> = state.pending.drain(..n).collect();
            state.in_flight.extend(batch.iter().map(|m| m.seq));
            batches.push(batch);
        }
        batches
    }

    /// Marks in-flight messages settled: delivered, or given up on (undelivered).
    pub fn settle(&self, delivered: &[u64], undelivered: &[u64]) {
        let low_water = {
            let mut state = self.lock();
            for seq in delivered.iter().chain(undelivered) {
                state.in_flight.remove(seq);
            }
            state.delivered += delivered.len() as u64;
            state.undelivered += undelivered.len() as u64;
            state.low_water()
        };
        self.settled.send_replace(low_water);
    }

    pub fn stats(&self) -> Stats {
        let state = self.lock();
        Stats {
            accepted: state.next_seq,
            delivered: state.delivered,
            undelivered: state.undelivered,
            outstanding: state.unsettled_below(state.next_seq),
        }
    }

    /// Waits until every message accepted before this call is settled, or until `deadline`.
    /// Returns how many of them were still unsettled (0 when all were).
    pub async fn flush(&self, deadline: Option<Instant>) -> u64 {
        let target = self.lock().next_seq;
        let mut settled = self.settled.subscribe();
        let done = settled.wait_for(|low_water| *low_water >= target);
        let reached = match deadline {
            Some(deadline) => matches!(timeout_at(deadline, done).await, Ok(Ok(_))),
            // The sender never drops the channel while the outbox lives.
            None => done.await.is_ok(),
        };
        if reached {
            0
        } else {
            self.lock().unsettled_below(target)
        }
    }

    async fn wait_for_work(&self) {
        self.work.notified().await;
    }
}

/// The pause before retry number `attempt` (1 = the first retry): doubling, capped.
pub fn backoff(attempt: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    RETRY_BASE.saturating_mul(factor).min(RETRY_MAX_BACKOFF)
}

/// Delivers one batch, retrying what failed until `RETRY_BUDGET` is spent.
async fn deliver<S: BatchSender>(sender: Arc<S>, outbox: Arc<Outbox>, mut batch: Vec<Message>) {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        match sender.send(&batch).await {
            Ok(reply) => {
                let refused: Vec<&EntryFailure> =
                    reply.failed.iter().filter(|f| f.sender_fault).collect();
                let seq_at = |i: usize| batch.get(i).map(|m| m.seq);
                let delivered: Vec<u64> =
                    reply.delivered.iter().filter_map(|&i| seq_at(i)).collect();
                let dropped: Vec<u64> = refused.iter().filter_map(|f| seq_at(f.index)).collect();
                if !dropped.is_empty() {
                    let codes: Vec<&str> = refused.iter().map(|f| f.code.as_str()).collect();
                    error!(
                        undelivered = dropped.len(),
                        "SQS refused {} undelivered messages: {codes:?}",
                        dropped.len()
                    );
                }
                outbox.settle(&delivered, &dropped);
                batch.retain(|m| !delivered.contains(&m.seq) && !dropped.contains(&m.seq));
                if !batch.is_empty() {
                    warn!(
                        attempt,
                        "SendMessageBatch: {} entries failed, retrying",
                        batch.len()
                    );
                }
            }
            Err(err) => warn!(attempt, "SendMessageBatch failed: {err}"),
        }
        if batch.is_empty() {
            return;
        }
        let pause = backoff(attempt);
        if started.elapsed() + pause > RETRY_BUDGET {
            let seqs: Vec<u64> = batch.iter().map(|m| m.seq).collect();
            error!(
                undelivered = seqs.len(),
                attempts = attempt,
                "gave up on {} undelivered messages",
                seqs.len()
            );
            outbox.settle(&[], &seqs);
            return;
        }
        sleep(pause).await;
    }
}

/// The sender task: forever takes batches off the outbox and delivers them, up to
/// `MAX_CONCURRENT_BATCHES` at a time.
pub async fn run_sender<S: BatchSender>(outbox: Arc<Outbox>, sender: Arc<S>) {
    loop {
        let batches = outbox.take_batches(MAX_CONCURRENT_BATCHES);
        if batches.is_empty() {
            outbox.wait_for_work().await;
            continue;
        }
        let mut tasks = JoinSet::new();
        for batch in batches {
            tasks.spawn(deliver(sender.clone(), outbox.clone(), batch));
        }
        while let Some(joined) = tasks.join_next().await {
            if let Err(err) = joined {
                error!("delivery task failed: {err}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Fails whole requests `fail_first` times, then refuses entries whose body starts with
    /// "bad" (sender fault) and acknowledges the rest; records every batch.
    #[derive(Default)]
    struct FakeSqs {
        fail_first: usize,
        calls: AtomicUsize,
        batches: Mutex<Vec<Vec<String>>>,
    }

    impl BatchSender for FakeSqs {
        fn send(
            &self,
            batch: &[Message],
        ) -> impl Future<Output = Result<BatchReply, String>> + Send {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            let bodies: Vec<String> = batch.iter().map(|m| m.body.clone()).collect();
            self.batches.lock().unwrap().push(bodies.clone());
            let fail = call < self.fail_first;
            async move {
                if fail {
                    return Err("connection refused".to_string());
                }
                let mut reply = BatchReply::default();
                for (index, body) in bodies.iter().enumerate() {
                    if body.starts_with("bad") {
                        reply.failed.push(EntryFailure {
                            index,
                            sender_fault: true,
                            code: "InvalidMessageContents".into(),
                        });
                    } else {
                        reply.delivered.push(index);
                    }
                }
                Ok(reply)
            }
        }
    }

    fn start(fake: FakeSqs) -> (Arc<Outbox>, Arc<FakeSqs>) {
        let outbox = Outbox::new();
        let fake = Arc::new(fake);
        tokio::spawn(run_sender(outbox.clone(), fake.clone()));
        (outbox, fake)
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let got: Vec<u128> = (1..=8).map(|a| backoff(a).as_millis()).collect();
        assert_eq!(got, vec![50, 100, 200, 400, 800, 1000, 1000, 1000]);
        assert_eq!(backoff(100), RETRY_MAX_BACKOFF);
    }

    #[test]
    fn takes_batches_within_limits_in_order() {
        let outbox = Outbox::new();
        for i in 0..25 {
            outbox.push(format!("m{i}"));
        }
        let batches = outbox.take_batches(2);
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![10, 10]
        );
        assert_eq!(batches[1][0].body, "m10");
        assert_eq!(
            outbox
                .take_batches(4)
                .iter()
                .map(Vec::len)
                .collect::<Vec<_>>(),
            vec![5]
        );
        assert_eq!(outbox.stats().outstanding, 25);
    }

    #[tokio::test(start_paused = true)]
    async fn flush_waits_for_delivery() {
        let (outbox, fake) = start(FakeSqs::default());
        for i in 0..25 {
            outbox.push(format!("m{i}"));
        }
        assert_eq!(outbox.flush(None).await, 0);
        let stats = outbox.stats();
        assert_eq!(
            (stats.accepted, stats.delivered, stats.outstanding),
            (25, 25, 0)
        );
        let sizes: Vec<usize> = fake.batches.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![10, 10, 5]);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_failed_requests_with_backoff() {
        let (outbox, fake) = start(FakeSqs {
            fail_first: 3,
            ..FakeSqs::default()
        });
        outbox.push("a".into());
        let started = Instant::now();
        assert_eq!(outbox.flush(None).await, 0);
        assert_eq!(fake.calls.load(Ordering::SeqCst), 4);
        // 50 + 100 + 200 ms of backoff under the paused clock.
        assert_eq!(started.elapsed(), Duration::from_millis(350));
        assert_eq!(outbox.stats().delivered, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn drops_sender_faults_and_counts_them_undelivered() {
        let (outbox, fake) = start(FakeSqs::default());
        for body in ["ok 1", "bad", "ok 2"] {
            outbox.push(body.into());
        }
        assert_eq!(outbox.flush(None).await, 0);
        let stats = outbox.stats();
        assert_eq!((stats.delivered, stats.undelivered), (2, 1));
        assert_eq!(
            fake.calls.load(Ordering::SeqCst),
            1,
            "a sender fault is not retried"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_the_retry_budget() {
        let (outbox, _fake) = start(FakeSqs {
            fail_first: usize::MAX,
            ..FakeSqs::default()
        });
        outbox.push("a".into());
        outbox.push("b".into());
        let started = Instant::now();
        assert_eq!(outbox.flush(None).await, 0);
        assert!(started.elapsed() <= RETRY_BUDGET);
        assert_eq!(outbox.stats().undelivered, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn flush_stops_at_the_deadline_and_reports_what_is_left() {
        let (outbox, _fake) = start(FakeSqs {
            fail_first: usize::MAX,
            ..FakeSqs::default()
        });
        for i in 0..3 {
            outbox.push(format!("m{i}"));
        }
        let deadline = Instant::now() + Duration::from_millis(1_300);
        assert_eq!(outbox.flush(Some(deadline)).await, 3);
        assert_eq!(Instant::now(), deadline);
    }

    #[tokio::test(start_paused = true)]
    async fn flush_ignores_messages_accepted_after_it_started() {
        let outbox = Outbox::new();
        outbox.push("early".into());
        let batch = outbox.take_batches(1);
        let flushing = {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.flush(None).await })
        };
        tokio::task::yield_now().await;
        outbox.push("late".into());
        outbox.settle(&[batch[0][0].seq], &[]);
        assert_eq!(flushing.await.unwrap(), 0);
        assert_eq!(outbox.stats().outstanding, 1);
    }
}
