/**
 * Measures the hello functions in the sandbox: per runtime and memory size, N cold starts (each
 * in a fresh environment, the cells taking turns) and M warm invocations, reduced to medians.
 *
 * @module
 */
import { busyNote, LoadMeter, sampleHost } from "../bench/host_load.ts";
import { Sandbox, type SandboxControls, type SandboxOptions } from "../sandbox/mod.ts";
import { medianSorted } from "../analysis/stats.ts";

const median = (xs: number[]) => medianSorted([...xs].sort((a, b) => a - b)) ?? NaN;
import type { LocalCell } from "./compare.ts";
import type { HelloFunction } from "./hello.ts";
import { DEFAULT_LOCAL_GAP_MS } from "../bench/local_settings.ts";

/** Options of {@link measureHello}. */
export interface MeasureOptions {
  memoryMb: readonly number[];
  /** Cold starts per cell (default 10). */
  cold?: number;
  /** Warm invocations per cell, after the last cold start (default 5). */
  warm?: number;
  /** Where the sandboxes write their logs. */
  logDir: string;
  /** Extra sandbox options (CPU period, Init CPU, code loading). */
  sandbox?: Partial<Omit<SandboxOptions, "codeDir" | "runtime" | "memoryMb" | "logDir">>;
  log?: (line: string) => void;
}

/** One cell's raw samples, for run records. */
export interface HelloSamples {
  runtime: string;
  memoryMb: number;
  initMs: number[];
  firstDurationMs: number[];
  /** CPU of each first invocation (cold starts where the host gave it). */
  firstCpuMs: number[];
  maxMemoryMb: number[];
  warmDurationMs: number[];
  failures: string[];
}

/** One cell while it is measured: its sandbox (not its environment) stays up between turns. */
interface OpenCell {
  fn: HelloFunction;
  memoryMb: number;
  sandbox: Sandbox;
  samples: HelloSamples;
  meter: LoadMeter;
}

/**
 * Runs every hello function at every memory size. Every cell's sandbox stays up and the cold
 * starts go round the cells: round k is the k-th cold start of every cell (each environment shut
 * down right after its cold invocation), so a host that slows down for a while slows every runtime
 * alike, and the ratios between runtimes and memory sizes are taken side by side. (One cell after
 * another, the same host gave a Rust hello 2.1 ms of Init in one run and 3.3 ms ten minutes
 * later, and every ratio to it moved.)
 *
 * @param functions What `prepareHelloFunctions()` made.
 * @param o Memory sizes, counts and where logs go.
 * @returns Medians per cell and the raw samples, in the order of `functions`, then memory.
 */
export async function measureHello(
  functions: readonly HelloFunction[],
  o: MeasureOptions,
): Promise<{ cells: LocalCell[]; samples: HelloSamples[]; controls: SandboxControls | null }> {
  const cold = o.cold ?? 10;
  const warm = o.warm ?? 5;
  const log = o.log ?? (() => {});
  const event = new TextEncoder().encode("{}");
  let controls: SandboxControls | null = null;
  const open: OpenCell[] = [];
  try {
    for (const fn of functions) {
      for (const memoryMb of o.memoryMb) {
        const sandbox = await Sandbox.create({
          ...o.sandbox,
          codeDir: fn.codeDir,
          runtime: fn.sandboxRuntime,
          handler: fn.handler,
          memoryMb,
          timeoutS: 10,
          functionName: `hello-${fn.runtime}-${memoryMb}`,
          logDir: o.logDir,
          env: fn.env,
          ...(fn.llrtBin ? { llrtBin: fn.llrtBin } : {}),
        });
        controls ??= sandbox.controls;
        open.push({
          fn,
          memoryMb,
          sandbox,
          meter: new LoadMeter(),
          samples: {
            runtime: fn.runtime,
            memoryMb,
            initMs: [],
            firstDurationMs: [],
            firstCpuMs: [],
            maxMemoryMb: [],
            warmDurationMs: [],
            failures: [],
          },
        });
      }
    }
    for (let i = 0; i < cold; i++) {
      for (const c of open) {
        const before = sampleHost();
        const r = await c.sandbox.invoke(event);
        c.meter.add(before, sampleHost());
        // Down at once, not frozen till its next turn: a live environment keeps the function's
        // binary mapped, and the next cell of the same code (another memory size) would find
        // it in memory instead of reading it as a fresh environment does.
        await c.sandbox.reset();
        const s = c.samples;
        if (r.status !== "success" || r.initMs === null) {
          s.failures.push(`${r.status} ${r.errorType ?? ""}`.trim());
          continue;
        }
        s.initMs.push(r.initMs);
        s.firstDurationMs.push(r.durationMs);
        if (r.cpuMs !== null) s.firstCpuMs.push(r.cpuMs);
        s.maxMemoryMb.push(r.maxMemoryMb);
      }
      log(`fidelity: cold start ${i + 1} of ${cold} of ${open.length} cells done`);
    }
    // Warm invocations after one more cold start of each cell (not counted), one cell at a time.
    for (const c of open) {
      const before = sampleHost();
      for (let i = 0; i <= warm; i++) {
        // Parted as a client's round trip parts them on Lambda (DEFAULT_LOCAL_GAP_MS).
        if (i > 0) await new Promise((r) => setTimeout(r, DEFAULT_LOCAL_GAP_MS));
        const r = await c.sandbox.invoke(event);
        if (r.status === "success" && !r.cold) c.samples.warmDurationMs.push(r.durationMs);
      }
      c.meter.add(before, sampleHost());
      await c.sandbox.reset();
    }
  } finally {
    for (const c of open) await c.sandbox.shutdown();
  }
  const cells: LocalCell[] = [];
  for (const { fn, memoryMb, samples: s, meter } of open) {
    if (s.initMs.length === 0) {
      log(`fidelity: ${fn.runtime} at ${memoryMb} MB failed: ${s.failures.join(", ")}`);
      continue;
    }
    const host = meter.load();
    const busy = host ? busyNote(host) : null;
    const cell: LocalCell = {
      runtime: fn.runtime,
      ...(fn.version ? { version: fn.version } : {}),
      memoryMb,
      initMs: median(s.initMs),
      firstDurationMs: median(s.firstDurationMs),
      firstDurationMeanMs: s.firstDurationMs.reduce((a, b) => a + b, 0) / s.firstDurationMs.length,
      firstCpuMs: s.firstCpuMs.length ? median(s.firstCpuMs) : null,
      warmDurationMs: s.warmDurationMs.length ? median(s.warmDurationMs) : NaN,
      maxMemoryMb: median(s.maxMemoryMb),
      coldSamples: s.initMs.length,
      host,
    };
    cells.push(cell);
    log(
      `fidelity: ${fn.runtime} ${memoryMb} MB: Init ${cell.initMs.toFixed(1)} ms, first ` +
        `${cell.firstDurationMs.toFixed(2)} ms (mean ${cell.firstDurationMeanMs!.toFixed(2)})` +
        (cell.firstCpuMs == null ? "" : ` (CPU ${cell.firstCpuMs.toFixed(2)} ms)`) +
        `, warm ${cell.warmDurationMs.toFixed(2)} ms, ` +
        `${cell.maxMemoryMb} MB (${cell.coldSamples} cold)${busy ? ` (${busy})` : ""}`,
    );
  }
  return { cells, samples: open.map((c) => c.samples), controls };
}
