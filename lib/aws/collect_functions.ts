/**
 * Pulls Lambda's own records (START/END/REPORT lines or `platform.*` records) of functions that
 * were invoked by anything (real traffic, a load tool) from CloudWatch Logs into a run folder's
 * `invocations.parquet`, one row per request id. Reruns over overlapping windows merge by
 * request id (`mergeInvocations`), so no invocation is counted twice; the run id stays the one
 * the folder's `collect.json` names.
 *
 * Each log group is read with FilterLogEvents (full pagination) for ordinary windows and Logs
 * Insights for large ones; a group whose log format is unknown is read with both formats'
 * filter patterns.
 *
 * @module
 */
import { join } from "node:path";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { Arch, InvocationRow } from "../schema.ts";
import { joinInvocations } from "../parse/mod.ts";
import { mergeInvocations } from "../store/mod.ts";
import { collectInsights, collectLogEvents, type LogEvent, parseLogEvents } from "./collect.ts";
import type { RetryOptions } from "./collect_retry.ts";

/** One log group to read, and what is known of its function. */
export interface CollectTarget {
  logGroupName: string;
  /** The function's name, where known. */
  functionName: string | null;
  /** `text`, `json`, or null when unknown (both filter patterns are used). */
  format: "text" | "json" | null;
  variant: string | null;
  arch: Arch | null;
  memoryMb: number | null;
}

/** Options of {@link collectFunctions}. */
export interface CollectFunctionsOptions {
  client: Pick<CloudWatchLogsClient, "send">;
  targets: readonly CollectTarget[];
  /** Window, epoch ms. */
  startTime: number;
  endTime: number;
  /** The run folder: `invocations.parquet` and `collect.json` go there. */
  outDir: string;
  /** Windows longer than this go to Logs Insights (default 1 hour). */
  insightsWindowMs?: number;
  /** Progress lines (default none). */
  log?: (line: string) => void;
  /** How often progress is reported during a long pull, ms (default 2,000). */
  progressEveryMs?: number;
  retry?: RetryOptions;
  now?: () => number;
}

/** What one log group gave. */
export interface CollectedGroup {
  logGroupName: string;
  events: number;
  /** FilterLogEvents pages or Insights queries. */
  requests: number;
  via: "FilterLogEvents" | "Insights";
  rows: number;
  rejectedLines: number;
  /** Request ids with a START but no REPORT in the window (left for a later pull). */
  withoutReport: number;
}

/** What {@link collectFunctions} did. */
export interface CollectSummary {
  runId: string;
  parquetPath: string;
  groups: CollectedGroup[];
  added: number;
  updated: number;
  total: number;
}

/** The folder's own record of its pulls. */
interface CollectManifest {
  runId: string;
  pulls: {
    at: string;
    startTime: string;
    endTime: string;
    groups: CollectedGroup[];
    added: number;
    updated: number;
  }[];
}

const MANIFEST = "collect.json";

async function readManifest(dir: string): Promise<CollectManifest | null> {
  try {
    const m = JSON.parse(await Deno.readTextFile(join(dir, MANIFEST)));
    return typeof m?.runId === "string" && Array.isArray(m.pulls) ? m as CollectManifest : null;
  } catch {
    return null;
  }
}

/**
 * Collects the targets' platform records in the window into `<outDir>/invocations.parquet`.
 *
 * @param options Client, log groups, window and folder.
 * @returns Counts per log group and of the merge.
 * @throws {RangeError} For a reversed window.
 * @throws Whatever CloudWatch answers that is not throttling (retried) — a missing log group
 *   as `ResourceNotFoundException`, missing credentials as one clear message.
 */
export async function collectFunctions(options: CollectFunctionsOptions): Promise<CollectSummary> {
  const { client, startTime, endTime } = options;
  if (!(endTime > startTime)) {
    throw new RangeError(
      `Cannot collect: the window ${new Date(startTime).toISOString()} .. ${
        new Date(endTime).toISOString()
      } is empty or reversed`,
    );
  }
  const log = options.log ?? (() => {});
  const every = options.progressEveryMs ?? 2_000;
  const now = options.now ?? Date.now;
  await Deno.mkdir(options.outDir, { recursive: true });
  const manifest = await readManifest(options.outDir) ??
    { runId: `collect-${crypto.randomUUID().slice(0, 8)}`, pulls: [] };
  const insightsWindowMs = options.insightsWindowMs ?? 60 * 60 * 1000;
  const rows: InvocationRow[] = [];
  const groups: CollectedGroup[] = [];
  for (const target of options.targets) {
    let lastReport = now();
    const onPage = (p: { pages: number; events: number }) => {
      if (now() - lastReport < every) return;
      lastReport = now();
      log(`collect: ${target.logGroupName}: ${p.pages} pages, ${p.events} events so far`);
    };
    let events: LogEvent[] = [];
    let requests = 0;
    let via: CollectedGroup["via"] = "FilterLogEvents";
    if (endTime - startTime > insightsWindowMs) {
      via = "Insights";
      const r = await collectInsights({
        client,
        logGroupNames: [target.logGroupName],
        startTime,
        endTime,
        ...(options.retry ? { retry: options.retry } : {}),
      });
      events = r.events;
      requests = r.queries;
    } else {
      for (const format of target.format === null ? ["text", "json"] as const : [target.format]) {
        const r = await collectLogEvents({
          client,
          logGroupName: target.logGroupName,
          startTime,
          endTime,
          format,
          onPage,
          ...(options.retry ? { retry: options.retry } : {}),
        });
        events.push(...r.events);
        requests += r.pages;
      }
    }
    const parsed = parseLogEvents(events);
    const joined = joinInvocations({
      records: parsed.records,
      meta: {
        run_id: manifest.runId,
        backend: "aws",
        variant: target.variant,
        arch: target.arch,
        memory_mb: target.memoryMb,
      },
    });
    rows.push(...joined.rows);
    groups.push({
      logGroupName: target.logGroupName,
      events: events.length,
      requests,
      via,
      rows: joined.rows.length,
      rejectedLines: parsed.stats.rejected,
      withoutReport: joined.orphans.filter((o) => o.reason === "no-report").length,
    });
    log(
      `collect: ${target.logGroupName}: ${events.length} events (${requests} ${
        via === "Insights" ? "queries" : "pages"
      }), ${joined.rows.length} invocations`,
    );
  }
  const parquetPath = join(options.outDir, "invocations.parquet");
  const merged = await mergeInvocations(parquetPath, rows);
  manifest.pulls.push({
    at: new Date(now()).toISOString(),
    startTime: new Date(startTime).toISOString(),
    endTime: new Date(endTime).toISOString(),
    groups,
    added: merged.added,
    updated: merged.updated,
  });
  const tmp = join(options.outDir, `${MANIFEST}.tmp`);
  await Deno.writeTextFile(tmp, JSON.stringify(manifest, null, 2) + "\n");
  await Deno.rename(tmp, join(options.outDir, MANIFEST));
  return { runId: manifest.runId, parquetPath, groups, ...merged };
}

/**
 * Reads a time given on the command line: a duration ago (`90s`, `30m`, `2h`, `7d`), an ISO
 * time, or epoch milliseconds.
 *
 * @param flag The flag, for the message.
 * @param text The value.
 * @param now The present, epoch ms.
 * @returns Epoch ms.
 * @throws {RangeError} When the value is none of those.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTimeFlag } from "./collect_functions.ts";
 * assert.equal(parseTimeFlag("since", "2h", 10_000_000), 10_000_000 - 7_200_000);
 * assert.equal(parseTimeFlag("until", "2026-12-01T00:00:00Z", 0), Date.UTC(2026, 11, 1));
 * ```
 */
export function parseTimeFlag(flag: string, text: string, now: number): number {
  const t = text.trim();
  const d = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(t);
  if (d) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[d[2]!]!;
    return now - Number(d[1]) * unit;
  }
  if (/^\d{12,}$/.test(t)) return Number(t);
  const parsed = Date.parse(t);
  if (/^\d{4}-\d\d-\d\d/.test(t) && !Number.isNaN(parsed)) return parsed;
  throw new RangeError(
    `Invalid --${flag} "${text}": expected a duration ago (30m, 2h, 7d), an ISO time or epoch ms`,
  );
}
