/**
 * Measures the hello functions in the sandbox: per runtime and memory size, N cold starts (each
 * in a fresh environment) and M warm invocations, reduced to medians.
 *
 * @module
 */
import { busyNote, hostLoad, sampleHost } from "../bench/host_load.ts";
import { Sandbox, type SandboxControls, type SandboxOptions } from "../sandbox/mod.ts";
import { medianSorted } from "../analysis/stats.ts";

const median = (xs: number[]) => medianSorted([...xs].sort((a, b) => a - b)) ?? NaN;
import type { LocalCell } from "./compare.ts";
import type { HelloFunction } from "./hello.ts";

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

/**
 * Runs every hello function at every memory size.
 *
 * @param functions What `prepareHelloFunctions()` made.
 * @param o Memory sizes, counts and where logs go.
 * @returns Medians per cell and the raw samples.
 */
export async function measureHello(
  functions: readonly HelloFunction[],
  o: MeasureOptions,
): Promise<{ cells: LocalCell[]; samples: HelloSamples[]; controls: SandboxControls | null }> {
  const cold = o.cold ?? 10;
  const warm = o.warm ?? 5;
  const log = o.log ?? (() => {});
  const cells: LocalCell[] = [];
  const samples: HelloSamples[] = [];
  const event = new TextEncoder().encode("{}");
  let controls: SandboxControls | null = null;
  for (const fn of functions) {
    for (const memoryMb of o.memoryMb) {
      const s: HelloSamples = {
        runtime: fn.runtime,
        memoryMb,
        initMs: [],
        firstDurationMs: [],
        firstCpuMs: [],
        maxMemoryMb: [],
        warmDurationMs: [],
        failures: [],
      };
      const hostBefore = sampleHost();
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
      try {
        controls ??= sandbox.controls;
        for (let i = 0; i < cold; i++) {
          if (i > 0) await sandbox.reset();
          const r = await sandbox.invoke(event);
          if (r.status !== "success" || r.initMs === null) {
            s.failures.push(`${r.status} ${r.errorType ?? ""}`.trim());
            continue;
          }
          s.initMs.push(r.initMs);
          s.firstDurationMs.push(r.durationMs);
          if (r.cpuMs !== null) s.firstCpuMs.push(r.cpuMs);
          s.maxMemoryMb.push(r.maxMemoryMb);
        }
        for (let i = 0; i < warm; i++) {
          const r = await sandbox.invoke(event);
          if (r.status === "success" && !r.cold) s.warmDurationMs.push(r.durationMs);
        }
      } finally {
        await sandbox.shutdown();
      }
      samples.push(s);
      const hostAfter = sampleHost();
      const host = hostBefore && hostAfter ? hostLoad(hostBefore, hostAfter) : null;
      const busy = host ? busyNote(host) : null;
      if (s.initMs.length === 0) {
        log(`fidelity: ${fn.runtime} at ${memoryMb} MB failed: ${s.failures.join(", ")}`);
        continue;
      }
      const cell: LocalCell = {
        runtime: fn.runtime,
        ...(fn.version ? { version: fn.version } : {}),
        memoryMb,
        initMs: median(s.initMs),
        firstDurationMs: median(s.firstDurationMs),
        firstDurationMeanMs: s.firstDurationMs.reduce((a, b) => a + b, 0) /
          s.firstDurationMs.length,
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
  }
  return { cells, samples, controls };
}
