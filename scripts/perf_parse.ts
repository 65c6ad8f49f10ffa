/**
 * `deno task perf:parse [--lines N] [--repeat R] [--keep DIR] [--rows | --native]`: how fast the
 * pipeline reads Lambda logs. Generates N realistic REPORT lines (default 1,000,000: 1 in 10 cold with
 * Init Duration, trailing tabs, half with an `aws logs tail` prefix, a third with XRAY on the
 * same line and a third with XRAY on the next line) as ~1 MB chunks cut mid-line (as a streamed
 * file read delivers them), then times parse (an `ExportReader` fed the chunks, line splitting
 * included), join, and the Parquet write, and prints REPORT lines per second for each phase and
 * for parse + join + store, by wall time and by CPU time (all threads; the CPU figure stays
 * meaningful when other processes share the cores), with the load average.
 *
 * Default: the columnar path (`columnar: true` parser, `joinInvocationColumns`,
 * `writeInvocationColumns`): no object per REPORT or row. `--rows`: the record/row path
 * (`joinInvocations`, `writeInvocations`) for comparison. `--native`: the columnar path read by
 * the native line reader (`rust/ingest`, as `deno task ingest` reads plain files). Target: ≥ 500,000 lines/s for
 * parse + join + store.
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { join } from "node:path";
import { ExportReader, joinInvocationColumns, joinInvocations } from "../lib/parse/mod.ts";
import { writeInvocationColumns, writeInvocations } from "../lib/store/mod.ts";
import { seeded } from "./_bench.ts";
import { type NativeLines, nativeLines } from "../lib/ingest/_native.ts";

/** Characters per generated chunk: what a streamed file read hands the parser at a time. */
const CHUNK_CHARS = 1 << 20;

/**
 * Realistic REPORT lines, deterministic for a given count, as ~1 MB chunks that cut lines
 * anywhere (as a streamed file read does), never as one giant string.
 *
 * @param count REPORT lines to make.
 * @returns The chunks (one event per line), their total size and how many lines of each kind.
 */
export function generateReports(
  count: number,
): { chunks: string[]; chars: number; cold: number; xrayNext: number } {
  const { rand, hex } = seeded(42);
  const chunks: string[] = [];
  let pending = "";
  let chars = 0;
  const emit = (line: string) => {
    pending += `${line}\n`;
    if (pending.length >= CHUNK_CHARS) {
      // Cut mid-line: the parser must carry the tail over to the next chunk.
      const cut = CHUNK_CHARS - 17;
      chunks.push(pending.slice(0, cut));
      pending = pending.slice(cut);
      chars += cut;
    }
  };
  let cold = 0;
  let xrayNext = 0;
  const t0 = Date.UTC(2024, 4, 1, 10);
  const stream = `2024/05/01/[$LATEST]${hex(32)}`;
  for (let i = 0; i < count; i++) {
    const id = `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
    const duration = (1 + rand() * 120).toFixed(2);
    const memory = [128, 512, 1024, 1769][i % 4]!;
    let line = `REPORT RequestId: ${id}\tDuration: ${duration} ms\tBilled Duration: ${
      Math.ceil(Number(duration))
    } ms\tMemory Size: ${memory} MB\tMax Memory Used: ${60 + Math.floor(rand() * 40)} MB\t`;
    if (i % 10 === 0) {
      line += `Init Duration: ${(80 + rand() * 300).toFixed(2)} ms\t`;
      cold++;
    }
    const trace = `XRAY TraceId: 1-${hex(8)}-${hex(24)}\tSegmentId: ${hex(16)}\tSampled: true\t`;
    if (i % 3 === 1) line += trace;
    if (i % 2 === 0) {
      const ts = new Date(t0 + i * 7).toISOString().replace("Z", "000+00:00");
      line = `${ts} ${stream} ${line}`;
    }
    emit(line);
    if (i % 3 === 2) {
      emit(trace);
      xrayNext++;
    }
  }
  if (pending !== "") chunks.push(pending);
  chars += pending.length;
  return { chunks, chars, cold, xrayNext };
}

interface Timing {
  wall: number;
  cpu: number;
}

function rate(n: number, t: Timing): string {
  const per = (ms: number) => Math.round(n / ms * 1000).toLocaleString("en-US").padStart(9);
  return `${per(t.wall)} lines/s wall (${t.wall.toFixed(0)} ms), ${per(t.cpu)} lines/s CPU ` +
    `(${t.cpu.toFixed(0)} ms)`;
}

/** Wall and CPU time (this process, all threads) since `start`. */
function since(start: { wall: number; cpu: NodeJS.CpuUsage }): Timing {
  const c = process.cpuUsage(start.cpu);
  return { wall: performance.now() - start.wall, cpu: (c.user + c.system) / 1000 };
}

function mark(): { wall: number; cpu: NodeJS.CpuUsage } {
  return { wall: performance.now(), cpu: process.cpuUsage() };
}

async function loadAverage(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

const META = { run_id: "bench", backend: null, variant: null, arch: null, memory_mb: null };

/** Phase timings of one pass over the input. */
interface Pass {
  parse: Timing;
  join: Timing;
  store: Timing;
  total: Timing;
}

/** The rest of a columnar pass after its lines went to `reader`: join and store, timed. */
async function joinAndStore(
  m0: ReturnType<typeof mark>,
  reader: ExportReader,
  out: string,
  count: number,
): Promise<Pass> {
  const parsed = reader.end();
  const parse = since(m0);
  const m1 = mark();
  const { columns } = joinInvocationColumns({
    reports: parsed.reports!,
    records: parsed.records,
    meta: META,
  });
  const join = since(m1);
  const m2 = mark();
  await writeInvocationColumns(out, columns, { unique: true });
  const store = since(m2);
  const total = since(m0);
  if (columns.length !== count || parsed.stats.rejected !== 0) {
    throw new Error(`perf_parse: ${columns.length} rows, ${parsed.stats.rejected} rejected`);
  }
  return { parse, join, store, total };
}

/** The bulk path `deno task ingest` and the collectors can take: columns end to end. */
async function columnarPass(chunks: readonly string[], out: string, count: number): Promise<Pass> {
  const m0 = mark();
  const reader = new ExportReader({ columnar: true });
  for (const chunk of chunks) reader.push(chunk);
  return await joinAndStore(m0, reader, out, count);
}

/**
 * The columnar path with the native line reader (`deno task ingest`'s default): the same text as
 * UTF-8 bytes (encoded before the clock starts, as a file read gives them), read 4 MiB at a time
 * as `readRange` reads a file, line splitting and the lines left to JavaScript included.
 */
async function nativePass(
  bytes: Uint8Array<ArrayBuffer>,
  native: NativeLines,
  out: string,
  count: number,
): Promise<Pass> {
  const m0 = mark();
  const reader = new ExportReader({ columnar: true, lines: true });
  for (let from = 0; from < bytes.length;) {
    const to = Math.min(bytes.length, from + (4 << 20));
    const view = bytes.subarray(from, to);
    const lines = native.scan(view, to === bytes.length);
    reader.readScanned(view, native.lines, lines);
    from += native.consumed;
  }
  return await joinAndStore(m0, reader, out, count);
}

/** The record/row path: a record object per REPORT, a row object per invocation. */
async function rowsPass(chunks: readonly string[], out: string, count: number): Promise<Pass> {
  const m0 = mark();
  const reader = new ExportReader();
  for (const chunk of chunks) reader.push(chunk);
  const parsed = reader.end();
  const parse = since(m0);
  const m1 = mark();
  const { rows } = joinInvocations({ records: parsed.records, meta: META });
  const join = since(m1);
  const m2 = mark();
  await writeInvocations(out, rows);
  const store = since(m2);
  const total = since(m0);
  if (rows.length !== count || parsed.stats.rejected !== 0) {
    throw new Error(`perf_parse: ${rows.length} rows, ${parsed.stats.rejected} rejected`);
  }
  return { parse, join, store, total };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      lines: { type: "string", default: "1000000" },
      repeat: { type: "string", default: "3" },
      keep: { type: "string" },
      rows: { type: "boolean", default: false },
      native: { type: "boolean", default: false },
    },
  });
  const count = Number(values.lines);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(count) || count <= 0 || !Number.isInteger(repeat) || repeat <= 0) {
    console.error(`perf_parse: --lines and --repeat must be positive whole numbers`);
    Deno.exit(2);
  }
  const { chunks, chars, cold, xrayNext } = generateReports(count);
  let native: NativeLines | null = null;
  let bytes: Uint8Array<ArrayBuffer> | null = null;
  if (values.native) {
    const got = nativeLines();
    if (typeof got === "string") {
      console.error(`perf_parse: --native: ${got}`);
      Deno.exit(1);
    }
    native = got;
    const encoder = new TextEncoder();
    const parts = chunks.map((c) => encoder.encode(c));
    bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
  }
  const path = values.rows
    ? "rows (record and row objects)"
    : native !== null
    ? "columnar, native line reader"
    : "columnar";
  console.log(
    `perf_parse: ${count.toLocaleString("en-US")} REPORT lines (${cold} cold, ${xrayNext} XRAY ` +
      `next lines, ${(chars / 1e6).toFixed(0)} MB in ${chunks.length} chunks), ${path} path, ` +
      `best of ${repeat}, Deno ${Deno.version.deno}`,
  );
  const dir = values.keep ?? await Deno.makeTempDir({ prefix: "perf_parse_" });
  const loadBefore = await loadAverage();
  try {
    const out = join(dir, "invocations.parquet");
    let best: Pass | null = null;
    for (let r = 0; r < repeat; r++) {
      const pass = values.rows
        ? await rowsPass(chunks, out, count)
        : native !== null
        ? await nativePass(bytes!, native, out, count)
        : await columnarPass(chunks, out, count);
      if (best === null || pass.total.wall < best.total.wall) best = pass;
    }
    console.log(`parse:             ${rate(count, best!.parse)}`);
    console.log(`join:              ${rate(count, best!.join)}`);
    console.log(`store (Parquet):   ${rate(count, best!.store)}`);
    console.log(`parse+join+store:  ${rate(count, best!.total)}`);
    console.log(
      `load average before/after: ${loadBefore} / ${await loadAverage()} (2 cores shared)`,
    );
  } finally {
    if (values.keep === undefined) await Deno.remove(dir, { recursive: true });
  }
}
