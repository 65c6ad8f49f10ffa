/**
 * The extension's buffer between "accepted" and "delivered". Messages start on their way at
 * once (so delivery overlaps the function's own work): up to `concurrency` `SendMessageBatch`
 * requests are in flight, each taking the next batch off the queue as it finishes.
 *
 * The outbox is bounded (messages and bytes not yet settled, in flight included): a message
 * that would pass either bound is turned away, and the caller answers 503. The bounds are sized
 * so that a full outbox can be delivered within SHUTDOWN's deadline.
 *
 * {@linkcode Outbox.flush} resolves when everything accepted before it was called has been
 * settled, or at its deadline; what is unsent then stays in the outbox for the next flush.
 * Nothing is dropped while the process lives. {@linkcode Outbox.close} stops new requests (at
 * SHUTDOWN) and waits for those in flight, so the final counts are exact.
 *
 * @module
 */
import { type BatchLimits, messageBytes, SQS_BATCH_LIMITS } from "./batch.ts";
import { CONTRACT } from "./contract.ts";
import { deliverBatch, type DeliverOptions } from "./delivery.ts";

/** Options of {@linkcode Outbox}. */
export interface OutboxOptions extends Omit<DeliverOptions, "deadline"> {
  /** Default {@linkcode SQS_BATCH_LIMITS}. */
  limits?: BatchLimits;
  /** `SendMessageBatch` requests in flight at once. Default the contract's (8). */
  concurrency?: number;
  /** Messages held (queued or in flight) at most. Default the contract's (2,000). */
  maxMessages?: number;
  /** UTF-8 bytes of bodies held at most. Default the contract's (4 MiB). */
  maxBytes?: number;
  /** Start sending as soon as a message is accepted (default true); false waits for `flush`. */
  eager?: boolean;
}

/** Running totals. */
export interface OutboxStats {
  accepted: number;
  /** Acknowledged by SQS. */
  delivered: number;
  /** Of `delivered`, acknowledged only after a retry: each a possible duplicate. */
  deliveredOnRetry: number;
  /** Refused for good: SQS sender faults and bodies too large for any batch. */
  rejected: number;
  /** Turned away because the outbox was full (not accepted, not counted in `accepted`). */
  turnedAway: number;
}

/** Why a message was not taken: the outbox is full. */
export interface OutboxFull {
  /** What is held now and the bounds. */
  reason: string;
}

interface Held {
  seq: number;
  body: string;
  bytes: number;
}

/** Buffers accepted messages and delivers them in batches. */
export class Outbox {
  readonly #options: OutboxOptions;
  readonly #concurrency: number;
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  /** Waiting to be sent, in order of acceptance. */
  #pending: Held[] = [];
  /** Retried without success outside a flush, or past a flush's deadline: wait for a flush. */
  #parked: Held[] = [];
  /** The messages of each request in flight. */
  readonly #inFlight = new Set<Held[]>();
  #heldBytes = 0;
  #held = 0;
  #nextSeq = 0;
  #deadline: number | undefined;
  #flushes = 0;
  #closed = false;
  /** Called whenever a request settles. */
  readonly #watchers = new Set<() => void>();
  readonly #stats: OutboxStats = {
    accepted: 0,
    delivered: 0,
    deliveredOnRetry: 0,
    rejected: 0,
    turnedAway: 0,
  };

  /** @param options How to send; see {@linkcode OutboxOptions}. */
  constructor(options: OutboxOptions) {
    this.#options = options;
    this.#concurrency = Math.max(1, options.concurrency ?? CONTRACT.batch.concurrency.default);
    this.#maxMessages = options.maxMessages ?? CONTRACT.outbox.maxMessages.default;
    this.#maxBytes = options.maxBytes ?? CONTRACT.outbox.maxBytes.default;
  }

  /** A copy of the running totals. */
  get stats(): OutboxStats {
    return { ...this.#stats };
  }

  /** Messages accepted and neither delivered nor rejected yet. */
  get outstanding(): number {
    return this.#held;
  }

  /** Messages in a request that has not answered yet. */
  get inFlight(): number {
    let n = 0;
    for (const batch of this.#inFlight) n += batch.length;
    return n;
  }

  /**
   * Takes one message, unless the outbox is full.
   *
   * @param body The message body.
   * @returns Null when accepted; why not when the outbox is full.
   */
  accept(body: string): OutboxFull | null {
    const bytes = messageBytes(body);
    if (this.#held + 1 > this.#maxMessages || this.#heldBytes + bytes > this.#maxBytes) {
      this.#stats.turnedAway += 1;
      return {
        reason: `The outbox is full: ${this.#held} messages (${this.#heldBytes} bytes) wait ` +
          `for SQS; it holds at most ${this.#maxMessages} messages or ${this.#maxBytes} bytes`,
      };
    }
    this.#pending.push({ seq: this.#nextSeq++, body, bytes });
    this.#held += 1;
    this.#heldBytes += bytes;
    this.#stats.accepted += 1;
    if (this.#options.eager ?? true) this.#pump();
    return null;
  }

  /**
   * Delivers everything accepted before this call, retrying until `deadline`.
   *
   * @param deadline Epoch ms: retries go on until then, and the flush stops waiting then (what
   * is in flight goes on). Undefined: no time limit, `retry.maxAttempts` per batch.
   * @returns The number of messages still outstanding (0 when everything was delivered).
   */
  async flush(deadline?: number): Promise<number> {
    const flush = ++this.#flushes;
    this.#deadline = deadline;
    this.#requeueParked();
    const target = this.#nextSeq;
    try {
      this.#pump();
      await this.#until(() => this.#unsettledBelow(target) === 0, deadline);
    } finally {
      // A flush abandoned at its deadline may end after a newer one started: keep the newer's.
      if (this.#flushes === flush) this.#deadline = undefined;
    }
    return this.outstanding;
  }

  /**
   * Starts no more requests or retries, and waits until those in flight answer or `deadline`.
   *
   * @param deadline Epoch ms to stop waiting at.
   * @returns The messages still in flight (their outcome unknown).
   */
  async close(deadline: number): Promise<number> {
    this.#closed = true;
    this.#deadline = (this.#options.now ?? Date.now)();
    await this.#until(() => this.#inFlight.size === 0, deadline);
    return this.inFlight;
  }

  /** Resolves when `done()` holds (checked after each request) or at `deadline`. */
  #until(done: () => boolean, deadline: number | undefined): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        clearTimeout(timer);
        this.#watchers.delete(check);
        resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      this.#watchers.add(check);
      if (deadline !== undefined) {
        timer = setTimeout(finish, Math.max(0, deadline - (this.#options.now ?? Date.now)()));
      }
    });
  }

  #requeueParked(): void {
    if (this.#parked.length === 0) return;
    this.#pending = [...this.#parked.splice(0), ...this.#pending].sort((a, b) => a.seq - b.seq);
  }

  /** Messages older than `seq` still queued or in flight (parked ones wait for a later flush). */
  #unsettledBelow(seq: number): number {
    let n = 0;
    for (const m of this.#pending) if (m.seq < seq) n += 1;
    for (const batch of this.#inFlight) for (const m of batch) if (m.seq < seq) n += 1;
    return n;
  }

  /** Starts requests until `concurrency` are in flight or nothing is left to send. */
  #pump(): void {
    while (!this.#closed && this.#inFlight.size < this.#concurrency && this.#pending.length > 0) {
      const batch = this.#takeBatch();
      if (batch.length === 0) continue;
      this.#inFlight.add(batch);
      this.#send(batch).finally(() => {
        this.#inFlight.delete(batch);
        this.#pump();
        for (const watcher of [...this.#watchers]) watcher();
      });
    }
  }

  async #send(batch: Held[]): Promise<void> {
    const order = [...batch];
    const unsettled = new Set(batch);
    await deliverBatch(order.map((m) => m.body), {
      ...this.#options,
      deadline: () => this.#deadline,
      onSettled: ({ delivered, rejected, attempt }) => {
        this.#stats.delivered += delivered.length;
        if (attempt > 1) this.#stats.deliveredOnRetry += delivered.length;
        this.#stats.rejected += rejected.length;
        for (const i of [...delivered, ...rejected]) {
          const m = order[i];
          if (m !== undefined && unsettled.delete(m)) this.#settle(m);
        }
        // What this batch still carries is all that is in flight of it.
        batch.splice(0, batch.length, ...unsettled);
      },
    });
    // Retried until the deadline (or `maxAttempts`) already: the rest waits for a later flush.
    this.#parked.push(...unsettled);
  }

  #settle(m: Held): void {
    this.#held -= 1;
    this.#heldBytes -= m.bytes;
  }

  /**
   * The next batch off the front of the queue, within the SQS limits. A body too large for any
   * batch is rejected (counted, logged), not thrown.
   */
  #takeBatch(): Held[] {
    const limits = this.#options.limits ?? SQS_BATCH_LIMITS;
    const batch: Held[] = [];
    let bytes = 0;
    while (this.#pending.length > 0 && batch.length < limits.maxEntries) {
      const m = this.#pending[0]!;
      if (m.bytes > limits.maxBytes) {
        this.#pending.shift();
        this.#settle(m);
        this.#stats.rejected += 1;
        (this.#options.log ?? console.error)(
          `Dropped a message of ${m.bytes} bytes: the SQS limit is ${limits.maxBytes} bytes`,
        );
        continue;
      }
      if (bytes + m.bytes > limits.maxBytes) break;
      batch.push(this.#pending.shift()!);
      bytes += m.bytes;
    }
    return batch;
  }
}
