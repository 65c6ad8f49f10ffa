//! The messages accepted and not yet settled, the background task that delivers them in
//! batches with bounded retry, and `flush`, which waits until everything accepted so far is
//! settled (delivered, or given up and counted as undelivered).
//!
//! The outbox is bounded (messages and body bytes held, in flight included): `push` turns a
//! message away when it would pass either bound. Up to `concurrency` requests are in flight,
//! each taking the next batch as one answers. `close` (at SHUTDOWN) stops new requests and
//! retries and waits for those in flight, so the final counts are exact.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout_at, Instant};
use tracing::{error, warn};

use crate::batch::next_batch_len;
use crate::config::{RETRY_BASE, RETRY_BUDGET, RETRY_MAX_BACKOFF};

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

/// The outbox's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_messages: usize,
    pub max_bytes: usize,
}

/// `push` refused a message: the outbox is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full {
    pub held: usize,
    pub held_bytes: usize,
    pub limits: Limits,
}

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "The outbox is full: {} messages ({} bytes) wait for SQS; it holds at most {} \
             messages or {} bytes",
            self.held, self.held_bytes, self.limits.max_messages, self.limits.max_bytes
        )
    }
}

#[derive(Debug, Default)]
struct State {
    next_seq: u64,
    pending: VecDeque<Message>,
    /// Taken off the queue and not settled yet: seq → body bytes.
    in_flight: BTreeMap<u64, usize>,
    held_bytes: usize,
    /// Messages in a request that has not answered yet.
    in_request: u64,
    delivered: u64,
    delivered_on_retry: u64,
    refused: u64,
    given_up: u64,
    turned_away: u64,
    closed: bool,
}

impl State {
    /// Every message numbered below this is settled.
    fn low_water(&self) -> u64 {
        let in_flight = self.in_flight.keys().next().copied();
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

    fn held(&self) -> usize {
        self.pending.len() + self.in_flight.len()
    }

    fn settle(&mut self, seq: u64) -> bool {
        match self.in_flight.remove(&seq) {
            Some(bytes) => {
                self.held_bytes -= bytes;
                true
            }
            None => false,
        }
    }
}

/// Counters for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub accepted: u64,
    /// Acknowledged by SQS.
    pub delivered: u64,
    /// Of `delivered`, acknowledged only after a retry: each a possible duplicate.
    pub delivered_on_retry: u64,
    /// Refused by SQS as the sender's fault.
    pub refused: u64,
    /// Given up on after the retry budget.
    pub given_up: u64,
    /// Accepted and not settled yet (queued, backing off or in a request).
    pub outstanding: u64,
    /// Of `outstanding`, in a request that has not answered yet.
    pub in_request: u64,
    /// Turned away because the outbox was full.
    pub turned_away: u64,
}

impl Stats {
    /// Refused or given up on: settled without delivery.
    pub fn undelivered(&self) -> u64 {
        self.refused + self.given_up
    }
}

/// The shared queue between the HTTP server, the sender task and the events loop.
#[derive(Debug)]
pub struct Outbox {
    limits: Limits,
    state: Mutex<State>,
    work: Notify,
    settled: watch::Sender<u64>,
    /// Woken whenever a request answers.
    answered: Notify,
}

impl Outbox {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Outbox {
            limits,
            state: Mutex::new(State::default()),
            work: Notify::new(),
            settled: watch::Sender::new(0),
            answered: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain counters behind: still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a message for delivery and wakes the sender, unless the outbox is full.
    pub fn push(&self, body: String) -> Result<u64, Full> {
        let seq = {
            let mut state = self.lock();
            if state.held() + 1 > self.limits.max_messages
                || state.held_bytes + body.len() > self.limits.max_bytes
            {
                state.turned_away += 1;
                return Err(Full {
                    held: state.held(),
                    held_bytes: state.held_bytes,
                    limits: self.limits,
                });
            }
            let seq = state.next_seq;
            state.next_seq += 1;
            state.held_bytes += body.len();
            state.pending.push_back(Message { seq, body });
            seq
        };
        self.work.notify_one();
        Ok(seq)
    }

    /// Takes the next batch off the queue and marks its messages in flight; None when the queue
    /// is empty or the outbox is closed.
    pub fn take_batch(&self) -> Option<Vec<Message>> {
        let mut state = self.lock();
        if state.closed || state.pending.is_empty() {
            return None;
        }
        let n = next_batch_len(state.pending.iter().map(|m| m.body.len()));
        let batch: Vec<Message> = state.pending.drain(..n).collect();
        for m in &batch {
            state.in_flight.insert(m.seq, m.body.len());
        }
        Some(batch)
    }

    /// Takes up to `max` batches (see [`Outbox::take_batch`]).
    pub fn take_batches(&self, max: usize) -> Vec<Vec<Message>> {
        std::iter::from_fn(|| self.take_batch()).take(max).collect()
    }

    /// Notes that a request carrying `messages` messages is on its way.
    fn begin_request(&self, messages: usize) {
        self.lock().in_request += messages as u64;
    }

    /// Notes that a request carrying `messages` messages answered (or failed), settling the
    /// ones it delivered or SQS refused; `attempt` counts from 1.
    fn end_request(&self, messages: usize, delivered: &[u64], refused: &[u64], attempt: u32) {
        {
            let mut state = self.lock();
            state.in_request -= messages as u64;
            self.settle_locked(&mut state, delivered, refused, 0);
            if attempt > 1 {
                state.delivered_on_retry += delivered.len() as u64;
            }
        }
        self.answered.notify_waiters();
    }

    fn settle_locked(&self, state: &mut State, delivered: &[u64], refused: &[u64], given_up: u64) {
        for &seq in delivered {
            if state.settle(seq) {
                state.delivered += 1;
            }
        }
        for &seq in refused {
            if state.settle(seq) {
                state.refused += 1;
            }
        }
        state.given_up += given_up;
        self.settled.send_replace(state.low_water());
    }

    /// Marks in-flight messages settled: delivered, or refused by SQS.
    pub fn settle(&self, delivered: &[u64], refused: &[u64]) {
        let mut state = self.lock();
        self.settle_locked(&mut state, delivered, refused, 0);
    }

    /// Gives up on in-flight messages (the retry budget is spent): settled, undelivered.
    fn give_up(&self, seqs: &[u64]) {
        let mut state = self.lock();
        let n = seqs.iter().filter(|&&seq| state.settle(seq)).count();
        self.settle_locked(&mut state, &[], &[], n as u64);
    }

    fn is_closed(&self) -> bool {
        self.lock().closed
    }

    pub fn stats(&self) -> Stats {
        let state = self.lock();
        Stats {
            accepted: state.next_seq,
            delivered: state.delivered,
            delivered_on_retry: state.delivered_on_retry,
            refused: state.refused,
            given_up: state.given_up,
            outstanding: state.unsettled_below(state.next_seq),
            in_request: state.in_request,
            turned_away: state.turned_away,
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

    /// Starts no more requests or retries, and waits until the requests in flight answer or
    /// until `deadline`. Returns the messages still in a request then (their outcome unknown).
    pub async fn close(&self, deadline: Instant) -> u64 {
        self.lock().closed = true;
        loop {
            let answered = self.answered.notified();
            let in_request = self.lock().in_request;
            if in_request == 0 || timeout_at(deadline, answered).await.is_err() {
                return self.lock().in_request;
            }
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

/// Delivers one batch, retrying what failed until `RETRY_BUDGET` is spent or the outbox closes
/// (then what is left stays unsettled: counted as unsent).
async fn deliver<S: BatchSender>(sender: Arc<S>, outbox: Arc<Outbox>, mut batch: Vec<Message>) {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        outbox.begin_request(batch.len());
        let result = sender.send(&batch).await;
        let sent = batch.len();
        match result {
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
                outbox.end_request(sent, &delivered, &dropped, attempt);
                batch.retain(|m| !delivered.contains(&m.seq) && !dropped.contains(&m.seq));
                if !batch.is_empty() {
                    warn!(
                        attempt,
                        "SendMessageBatch: {} entries failed, retrying",
                        batch.len()
                    );
                }
            }
            Err(err) => {
                outbox.end_request(sent, &[], &[], attempt);
                warn!(attempt, "SendMessageBatch failed: {err}");
            }
        }
        if batch.is_empty() || outbox.is_closed() {
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
            outbox.give_up(&seqs);
            return;
        }
        sleep(pause).await;
        if outbox.is_closed() {
            return;
        }
    }
}

/// The sender task: forever takes batches off the outbox and delivers them, keeping up to
/// `concurrency` requests in flight (the next starts as soon as one ends).
pub async fn run_sender<S: BatchSender>(outbox: Arc<Outbox>, sender: Arc<S>, concurrency: usize) {
    let mut tasks = JoinSet::new();
    loop {
        while tasks.len() < concurrency.max(1) {
            match outbox.take_batch() {
                Some(batch) => {
                    tasks.spawn(deliver(sender.clone(), outbox.clone(), batch));
                }
                None => break,
            }
        }
        if tasks.is_empty() {
            outbox.wait_for_work().await;
            continue;
        }
        tokio::select! {
            joined = tasks.join_next() => {
                if let Some(Err(err)) = joined {
                    error!("delivery task failed: {err}");
                }
            }
            () = outbox.wait_for_work() => {}
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

    const LIMITS: Limits = Limits {
        max_messages: 2_000,
        max_bytes: 4 * 1024 * 1024,
    };

    fn start(fake: FakeSqs) -> (Arc<Outbox>, Arc<FakeSqs>) {
        start_with(fake, LIMITS, 4)
    }

    fn start_with(
        fake: FakeSqs,
        limits: Limits,
        concurrency: usize,
    ) -> (Arc<Outbox>, Arc<FakeSqs>) {
        let outbox = Outbox::new(limits);
        let fake = Arc::new(fake);
        tokio::spawn(run_sender(outbox.clone(), fake.clone(), concurrency));
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
        let outbox = Outbox::new(LIMITS);
        for i in 0..25 {
            outbox.push(format!("m{i}")).unwrap();
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
            outbox.push(format!("m{i}")).unwrap();
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
        outbox.push("a".into()).unwrap();
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
            outbox.push(body.into()).unwrap();
        }
        assert_eq!(outbox.flush(None).await, 0);
        let stats = outbox.stats();
        assert_eq!((stats.delivered, stats.refused), (2, 1));
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
        outbox.push("a".into()).unwrap();
        outbox.push("b".into()).unwrap();
        let started = Instant::now();
        assert_eq!(outbox.flush(None).await, 0);
        assert!(started.elapsed() <= RETRY_BUDGET);
        assert_eq!(outbox.stats().given_up, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn flush_stops_at_the_deadline_and_reports_what_is_left() {
        let (outbox, _fake) = start(FakeSqs {
            fail_first: usize::MAX,
            ..FakeSqs::default()
        });
        for i in 0..3 {
            outbox.push(format!("m{i}")).unwrap();
        }
        let deadline = Instant::now() + Duration::from_millis(1_300);
        assert_eq!(outbox.flush(Some(deadline)).await, 3);
        assert_eq!(Instant::now(), deadline);
    }

    #[tokio::test(start_paused = true)]
    async fn flush_ignores_messages_accepted_after_it_started() {
        let outbox = Outbox::new(LIMITS);
        outbox.push("early".into()).unwrap();
        let batch = outbox.take_batches(1);
        let flushing = {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.flush(None).await })
        };
        tokio::task::yield_now().await;
        outbox.push("late".into()).unwrap();
        outbox.settle(&[batch[0][0].seq], &[]);
        assert_eq!(flushing.await.unwrap(), 0);
        assert_eq!(outbox.stats().outstanding, 1);
    }

    #[test]
    fn push_turns_messages_away_past_either_bound() {
        let outbox = Outbox::new(Limits {
            max_messages: 2,
            max_bytes: 10,
        });
        outbox.push("12345678".into()).unwrap();
        let full = outbox.push("abc".into()).unwrap_err();
        assert_eq!(
            full.to_string(),
            "The outbox is full: 1 messages (8 bytes) wait for SQS; it holds at most 2 messages \
             or 10 bytes"
        );
        outbox.push("ab".into()).unwrap();
        assert!(outbox.push("c".into()).is_err(), "2 messages held");
        let stats = outbox.stats();
        assert_eq!((stats.accepted, stats.turned_away), (2, 2));
        // Settling frees room.
        let batch = outbox.take_batch().unwrap();
        outbox.settle(&[batch[0].seq], &[]);
        outbox.push("c".into()).unwrap();
    }

    /// Holds every request until `open` is notified; counts the most in flight at once.
    #[derive(Default)]
    struct GatedSqs {
        open: Notify,
        now: AtomicUsize,
        most: AtomicUsize,
        calls: AtomicUsize,
    }

    impl BatchSender for GatedSqs {
        fn send(
            &self,
            batch: &[Message],
        ) -> impl Future<Output = Result<BatchReply, String>> + Send {
            let n = batch.len();
            self.calls.fetch_add(1, Ordering::SeqCst);
            let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            let open = self.open.notified();
            async move {
                open.await;
                self.now.fetch_sub(1, Ordering::SeqCst);
                Ok(BatchReply {
                    delivered: (0..n).collect(),
                    failed: vec![],
                })
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn keeps_concurrency_requests_in_flight_and_close_waits_for_them() {
        let outbox = Outbox::new(LIMITS);
        let sqs = Arc::new(GatedSqs::default());
        tokio::spawn(run_sender(outbox.clone(), sqs.clone(), 3));
        for i in 0..100 {
            outbox.push(format!("m{i}")).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(sqs.most.load(Ordering::SeqCst), 3);
        assert_eq!(outbox.stats().in_request, 30, "three batches of ten");
        // Closing: the three in flight may finish, nothing new starts.
        let closing = {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.close(Instant::now() + Duration::from_secs(1)).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        sqs.open.notify_waiters();
        assert_eq!(closing.await.unwrap(), 0);
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(
            sqs.calls.load(Ordering::SeqCst),
            3,
            "no request after close"
        );
        let stats = outbox.stats();
        assert_eq!(
            (stats.delivered, stats.outstanding, stats.in_request),
            (30, 70, 0)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn close_reports_requests_still_in_flight_at_its_deadline() {
        let outbox = Outbox::new(LIMITS);
        let sqs = Arc::new(GatedSqs::default());
        tokio::spawn(run_sender(outbox.clone(), sqs.clone(), 4));
        outbox.push("stuck".into()).unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        let deadline = Instant::now() + Duration::from_millis(100);
        assert_eq!(outbox.close(deadline).await, 1);
        assert_eq!(Instant::now(), deadline);
    }

    #[tokio::test(start_paused = true)]
    async fn counts_what_a_retry_delivered() {
        let (outbox, _fake) = start(FakeSqs {
            fail_first: 1,
            ..FakeSqs::default()
        });
        outbox.push("a".into()).unwrap();
        outbox.push("b".into()).unwrap();
        assert_eq!(outbox.flush(None).await, 0);
        let stats = outbox.stats();
        assert_eq!((stats.delivered, stats.delivered_on_retry), (2, 2));
    }
}
