/**
 * What a study is: a question, the published study it reproduces, the matrix it runs (function
 * runtimes × extensions × workloads × memory × arch), its counts and load, and the comparisons
 * its summary opens with. A study is a file in `studies/` exporting one {@link Study}; adding a
 * study is adding a file, not code.
 *
 * @module
 */
import type { Arch } from "../schema.ts";
import type { MetricKey } from "../analysis/summary.ts";

/** The published study a study reproduces. */
export interface StudySource {
  title: string;
  url: string;
  /** Who published it and where, e.g. `Siarhei Kazhura, AWS Compute Blog`. */
  author: string;
  /** When, as `YYYY-MM-DD` (or `YYYY-MM`). */
  published: string;
  /** What it found, in a sentence or two, as it reported it (the figure to compare with). */
  finding: string;
}

/** The cells a study runs: the same axes `deno task bench` takes. */
export interface StudyMatrix {
  /** Named variants (`none`, `direct`, `rust`, `node`, `llrt`). */
  variants?: readonly string[];
  /** Function runtimes, crossed with `extensions` and `workloads`. */
  functions?: readonly string[];
  /** Extension names of the manifest (`none`, `rust`, `blankrust`, ...). */
  extensions?: readonly string[];
  /** Workloads (`sqs`, `dynamodb`, `delay`, `cpu`, `none`). */
  workloads?: readonly string[];
  memoryMb: readonly number[];
  /** Default: the host's architecture locally, both on AWS. */
  archs?: readonly Arch[];
}

/** How many invocations a cell gets in the cold/warm protocol. */
export interface StudyCounts {
  cold: number;
  warm: number;
}

/** What the functions run with beyond the defaults. */
export interface StudySettings {
  /** Bytes each invocation sends or stores. */
  payloadBytes?: number;
  /** Hash rounds of workloads `cpu` and `sqs`. */
  workIterations?: number;
  /** The sleep of workload `delay`, in ms. */
  delayMs?: number;
}

/** The load a study sends after the cold/warm protocol (`deno task load`). */
export interface StudyLoad {
  /** Requests per cell, sized for a 2-core machine. */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Most environments per function; default: as many as `concurrency`. */
  reservedConcurrency?: number;
  /** What the source study sent, where the local default is scaled down. */
  source?: { requests: number; concurrency: number };
}

/** Metrics of the load run's rows (the same columns, measured under load). */
export const LOAD_METRICS = {
  loadLatencyMs: { column: "client_rtt_ms", label: "Round trip under load (ms)" },
  loadDurationMs: { column: "duration_ms", label: "Duration under load (ms)" },
  loadPostRuntimeMs: { column: "post_runtime_ms", label: "Post-runtime under load (ms)" },
  loadMaxMemoryMb: { column: "max_memory_mb", label: "Max Memory Used under load (MB)" },
} as const;

/** One of {@link LOAD_METRICS}. */
export type LoadMetricKey = keyof typeof LOAD_METRICS;

/** One comparison the summary opens with. */
export interface StudyHeadline {
  /** What it compares, e.g. `Init Duration: LLRT vs Node.js`. */
  label: string;
  /** A metric of the cold/warm runs (lib/analysis METRICS) or of the load run. */
  metric: MetricKey | LoadMetricKey;
  /** The variant measured (a named or composed variant name, e.g. `llrt.none.dynamodb`). */
  subject: string;
  /** The variant it is compared with. */
  baseline: string;
  /**
   * `ratio` of medians (default) or `difference` of medians (for quantities that are about 0
   * on the baseline, such as post-runtime time without an extension); both with intervals.
   */
  compare?: "ratio" | "difference";
  /** Memory sizes to state it for; default every size both have. */
  memoryMb?: readonly number[];
}

/** A study. */
export interface Study {
  /** The file's name without `.ts`; what `--study` takes. */
  name: string;
  /** One line. */
  title: string;
  /** The question it answers. */
  question: string;
  source: StudySource;
  matrix: StudyMatrix;
  counts: StudyCounts;
  settings?: StudySettings;
  /** The load it sends; none for studies of cold and warm invocations only. */
  load?: StudyLoad;
  headlines: readonly StudyHeadline[];
  /** How this reproduction differs from the source (platform, scale, language). */
  caveats?: readonly string[];
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Checks a study's shape, so a mistake in a study file is reported by name before anything runs.
 *
 * @param value What a study file exported.
 * @param file The file, for messages.
 * @returns The study.
 * @throws {TypeError} Naming the file and the first field that is wrong.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkStudy } from "./study.ts";
 * assert.throws(() => checkStudy({ name: "x" }, "studies/x.ts"), TypeError);
 * ```
 */
export function checkStudy(value: unknown, file: string): Study {
  const fail = (what: string): never => {
    throw new TypeError(`Invalid study in ${file}: ${what}`);
  };
  if (typeof value !== "object" || value === null) fail("it exports no `study` object");
  const s = value as Record<string, unknown>;
  for (const key of ["name", "title", "question"]) {
    if (typeof s[key] !== "string" || s[key] === "") fail(`"${key}" must be a non-empty string`);
  }
  if (!NAME.test(s.name as string)) fail(`"name" must be lowercase words joined by "-"`);
  const source = s.source as Record<string, unknown> | undefined;
  for (const key of ["title", "url", "author", "published", "finding"]) {
    if (typeof source?.[key] !== "string") fail(`"source.${key}" must be a string`);
  }
  if (!/^https?:\/\//.test(source!.url as string)) fail(`"source.url" must be a URL`);
  const matrix = s.matrix as Record<string, unknown> | undefined;
  const memory = matrix?.memoryMb;
  if (!Array.isArray(memory) || memory.length === 0) fail(`"matrix.memoryMb" must list sizes`);
  if (!matrix!.variants && !matrix!.functions && !matrix!.extensions && !matrix!.workloads) {
    fail(`"matrix" names no variants, functions, extensions or workloads`);
  }
  const counts = s.counts as Record<string, unknown> | undefined;
  for (const key of ["cold", "warm"]) {
    if (!Number.isInteger(counts?.[key])) fail(`"counts.${key}" must be a whole number`);
  }
  if (s.load !== undefined) {
    const load = s.load as Record<string, unknown>;
    for (const key of ["requests", "concurrency"]) {
      if (!Number.isInteger(load[key]) || (load[key] as number) < 1) {
        fail(`"load.${key}" must be a whole number ≥ 1`);
      }
    }
  }
  if (!Array.isArray(s.headlines) || s.headlines.length === 0) fail(`"headlines" is empty`);
  return value as Study;
}
