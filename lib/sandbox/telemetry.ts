/**
 * Telemetry API subscriptions: validates `PUT /2022-07-01/telemetry` bodies, buffers events per
 * subscriber and POSTs them as JSON arrays of `{time, type, record}`, honouring each
 * subscriber's `maxItems`, `maxBytes` and `timeoutMs`. Delivery pauses while the environment is
 * frozen (a frozen subscriber cannot read), as on Lambda, where the records of one invocation
 * usually arrive during the next.
 *
 * @module
 */
import type { TelemetryEvent } from "./records.ts";

/** The record categories a subscriber may ask for. */
export const TELEMETRY_TYPES = ["platform", "function", "extension"] as const;
/** Schema versions the Telemetry API accepts. */
export const SCHEMA_VERSIONS = ["2022-07-01", "2022-12-13", "2025-01-29"];
/** Schema versions the older Logs API (`PUT /2020-08-15/logs`) accepts; there it is optional. */
export const LOGS_SCHEMA_VERSIONS = ["2020-08-15", "2021-03-18"];

/** A validated subscription request. */
export interface SubscriptionRequest {
  types: Set<string>;
  maxItems: number;
  maxBytes: number;
  timeoutMs: number;
  /** Where to POST, with the `sandbox.localdomain` host mapped to loopback. */
  url: string;
}

function inRange(name: string, value: unknown, min: number, max: number, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`buffering.${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

/**
 * Checks a subscription body the way the Telemetry API does.
 *
 * @param body the parsed JSON body
 * @param api which API the body came to: the Telemetry API (default) or the Logs API
 * @returns the subscription
 * @throws {TypeError} when a field is missing or of the wrong kind
 * @throws {RangeError} when a buffering value is out of Lambda's bounds
 */
export function parseSubscription(
  body: unknown,
  api: "telemetry" | "logs" = "telemetry",
): SubscriptionRequest {
  if (typeof body !== "object" || body === null) throw new TypeError("body must be an object");
  const b = body as Record<string, unknown>;
  const versionOk = api === "logs"
    ? b.schemaVersion === undefined ||
      LOGS_SCHEMA_VERSIONS.includes(b.schemaVersion as string)
    : typeof b.schemaVersion === "string" && SCHEMA_VERSIONS.includes(b.schemaVersion);
  if (!versionOk) {
    throw new TypeError(`unsupported schemaVersion ${JSON.stringify(b.schemaVersion)}`);
  }
  if (!Array.isArray(b.types) || b.types.length === 0) {
    throw new TypeError("types must be a non-empty array");
  }
  for (const t of b.types) {
    if (!(TELEMETRY_TYPES as readonly unknown[]).includes(t)) {
      throw new TypeError(`unknown telemetry type ${JSON.stringify(t)}`);
    }
  }
  const buffering = (b.buffering ?? {}) as Record<string, unknown>;
  const destination = b.destination as Record<string, unknown> | undefined;
  if (destination?.protocol !== "HTTP" || typeof destination.URI !== "string") {
    throw new TypeError('destination must be {"protocol":"HTTP","URI":"http://..."}');
  }
  let url: URL;
  try {
    url = new URL(destination.URI);
  } catch {
    throw new TypeError(`destination.URI is not a URL: ${destination.URI}`);
  }
  if (url.protocol !== "http:") throw new TypeError(`destination.URI must be http: ${url}`);
  if (["sandbox.localdomain", "sandbox", "localhost"].includes(url.hostname)) {
    url.hostname = "127.0.0.1";
  }
  return {
    types: new Set(b.types as string[]),
    maxItems: inRange("maxItems", buffering.maxItems, 1000, 10000, 10000),
    maxBytes: inRange("maxBytes", buffering.maxBytes, 262144, 1048576, 262144),
    timeoutMs: inRange("timeoutMs", buffering.timeoutMs, 25, 30000, 1000),
    url: url.href,
  };
}

interface Subscriber extends SubscriptionRequest {
  name: string;
  queue: string[];
  bytes: number;
  timer: ReturnType<typeof setTimeout> | null;
  sending: Promise<void>;
}

/** Buffers and delivers telemetry to every subscriber of one environment. */
export class TelemetryHub {
  #subscribers: Subscriber[] = [];
  /** Events of the Init phase, replayed to subscribers that join during Init. */
  #backlog: TelemetryEvent[] | null = [];
  #paused = false;
  #closed = false;
  /** Count of POSTs that failed (subscriber gone or answered non-2xx). */
  failedDeliveries = 0;

  /**
   * Adds a subscriber.
   *
   * @param name the extension's name
   * @param request the validated subscription
   */
  subscribe(name: string, request: SubscriptionRequest): void {
    this.#subscribers = this.#subscribers.filter((s) => s.name !== name);
    this.#subscribers.push({
      ...request,
      name,
      queue: [],
      bytes: 0,
      timer: null,
      sending: Promise.resolve(),
    });
    const sub = this.#subscribers.at(-1)!;
    for (const event of this.#backlog ?? []) this.#enqueue(sub, event);
  }

  /** Ends the Init phase: later subscribers get only later events. */
  endBacklog(): void {
    this.#backlog = null;
  }

  /**
   * Queues an event for every subscriber of its category.
   *
   * @param event the event
   */
  publish(event: TelemetryEvent): void {
    if (this.#closed) return;
    this.#backlog?.push(event);
    for (const s of this.#subscribers) this.#enqueue(s, event);
  }

  #enqueue(s: Subscriber, event: TelemetryEvent): void {
    const category = event.type.startsWith("platform.") ? "platform" : event.type;
    if (!s.types.has(category)) return;
    const json = JSON.stringify(event);
    s.queue.push(json);
    s.bytes += json.length + 1;
    if (s.queue.length >= s.maxItems || s.bytes >= s.maxBytes) this.#send(s);
    else if (s.timer === null) {
      s.timer = setTimeout(() => {
        s.timer = null;
        this.#send(s);
      }, s.timeoutMs);
    }
  }

  /** Stops deliveries (the environment is frozen). */
  pause(): void {
    this.#paused = true;
  }

  /** Resumes deliveries and sends whatever became due while paused. */
  resume(): void {
    this.#paused = false;
    for (const s of this.#subscribers) if (s.queue.length > 0 && s.timer === null) this.#send(s);
  }

  /**
   * Delivers everything buffered now, ignoring the buffering limits (used at shutdown).
   *
   * @returns when every subscriber has answered or failed
   */
  async flush(): Promise<void> {
    this.#paused = false;
    for (const s of this.#subscribers) this.#send(s);
    await Promise.all(this.#subscribers.map((s) => s.sending));
  }

  /** Drops all buffers and timers; later events are ignored. */
  close(): void {
    this.#closed = true;
    for (const s of this.#subscribers) if (s.timer !== null) clearTimeout(s.timer);
    this.#subscribers = [];
  }

  #send(s: Subscriber): void {
    if (this.#paused || s.queue.length === 0) return;
    if (s.timer !== null) {
      clearTimeout(s.timer);
      s.timer = null;
    }
    const body = `[${s.queue.join(",")}]`;
    s.queue = [];
    s.bytes = 0;
    s.sending = s.sending.then(async () => {
      try {
        const res = await fetch(s.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        await res.body?.cancel();
        if (!res.ok) this.failedDeliveries += 1;
      } catch {
        this.failedDeliveries += 1;
      }
    });
  }
}
