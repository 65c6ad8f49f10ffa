/**
 * Collects Lambda platform log events from CloudWatch Logs, text and JSON log formats alike:
 * FilterLogEvents with full pagination for ordinary windows, Logs Insights for large ones.
 * Throttling is retried with backoff. Returns raw messages for the parser ({@link parseLogEvents}).
 *
 * Never creates a client from nothing without checking credentials first
 * ({@link createLogsClient}); tests pass a mocked client.
 *
 * @module
 */
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  type ResultField,
  StartQueryCommand,
  StopQueryCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { requireAwsCredentials } from "./credentials.ts";
import {
  insightsTimestamp,
  LogParser,
  type LogParserOptions,
  type ParseResult,
} from "../parse/mod.ts";

/** One raw log event. */
export interface LogEvent {
  /** The message; may hold several lines (REPORT then XRAY). */
  message: string;
  /** Epoch ms of the event, or null. */
  timestamp: number | null;
  logStreamName: string | null;
}

/** Filter patterns that keep platform lines only, per log format. */
export const PLATFORM_FILTER_PATTERNS = {
  text:
    '?"START RequestId" ?"END RequestId" ?"REPORT RequestId" ?"INIT_START" ?"INIT_REPORT" ?"EXTENSION" ?"TELEMETRY"',
  json: '{ $.type = "platform.*" }',
} as const;

/** The default Logs Insights query: platform lines in text or JSON format, oldest first. */
export const PLATFORM_INSIGHTS_QUERY = [
  "fields @timestamp, @message, @logStream, @ptr",
  '| filter @message like /(START|END|REPORT) RequestId: |INIT_START|INIT_REPORT|"type": ?"platform\\./',
  "| sort @timestamp asc",
].join("\n");

/** Error names that mean "slow down and try again". */
const RETRYABLE = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "LimitExceededException", // StartQuery: too many concurrent Insights queries
  "ServiceUnavailableException",
]);

/** Retry settings; every field has a default. */
export interface RetryOptions {
  /** Attempts including the first. Default 8. */
  maxAttempts?: number;
  /** First backoff. Default 250 ms; doubles each retry. */
  baseDelayMs?: number;
  /** Backoff cap. Default 10,000 ms. */
  maxDelayMs?: number;
  /** Waits; tests pass a fake. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isRetryable(err: unknown): boolean {
  const e = err as {
    name?: string;
    $retryable?: { throttling?: boolean };
    $metadata?: { httpStatusCode?: number };
  };
  return RETRYABLE.has(e?.name ?? "") || e?.$retryable?.throttling === true ||
    e?.$metadata?.httpStatusCode === 429;
}

/**
 * Runs `call`, retrying throttling errors with exponential backoff and jitter.
 *
 * @param what Names the call in error messages.
 * @param call The request.
 * @param options See {@link RetryOptions}.
 * @returns What `call` returns.
 * @throws {Error} Missing credentials (clear message), or the last error once attempts run out.
 */
export async function withRetry<T>(
  what: string,
  call: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 250;
  const cap = options.maxDelayMs ?? 10_000;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1;; attempt++) {
    try {
      return await call();
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === "CredentialsProviderError") {
        throw new Error(
          `Cannot ${what}: no AWS credentials (${(err as Error).message}); set AWS_PROFILE or ` +
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
          { cause: err },
        );
      }
      if (!isRetryable(err) || attempt >= maxAttempts) throw err;
      const backoff = Math.min(cap, base * 2 ** (attempt - 1));
      await sleep(backoff / 2 + random() * backoff / 2);
    }
  }
}

/**
 * A CloudWatch Logs client, after an offline check that credentials and a region exist.
 *
 * @param options `region` overrides the configured one; `env` replaces the environment (tests).
 * @returns The client.
 * @throws {Error} At once, naming what is missing, when credentials or the region are not set.
 */
export function createLogsClient(
  options: { region?: string; env?: Record<string, string | undefined> } = {},
): CloudWatchLogsClient {
  const { region } = requireAwsCredentials({
    region: options.region,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  return new CloudWatchLogsClient({ region });
}

/** Options of {@link collectLogEvents}. */
export interface CollectOptions {
  client: Pick<CloudWatchLogsClient, "send">;
  logGroupName: string;
  /** Window start, epoch ms (inclusive). */
  startTime: number;
  /** Window end, epoch ms (inclusive). */
  endTime: number;
  /** Default: {@link PLATFORM_FILTER_PATTERNS}[format]. "" returns every event. */
  filterPattern?: string;
  /** Which default filter pattern to use. Default "text". */
  format?: "text" | "json";
  logStreamNames?: string[];
  logStreamNamePrefix?: string;
  /** Events per page (at most 10,000). */
  pageSize?: number;
  /** Stops after this many pages (a safety net). Default 100,000. */
  maxPages?: number;
  retry?: RetryOptions;
}

/**
 * FilterLogEvents over a window with full pagination: it keeps going while `nextToken` comes
 * back, empty pages included (CloudWatch returns those while it searches), and stops when a
 * token repeats.
 *
 * @param options See {@link CollectOptions}.
 * @returns The events in the order CloudWatch returned them, and the number of pages.
 * @throws {RangeError} The window is empty or reversed.
 */
export async function collectLogEvents(
  options: CollectOptions,
): Promise<{ events: LogEvent[]; pages: number }> {
  const { client, logGroupName, startTime, endTime } = options;
  if (!(endTime >= startTime)) {
    throw new RangeError(`Cannot collect logs: window ${startTime}..${endTime} is reversed`);
  }
  const filterPattern = options.filterPattern ?? PLATFORM_FILTER_PATTERNS[options.format ?? "text"];
  const maxPages = options.maxPages ?? 100_000;
  const events: LogEvent[] = [];
  const seenTokens = new Set<string>();
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page: FilterLogEventsCommandOutput = await withRetry(
      `read log group "${logGroupName}"`,
      () =>
        client.send(
          new FilterLogEventsCommand({
            logGroupName,
            startTime,
            endTime,
            ...(filterPattern === "" ? {} : { filterPattern }),
            ...(options.logStreamNames ? { logStreamNames: options.logStreamNames } : {}),
            ...(options.logStreamNamePrefix
              ? { logStreamNamePrefix: options.logStreamNamePrefix }
              : {}),
            ...(options.pageSize ? { limit: options.pageSize } : {}),
            ...(nextToken ? { nextToken } : {}),
          }),
        ),
      options.retry,
    );
    pages++;
    for (const e of page.events ?? []) {
      if (typeof e.message !== "string") continue;
      events.push({
        message: e.message,
        timestamp: e.timestamp ?? null,
        logStreamName: e.logStreamName ?? null,
      });
    }
    nextToken = page.nextToken || undefined;
    if (nextToken !== undefined) {
      if (seenTokens.has(nextToken)) break;
      seenTokens.add(nextToken);
    }
  } while (nextToken !== undefined && pages < maxPages);
  return { events, pages };
}

/** Options of {@link queryInsights}. */
export interface InsightsOptions {
  client: Pick<CloudWatchLogsClient, "send">;
  logGroupNames: string[];
  /** Window, epoch ms; Insights works in whole seconds, so the window widens to them. */
  startTime: number;
  endTime: number;
  /** Default {@link PLATFORM_INSIGHTS_QUERY}. Keep `@message` (and `@ptr` for dedupe). */
  queryString?: string;
  /** Rows per query (Insights allows at most 10,000). Default 10,000. */
  limit?: number;
  /** Default 1,000 ms. */
  pollIntervalMs?: number;
  /** Gives up (and stops the query) after this long. Default 15 minutes. */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Clock for the timeout; tests pass a fake. */
  now?: () => number;
}

function field(row: readonly ResultField[], name: string): string | undefined {
  for (const f of row) if (f.field === name) return f.value;
  return undefined;
}

/**
 * Runs one Logs Insights query (StartQuery, then GetQueryResults until it is Complete).
 *
 * @param options See {@link InsightsOptions}.
 * @returns The events (`@message`, `@timestamp`, `@logStream`), and `saturated` when the
 *   query hit `limit` (more events exist in the window).
 * @throws {Error} The query Failed, was Cancelled, timed out, or returned no `@message`.
 */
export async function queryInsights(
  options: InsightsOptions,
): Promise<{ events: LogEvent[]; saturated: boolean; ptrs: Array<string | undefined> }> {
  const { client } = options;
  const limit = options.limit ?? 10_000;
  const sleep = options.retry?.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const queryString = options.queryString ?? PLATFORM_INSIGHTS_QUERY;
  const what = `query ${options.logGroupNames.join(", ")} with Logs Insights`;
  const started = await withRetry(
    what,
    () =>
      client.send(
        new StartQueryCommand({
          logGroupNames: options.logGroupNames,
          startTime: Math.floor(options.startTime / 1000),
          endTime: Math.ceil(options.endTime / 1000),
          queryString,
          limit,
        }),
      ),
    options.retry,
  );
  const queryId = started.queryId;
  if (!queryId) throw new Error(`Cannot ${what}: StartQuery returned no queryId`);
  const deadline = now() + (options.timeoutMs ?? 15 * 60_000);
  for (;;) {
    const out: GetQueryResultsCommandOutput = await withRetry(
      what,
      () => client.send(new GetQueryResultsCommand({ queryId })),
      options.retry,
    );
    const status = out.status ?? "Unknown";
    if (status === "Complete") {
      const ptrs: Array<string | undefined> = [];
      const events: LogEvent[] = [];
      for (const row of out.results ?? []) {
        const message = field(row, "@message");
        if (message === undefined) {
          throw new Error(
            `Cannot ${what}: the results have no @message field (query: ${queryString})`,
          );
        }
        events.push({
          message,
          timestamp: insightsTimestamp(field(row, "@timestamp")),
          logStreamName: field(row, "@logStream") ?? null,
        });
        ptrs.push(field(row, "@ptr"));
      }
      return { events, saturated: events.length >= limit, ptrs };
    }
    if (status !== "Running" && status !== "Scheduled") {
      throw new Error(`Cannot ${what}: query ${queryId} ended with status ${status}`);
    }
    if (now() >= deadline) {
      await client.send(new StopQueryCommand({ queryId })).catch(() => {});
      throw new Error(`Cannot ${what}: query ${queryId} still ${status} after the timeout`);
    }
    await sleep(options.pollIntervalMs ?? 1000);
  }
}

/** Options of {@link collectInsights}. */
export interface CollectInsightsOptions extends InsightsOptions {
  /** Windows shorter than this are not split further. Default 1,000 ms. */
  minWindowMs?: number;
}

/**
 * Logs Insights over a large window: a query that hits the row limit is split in two halves
 * and each half queried again, until every piece fits; a piece that still saturates at
 * `minWindowMs` is read with FilterLogEvents instead (per log group). Events are deduplicated
 * by `@ptr` and sorted by time.
 *
 * @param options See {@link CollectInsightsOptions}.
 * @returns The events and the number of Insights queries run.
 */
export async function collectInsights(
  options: CollectInsightsOptions,
): Promise<{ events: LogEvent[]; queries: number }> {
  const minWindow = options.minWindowMs ?? 1000;
  const seen = new Set<string>();
  const events: LogEvent[] = [];
  let queries = 0;
  const add = (e: LogEvent, ptr: string | undefined) => {
    const key = ptr ?? `${e.logStreamName}\u0000${e.timestamp}\u0000${e.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    events.push(e);
  };
  const pending: Array<[number, number]> = [[options.startTime, options.endTime]];
  while (pending.length > 0) {
    const [start, end] = pending.shift()!;
    queries++;
    const r = await queryInsights({ ...options, startTime: start, endTime: end });
    if (!r.saturated) {
      r.events.forEach((e, i) => add(e, r.ptrs[i]));
      continue;
    }
    if (end - start > minWindow) {
      const mid = start + Math.floor((end - start) / 2);
      pending.unshift([start, mid], [mid + 1, end]);
      continue;
    }
    for (const logGroupName of options.logGroupNames) {
      const f = await collectLogEvents({
        client: options.client,
        logGroupName,
        startTime: start,
        endTime: end,
        filterPattern: "",
        ...(options.retry ? { retry: options.retry } : {}),
      });
      for (const e of f.events) add(e, undefined);
    }
  }
  events.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
  return { events, queries };
}

/**
 * Parses collected events (text and JSON log formats alike), in time order.
 *
 * @param events What a collector returned.
 * @param options See {@link LogParserOptions}.
 * @returns Records and counts; sample line numbers are 1-based event numbers.
 */
export function parseLogEvents(
  events: readonly LogEvent[],
  options: LogParserOptions = {},
): ParseResult {
  const parser = new LogParser(options);
  const ordered = [...events].sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
  ordered.forEach((e, i) => parser.message(e.message, i + 1, e.timestamp));
  return parser.result();
}
