/**
 * The notebooks' parameters as a matrix: memory sizes, function runtimes, extensions,
 * workloads, variants and a study name, turned into `deno task bench` flags and checked by the
 * bench's own parser (so a name the library does not know is refused with its message), and
 * used to pick rows of a run. A rerun in the same kernel reuses the local backend (ElasticMQ
 * and the sandbox) that the first run started.
 *
 * @module
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import pl from "nodejs-polars";
import { RUNS_DIR } from "../lib/paths.ts";
import { readRunManifest } from "../lib/store/mod.ts";
import { type BenchArgs, parseBenchArgs } from "../lib/cli/bench.ts";
import type { PlatformAdapter } from "../lib/bench/protocol.ts";
import { runBench } from "../lib/bench/run.ts";

/** What a parameters cell names. Empty lists mean "every one" (or the command's default). */
export interface MatrixParameters {
  /** A named study; empty for the matrix the other parameters give. */
  study?: string;
  variants?: readonly string[];
  /** Function runtimes (`nodejs`, `llrt`, `python`, ...), bench's `--functions`. */
  runtimes?: readonly string[];
  extensions?: readonly string[];
  workloads?: readonly string[];
  memorySizes?: readonly number[];
  archs?: readonly string[];
}

/** Which parameter each bench flag comes from, for messages in the notebook's words. */
const PARAMETER_OF: Record<string, string> = {
  variants: "VARIANTS",
  functions: "RUNTIMES",
  extensions: "EXTENSIONS",
  workloads: "WORKLOADS",
  memory: "MEMORY_SIZES",
  arch: "ARCHS",
  study: "STUDY",
};

/**
 * The bench flags of a matrix (lists only where the parameter is not empty).
 *
 * @param p The parameters.
 * @returns Flags for `deno task bench` / `deno task study`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matrixFlags } from "./matrix.ts";
 * assert.deepEqual(matrixFlags({ runtimes: ["nodejs"], memorySizes: [256, 2048] }), [
 *   "--functions", "nodejs", "--memory", "256,2048",
 * ]);
 * ```
 */
export function matrixFlags(p: MatrixParameters): string[] {
  const list = (flag: string, xs: readonly (string | number)[] | undefined) =>
    xs && xs.length > 0 ? [`--${flag}`, xs.join(",")] : [];
  return [
    ...list("variants", p.variants),
    ...list("functions", p.runtimes),
    ...list("extensions", p.extensions),
    ...list("workloads", p.workloads),
    ...list("memory", p.memorySizes),
    ...list("arch", p.archs),
  ];
}

/**
 * Checks bench flags with `deno task bench`'s own parser, before anything runs.
 *
 * @param flags From {@link matrixFlags} and the counts.
 * @returns The parsed arguments.
 * @throws {RangeError} Naming the parameter: an unknown runtime, extension, workload or
 * variant, a bad memory size, or a parameter this checkout's bench does not take yet.
 */
export function checkBenchFlags(flags: readonly string[]): BenchArgs {
  // Each matrix parameter on its own first, so that a refusal names the parameter.
  for (let i = 0; i < flags.length - 1; i++) {
    const flag = /^--([\w-]+)$/.exec(flags[i]!)?.[1];
    const parameter = flag ? PARAMETER_OF[flag] : undefined;
    if (!flag || !parameter) continue;
    const value = flags[i + 1]!;
    try {
      parseBenchArgs([`--${flag}`, value]);
    } catch (e) {
      const message = (e as Error).message;
      if (/Unknown option/.test(message)) {
        throw new RangeError(
          `${parameter} (${value}) is not supported by this checkout: deno task bench has no --${flag}`,
        );
      }
      throw new RangeError(`${parameter}: ${message}`);
    }
  }
  return parseBenchArgs([...flags]);
}

/** The `--study` flag for `deno task study`, or nothing. */
export function studyFlags(study: string | undefined): string[] {
  return study && study.trim() !== "" ? ["--study", study.trim()] : [];
}

function known(frame: pl.DataFrame, column: string): string[] {
  return [...new Set(frame.getColumn(column).toArray() as Array<string | null>)]
    .filter((v): v is string => v !== null).sort();
}

/**
 * The rows of the cells a notebook's parameters pick: variants, function runtimes,
 * extensions, workloads, memory sizes and archs (empty lists keep everything).
 *
 * @param frame Invocation rows.
 * @param p The parameters (the study is not a row filter; see `resolveRunDirs`).
 * @returns The rows of the picked cells.
 * @throws {RangeError} When a named value has no rows, naming the values the run has (or the
 * column the run lacks).
 */
export function selectRows(frame: pl.DataFrame, p: MatrixParameters): pl.DataFrame {
  const filters: Array<[string, string, readonly (string | number)[] | undefined]> = [
    ["VARIANTS", "variant", p.variants],
    ["RUNTIMES", "function_runtime", p.runtimes],
    ["EXTENSIONS", "extension", p.extensions],
    ["WORKLOADS", "workload", p.workloads],
    ["MEMORY_SIZES", "memory_mb", p.memorySizes],
    ["ARCHS", "arch", p.archs],
  ];
  let out = frame;
  for (const [parameter, column, wanted] of filters) {
    if (!wanted || wanted.length === 0) continue;
    if (!frame.columns.includes(column)) {
      throw new RangeError(
        `${parameter}: this run has no ${column} column (made before it existed)`,
      );
    }
    const have = column === "memory_mb"
      ? [...new Set(frame.getColumn(column).toArray() as number[])].sort((a, b) => a - b)
        .map(String)
      : known(frame, column);
    const missing = wanted.map(String).filter((w) => !have.includes(w));
    if (missing.length > 0) {
      throw new RangeError(
        `${parameter}: no rows with ${column} ${missing.join(", ")} in this run (it has ${
          have.join(", ") || "none"
        })`,
      );
    }
    out = out.filter(pl.col(column).isIn([...wanted] as never));
  }
  return out;
}

type BackendKey = string;
const backends = new Map<BackendKey, PlatformAdapter>();

/** A backend whose `close()` keeps it running, so the kernel's next run reuses it. */
function kept(backend: PlatformAdapter): PlatformAdapter {
  return new Proxy(backend, {
    get(target, property) {
      if (property === "close") return () => Promise.resolve();
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Runs the benchmark in this process on the local backend, reusing the backend (ElasticMQ
 * and the sandbox's settings) a previous call in the same kernel started with the same
 * settings. Builds are reused as `deno task build` left them.
 *
 * @param args From {@link checkBenchFlags} (backend `local`).
 * @param log Progress lines (default: stdout, so the notebook shows them).
 * @returns The run folder.
 * @throws {RangeError} When the arguments are not for the local backend.
 */
export async function runLocalBench(
  args: BenchArgs,
  log: (line: string) => void = (line) => console.log(line),
): Promise<string> {
  if (args.backend !== "local") throw new RangeError("runLocalBench() runs the local backend only");
  const key = JSON.stringify([args.functionSettings, args.models]);
  let backend = backends.get(key);
  if (backend === undefined) {
    const { LocalBackend } = await import("../lib/bench/local.ts");
    backend = await LocalBackend.start(args.functionSettings ?? undefined, args.models);
    backends.set(key, backend);
    log("started the local backend (ElasticMQ, sandbox); later runs in this kernel reuse it");
  } else log("reusing the local backend started by an earlier run in this kernel");
  for (
    const c of (args as BenchArgs & { impossible?: { name: string; reason: string }[] })
      .impossible ?? []
  ) {
    log(`leaving out ${c.name}: ${c.reason}`);
  }
  const summary = await runBench(kept(backend), {
    variants: args.variants,
    memoryMb: args.memoryMb,
    archs: args.archs,
    plan: args.plan,
    functionSettings: args.functionSettings,
    concurrency: args.concurrency,
    log,
    ...(args.out ? { out: args.out } : {}),
  });
  log(`${summary.rows} invocations in ${summary.parquetPath}`);
  return summary.runDir;
}

/** Stops the backends this kernel started (for a test or the notebook's last cell). */
export async function closeLocalBackends(): Promise<void> {
  const all = [...backends.values()];
  backends.clear();
  await Promise.all(all.map((b) => b.close()));
}

/**
 * The run folders of a named study, newest first: runs whose `run.json` records the study
 * (`config.study`).
 *
 * @param study The study's name.
 * @param runsDir Where runs are (default `data/runs`).
 * @returns The newest run of that study, as a one-element list.
 * @throws {RangeError} When no run records that study.
 */
export function studyRunDirs(study: string, runsDir: string = RUNS_DIR): string[] {
  const dirs = existsSync(runsDir)
    ? readdirSync(runsDir).sort().reverse().map((name) => join(runsDir, name))
    : [];
  for (const dir of dirs) {
    try {
      const config = readRunManifest(dir)?.config as { study?: unknown } | undefined;
      if (config?.study === study) return [dir];
    } catch { /* a run of another schema version: not this study's */ }
  }
  throw new RangeError(
    `STUDY "${study}": no run of that study under ${runsDir} (run it first: notebook 01 with ` +
      `STUDY set, or deno task study --study ${study})`,
  );
}
