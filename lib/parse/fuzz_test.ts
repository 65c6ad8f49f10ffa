/**
 * Seeded fuzzing of the parser with mutated copies of the captured lines in testdata: no
 * crash, every line accounted for, the row and column paths agreeing, no stored value outside
 * what Lambda can report, and no damaged cold start stored as a warm one.
 */
import assert from "node:assert/strict";
import type { InvocationRow } from "../schema.ts";
import { ExportReader, parseExport } from "./export.ts";
import { joinInvocationColumns, joinInvocations, type RunMeta } from "./join.ts";
import { LAMBDA_LIMITS } from "./limits.ts";
import { LogParser } from "./parser.ts";
import type { ParseStats } from "./records.ts";

const META: RunMeta = { run_id: "fuzz", backend: null, variant: null, arch: null, memory_mb: null };
const TESTDATA = new URL("./testdata/", import.meta.url);
const MUTATED_LINES = 4000;

/** mulberry32: the same lines on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Every captured line: text lines, JSONL lines, Telemetry events and exported messages. */
async function corpus(): Promise<string[]> {
  const read = (name: string) => Deno.readTextFile(new URL(name, TESTDATA));
  const lines = [
    ...(await read("tail.txt")).split("\n"),
    ...(await read("json-format.jsonl")).split("\n"),
    ...(JSON.parse(await read("telemetry.json")) as unknown[]).map((e) => JSON.stringify(e)),
    JSON.stringify(JSON.parse(await read("telemetry.json"))), // a whole batch on one line
  ];
  const page = JSON.parse(await read("filter-log-events.json")) as {
    events: Array<{ message?: string }>;
  };
  for (const e of page.events) lines.push(...(e.message ?? "").split("\n"));
  // The REPORTs again with spaces for tabs, as the console shows them.
  for (const l of [...lines]) {
    if (l.includes("REPORT RequestId")) lines.push(l.replaceAll("\t", " "));
  }
  return lines.filter((l) => l !== "");
}

const CHARS = '0123456789.-+e: \t"{}[],xIMBms';
const NAMES = ["Init Duration", "Duration", "Memory Size", "Max Memory Used", "initDurationMs"];

/** One mutation of `line`; `local` is false where it may remove a whole field (cuts). */
function mutate(line: string, rand: () => number): { text: string; local: boolean } {
  const at = Math.floor(rand() * line.length);
  const char = CHARS[Math.floor(rand() * CHARS.length)]!;
  switch (Math.floor(rand() * 9)) {
    case 0:
      return { text: line.slice(0, at) + char + line.slice(at + 1), local: true };
    case 1:
      return { text: line.slice(0, at) + line.slice(at + 1), local: true };
    case 2:
      return { text: line.slice(0, at) + char + line.slice(at), local: true };
    case 3: { // a very long number where a number is
      const digit = line.slice(at).search(/\d/);
      const k = digit < 0 ? at : at + digit;
      const run = "9".repeat([5, 12, 25, 400][Math.floor(rand() * 4)]!);
      return { text: line.slice(0, k) + run + line.slice(k), local: true };
    }
    case 4: { // a minus sign before a number
      const digit = line.slice(at).search(/\d/);
      const k = digit < 0 ? at : at + digit;
      return { text: `${line.slice(0, k)}-${line.slice(k)}`, local: true };
    }
    case 5:
      return {
        text: line.slice(0, at) + line.slice(at + 1, at + 2) + line.slice(at, at + 1) +
          line.slice(at + 2),
        local: true,
      };
    case 6: { // one character of a field name
      const name = NAMES[Math.floor(rand() * NAMES.length)]!;
      const k = line.indexOf(name);
      if (k < 0) return { text: line.slice(0, at), local: false };
      const c = k + Math.floor(rand() * name.length);
      return { text: line.slice(0, c) + char + line.slice(c + 1), local: true };
    }
    case 7:
      return { text: line.replaceAll("\t", " "), local: true };
    default:
      return { text: line.slice(0, at), local: false };
  }
}

function assertAccounted(stats: ParseStats, lines: number, what: string): void {
  const unknown = Object.values(stats.unknownTypes).reduce((a, b) => a + b, 0);
  assert.equal(stats.platform + stats.noise + stats.rejected + unknown, lines, what);
  const byReason = Object.values(stats.rejectedByReason).reduce((a, b) => a + b, 0);
  assert.equal(byReason, stats.rejected, `${what}: every rejection has a reason`);
}

function within(v: number | null, max: number, what: string): void {
  if (v === null) return;
  assert.ok(v >= 0 && v <= max, `${what} = ${v}`);
}

function assertPossible(row: InvocationRow): void {
  const L = LAMBDA_LIMITS;
  const id = row.request_id;
  const m = row.memory_mb;
  assert.ok(
    m !== null && Number.isInteger(m) && m >= L.minMemoryMb && m <= L.maxMemoryMb,
    `${id} memory_mb = ${m}`,
  );
  within(row.duration_ms, L.maxDurationMs, `${id} duration_ms`);
  within(row.billed_ms, L.maxBilledMs, `${id} billed_ms`);
  within(row.init_ms, L.maxInitMs, `${id} init_ms`);
  within(row.restore_ms, L.maxRestoreMs, `${id} restore_ms`);
  within(row.max_memory_mb, m, `${id} max_memory_mb`);
  within(row.runtime_done_ms, L.maxDurationMs, `${id} runtime_done_ms`);
  assert.equal(row.cold, row.init_ms !== null, `${id} cold`);
}

/** True where the line states a cold start: a REPORT with Init Duration, or its JSON form. */
function statesColdStart(line: string): boolean {
  return /REPORT RequestId: .*Init Duration: /.test(line) ||
    /"platform\.report".*"initDurationMs"/.test(line);
}

Deno.test("LogParser survives mutated lines: all counted, nothing impossible stored", async () => {
  const source = await corpus();
  const rand = random(15);
  const mutated: Array<{ text: string; local: boolean; cold: boolean }> = [];
  for (let i = 0; i < MUTATED_LINES; i++) {
    const line = source[Math.floor(rand() * source.length)]!;
    let m = mutate(line, rand);
    if (rand() < 0.2) {
      const again = mutate(m.text, rand);
      m = { text: again.text, local: m.local && again.local };
    }
    mutated.push({ ...m, cold: statesColdStart(line) });
  }
  const rows = new LogParser({ maxSamples: 0 });
  const columnar = new LogParser({ maxSamples: 0, columnar: true });
  let lines = 0;
  mutated.forEach(({ text }, i) => {
    rows.line(text, i + 1);
    columnar.line(text, i + 1);
    // A Telemetry batch on one line counts each event as a line.
    const isBatch = text.trimStart().startsWith("[{") && text.includes('"platform.');
    const batch = isBatch ? tryArray(text) : null;
    lines += batch === null ? 1 : Math.max(batch.length, 1);
  });
  assert.equal(rows.stats.lines, lines);
  assertAccounted(rows.stats, lines, "rows");
  assert.deepEqual(columnar.stats, rows.stats, "the column path counts as the row path does");
  assert.ok(rows.stats.rejected > MUTATED_LINES / 10, "the mutations reach the checks");
  assert.ok(rows.stats.platform > MUTATED_LINES / 4, "the mutations leave readable lines too");

  const byRows = joinInvocations({ records: rows.records, meta: META }).rows;
  for (const row of byRows) assertPossible(row);
  const byColumns = joinInvocationColumns({
    reports: columnar.reports!,
    records: columnar.records,
    meta: META,
  }).columns;
  assert.equal(byColumns.length, byRows.length);
  for (let k = 0; k < byColumns.length; k++) {
    const m = byColumns.memory_mb[k]!;
    assert.ok(Number.isInteger(m) && m >= 128 && m <= 10_240, `memory_mb ${m}`);
    assert.ok(byColumns.max_memory_mb[k]! >= 0 && byColumns.max_memory_mb[k]! <= m);
    const d = byColumns.duration_ms[k]!;
    assert.ok(d >= 0 && d <= LAMBDA_LIMITS.maxDurationMs, `duration_ms ${d}`);
    const init = byColumns.init_ms[k]!;
    assert.ok(Number.isNaN(init) || (init >= 0 && init <= LAMBDA_LIMITS.maxInitMs), `init ${init}`);
  }

  // A cold start whose line was changed in place is rejected, noise, or still cold.
  let checked = 0;
  for (const { text, local, cold } of mutated) {
    if (!cold || !local) continue;
    const one = new LogParser();
    one.line(text, 1);
    for (const r of one.records) {
      if (r.kind === "report") {
        assert.notEqual(r.initDurationMs, null, `warm from ${JSON.stringify(text)}`);
      }
    }
    checked++;
  }
  assert.ok(checked > 100, `${checked} mutated cold starts`);
});

Deno.test("parseExport() survives mutated whole exports with nothing impossible stored", async () => {
  const rand = random(16);
  for (
    const name of ["filter-log-events.json", "telemetry.json", "json-format.jsonl", "tail.txt"]
  ) {
    const text = await Deno.readTextFile(new URL(name, TESTDATA));
    for (let i = 0; i < 60; i++) {
      let doc = text;
      for (let k = 0; k < 3; k++) doc = mutate(doc, rand).text;
      for (const columnar of [false, true]) {
        const r = parseExport(doc, { columnar });
        const byReason = Object.values(r.stats.rejectedByReason).reduce((a, b) => a + b, 0);
        assert.equal(byReason, r.stats.rejected);
        const records = r.records;
        if (r.reports) {
          const { columns } = joinInvocationColumns({ reports: r.reports, records, meta: META });
          for (let j = 0; j < columns.length; j++) {
            assert.ok(columns.duration_ms[j]! <= LAMBDA_LIMITS.maxDurationMs);
            assert.ok(columns.max_memory_mb[j]! <= columns.memory_mb[j]!);
          }
        } else {
          for (const row of joinInvocations({ records, meta: META }).rows) assertPossible(row);
        }
      }
    }
  }
});

function tryArray(text: string): unknown[] | null {
  try {
    const v = JSON.parse(text.slice(text.indexOf("[{")));
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

Deno.test("parseExport() reads mutated text exports in place as the row path reads them", async () => {
  const source = await corpus();
  const rand = random(17);
  for (let doc = 0; doc < 30; doc++) {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const line = source[Math.floor(rand() * source.length)]!;
      lines.push(rand() < 0.5 ? mutate(line, rand).text : line);
    }
    // Some documents with CRLF, some cut into pieces anywhere (as a streamed read gives them).
    const text = lines.join(doc % 3 === 0 ? "\r\n" : "\n");
    const rows = parseExport(text);
    const reader = new ExportReader({ columnar: true });
    for (let at = 0; at < text.length;) {
      const next = Math.min(text.length, at + 1 + Math.floor(rand() * 5000));
      reader.push(text.slice(at, next));
      at = next;
    }
    const columnar = reader.end();
    assert.deepEqual(columnar.stats, rows.stats, `document ${doc}`);
    assert.equal(columnar.shape, rows.shape);
    const byRows = joinInvocations({ records: rows.records, meta: META });
    const byColumns = joinInvocationColumns({
      reports: columnar.reports!,
      records: columnar.records,
      meta: META,
    });
    assert.equal(byColumns.columns.length, byRows.rows.length);
    assert.deepEqual([...byColumns.columns.duration_ms], byRows.rows.map((r) => r.duration_ms));
    assert.deepEqual(
      [...byColumns.columns.timestamp].map(Math.trunc), // as the Parquet write (and a Date) keeps it
      byRows.rows.map((r) => r.timestamp?.getTime() ?? NaN),
    );
    assert.equal(byColumns.orphans.length, byRows.orphans.length);
  }
});
