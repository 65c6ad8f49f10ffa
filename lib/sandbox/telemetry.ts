/**
 * Telemetry API and Logs API subscriptions: validates `PUT /2022-07-01/telemetry` and
 * `PUT /2020-08-15/logs` bodies, buffers events per subscriber and POSTs them as JSON arrays of
 * `{time, type, record}`, honouring each subscriber's `maxItems`, `maxBytes` and `timeoutMs`.
 * The two APIs have their own schemas: a Telemetry API subscriber gets the Telemetry API's
 * record types, a Logs API subscriber only the Logs API's (of its schema version), with the
 * Logs API's fields ({@link forApi}). A delivery that fails (refused, non-2xx) drops its
 * records: they are counted, reported through `onDropped`, and the subscriber gets a
 * `platform.logsDropped` record with its next delivery, as Lambda reports dropped records.
 * Delivery pauses while the environment is frozen (a frozen subscriber cannot read), as on
 * Lambda, where the records of one invocation usually arrive during the next.
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
/** The Logs API's schema version when a subscription names none. */
export const LOGS_DEFAULT_SCHEMA_VERSION = "2020-08-15";

/** Which API a subscription came through. */
export type SubscriptionApi = "telemetry" | "logs";

/** The record types of the Telemetry API (`2022-07-01` and later) that the sandbox emits. */
export const TELEMETRY_RECORD_TYPES: ReadonlySet<string> = new Set([
  "platform.initStart",
  "platform.initRuntimeDone",
  "platform.initReport",
  "platform.start",
  "platform.runtimeDone",
  "platform.report",
  "platform.extension",
  "platform.telemetrySubscription",
  "platform.logsDropped",
  "function",
  "extension",
]);

/**
 * The record types of the Logs API's schema `2020-08-15` (AWS's Logs API reference; the
 * `lambda-extension` crate's `LambdaLogRecord`); `2021-03-18` adds `platform.runtimeDone`.
 */
export const LOGS_RECORD_TYPES: ReadonlySet<string> = new Set([
  "platform.start",
  "platform.end",
  "platform.report",
  "platform.fault",
  "platform.extension",
  "platform.logsSubscription",
  "platform.logsDropped",
  "function",
  "extension",
]);

/** A validated subscription request. */
export interface SubscriptionRequest {
  /** The API it came through. */
  api: SubscriptionApi;
  /** The schema version asked for (the Logs API's default when it named none). */
  schemaVersion: string;
  types: Set<string>;
  maxItems: number;
  maxBytes: number;
  timeoutMs: number;
  /** Where to POST, with `sandbox.localdomain` mapped to the environment's own address. */
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
 * Checks a subscription body the way the Telemetry API (or the Logs API) does.
 *
 * @param body the parsed JSON body
 * @param api which API the body came to: the Telemetry API (default) or the Logs API
 * @param sandboxAddress what `sandbox` and `sandbox.localdomain` name in the environment
 * @returns the subscription
 * @throws {TypeError} when a field is missing or of the wrong kind
 * @throws {RangeError} when a buffering value is out of Lambda's bounds
 */
export function parseSubscription(
  body: unknown,
  api: SubscriptionApi = "telemetry",
  sandboxAddress = "127.0.0.1",
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
  if (url.hostname === "sandbox.localdomain" || url.hostname === "sandbox") {
    url.hostname = sandboxAddress;
  } else if (url.hostname === "localhost") {
    url.hostname = "127.0.0.1";
  }
  return {
    api,
    schemaVersion: typeof b.schemaVersion === "string"
      ? b.schemaVersion
      : LOGS_DEFAULT_SCHEMA_VERSION,
    types: new Set(b.types as string[]),
    maxItems: inRange("maxItems", buffering.maxItems, 1000, 10000, 10000),
    maxBytes: inRange("maxBytes", buffering.maxBytes, 262144, 1048576, 262144),
    timeoutMs: inRange("timeoutMs", buffering.timeoutMs, 25, 30000, 1000),
    url: url.href,
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null;

/** Copies the listed fields that are present (not undefined). */
function pick(o: Obj, keys: readonly string[]): Obj {
  const out: Obj = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * An event as the subscriber of one API and schema version receives it, or null when that
 * API has no such record type. The sandbox's events are the Telemetry API's, plus the records
 * only the Logs API has (`platform.end`, `platform.fault`, `platform.logsSubscription`). The
 * Telemetry API gets its own types unchanged. The Logs API gets its types with the Logs API's
 * fields only: `platform.start` {requestId, version?}, `platform.end` {requestId},
 * `platform.report` {requestId, metrics{durationMs, billedDurationMs, memorySizeMB,
 * maxMemoryUsedMB, initDurationMs?}}, `platform.extension` {name, state, events},
 * `platform.logsSubscription` {name, state, types}, `platform.logsDropped` {reason,
 * droppedRecords, droppedBytes}, `platform.fault` and `function`/`extension` as strings, and
 * from schema `2021-03-18` on `platform.runtimeDone` {requestId, status} with status
 * `success`, `failure` or `timeout`.
 *
 * @param event the event as the sandbox emitted it
 * @param api the subscriber's API
 * @param schemaVersion the subscriber's schema version
 * @returns the event in that API's schema, or null
 * @example forApi({ time: "t", type: "platform.initStart", record: {} }, "logs", "2021-03-18")
 *   // null
 */
export function forApi(
  event: TelemetryEvent,
  api: SubscriptionApi,
  schemaVersion: string,
): TelemetryEvent | null {
  const { type, record } = event;
  if (api === "telemetry") return TELEMETRY_RECORD_TYPES.has(type) ? event : null;
  if (type === "function" || type === "extension" || type === "platform.fault") {
    return typeof record === "string" ? event : null;
  }
  if (!isObj(record)) return null;
  const as = (r: Obj): TelemetryEvent => ({ time: event.time, type, record: r });
  switch (type) {
    case "platform.start":
      return as(pick(record, ["requestId", "version"]));
    case "platform.end":
      return as(pick(record, ["requestId"]));
    case "platform.report": {
      const metrics = isObj(record.metrics) ? record.metrics : {};
      return as({
        requestId: record.requestId,
        metrics: pick(metrics, [
          "durationMs",
          "billedDurationMs",
          "memorySizeMB",
          "maxMemoryUsedMB",
          "initDurationMs",
        ]),
      });
    }
    case "platform.runtimeDone": {
      if (schemaVersion === LOGS_DEFAULT_SCHEMA_VERSION) return null;
      const status = record.status === "success" || record.status === "timeout"
        ? record.status
        : "failure";
      return as({ requestId: record.requestId, status });
    }
    case "platform.extension":
      return as(pick(record, ["name", "state", "events"]));
    case "platform.logsSubscription":
      return as(pick(record, ["name", "state", "types"]));
    case "platform.logsDropped":
      return as(pick(record, ["reason", "droppedRecords", "droppedBytes"]));
    default:
      return null;
  }
}

/** Records one failed delivery dropped, as {@link TelemetryHubOptions.onDropped} gets them. */
export interface DroppedRecords {
  /** The subscriber (extension) name. */
  name: string;
  api: SubscriptionApi;
  /** Records of the failed batch (not counting a `platform.logsDropped` it carried). */
  droppedRecords: number;
  /** Their size as JSON. */
  droppedBytes: number;
  /** Why: the status the subscriber answered, or the connection error. */
  reason: string;
}

/** Options of {@link TelemetryHub}. */
export interface TelemetryHubOptions {
  /** Called once per failed delivery (not after {@link TelemetryHub.close}). */
  onDropped?: (dropped: DroppedRecords) => void;
}

interface Subscriber extends SubscriptionRequest {
  name: string;
  queue: string[];
  bytes: number;
  timer: ReturnType<typeof setTimeout> | null;
  sending: Promise<void>;
  /** What failed deliveries dropped since the last delivery that got through. */
  dropped: { records: number; bytes: number; reason: string } | null;
}

/** Buffers and delivers telemetry to every subscriber of one environment. */
export class TelemetryHub {
  readonly #opts: TelemetryHubOptions;
  #subscribers: Subscriber[] = [];
  /** Events of the Init phase, replayed to subscribers that join during Init. */
  #backlog: TelemetryEvent[] | null = [];
  #paused = false;
  #closed = false;
  /** Count of POSTs that failed (subscriber gone or answered non-2xx). */
  failedDeliveries = 0;
  /** Records those failed POSTs dropped. */
  droppedRecords = 0;
  /** Their bytes. */
  droppedBytes = 0;

  /** @param opts where dropped records are reported */
  constructor(opts: TelemetryHubOptions = {}) {
    this.#opts = opts;
  }

  /**
   * The API an extension subscribed through, if it did.
   *
   * @param name the extension's name
   * @returns its API, or undefined
   */
  apiOf(name: string): SubscriptionApi | undefined {
    return this.#subscribers.find((s) => s.name === name)?.api;
  }

  /**
   * Adds a subscriber (again: replaces its subscription).
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
      dropped: null,
    });
    const sub = this.#subscribers.at(-1)!;
    for (const event of this.#backlog ?? []) this.#enqueue(sub, event);
  }

  /** Ends the Init phase: later subscribers get only later events. */
  endBacklog(): void {
    this.#backlog = null;
  }

  /**
   * Queues an event for every subscriber whose API has it and who asked for its category.
   *
   * @param event the event, as {@link forApi} takes it
   */
  publish(event: TelemetryEvent): void {
    if (this.#closed) return;
    this.#backlog?.push(event);
    for (const s of this.#subscribers) this.#enqueue(s, event);
  }

  #enqueue(s: Subscriber, event: TelemetryEvent): void {
    const category = event.type.startsWith("platform.") ? "platform" : event.type;
    if (!s.types.has(category)) return;
    const shaped = forApi(event, s.api, s.schemaVersion);
    if (shaped === null) return;
    const json = JSON.stringify(shaped);
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
   * Delivers everything buffered now, ignoring the buffering limits (used at shutdown), and a
   * `platform.logsDropped` still owed to a subscriber.
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
    const owed = s.dropped !== null && s.types.has("platform");
    if (this.#paused || (s.queue.length === 0 && !owed)) return;
    if (s.timer !== null) {
      clearTimeout(s.timer);
      s.timer = null;
    }
    const records = s.queue.length;
    const bytes = s.bytes;
    const items = s.queue;
    s.queue = [];
    s.bytes = 0;
    s.sending = s.sending.then(async () => {
      // What earlier deliveries dropped goes first, as of the moment this one is sent.
      const notice = s.dropped !== null && s.types.has("platform")
        ? JSON.stringify({
          time: new Date().toISOString(),
          type: "platform.logsDropped",
          record: {
            reason: s.dropped.reason,
            droppedRecords: s.dropped.records,
            droppedBytes: s.dropped.bytes,
          },
        })
        : null;
      if (notice === null && records === 0) return;
      const body = `[${notice === null ? "" : notice + (records > 0 ? "," : "")}${
        items.join(",")
      }]`;
      let failure: string | null = null;
      try {
        const res = await fetch(s.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        await res.body?.cancel();
        if (!res.ok) failure = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
      } catch (e) {
        failure = e instanceof Error ? e.message : String(e);
      }
      if (failure === null) {
        if (notice !== null) s.dropped = null;
        return;
      }
      this.failedDeliveries += 1;
      if (records === 0) return; // only the notice failed; it is sent again with the next batch
      this.droppedRecords += records;
      this.droppedBytes += bytes;
      const reason = `Consumer did not acknowledge receipt of logs: ${failure}`;
      s.dropped = {
        records: (s.dropped?.records ?? 0) + records,
        bytes: (s.dropped?.bytes ?? 0) + bytes,
        reason,
      };
      if (!this.#closed) {
        this.#opts.onDropped?.({
          name: s.name,
          api: s.api,
          droppedRecords: records,
          droppedBytes: bytes,
          reason,
        });
      }
    });
  }
}
