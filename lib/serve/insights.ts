/**
 * The part of CloudWatch Logs Insights' query language that reading Lambda's records needs:
 * `fields` (with `as`), `filter` (`like /regex/` or `like "text"`, `not like`, `=`, `!=`, `<`,
 * `>`, `<=`, `>=`, `in [...]`, `ispresent(f)`, `and`, `or`, `not`, parentheses), `sort f asc|desc`,
 * `limit N` and `display`. Fields are `@timestamp`, `@message`, `@logStream`, `@log`,
 * `@ingestionTime`, `@ptr`, and the keys of JSON messages, dotted (`record.requestId`), as
 * Insights discovers them. Other commands (`stats`, `parse`, ...) are refused with a clear
 * message, as a MalformedQueryException.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileQuery } from "./insights.ts";
 * const q = compileQuery("fields @timestamp, @message | filter @message like /REPORT/ | limit 5");
 * assert.deepEqual(q.fields, ["@timestamp", "@message"]);
 * assert.equal(q.limit, 5);
 * ```
 *
 * @module
 */

/** A query this endpoint cannot run (Insights' MalformedQueryException). */
export class QueryError extends Error {
  override name = "MalformedQueryException";
}

/** One event as a query sees it. */
export interface QueryEvent {
  timestamp: number;
  ingestionTime: number;
  message: string;
  logStream: string;
  /** `<account>:<log group>`. */
  log: string;
  ptr: string;
}

/** A compiled query. */
export interface CompiledQuery {
  /** Fields to return, in order (`display` wins over `fields`). */
  fields: string[];
  /** Output name → source field, for `fields a as b`. */
  aliases: Map<string, string>;
  filters: ((e: QueryEvent) => boolean)[];
  sort: { field: string; descending: boolean }[];
  limit: number | null;
}

/** `2026-12-01 10:00:00.123`, as Insights shows `@timestamp`. */
export function insightsTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

const jsonCache = new WeakMap<QueryEvent, Record<string, unknown> | null>();

function flatJson(e: QueryEvent): Record<string, unknown> | null {
  if (jsonCache.has(e)) return jsonCache.get(e)!;
  let flat: Record<string, unknown> | null = null;
  if (e.message.trimStart().startsWith("{")) {
    try {
      const doc = JSON.parse(e.message);
      if (doc && typeof doc === "object" && !Array.isArray(doc)) {
        flat = {};
        const walk = (v: unknown, prefix: string) => {
          if (v && typeof v === "object" && !Array.isArray(v)) {
            for (const [k, x] of Object.entries(v)) walk(x, prefix ? `${prefix}.${k}` : k);
          } else if (prefix) flat![prefix] = v;
        };
        walk(doc, "");
      }
    } catch {
      flat = null;
    }
  }
  jsonCache.set(e, flat);
  return flat;
}

/**
 * A field of an event, as Insights would show it.
 *
 * @param e The event.
 * @param name For example `@message` or `record.requestId`.
 * @returns The value (numbers stay numbers for comparisons), or undefined when absent.
 */
export function fieldValue(e: QueryEvent, name: string): string | number | boolean | undefined {
  switch (name) {
    case "@timestamp":
      return e.timestamp;
    case "@message":
      return e.message;
    case "@logStream":
      return e.logStream;
    case "@log":
      return e.log;
    case "@ingestionTime":
      return e.ingestionTime;
    case "@ptr":
      return e.ptr;
  }
  const v = flatJson(e)?.[name];
  if (v === null || v === undefined) return undefined;
  return typeof v === "object" ? JSON.stringify(v) : (v as string | number | boolean);
}

/**
 * A field's text in a result row (`@timestamp` in Insights' format).
 *
 * @param e The event.
 * @param name The field.
 * @returns The text, or undefined when the event has no such field.
 */
export function fieldText(e: QueryEvent, name: string): string | undefined {
  if (name === "@timestamp" || name === "@ingestionTime") {
    return insightsTime(name === "@timestamp" ? e.timestamp : e.ingestionTime);
  }
  const v = fieldValue(e, name);
  return v === undefined ? undefined : String(v);
}

/** Splits on `sep` outside quotes, regexes and brackets. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "/" && /(like|~=|\(|,|\[)\s*$/i.test(text.slice(start, i))) quote = "/";
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (depth === 0 && text.startsWith(sep, i)) {
      parts.push(text.slice(start, i));
      start = i + sep.length;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

type Tok = { t: "word" | "string" | "number" | "regex" | "op"; v: string; flags?: string };

function lex(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let v = "";
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        v += text[i++];
      }
      if (text[i] !== c) throw new QueryError(`Unclosed quote in "${text}"`);
      i++;
      out.push({ t: "string", v });
      continue;
    }
    if (c === "/") {
      let v = "";
      i++;
      while (i < text.length && text[i] !== "/") {
        if (text[i] === "\\" && i + 1 < text.length) v += text[i++];
        v += text[i++];
      }
      if (text[i] !== "/") throw new QueryError(`Unclosed regular expression in "${text}"`);
      i++;
      let flags = "";
      while (i < text.length && /[a-z]/.test(text[i]!)) flags += text[i++];
      out.push({ t: "regex", v, flags });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (["!=", "<=", ">=", "=~", "~="].includes(two)) {
      out.push({ t: "op", v: two });
      i += 2;
      continue;
    }
    if ("()=<>,[]".includes(c)) {
      out.push({ t: "op", v: c });
      i++;
      continue;
    }
    let w = "";
    while (i < text.length && !/[\s()=<>,[\]!"']/.test(text[i]!)) w += text[i++];
    if (w === "") throw new QueryError(`Unexpected "${c}" in "${text}"`);
    out.push(/^-?\d+(\.\d+)?$/.test(w) ? { t: "number", v: w } : { t: "word", v: w });
  }
  return out;
}

function regexOf(tok: Tok): RegExp {
  let source = tok.v;
  let flags = (tok.flags ?? "").replace(/[^imsu]/g, "");
  if (source.startsWith("(?i)")) {
    source = source.slice(4);
    if (!flags.includes("i")) flags += "i";
  }
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new QueryError(`Invalid regular expression /${tok.v}/: ${(e as Error).message}`);
  }
}

function compileFilter(text: string): (e: QueryEvent) => boolean {
  const toks = lex(text);
  let pos = 0;
  const word = (w: string) => toks[pos]?.t === "word" && toks[pos]!.v.toLowerCase() === w;
  const op = (v: string) => toks[pos]?.t === "op" && toks[pos]!.v === v;
  const fail = (why: string): never => {
    throw new QueryError(`Cannot read filter "${text}": ${why}`);
  };
  const value = (): string | number => {
    const t = toks[pos++];
    if (t?.t === "string") return t.v;
    if (t?.t === "number") return Number(t.v);
    return fail("expected a value");
  };
  const compare = (): (e: QueryEvent) => boolean => {
    if (word("ispresent")) {
      pos++;
      if (!op("(")) fail("expected ( after ispresent");
      pos++;
      const f = toks[pos++];
      if (f?.t !== "word") fail("expected a field in ispresent()");
      if (!op(")")) fail("expected )");
      pos++;
      return (e) => fieldValue(e, f!.v) !== undefined;
    }
    const f = toks[pos++];
    if (f?.t !== "word") return fail(`expected a field, got "${f?.v ?? "end"}"`);
    const field = f.v;
    let negate = false;
    if (word("not")) {
      negate = true;
      pos++;
    }
    if (word("like") || op("=~")) {
      pos++;
      const pat = toks[pos++];
      let test: (s: string) => boolean;
      if (pat?.t === "regex") {
        const re = regexOf(pat);
        test = (s) => re.test(s);
      } else if (pat?.t === "string") {
        const sub = pat.v;
        test = (s) => s.includes(sub);
      } else return fail('expected /regex/ or "text" after like');
      return (e) => {
        const v = fieldValue(e, field);
        const hit = v !== undefined && test(String(v));
        return negate ? !hit : hit;
      };
    }
    if (word("in")) {
      pos++;
      if (!op("[")) fail("expected [ after in");
      pos++;
      const items: (string | number)[] = [];
      while (!op("]")) {
        items.push(value());
        if (op(",")) pos++;
        else if (!op("]")) fail("expected , or ]");
      }
      pos++;
      const set = new Set(items.map(String));
      return (e) => {
        const v = fieldValue(e, field);
        const hit = v !== undefined && set.has(String(v));
        return negate ? !hit : hit;
      };
    }
    if (negate) fail("expected like or in after not");
    const o = toks[pos++];
    if (o?.t !== "op" || !["=", "!=", "<", ">", "<=", ">="].includes(o.v)) {
      return fail("expected a comparison");
    }
    const v = value();
    return (e) => {
      const x = fieldValue(e, field);
      if (x === undefined) return o.v === "!=";
      if (typeof v === "number") {
        const n = Number(x);
        if (Number.isNaN(n)) return o.v === "!=";
        return o.v === "="
          ? n === v
          : o.v === "!="
          ? n !== v
          : o.v === "<"
          ? n < v
          : o.v === ">"
          ? n > v
          : o.v === "<="
          ? n <= v
          : n >= v;
      }
      const s = String(x);
      return o.v === "=" ? s === v : o.v === "!=" ? s !== v : fail(`"${o.v}" needs a number`);
    };
  };
  const unary = (): (e: QueryEvent) => boolean => {
    if (word("not")) {
      pos++;
      const inner = unary();
      return (e) => !inner(e);
    }
    if (op("(")) {
      pos++;
      const inner = or();
      if (!op(")")) fail("expected )");
      pos++;
      return inner;
    }
    return compare();
  };
  const and = () => {
    const parts = [unary()];
    while (word("and")) {
      pos++;
      parts.push(unary());
    }
    return (e: QueryEvent) => parts.every((p) => p(e));
  };
  const or = () => {
    const parts = [and()];
    while (word("or")) {
      pos++;
      parts.push(and());
    }
    return (e: QueryEvent) => parts.some((p) => p(e));
  };
  const f = or();
  if (pos !== toks.length) fail(`unexpected "${toks[pos]!.v}"`);
  return f;
}

/**
 * Compiles a query.
 *
 * @param queryString The query.
 * @returns The compiled query.
 * @throws {QueryError} On a command or expression this endpoint cannot read.
 */
export function compileQuery(queryString: string): CompiledQuery {
  const q: CompiledQuery = { fields: [], aliases: new Map(), filters: [], sort: [], limit: null };
  let display: string[] | null = null;
  for (const raw of splitTop(queryString, "|")) {
    const part = raw.trim();
    if (part === "") continue;
    const m = /^([A-Za-z]+)\s*([\s\S]*)$/.exec(part);
    const command = m?.[1]?.toLowerCase() ?? "";
    const rest = m?.[2] ?? "";
    switch (command) {
      case "fields":
      case "display": {
        const names = splitTop(rest, ",").map((s) => s.trim()).filter((s) => s !== "").map(
          (s) => {
            const as = /^(\S+)\s+as\s+(\S+)$/i.exec(s);
            if (as) {
              q.aliases.set(as[2]!, as[1]!);
              return as[2]!;
            }
            if (!/^[@A-Za-z0-9_.$-]+$/.test(s)) {
              throw new QueryError(`Cannot read field "${s}": expressions are not supported`);
            }
            return s;
          },
        );
        if (command === "fields") q.fields.push(...names);
        else display = names;
        break;
      }
      case "filter":
        q.filters.push(compileFilter(rest));
        break;
      case "sort":
        for (const item of splitTop(rest, ",")) {
          const [field, dir] = item.trim().split(/\s+/);
          if (!field) throw new QueryError(`Cannot read sort "${part}"`);
          const d = (dir ?? "desc").toLowerCase();
          if (d !== "asc" && d !== "desc") throw new QueryError(`Cannot read sort "${part}"`);
          q.sort.push({ field, descending: d === "desc" });
        }
        break;
      case "limit": {
        const n = Number(rest.trim());
        if (!Number.isInteger(n) || n < 1 || n > 10_000) {
          throw new QueryError(`Invalid limit "${rest.trim()}": expected 1 to 10000`);
        }
        q.limit = n;
        break;
      }
      default:
        throw new QueryError(
          `Unsupported query command "${command || part}": this endpoint runs fields, filter, ` +
            "sort, limit and display",
        );
    }
  }
  if (display !== null) q.fields = display;
  if (q.fields.length === 0) q.fields = ["@timestamp", "@message"];
  return q;
}

/**
 * Runs a compiled query over events.
 *
 * @param query The query.
 * @param events Events in the window.
 * @param limit StartQuery's `limit` (the query's own `limit` wins when smaller).
 * @returns Result rows (`[{field, value}]`, `@ptr` last) and how many events matched.
 */
export function runQuery(
  query: CompiledQuery,
  events: readonly QueryEvent[],
  limit: number,
): { rows: { field: string; value: string }[][]; matched: number } {
  const hits = events.filter((e) => query.filters.every((f) => f(e)));
  const sort = query.sort.length > 0 ? query.sort : [{ field: "@timestamp", descending: true }];
  const source = (name: string) => query.aliases.get(name) ?? name;
  hits.sort((a, b) => {
    for (const s of sort) {
      const x = fieldValue(a, source(s.field));
      const y = fieldValue(b, source(s.field));
      if (x === y) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const c = typeof x === "number" && typeof y === "number"
        ? x - y
        : String(x).localeCompare(String(y));
      if (c !== 0) return s.descending ? -c : c;
    }
    return 0;
  });
  const n = Math.min(limit, query.limit ?? limit);
  const rows = hits.slice(0, n).map((e) => {
    const row: { field: string; value: string }[] = [];
    for (const name of query.fields) {
      if (name === "@ptr") continue;
      const value = fieldText(e, source(name));
      if (value !== undefined) row.push({ field: name, value });
    }
    row.push({ field: "@ptr", value: e.ptr });
    return row;
  });
  return { rows, matched: hits.length };
}
