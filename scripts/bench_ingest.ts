/**
 * `deno task bench:ingest [--lines N] [--runs R] [--reader auto|native|js] [--keep]`:
 * `deno task ingest` (with its `--reader`, default auto) against a plain
 * polars Python script (`scripts/ingest_peer.py`, `scan_csv` + `str.extract`) on the same file,
 * whole process each: wall time and peak RSS.
 *
 * Generates (once, cached in `.cache/bench_ingest/`) an `aws logs tail`-style text export of N
 * lines (default 1,000,000, about 200 MB): per invocation START, END and REPORT (with Init
 * Duration and an INIT_START before it on 1 in 10, cold), XRAY on the REPORT line or the next
 * line, application log lines, a few extension lines, 1 in 100 invocations in Lambda's JSON log
 * format (`platform.start`, `platform.runtimeDone`, `platform.report`), some errors and
 * timeouts, and a few cut-off REPORTs (rejected). Then runs the two commands alternately, R
 * times each (default 3), the ingest first, each under a small Python wrapper that reads the
 * child's wall time and `ru_maxrss` (`resource.getrusage(RUSAGE_CHILDREN)`: the largest process
 * of the tree, as `/usr/bin/time` reports it), and prints each run, the medians and the ratios
 * (ingest ÷ peer) of wall time and peak memory, with the load average.
 *
 * The native line reader (`rust/ingest`) is built with cargo when missing or stale (unless
 * `--reader js`). The peer needs Python polars: it is installed on demand, pinned to
 * {@link POLARS_VERSION}, into the project's venv `.cache/venv` (pip from PyPI; the venv is made
 * with `python3 -m venv` when missing).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { seeded } from "./_bench.ts";
import { nativeLines } from "../lib/ingest/_native.ts";
import {
  buildRustExtension,
  INGEST_NATIVE_ARTIFACT,
  INGEST_NATIVE_PACKAGE,
} from "../lib/build/rust.ts";
import { INGEST_NATIVE_LIB } from "../lib/paths.ts";

/** Python polars of the peer script, installed into `.cache/venv` when missing. */
export const POLARS_VERSION = "1.44.2";

const ROOT = new URL("..", import.meta.url).pathname;
const VENV = join(ROOT, ".cache/venv");
const PYTHON = join(VENV, "bin/python");
const CACHE = join(ROOT, ".cache/bench_ingest");
/** Bump when the generated file changes, so a cached one is not reused. */
const GENERATOR_VERSION = 1;

/** What {@link generateIngestFile} wrote. */
export interface GeneratedFile {
  lines: number;
  bytes: number;
  invocations: number;
  cold: number;
  /** Cut-off REPORT lines the ingest must reject. */
  rejected: number;
}

/**
 * Writes a realistic `aws logs tail` text export of `lines` lines (deterministic).
 *
 * @param path Where to write it.
 * @param lines How many lines (the last invocation may go a few over).
 * @returns What it holds.
 */
export async function generateIngestFile(path: string, lines: number): Promise<GeneratedFile> {
  const { rand, hex } = seeded(17);
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let pending: string[] = [];
  let pendingChars = 0;
  let bytes = 0;
  let written = 0;
  const flush = async () => {
    const data = encoder.encode(pending.join(""));
    for (let off = 0; off < data.length;) off += await file.write(data.subarray(off));
    bytes += data.length;
    pending = [];
    pendingChars = 0;
  };
  const emit = async (line: string) => {
    pending.push(line, "\n");
    pendingChars += line.length + 1;
    written++;
    if (pendingChars >= 1 << 20) await flush();
  };
  const memories = [128, 256, 512, 1024, 1769, 3008];
  const streams = Array.from({ length: 40 }, (_, k) => ({
    name: `2024/05/01/[$LATEST]${hex(32)}`,
    memory: memories[k % memories.length]!,
  }));
  let t = Date.UTC(2024, 4, 1, 10);
  const iso = (ms: number) => new Date(ms).toISOString();
  const tail = (ms: number) => iso(ms).replace("Z", "000+00:00");
  let invocations = 0;
  let cold = 0;
  let rejected = 0;
  try {
    while (written < lines) {
      const i = invocations++;
      const s = streams[i % streams.length]!;
      const p = (ms: number) => `${tail(ms)} ${s.name} `;
      const id = `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
      const isCold = i % 10 === 0;
      const duration = 1 + rand() * 120;
      const init = 80 + rand() * 300;
      const used = 40 + Math.floor(rand() * 60);
      t += 5 + Math.floor(rand() * 20);
      if (isCold) cold++;
      if (i % 100 === 50) {
        // JSON log format (a function logging in JSON), as `aws logs tail` prints it.
        const rec = (type: string, ms: number, record: string) =>
          `${p(ms)}{"time":"${iso(ms)}","type":"${type}","record":${record}}`;
        if (isCold) {
          await emit(rec(
            "platform.initStart",
            t - 200,
            `{"initializationType":"on-demand","phase":"init","runtimeVersion":"nodejs:20.v22"}`,
          ));
        }
        await emit(rec("platform.start", t, `{"requestId":"${id}","version":"$LATEST"}`));
        await emit(
          `${p(t + 1)}{"timestamp":"${iso(t + 1)}","level":"INFO","requestId":"${id}",` +
            `"message":"handled payload of 1024 bytes"}`,
        );
        const done = duration * 0.8;
        await emit(rec(
          "platform.runtimeDone",
          t + Math.round(done),
          `{"requestId":"${id}","status":"success","metrics":{"durationMs":${
            done.toFixed(3)
          },"producedBytes":74}}`,
        ));
        const initMetric = isCold ? `,"initDurationMs":${init.toFixed(3)}` : "";
        await emit(rec(
          "platform.report",
          t + Math.round(duration),
          `{"requestId":"${id}","status":"success","metrics":{"durationMs":${
            duration.toFixed(3)
          },"billedDurationMs":${
            Math.ceil(duration + (isCold ? init : 0))
          },"memorySizeMB":${s.memory},"maxMemoryUsedMB":${used}${initMetric}}}`,
        ));
        continue;
      }
      if (isCold) {
        await emit(
          `${p(t - 200)}INIT_START Runtime Version: nodejs:20.v22\tRuntime Version ARN: ` +
            `arn:aws:lambda:us-east-1::runtime:${hex(64)}`,
        );
        if (i % 20 === 0) {
          await emit(
            `${
              p(t - 60)
            }EXTENSION\tName: battle-ext-rust\tState: Ready\tEvents: [INVOKE, SHUTDOWN]`,
          );
        }
      }
      await emit(`${p(t)}START RequestId: ${id} Version: $LATEST`);
      const roll = rand();
      let status = "";
      if (roll < 0.005) {
        status = "\tStatus: error\tError Type: Runtime.ExitError";
        await emit(`${p(t + 2)}RequestId: ${id} Error: Runtime exited with error: exit status 1`);
      } else if (roll < 0.006) {
        status = "\tStatus: timeout";
        await emit(`${p(t + 3000)}${iso(t + 3000)} ${id} Task timed out after 3.00 seconds`);
      } else if (roll < 0.6) {
        await emit(`${p(t + 1)}${iso(t + 1)}\t${id}\tINFO\tsent 1024 bytes to the extension`);
      }
      const end = t + Math.round(duration);
      await emit(`${p(end)}END RequestId: ${id}`);
      if (i % 50_000 === 7) {
        await emit(`${p(end)}REPORT RequestId: ${id}\tDuration: 12.`); // cut off
        rejected++;
        continue;
      }
      const billed = Math.ceil(duration + (isCold ? init : 0));
      let report = `${p(end)}REPORT RequestId: ${id}\tDuration: ${duration.toFixed(2)} ms\t` +
        `Billed Duration: ${billed} ms\tMemory Size: ${s.memory} MB\tMax Memory Used: ${used} MB\t`;
      if (isCold) report += `Init Duration: ${init.toFixed(2)} ms\t`;
      if (status !== "") report += `${status.slice(1)}\t`;
      const trace = `XRAY TraceId: 1-${hex(8)}-${hex(24)}\tSegmentId: ${hex(16)}\tSampled: true\t`;
      if (i % 3 === 1) report += trace;
      await emit(report);
      if (i % 6 === 2) await emit(trace);
    }
    await flush();
  } finally {
    file.close();
  }
  return { lines: written, bytes, invocations, cold, rejected };
}

/** The child's wall time and peak RSS, read by a Python wrapper around it. */
interface Measured {
  wallS: number;
  peakMiB: number;
  code: number;
  stdout: string;
}

const WRAPPER = `
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(json.dumps({"wall": wall, "maxrss_kb": rss, "code": p.returncode}) + "\\n")
sys.stdout.write(p.stdout.decode("utf-8", "replace"))
`;

async function measure(argv: string[]): Promise<Measured> {
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", WRAPPER, ...argv],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr).trimEnd().split("\n");
  const last = err.at(-1) ?? "";
  let m: { wall: number; maxrss_kb: number; code: number };
  try {
    m = JSON.parse(last);
  } catch {
    throw new Error(`bench_ingest: the wrapper failed: ${err.join("\n")}`);
  }
  const stdout = new TextDecoder().decode(out.stdout);
  if (m.code !== 0) {
    throw new Error(
      `bench_ingest: ${argv.join(" ")} exited ${m.code}:\n${stdout}${err.slice(0, -1).join("\n")}`,
    );
  }
  return { wallS: m.wall, peakMiB: m.maxrss_kb / 1024, code: m.code, stdout };
}

async function run(cmd: string, args: string[]): Promise<number> {
  const { code } = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "inherit" }).output();
  return code;
}

/** Python polars in `.cache/venv`, pinned; made or installed when missing. */
async function ensurePolars(): Promise<void> {
  if (!existsSync(PYTHON)) {
    console.log(`bench_ingest: making the venv ${VENV}`);
    if (await run("python3", ["-m", "venv", VENV]) !== 0) throw new Error("cannot make the venv");
  }
  const check = await new Deno.Command(PYTHON, {
    args: ["-c", "import polars; print(polars.__version__)"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (check.success && new TextDecoder().decode(check.stdout).trim() === POLARS_VERSION) return;
  console.log(`bench_ingest: installing polars==${POLARS_VERSION} into ${VENV} (pip, PyPI)`);
  const code = await run(PYTHON, ["-m", "pip", "install", "-q", `polars==${POLARS_VERSION}`]);
  if (code !== 0) throw new Error(`pip install polars==${POLARS_VERSION} failed`);
}

/**
 * The native line reader, built with cargo when it is missing or stale (as `deno task setup`
 * builds it); when that fails, the ingest runs read with JavaScript alone and say so.
 */
async function ensureNativeReader(): Promise<void> {
  const why = nativeLines();
  if (typeof why !== "string") return;
  console.log(`bench_ingest: ${why}; building it`);
  try {
    await buildRustExtension({
      package: INGEST_NATIVE_PACKAGE,
      artifact: INGEST_NATIVE_ARTIFACT,
      out: INGEST_NATIVE_LIB,
    });
  } catch (err) {
    console.log(`bench_ingest: ${(err as Error).message.split("\n")[0]}`);
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function loadAverage(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      lines: { type: "string", default: "1000000" },
      runs: { type: "string", default: "3" },
      keep: { type: "boolean", default: false },
      reader: { type: "string", default: "auto" },
    },
  });
  if (!["auto", "native", "js"].includes(values.reader)) {
    console.error("bench_ingest: --reader must be auto, native or js");
    Deno.exit(2);
  }
  const lines = Number(values.lines);
  const runs = Number(values.runs);
  if (!Number.isInteger(lines) || lines <= 0 || !Number.isInteger(runs) || runs <= 0) {
    console.error("bench_ingest: --lines and --runs must be positive whole numbers");
    Deno.exit(2);
  }
  await ensurePolars();
  if (values.reader !== "js") await ensureNativeReader();
  await Deno.mkdir(CACHE, { recursive: true });
  const input = join(CACHE, `tail-${lines}-v${GENERATOR_VERSION}.log`);
  const facts = join(`${input}.json`);
  let gen: GeneratedFile;
  if (existsSync(input) && existsSync(facts)) {
    gen = JSON.parse(await Deno.readTextFile(facts));
  } else {
    console.log(`bench_ingest: generating ${lines.toLocaleString("en-US")} lines into ${input}`);
    gen = await generateIngestFile(input, lines);
    await Deno.writeTextFile(facts, JSON.stringify(gen));
  }
  console.log(
    `bench_ingest: ${gen.lines.toLocaleString("en-US")} lines, ${
      (gen.bytes / 1e6).toFixed(0)
    } MB, ${gen.invocations.toLocaleString("en-US")} invocations (${
      gen.cold.toLocaleString("en-US")
    } cold), ${gen.rejected} cut-off REPORTs; ${runs} runs each, alternating; Deno ${Deno.version.deno}, polars ${POLARS_VERSION} (Python)`,
  );
  const dir = await Deno.makeTempDir({ prefix: "bench_ingest_" });
  const ours: Measured[] = [];
  const peer: Measured[] = [];
  const loadBefore = await loadAverage();
  try {
    for (let r = 0; r < runs; r++) {
      const a = await measure([
        Deno.execPath(),
        "task",
        "--quiet",
        "ingest",
        input,
        "--out",
        join(dir, "ingest.parquet"),
        "--run-id",
        "bench",
        "--reader",
        values.reader,
      ]);
      const out = a.stdout.split("\n");
      const summary = out[0] ?? "";
      if (r === 0) {
        console.log(`  ${summary}`);
        const alone = out.find((l) => l.includes("read by the JavaScript reader alone"));
        const reader = values.reader === "js"
          ? "the JavaScript reader alone (--reader js)"
          : alone === undefined
          ? "the native line reader (rust/ingest)"
          : alone.trim();
        console.log(`  reader: ${reader}`);
      }
      const want = `${gen.invocations - gen.rejected} invocations (${gen.cold} cold), ` +
        `${gen.rejected} rejected lines`;
      if (!summary.includes(want)) throw new Error(`bench_ingest: expected "${want}"`);
      ours.push(a);
      console.log(
        `  run ${r + 1}/${runs}: deno task ingest  ${a.wallS.toFixed(2)} s  ${
          a.peakMiB.toFixed(0)
        } MiB`,
      );
      const b = await measure([
        PYTHON,
        join(ROOT, "scripts/ingest_peer.py"),
        input,
        join(dir, "peer.parquet"),
      ]);
      peer.push(b);
      console.log(
        `  run ${r + 1}/${runs}: polars peer.py    ${b.wallS.toFixed(2)} s  ${
          b.peakMiB.toFixed(0)
        } MiB  (${b.stdout.trim()})`,
      );
    }
  } finally {
    if (!values.keep) await Deno.remove(dir, { recursive: true });
    else console.log(`bench_ingest: outputs kept in ${dir}`);
  }
  const wall = [median(ours.map((m) => m.wallS)), median(peer.map((m) => m.wallS))];
  const mem = [median(ours.map((m) => m.peakMiB)), median(peer.map((m) => m.peakMiB))];
  console.log(
    `median wall:  ingest ${wall[0]!.toFixed(2)} s, peer ${wall[1]!.toFixed(2)} s, ` +
      `ingest ÷ peer ${(wall[0]! / wall[1]!).toFixed(2)}×`,
  );
  console.log(
    `median peak RSS: ingest ${mem[0]!.toFixed(0)} MiB, peer ${mem[1]!.toFixed(0)} ` +
      `MiB, ingest ÷ peer ${(mem[0]! / mem[1]!).toFixed(2)}×`,
  );
  console.log(
    `load average before/after: ${loadBefore} / ${await loadAverage()} (${navigator.hardwareConcurrency} cores, shared)`,
  );
}
