/**
 * CloudWatch Logs Insights for large windows: StartQuery, GetQueryResults polling, and window
 * splitting when a query hits the row limit.
 *
 * @module
 */
import {
  type CloudWatchLogsClient,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  type ResultField,
  StartQueryCommand,
  StopQueryCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { insightsTimestamp } from "../parse/mod.ts";
import { collectLogEvents, type LogEvent } from "./collect.ts";
import { realSleep, type RetryOptions, withRetry } from "./collect_retry.ts";

/** The default Logs Insights query: platform lines in text or JSON format, oldest first. */
export const PLATFORM_INSIGHTS_QUERY = [
  "fields @timestamp, @message, @logStream, @ptr",
  '| filter @message like /(START|END|REPORT) RequestId: |INIT_START|INIT_REPORT|"type": ?"platform\\./',
  "| sort @timestamp asc",
].join("\n");

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
