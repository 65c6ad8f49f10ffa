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
} from "@aws-sdk/client-cloudwatch-logs";
import { requireAwsCredentials } from "./credentials.ts";
import { LogParser, type LogParserOptions, type ParseResult } from "../parse/mod.ts";
import { type RetryOptions, withRetry } from "./collect_retry.ts";

export { type RetryOptions, withRetry } from "./collect_retry.ts";
export {
  collectInsights,
  type CollectInsightsOptions,
  type InsightsOptions,
  PLATFORM_INSIGHTS_QUERY,
  queryInsights,
} from "./collect_insights.ts";

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
  /** Hears of every page read: pages and events so far (for progress on long pulls). */
  onPage?: (progress: { pages: number; events: number }) => void;
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
    options.onPage?.({ pages, events: events.length + (page.events?.length ?? 0) });
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
