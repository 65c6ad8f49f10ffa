/**
 * A study as `deno task bench` flags: its matrix, counts and settings, and its load. The
 * caller's own flags come after these, so they override the study's (the command line's last
 * value of a flag wins).
 *
 * @module
 */
import type { Study } from "./study.ts";

/**
 * The bench flags of a study's cold/warm protocol.
 *
 * @param study The study.
 * @returns Flags such as `--functions nodejs,llrt --memory 128 --cold 10 --warm 20`.
 * @example
 * ```ts
 * import { benchArgsOf } from "./args.ts";
 * import { study } from "../../studies/llrt-vs-node.ts";
 * benchArgsOf(study).slice(0, 2); // ["--functions", "nodejs,llrt"]
 * ```
 */
export function benchArgsOf(study: Study): string[] {
  const m = study.matrix;
  const list = (flag: string, values: readonly (string | number)[] | undefined) =>
    values && values.length > 0 ? [`--${flag}`, values.join(",")] : [];
  const setting = (flag: string, value: number | undefined) =>
    value === undefined ? [] : [`--${flag}`, String(value)];
  return [
    ...list("functions", m.functions),
    ...list("extensions", m.extensions),
    ...list("workloads", m.workloads),
    ...list("variants", m.variants),
    ...list("memory", m.memoryMb),
    ...list("arch", m.archs),
    "--cold",
    String(study.counts.cold),
    "--warm",
    String(study.counts.warm),
    ...setting("payload-bytes", study.settings?.payloadBytes),
    ...setting("work-iterations", study.settings?.workIterations),
    ...setting("delay-ms", study.settings?.delayMs),
  ];
}

/**
 * The bench flags of a study's load, or null for a study without one.
 *
 * @param study The study.
 * @returns The matrix flags (without the cold/warm counts) and `--load --requests R
 *   --concurrency C [--reserved-concurrency N]`.
 */
export function loadArgsOf(study: Study): string[] | null {
  if (!study.load) return null;
  const bench = benchArgsOf(study);
  const withoutCounts: string[] = [];
  for (let i = 0; i < bench.length; i += 2) {
    if (bench[i] === "--cold" || bench[i] === "--warm") continue;
    withoutCounts.push(bench[i]!, bench[i + 1]!);
  }
  return [
    ...withoutCounts,
    "--load",
    "--requests",
    String(study.load.requests),
    "--concurrency",
    String(study.load.concurrency),
    ...(study.load.reservedConcurrency === undefined
      ? []
      : ["--reserved-concurrency", String(study.load.reservedConcurrency)]),
  ];
}

/** Flags only the load run takes (`--concurrency` is the load's requests in flight here). */
const LOAD_ONLY = new Set(["requests", "concurrency", "reserved-concurrency"]);
/** Flags only the cold/warm run takes (the load run gets its own folder). */
const BENCH_ONLY = new Set(["cold", "warm", "out"]);

/** What {@link splitStudyArgs} found on a `deno task study` command line. */
export interface StudyCommandLine {
  /** `--study NAME`, or null for the default study (today's bench defaults). */
  study: string | null;
  /** `--no-load`: skip the study's load. */
  noLoad: boolean;
  /** The caller's flags for the cold/warm run. */
  bench: string[];
  /** The caller's flags for the load run. */
  load: string[];
}

/**
 * Splits a `deno task study` command line: `--study` and `--no-load` are the study's own; the
 * rest are bench flags, routed to the cold/warm run (`--cold`, `--warm`, `--out`), the load run
 * (`--requests`, `--concurrency`, `--reserved-concurrency`) or both (the matrix, memory,
 * settings).
 *
 * @param args The command line after the task name.
 * @returns The parts.
 * @throws {TypeError} When `--study` has no value.
 * @example
 * ```ts
 * import { splitStudyArgs } from "./args.ts";
 * const s = splitStudyArgs(["--study", "x", "--memory", "128", "--cold", "3", "--requests=50"]);
 * s.bench; // ["--memory", "128", "--cold", "3"]
 * s.load; // ["--memory", "128", "--requests=50"]
 * ```
 */
export function splitStudyArgs(args: readonly string[]): StudyCommandLine {
  const out: StudyCommandLine = { study: null, noLoad: false, bench: [], load: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const m = /^--([^=]+)(=.*)?$/.exec(arg);
    if (m === null) {
      out.bench.push(arg);
      out.load.push(arg);
      continue;
    }
    const name = m[1]!;
    if (name === "no-load") {
      out.noLoad = true;
      continue;
    }
    // A flag's value is the next word unless it was given with "=" (every bench flag takes one).
    const tokens = m[2] !== undefined || i + 1 >= args.length ? [arg] : [arg, args[++i]!];
    if (name === "study") {
      const value = m[2] !== undefined ? m[2].slice(1) : tokens[1];
      if (!value || value.startsWith("--")) {
        throw new TypeError("Option '--study <value>' needs a study name");
      }
      out.study = value;
      continue;
    }
    if (!LOAD_ONLY.has(name)) out.bench.push(...tokens);
    if (!BENCH_ONLY.has(name)) out.load.push(...tokens);
  }
  return out;
}
