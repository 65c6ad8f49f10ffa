/**
 * Published real-Lambda figures of hello functions (`published_lambda.json`, sources in
 * `SOURCES.md`), read and looked up by metric, runtime, memory and architecture.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The metrics the fidelity check compares. */
export type FidelityMetric = "init_ms" | "max_memory_mb" | "first_duration_ms" | "warm_duration_ms";

/** The function runtimes of the fidelity check. */
export const FIDELITY_RUNTIMES = ["rust", "go", "llrt", "python", "nodejs"] as const;
/** One of {@link FIDELITY_RUNTIMES}. */
export type FidelityRuntime = typeof FIDELITY_RUNTIMES[number];

/** One published figure. */
export interface PublishedFigure {
  metric: FidelityMetric;
  runtime: FidelityRuntime;
  /** e.g. `nodejs20.x`, `provided.al2023`; null where the source does not say. */
  runtimeVersion: string | null;
  memoryMb: number | null;
  arch: "x86_64" | "arm64" | null;
  value: number;
  stat: "mean" | "median" | "single";
  samples: number | null;
  source: string;
  date: string;
  note: string;
}

/** The data file. */
export const PUBLISHED_FILE: string = fileURLToPath(
  new URL("./published_lambda.json", import.meta.url),
);

/**
 * Reads the published figures.
 *
 * @param path The JSON file (default {@link PUBLISHED_FILE}).
 * @returns Every figure.
 * @throws {TypeError} When a figure lacks a metric, runtime, value or source.
 */
export function readPublished(path: string = PUBLISHED_FILE): PublishedFigure[] {
  const data = JSON.parse(Deno.readTextFileSync(path)) as { figures?: unknown };
  if (!Array.isArray(data.figures)) throw new TypeError(`Cannot read ${path}: no "figures" array`);
  return data.figures.map((f: Partial<PublishedFigure>, i: number) => {
    if (
      typeof f.metric !== "string" || typeof f.runtime !== "string" ||
      typeof f.value !== "number" || !Number.isFinite(f.value) || typeof f.source !== "string" ||
      f.source === ""
    ) {
      throw new TypeError(
        `Cannot read ${path}: figures[${i}] lacks metric, runtime, value or source`,
      );
    }
    return f as PublishedFigure;
  });
}

/** The runtime versions compared with, in order of preference, per runtime. */
const PREFERRED_VERSIONS: Record<FidelityRuntime, string[]> = {
  rust: ["provided.al2023", "provided.al2"],
  go: ["provided.al2023", "provided.al2"],
  llrt: ["provided.al2023"],
  python: ["python3.12", "python3.13"],
  nodejs: ["nodejs20.x", "nodejs22.x"],
};

/**
 * The published figure a local cell is compared with: the daily-benchmark statistic `stat`
 * (mean by default) for the same runtime, memory and architecture, preferring the runtime
 * version closest to the local one.
 *
 * @param figures What {@link readPublished} returned.
 * @param key Metric, runtime, memory, architecture; `version` (e.g. `nodejs22.x`) goes first;
 *   `stat`, `mean` or `median` (default `mean`): lambda-perf gives Init both, the first
 *   Duration and Max Memory Used only as means.
 * @returns The figure, or null where none was published.
 * @example
 * ```ts
 * import { publishedFor, readPublished } from "./published.ts";
 * const f = publishedFor(readPublished(), {
 *   metric: "init_ms",
 *   runtime: "rust",
 *   memoryMb: 128,
 *   arch: "x86_64",
 * });
 * f !== null && f.value > 0; // true
 * ```
 */
export function publishedFor(
  figures: readonly PublishedFigure[],
  key: {
    metric: FidelityMetric;
    runtime: FidelityRuntime;
    memoryMb: number;
    arch: "x86_64" | "arm64";
    version?: string;
    stat?: "mean" | "median";
  },
): PublishedFigure | null {
  const stat = key.stat ?? "mean";
  const versions = [
    ...(key.version ? [key.version] : []),
    ...PREFERRED_VERSIONS[key.runtime],
  ];
  for (const version of versions) {
    const found = figures.find((f) =>
      f.metric === key.metric && f.runtime === key.runtime && f.runtimeVersion === version &&
      f.memoryMb === key.memoryMb && f.arch === key.arch && f.stat === stat
    );
    if (found) return found;
  }
  return null;
}
