/**
 * CloudWatch Logs' JSON protocol (`POST /` with `X-Amz-Target: Logs_20140328.<Operation>`,
 * `application/x-amz-json-1.1`) over a {@link LogStore}: FilterLogEvents (nextToken
 * pagination, including the empty pages with a token that CloudWatch returns while it searches;
 * filterPattern; at most 10,000 events or 1 MB a page), StartQuery/GetQueryResults/StopQuery
 * (the Insights subset of `insights.ts`), DescribeLogGroups, DescribeLogStreams and
 * GetLogEvents. Errors are `{"__type", "message"}` with status 400, as the SDKs read them.
 *
 * @module
 */
import { SANDBOX_ACCOUNT_ID } from "../lambda/mod.ts";
import { compileFilterPattern, FilterPatternError } from "./filter_pattern.ts";
import { compileQuery, QueryError, type QueryEvent, runQuery } from "./insights.ts";
import type { LogGroup, LogStore, LogStream, StoredEvent } from "./log_store.ts";

/** The target prefix of CloudWatch Logs operations. */
export const LOGS_TARGET_PREFIX = "Logs_20140328.";

/** Options of {@link LogsApi}. */
export interface LogsApiOptions {
  store: LogStore;
  region: string;
  /**
   * The first page of every new FilterLogEvents search is empty and carries a token, as
   * CloudWatch's often are, so clients that stop at an empty page are caught here. Default true.
   */
  emptyFirstPage?: boolean;
  /** Events one FilterLogEvents page examines at most (default 10,000). */
  scanPerPage?: number;
}

class ApiError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

const MAX_PAGE_BYTES = 1_048_576;

interface Query {
  status: "Running" | "Complete" | "Cancelled";
  rows: { field: string; value: string }[][];
  statistics: { recordsMatched: number; recordsScanned: number; bytesScanned: number };
  polls: number;
}

function b64(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function unb64(text: string): string {
  return atob(text.replaceAll("-", "+").replaceAll("_", "/"));
}

/** The CloudWatch Logs endpoint. See the module doc. */
export class LogsApi {
  readonly #o: Required<LogsApiOptions>;
  readonly #queries = new Map<string, Query>();

  /** @param options The store, region and paging behaviour. */
  constructor(options: LogsApiOptions) {
    this.#o = { emptyFirstPage: true, scanPerPage: 10_000, ...options };
  }

  /**
   * Answers one Logs request (the caller checked the signature).
   *
   * @param request A `POST /` with `X-Amz-Target`.
   * @returns The response.
   */
  async handle(request: Request): Promise<Response> {
    const target = request.headers.get("x-amz-target") ?? "";
    const operation = target.slice(LOGS_TARGET_PREFIX.length);
    let input: Record<string, unknown>;
    try {
      const text = await request.text();
      input = text.trim() === "" ? {} : JSON.parse(text);
      if (typeof input !== "object" || input === null || Array.isArray(input)) throw new Error();
    } catch {
      return this.#error(new ApiError("SerializationException", "The request body is not JSON"));
    }
    try {
      const out = this.#dispatch(operation, input);
      return new Response(JSON.stringify(out), {
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amzn-requestid": crypto.randomUUID(),
        },
      });
    } catch (error) {
      if (error instanceof ApiError) return this.#error(error);
      if (error instanceof FilterPatternError || error instanceof QueryError) {
        return this.#error(new ApiError(error.name, error.message));
      }
      return this.#error(new ApiError("ServiceUnavailableException", String(error), 500));
    }
  }

  #error(error: ApiError): Response {
    return new Response(JSON.stringify({ __type: error.type, message: error.message }), {
      status: error.status,
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amzn-requestid": crypto.randomUUID(),
      },
    });
  }

  #dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case "FilterLogEvents":
        return this.filterLogEvents(input);
      case "StartQuery":
        return this.startQuery(input);
      case "GetQueryResults":
        return this.getQueryResults(input);
      case "StopQuery":
        return this.stopQuery(input);
      case "DescribeLogGroups":
        return this.describeLogGroups(input);
      case "DescribeLogStreams":
        return this.describeLogStreams(input);
      case "GetLogEvents":
        return this.getLogEvents(input);
      default:
        throw new ApiError(
          "UnknownOperationException",
          `Operation "${operation}" is not served here (CloudWatch Logs: FilterLogEvents, ` +
            "StartQuery, GetQueryResults, StopQuery, DescribeLogGroups, DescribeLogStreams, " +
            "GetLogEvents)",
        );
    }
  }

  #group(input: Record<string, unknown>): LogGroup {
    const given = str(input.logGroupName) ?? str(input.logGroupIdentifier);
    if (given === undefined) {
      throw new ApiError(
        "InvalidParameterException",
        "logGroupName or logGroupIdentifier is required",
      );
    }
    // An identifier may be the ARN (with or without ":*").
    const name = given.startsWith("arn:")
      ? given.replace(/^arn:[^:]*:logs:[^:]*:[^:]*:log-group:/, "").replace(/:\*$/, "")
      : given;
    const group = this.#o.store.groups.get(name);
    if (!group) {
      throw new ApiError("ResourceNotFoundException", "The specified log group does not exist.");
    }
    group.refresh();
    return group;
  }

  /** FilterLogEvents. */
  filterLogEvents(input: Record<string, unknown>): unknown {
    const group = this.#group(input);
    const names = input.logStreamNames;
    const prefix = str(input.logStreamNamePrefix);
    if (names !== undefined && prefix !== undefined) {
      throw new ApiError(
        "InvalidParameterException",
        "logStreamNames and logStreamNamePrefix cannot both be specified",
      );
    }
    const limit = int(input.limit, "limit", 1, 10_000) ?? 10_000;
    const start = int(input.startTime, "startTime", 0) ?? 0;
    const end = int(input.endTime, "endTime", 0) ?? Number.MAX_SAFE_INTEGER;
    const pattern = str(input.filterPattern) ?? "";
    const match = compileFilterPattern(pattern);
    const streams = [...group.streams.values()].filter((s) =>
      Array.isArray(names)
        ? names.includes(s.name)
        : prefix === undefined || s.name.startsWith(prefix)
    );
    const query = JSON.stringify([group.name, names ?? null, prefix ?? null, start, end, pattern]);
    const queryKey = hash(query);
    let after: [number, number] | null = null;
    const token = str(input.nextToken);
    if (token !== undefined) {
      let parsed: { q: string; k: [number, number] };
      try {
        parsed = JSON.parse(unb64(token));
      } catch {
        throw new ApiError("InvalidParameterException", "The specified nextToken is invalid.");
      }
      if (parsed.q !== queryKey) {
        throw new ApiError(
          "InvalidParameterException",
          "The specified nextToken does not belong to this search.",
        );
      }
      after = parsed.k;
    }
    const candidates: { stream: LogStream; e: StoredEvent }[] = [];
    for (const stream of streams) {
      for (const e of stream.events) {
        if (e.timestamp < start || e.timestamp > end) continue;
        if (after && (e.timestamp < after[0] || (e.timestamp === after[0] && e.seq <= after[1]))) {
          continue;
        }
        candidates.push({ stream, e });
      }
    }
    candidates.sort((a, b) => a.e.timestamp - b.e.timestamp || a.e.seq - b.e.seq);
    const searched = streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true }));
    if (token === undefined && this.#o.emptyFirstPage && candidates.length > 0) {
      // Nothing read yet; the token starts the search from the beginning of the window.
      const first = candidates[0]!.e;
      return {
        events: [],
        searchedLogStreams: searched,
        nextToken: b64(JSON.stringify({ q: queryKey, k: [first.timestamp, first.seq - 1] })),
      };
    }
    const events: unknown[] = [];
    let bytes = 0;
    let scanned = 0;
    let last: StoredEvent | null = null;
    for (const { stream, e } of candidates) {
      if (events.length >= limit || scanned >= this.#o.scanPerPage) break;
      if (events.length > 0 && bytes + e.message.length > MAX_PAGE_BYTES) break;
      scanned++;
      last = e;
      if (!match(e.message)) continue;
      bytes += e.message.length;
      events.push({
        logStreamName: stream.name,
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: e.ingestionTime,
        eventId: eventId(e),
      });
    }
    const more = last !== null && scanned < candidates.length;
    return {
      events,
      searchedLogStreams: searched,
      ...(more
        ? { nextToken: b64(JSON.stringify({ q: queryKey, k: [last!.timestamp, last!.seq] })) }
        : {}),
    };
  }

  /** StartQuery. */
  startQuery(input: Record<string, unknown>): unknown {
    const names: string[] = [];
    if (str(input.logGroupName) !== undefined) names.push(str(input.logGroupName)!);
    for (const key of ["logGroupNames", "logGroupIdentifiers"]) {
      const list = input[key];
      if (Array.isArray(list)) {
        names.push(...list.filter((n): n is string => typeof n === "string"));
      }
    }
    if (names.length === 0) {
      throw new ApiError(
        "InvalidParameterException",
        "One of logGroupName, logGroupNames or logGroupIdentifiers is required",
      );
    }
    const startS = int(input.startTime, "startTime", 0);
    const endS = int(input.endTime, "endTime", 0);
    if (startS === undefined || endS === undefined) {
      throw new ApiError("InvalidParameterException", "startTime and endTime are required");
    }
    if (endS < startS) {
      throw new ApiError("InvalidParameterException", "endTime must not be before startTime");
    }
    const queryString = str(input.queryString);
    if (queryString === undefined) {
      throw new ApiError("InvalidParameterException", "queryString is required");
    }
    const limit = int(input.limit, "limit", 1, 10_000) ?? 10_000;
    const compiled = compileQuery(queryString);
    const events: QueryEvent[] = [];
    let bytes = 0;
    for (const name of names) {
      let group: LogGroup;
      try {
        group = this.#group({ logGroupIdentifier: name });
      } catch (e) {
        if (e instanceof ApiError && e.type === "ResourceNotFoundException") {
          throw new ApiError(
            "ResourceNotFoundException",
            `Log group '${name}' does not exist for account ID '${SANDBOX_ACCOUNT_ID}'`,
          );
        }
        throw e;
      }
      for (const stream of group.streams.values()) {
        for (const e of stream.events) {
          if (e.timestamp < startS * 1000 || e.timestamp > endS * 1000 + 999) continue;
          bytes += e.message.length;
          events.push({
            timestamp: e.timestamp,
            ingestionTime: e.ingestionTime,
            message: e.message,
            logStream: stream.name,
            log: `${SANDBOX_ACCOUNT_ID}:${group.name}`,
            ptr: b64(`${group.name}|${stream.name}|${e.seq}`),
          });
        }
      }
    }
    const { rows, matched } = runQuery(compiled, events, limit);
    const queryId = crypto.randomUUID();
    this.#queries.set(queryId, {
      status: "Running",
      rows,
      statistics: { recordsMatched: matched, recordsScanned: events.length, bytesScanned: bytes },
      polls: 0,
    });
    return { queryId };
  }

  /** GetQueryResults: `Running` on the first poll, as a real query is, then `Complete`. */
  getQueryResults(input: Record<string, unknown>): unknown {
    const q = this.#query(input);
    if (q.status === "Running" && q.polls++ > 0) q.status = "Complete";
    return {
      queryLanguage: "CWLI",
      status: q.status,
      results: q.status === "Complete" ? q.rows : [],
      statistics: q.status === "Complete"
        ? q.statistics
        : { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 },
    };
  }

  /** StopQuery. */
  stopQuery(input: Record<string, unknown>): unknown {
    const q = this.#query(input);
    const running = q.status === "Running";
    if (running) q.status = "Cancelled";
    return { success: running };
  }

  #query(input: Record<string, unknown>): Query {
    const id = str(input.queryId);
    const q = id === undefined ? undefined : this.#queries.get(id);
    if (!q) throw new ApiError("ResourceNotFoundException", `Query ${id ?? ""} does not exist`);
    return q;
  }

  /** DescribeLogGroups. */
  describeLogGroups(input: Record<string, unknown>): unknown {
    const prefix = str(input.logGroupNamePrefix);
    const pattern = str(input.logGroupNamePattern);
    if (prefix !== undefined && pattern !== undefined) {
      throw new ApiError(
        "InvalidParameterException",
        "logGroupNamePrefix and logGroupNamePattern cannot both be specified",
      );
    }
    const limit = int(input.limit, "limit", 1, 50) ?? 50;
    const ids = Array.isArray(input.logGroupIdentifiers) ? input.logGroupIdentifiers : null;
    const groups = [...this.#o.store.groups.values()]
      .filter((g) => prefix === undefined || g.name.startsWith(prefix))
      .filter((g) => pattern === undefined || g.name.toLowerCase().includes(pattern.toLowerCase()))
      .filter((g) => ids === null || ids.includes(g.name) || ids.includes(g.arn(this.#o.region)))
      .sort((a, b) => a.name.localeCompare(b.name));
    const from = Number(str(input.nextToken) ?? "0") || 0;
    const page = groups.slice(from, from + limit);
    return {
      logGroups: page.map((g) => {
        g.refresh();
        const arn = g.arn(this.#o.region);
        return {
          logGroupName: g.name,
          creationTime: g.creationTime,
          metricFilterCount: 0,
          arn: `${arn}:*`,
          logGroupArn: arn,
          storedBytes: [...g.streams.values()].reduce((n, s) => n + s.storedBytes, 0),
          logGroupClass: "STANDARD",
        };
      }),
      ...(from + limit < groups.length ? { nextToken: String(from + limit) } : {}),
    };
  }

  /** DescribeLogStreams. */
  describeLogStreams(input: Record<string, unknown>): unknown {
    const group = this.#group(input);
    const prefix = str(input.logStreamNamePrefix);
    const byTime = str(input.orderBy) === "LastEventTime";
    if (byTime && prefix !== undefined) {
      throw new ApiError(
        "InvalidParameterException",
        "Cannot order by LastEventTime with a logStreamNamePrefix.",
      );
    }
    const limit = int(input.limit, "limit", 1, 50) ?? 50;
    const last = (s: LogStream) => s.events.at(-1)?.timestamp ?? s.creationTime;
    const streams = [...group.streams.values()]
      .filter((s) => prefix === undefined || s.name.startsWith(prefix))
      .sort((a, b) => byTime ? last(a) - last(b) : a.name.localeCompare(b.name));
    if (input.descending === true) streams.reverse();
    const from = Number(str(input.nextToken) ?? "0") || 0;
    const page = streams.slice(from, from + limit);
    const arn = group.arn(this.#o.region);
    return {
      logStreams: page.map((s) => ({
        logStreamName: s.name,
        creationTime: s.creationTime,
        ...(s.events.length > 0
          ? {
            firstEventTimestamp: s.events[0]!.timestamp,
            lastEventTimestamp: s.events.at(-1)!.timestamp,
            lastIngestionTime: s.events.at(-1)!.ingestionTime,
          }
          : {}),
        arn: `${arn}:log-stream:${s.name}`,
        storedBytes: 0,
      })),
      ...(from + limit < streams.length ? { nextToken: String(from + limit) } : {}),
    };
  }

  /** GetLogEvents. */
  getLogEvents(input: Record<string, unknown>): unknown {
    const group = this.#group(input);
    const name = str(input.logStreamName);
    const stream = name === undefined ? undefined : group.streams.get(name);
    if (!stream) {
      throw new ApiError("ResourceNotFoundException", "The specified log stream does not exist.");
    }
    const start = int(input.startTime, "startTime", 0) ?? 0;
    const end = int(input.endTime, "endTime", 0) ?? Number.MAX_SAFE_INTEGER;
    const limit = int(input.limit, "limit", 1, 10_000) ?? 10_000;
    // endTime is exclusive here (unlike FilterLogEvents), as in the API reference.
    const inWindow = stream.events.filter((e) => e.timestamp >= start && e.timestamp < end);
    const token = str(input.nextToken);
    let from: number;
    let to: number;
    if (token?.startsWith("f/")) {
      from = Number(token.slice(2));
      to = Math.min(inWindow.length, from + limit);
    } else if (token?.startsWith("b/")) {
      to = Number(token.slice(2));
      from = Math.max(0, to - limit);
    } else if (input.startFromHead === true) {
      from = 0;
      to = Math.min(inWindow.length, limit);
    } else {
      to = inWindow.length;
      from = Math.max(0, to - limit);
    }
    return {
      events: inWindow.slice(from, to).map((e) => ({
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: e.ingestionTime,
      })),
      nextForwardToken: `f/${to}`,
      nextBackwardToken: `b/${from}`,
    };
  }
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function int(
  v: unknown,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ApiError(
      "InvalidParameterException",
      `1 validation error detected: Value '${String(v)}' at '${name}' failed to satisfy ` +
        `constraint: Member must have value between ${min} and ${max}`,
    );
  }
  return v;
}

function hash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36);
}

function eventId(e: StoredEvent): string {
  return `${String(e.timestamp).padStart(20, "0")}${String(e.seq).padStart(36, "0")}`;
}
