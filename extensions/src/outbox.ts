/**
 * The extension's buffer between "accepted" and "delivered". Messages start on their way at
 * once (so delivery overlaps the function's own work), queue up while a send is in flight and
 * then go out batched. {@linkcode Outbox.flush} resolves when everything accepted so far has
 * been delivered, or when its deadline leaves no time for another retry; what is still unsent
 * then stays in the outbox for the next flush. Nothing is dropped while the process lives.
 *
 * @module
 */
import { type BatchLimits, messageBytes, planBatches, SQS_BATCH_LIMITS } from "./batch.ts";
import { CONTRACT } from "./contract.ts";
import { deliverBatch, type DeliverOptions } from "./delivery.ts";

/** Options of {@linkcode Outbox}. */
export interface OutboxOptions extends Omit<DeliverOptions, "deadline"> {
  /** Default {@linkcode SQS_BATCH_LIMITS}. */
  limits?: BatchLimits;
  /** Batches in flight at once. Default 4. */
  concurrency?: number;
  /** Start sending as soon as a message is accepted (default true); false waits for `flush`. */
  eager?: boolean;
}

/** Running totals. */
export interface OutboxStats {
  accepted: number;
  delivered: number;
  /** Refused for good: SQS sender faults and bodies too large for any batch. */
  rejected: number;
}

/** Buffers accepted messages and delivers them in batches. */
export class Outbox {
  readonly #options: OutboxOptions;
  /** Waiting for the next drain. */
  #pending: string[] = [];
  /** Retried without success outside a flush, or past a flush's deadline: wait for a flush. */
  #parked: string[] = [];
  #draining: Promise<void> | null = null;
  #deadline: number | undefined;
  #flushes = 0;
  readonly #stats: OutboxStats = { accepted: 0, delivered: 0, rejected: 0 };

  /** @param options How to send; see {@linkcode OutboxOptions}. */
  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  /** A copy of the running totals. */
  get stats(): OutboxStats {
    return { ...this.#stats };
  }

  /** Messages accepted and neither delivered nor rejected yet. */
  get outstanding(): number {
    return this.#stats.accepted - this.#stats.delivered - this.#stats.rejected;
  }

  /**
   * Takes one message.
   *
   * @param body The message body.
   */
  accept(body: string): void {
    this.#pending.push(body);
    this.#stats.accepted += 1;
    if (this.#options.eager ?? true) this.#kick();
  }

  /**
   * Delivers everything accepted so far, including messages accepted while it runs.
   *
   * @param deadline Epoch ms: retries go on until then. Undefined: `retry.maxAttempts` per batch.
   * @returns The number of messages still outstanding (0 when everything was delivered).
   */
  async flush(deadline?: number): Promise<number> {
    const flush = ++this.#flushes;
    this.#deadline = deadline;
    this.#pending.push(...this.#parked.splice(0));
    try {
      while (this.#pending.length > 0 || this.#draining !== null) {
        this.#kick();
        await this.#draining;
      }
    } finally {
      // A flush abandoned at its deadline may end after a newer one started: keep the newer's.
      if (this.#flushes === flush) this.#deadline = undefined;
    }
    return this.outstanding;
  }

  #kick(): void {
    if (this.#draining !== null || this.#pending.length === 0) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = null;
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const queue = this.#plan(this.#pending.splice(0));
      const worker = async () => {
        for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) {
          const result = await deliverBatch(batch, {
            ...this.#options,
            deadline: () => this.#deadline,
          });
          this.#stats.delivered += result.delivered;
          this.#stats.rejected += result.rejected;
          this.#parked.push(...result.unsent);
        }
      };
      const workers = Math.min(
        this.#options.concurrency ?? CONTRACT.batch.concurrency,
        queue.length,
      );
      await Promise.all(Array.from({ length: workers }, worker));
    }
  }

  /** Batches the bodies; a body too large for any batch is rejected, not thrown. */
  #plan(bodies: string[]): string[][] {
    const limits = this.#options.limits ?? SQS_BATCH_LIMITS;
    const fits: string[] = [];
    for (const body of bodies) {
      const size = messageBytes(body);
      if (size <= limits.maxBytes) {
        fits.push(body);
      } else {
        this.#stats.rejected += 1;
        (this.#options.log ?? console.error)(
          `Dropped a message of ${size} bytes: the SQS limit is ${limits.maxBytes} bytes`,
        );
      }
    }
    return planBatches(fits, limits);
  }
}
