/**
 * CloudWatch Logs filter patterns (FilterLogEvents' `filterPattern`), for the local Logs
 * endpoint. Two of CloudWatch's three syntaxes:
 * - terms: `ERROR`, `"exact phrase"`, `?a ?b` (any of), `-term` (none of), `%regex%`; plain terms
 *   must all match, case-sensitively, as CloudWatch matches them;
 * - JSON: `{ $.type = "platform.*" }`, with `=`, `!=` (strings with `*` wildcards, or numbers),
 *   `<`, `>`, `<=`, `>=`, `IS TRUE|FALSE|NULL`, `NOT EXISTS`, `&&`, `||` and parentheses, over
 *   selectors like `$.record.metrics.durationMs` and `$.list[0]`.
 *
 * Space-delimited patterns (`[ip, user, ...]`) are refused with a clear message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileFilterPattern } from "./filter_pattern.ts";
 * const platform = compileFilterPattern('{ $.type = "platform.*" }');
 * assert.ok(platform('{"time":"t","type":"platform.report","record":{}}'));
 * assert.ok(!compileFilterPattern('?"START RequestId" ?"END RequestId"')("hello"));
 * ```
 *
 * @module
 */

/** A filter pattern this endpoint cannot read (CloudWatch's InvalidParameterException). */
export class FilterPatternError extends Error {
  override name = "InvalidParameterException";
}

/** Whether a message matches. */
export type MessageFilter = (message: string) => boolean;

/**
 * Compiles a filter pattern.
 *
 * @param pattern The pattern; empty or blank matches every event.
 * @returns The matcher.
 * @throws {FilterPatternError} When the pattern is malformed or of the space-delimited kind.
 */
export function compileFilterPattern(pattern: string): MessageFilter {
  const text = pattern.trim();
  if (text === "") return () => true;
  if (text.startsWith("{")) return compileJson(text);
  if (text.startsWith("[")) {
    throw new FilterPatternError(
      `Invalid filter pattern "${pattern}": space-delimited patterns are not supported here`,
    );
  }
  return compileTerms(text);
}

function compileTerms(text: string): MessageFilter {
  const all: MessageFilter[] = [];
  const any: MessageFilter[] = [];
  const none: MessageFilter[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === " " || text[i] === "\t") i++;
    if (i >= text.length) break;
    let list = all;
    if (text[i] === "?") {
      list = any;
      i++;
    } else if (text[i] === "-" && i + 1 < text.length && text[i + 1] !== " ") {
      list = none;
      i++;
    }
    let term: MessageFilter;
    if (text[i] === '"') {
      let value = "";
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        value += text[i++];
      }
      if (text[i] !== '"') {
        throw new FilterPatternError(`Invalid filter pattern "${text}": unclosed quote`);
      }
      i++;
      term = (m) => m.includes(value);
    } else if (text[i] === "%") {
      const end = text.indexOf("%", i + 1);
      if (end < 0) throw new FilterPatternError(`Invalid filter pattern "${text}": unclosed %`);
      let re: RegExp;
      try {
        re = new RegExp(text.slice(i + 1, end));
      } catch (e) {
        throw new FilterPatternError(`Invalid filter pattern "${text}": ${(e as Error).message}`);
      }
      i = end + 1;
      term = (m) => re.test(m);
    } else {
      let value = "";
      while (i < text.length && text[i] !== " " && text[i] !== "\t") value += text[i++];
      term = (m) => m.includes(value);
    }
    list.push(term);
  }
  return (m) =>
    all.every((t) => t(m)) && !none.some((t) => t(m)) &&
    (any.length === 0 || any.some((t) => t(m)));
}

type Token =
  | { kind: "punct"; value: string }
  | { kind: "selector"; path: (string | number)[] }
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "word"; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new FilterPatternError(`Invalid filter pattern "${text}": ${why} at ${i}`);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n") {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (["&&", "||", "!=", "<=", ">="].includes(two)) {
      tokens.push({ kind: "punct", value: two });
      i += 2;
      continue;
    }
    if ("{}()=<>".includes(c)) {
      tokens.push({ kind: "punct", value: c });
      i++;
      continue;
    }
    if (c === "$") {
      const path: (string | number)[] = [];
      i++;
      while (text[i] === "." || text[i] === "[") {
        if (text[i] === ".") {
          i++;
          let name = "";
          while (i < text.length && /[A-Za-z0-9_@\-*]/.test(text[i]!)) name += text[i++];
          if (name === "") fail("empty selector part");
          path.push(name);
        } else {
          const end = text.indexOf("]", i);
          if (end < 0) fail("unclosed [");
          const inner = text.slice(i + 1, end).trim();
          path.push(/^\d+$/.test(inner) ? Number(inner) : inner.replace(/^["']|["']$/g, ""));
          i = end + 1;
        }
      }
      tokens.push({ kind: "selector", path });
      continue;
    }
    if (c === '"') {
      let value = "";
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        value += text[i++];
      }
      if (text[i] !== '"') fail("unclosed quote");
      i++;
      tokens.push({ kind: "string", value });
      continue;
    }
    let word = "";
    while (i < text.length && !/[\s{}()=<>!&|]/.test(text[i]!)) word += text[i++];
    if (word === "") fail(`unexpected "${c}"`);
    const n = Number(word);
    tokens.push(
      /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(word) && Number.isFinite(n)
        ? { kind: "number", value: n }
        : { kind: "word", value: word },
    );
  }
  return tokens;
}

type JsonTest = (doc: unknown) => boolean;

function at(doc: unknown, path: readonly (string | number)[]): { found: boolean; value: unknown } {
  let cur: unknown = doc;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return { found: false, value: undefined };
    const obj = cur as Record<string | number, unknown>;
    if (!(key in obj)) return { found: false, value: undefined };
    cur = obj[key];
  }
  return { found: true, value: cur };
}

function wildcard(pattern: string): RegExp {
  const body = pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`);
}

function compileJson(text: string): MessageFilter {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (why: string): never => {
    throw new FilterPatternError(`Invalid filter pattern "${text}": ${why}`);
  };
  const punct = (value: string) => {
    const t = tokens[pos];
    if (t?.kind !== "punct" || t.value !== value) fail(`expected "${value}"`);
    pos++;
  };
  const isPunct = (value: string) => {
    const t = peek();
    return t?.kind === "punct" && t.value === value;
  };
  const comparison = (): JsonTest => {
    const sel = tokens[pos++];
    if (sel?.kind !== "selector") return fail("expected a selector such as $.type");
    const path = sel.path;
    const next = peek();
    if (next?.kind === "word" && next.value.toUpperCase() === "IS") {
      pos++;
      const what = tokens[pos++];
      const v = what?.kind === "word" ? what.value.toUpperCase() : "";
      if (v === "TRUE") return (d) => at(d, path).value === true;
      if (v === "FALSE") return (d) => at(d, path).value === false;
      if (v === "NULL") return (d) => at(d, path).found && at(d, path).value === null;
      return fail("expected TRUE, FALSE or NULL after IS");
    }
    if (next?.kind === "word" && next.value.toUpperCase() === "NOT") {
      pos++;
      const what = tokens[pos++];
      if (what?.kind !== "word" || what.value.toUpperCase() !== "EXISTS") {
        return fail("expected EXISTS after NOT");
      }
      return (d) => !at(d, path).found;
    }
    const op = tokens[pos++];
    if (op?.kind !== "punct" || !["=", "!=", "<", ">", "<=", ">="].includes(op.value)) {
      return fail("expected a comparison operator");
    }
    const value = tokens[pos++];
    if (
      value === undefined || (value.kind !== "string" && value.kind !== "number" &&
        value.kind !== "word")
    ) return fail("expected a value");
    if (value.kind === "number") {
      const n = value.value;
      const cmp: Record<string, (a: number) => boolean> = {
        "=": (a) => a === n,
        "!=": (a) => a !== n,
        "<": (a) => a < n,
        ">": (a) => a > n,
        "<=": (a) => a <= n,
        ">=": (a) => a >= n,
      };
      const f = cmp[op.value]!;
      return (d) => {
        const v = at(d, path).value;
        return typeof v === "number" ? f(v) : op.value === "!=" && v !== undefined;
      };
    }
    if (op.value !== "=" && op.value !== "!=") fail(`"${op.value}" needs a number`);
    const re = wildcard(value.value);
    const equal = (d: unknown) => {
      const v = at(d, path).value;
      return (typeof v === "string" || typeof v === "number" || typeof v === "boolean") &&
        re.test(String(v));
    };
    return op.value === "=" ? equal : (d) => at(d, path).found && !equal(d);
  };
  const unary = (): JsonTest => {
    if (isPunct("(")) {
      pos++;
      const inner = or();
      punct(")");
      return inner;
    }
    return comparison();
  };
  const and = (): JsonTest => {
    const parts = [unary()];
    while (isPunct("&&")) {
      pos++;
      parts.push(unary());
    }
    return (d) => parts.every((p) => p(d));
  };
  const or = (): JsonTest => {
    const parts = [and()];
    while (isPunct("||")) {
      pos++;
      parts.push(and());
    }
    return (d) => parts.some((p) => p(d));
  };
  punct("{");
  const test = or();
  punct("}");
  if (pos !== tokens.length) fail("unexpected text after }");
  return (message) => {
    const trimmed = message.trimStart();
    if (!trimmed.startsWith("{")) return false;
    let doc: unknown;
    try {
      doc = JSON.parse(message);
    } catch {
      return false;
    }
    return test(doc);
  };
}
