/**
 * The extension's buffer between "accepted" and "delivered". Messages start on their way at
 * once (so delivery overlaps the function's own work), queue up while a send is in flight and
 * then go out batched; {@linkcode Outbox.flush} resolves only when everything accepted so far
 * has been delivered or given up on, which is what the extension awaits before `/event/next`.
 *
 * @module
 */
import { type BatchLimits, messageBytes, planBatches, SQS_BATCH_LIMITS } from "./batch.ts";
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
  undelivered: number;
}

/** Buffers accepted messages and delivers them in batches. */
export class Outbox {
  readonly #options: OutboxOptions;
  #pending: string[] = [];
  #draining: Promise<void> | null = null;
  #deadline: number | undefined;
  readonly #stats: OutboxStats = { accepted: 0, delivered: 0, undelivered: 0 };

  /** @param options How to send; see {@linkcode OutboxOptions}. */
  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  /** A copy of the running totals. */
  get stats(): OutboxStats {
    return { ...this.#stats };
  }

  /** Messages accepted but not yet delivered or given up on. */
  get outstanding(): number {
    return this.#stats.accepted - this.#stats.delivered - this.#stats.undelivered;
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
   * @param deadline Epoch ms after which no retry starts; undefined means none.
   * @returns When nothing is outstanding.
   */
  async flush(deadline?: number): Promise<void> {
    this.#deadline = deadline;
    try {
      while (this.#pending.length > 0 || this.#draining !== null) {
        this.#kick();
        await this.#draining;
      }
    } finally {
      this.#deadline = undefined;
    }
  }

  #kick(): void {
    if (this.#draining !== null) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = null;
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const bodies = this.#pending.splice(0);
      const batches = this.#plan(bodies);
      const queue = [...batches];
      const worker = async () => {
        for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) {
          const result = await deliverBatch(batch, {
            ...this.#options,
            deadline: () => this.#deadline,
          });
          this.#stats.delivered += result.delivered;
          this.#stats.undelivered += result.undelivered;
        }
      };
      const workers = Math.min(this.#options.concurrency ?? 4, batches.length);
      await Promise.all(Array.from({ length: workers }, worker));
    }
  }

  /** Batches the bodies; a body too large for any batch is counted undelivered, not thrown. */
  #plan(bodies: string[]): string[][] {
    const limits = this.#options.limits ?? SQS_BATCH_LIMITS;
    const fits: string[] = [];
    for (const body of bodies) {
      const size = messageBytes(body);
      if (size <= limits.maxBytes) {
        fits.push(body);
      } else {
        this.#stats.undelivered += 1;
        (this.#options.log ?? console.error)(
          `Dropped a message of ${size} bytes: the SQS limit is ${limits.maxBytes} bytes`,
        );
      }
    }
    return planBatches(fits, limits);
  }
}
