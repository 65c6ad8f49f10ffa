/**
 * `run.json`: one typed manifest per run, written by the runner after every cell and read by the
 * analysis. Its shape is {@link RunManifest}; {@link parseRunManifest} reads exactly that shape
 * (no guessing at other spellings) and names the first field that is wrong.
 *
 * @module
 */
import type { HostLoad } from "../bench/host_load.ts";
import type { SandboxControls } from "../sandbox/mod.ts";
import type { LlrtInfo } from "../llrt/mod.ts";
import type { LoadCellRecord, LoadPlan } from "../load/summary.ts";
import {
  type Arch,
  ARCHS,
  type Backend,
  BACKENDS,
  RUN_STATUSES,
  type RunStatus,
} from "../schema.ts";

/** The version of {@link RunManifest}; bumped whenever a field changes meaning or shape. */
export const RUN_MANIFEST_SCHEMA_VERSION = 2;

/**
 * What a function ran with, as the platform holds it: on the sandbox what the runner gave it,
 * on AWS the deployed configuration (work and timeout are deploy-time settings there).
 */
export interface FunctionSettings {
  /** CPU work per invocation (hash rounds in the handler), `BATTLE_WORK_ITERATIONS`. */
  workIterations: number;
  /** The function timeout in seconds. */
  timeoutS: number;
  /** The sleep of workload `delay` in ms (`BATTLE_DELAY_MS`); absent where not set. */
  delayMs?: number;
}

/** What the runner was asked to do. */
export interface RunConfig {
  variants: string[];
  memoryMb: number[];
  archs: Arch[];
  /** Cold samples per cell (each verified to have run Init). */
  cold: number;
  /** Warm invocations per cell. */
  warm: number;
  /** Payload bytes per invocation (sent in the event). */
  payloadBytes: number;
  /** Cells measured at the same time. */
  concurrency: number;
  /**
   * Pause before each warm invocation, in ms (`CellPlan.gapMs`); absent in runs made before it
   * was recorded, which had none.
   */
  invokeGapMs?: number;
  /**
   * The settings the runner gave every function (local), or null where each cell's function
   * brings its own deployed settings (aws; see {@link CellRecord.settings}).
   */
  functionSettings: FunctionSettings | null;
  /** The load of a load run (`deno task load`); absent for the cold/warm protocol. */
  load?: LoadPlan;
}

/** A variant as it was defined when the run was made. */
export interface VariantRecord {
  name: string;
  description: string;
  mode: string;
  functionRuntime: string;
  /** The extension's key in the manifest (`none`, `rust`, `node`, `llrt`). */
  extensionName: string;
  extension: { name: string; build: string; runner: string } | null;
  workload: string;
  color: string;
}

/** Facts of the local sandbox backend. */
export interface LocalBackendFacts {
  backend: "local";
  sqsEndpoint: string;
  sqsServer: string;
  /** The sandbox controls in force (null until a cell ran). */
  sandboxControls: SandboxControls | null;
  llrt: LlrtInfo;
  /** For example `LLRT 0.8.1-beta (crate)`. */
  llrtLabel: string;
  /**
   * Where a function runtime runs locally on other versions than Lambda deploys, one line each
   * (e.g. the host's Python 3.11 for Lambda's python3.12).
   */
  runtimeNotes: string[];
  /** The DynamoDB-compatible server, when a cell of workload `dynamodb` started one. */
  dynamodbServer?: string;
}

/** Facts of the AWS backend. */
export interface AwsBackendFacts {
  backend: "aws";
  region: string;
  queueUrl: string | null;
}

/** Facts of whichever backend ran. */
export type BackendFacts = LocalBackendFacts | AwsBackendFacts;

/** One measured cell. */
export interface CellRecord {
  /** For example `rust-128mb-x86_64`. */
  cell: string;
  variant: string;
  functionRuntime: string;
  extension: string;
  workload: string;
  memoryMb: number;
  arch: Arch;
  /** What the function ran with. */
  settings: FunctionSettings;
  invocations: number;
  cold: number;
  warm: number;
  rejectedLines: number;
  /** Rejected lines by reason. */
  rejectedByReason: Record<string, number>;
  /** Request ids the invoker saw without a REPORT. */
  missingReport: string[];
  /** Rows whose cold/warm state differs from the protocol's intent. */
  coldMismatches: string[];
  /** Cold attempts that the platform served from a warm environment, then retried. */
  coldRetries: number;
  /** SQS delivery check for variants that send. */
  messages: { expected: number; received: number } | null;
  /** DynamoDB check of workload `dynamodb`: items expected and found in the table. */
  items?: { expected: number; received: number } | null;
  notes: string[];
  seconds: number;
  /**
   * What the host spent beyond the benchmark while the cell ran (lib/bench/host_load.ts);
   * absent in runs before it was recorded, null where the host's counters cannot be read.
   */
  host?: HostLoad | null;
}

/** Versions of what shapes the numbers. */
export interface ToolVersions {
  deno: string;
  v8: string;
  node: string | null;
  rustc: string | null;
  cargo: string | null;
  java: string | null;
  /** `python3 --version` of the host (the sandbox's Python runtime). */
  python: string | null;
  /** `go version`. */
  go: string | null;
  /** `build/llrt/llrt.json`, or null when nothing was built. */
  llrt: LlrtInfo | null;
  /** `build/build.json`, or null when nothing was built. */
  builds: unknown;
}

/** The machine the run was made on. */
export interface HostFacts {
  os: string;
  arch: string;
  kernel: string;
  cpuModel: string | null;
  cores: number;
  memoryBytes: number;
  hostname: string;
  /** One core's speed, measured at the start of the run (local numbers reflect this CPU). */
  cpuSpeed: { sha256MBps: number; method: string };
}

/** The whole of `run.json`. */
export interface RunManifest {
  schemaVersion: typeof RUN_MANIFEST_SCHEMA_VERSION;
  /** `INVOCATION_SCHEMA_VERSION` of lib/schema.ts: the columns of `invocations.parquet`. */
  invocationSchemaVersion: number;
  runId: string;
  status: RunStatus;
  backend: Backend;
  startedAt: string;
  finishedAt: string | null;
  config: RunConfig;
  variants: VariantRecord[];
  backendFacts: BackendFacts;
  versions: ToolVersions;
  git: { commit: string | null; dirty: boolean | null };
  host: HostFacts;
  skipped: { cell: string; reason: string }[];
  cells: CellRecord[];
  failedCells: { cell: string; error: string }[];
  /** Platform lines that could not be read, over all cells. */
  rejectedLines: number;
  /** The same, by reason. */
  rejectedByReason: Record<string, number>;
  /** Invocations without a REPORT, over all cells. */
  missingReport: number;
  /** Rows in `invocations.parquet`. */
  rows: number;
  /** Per cell of a load run: throughput, latency percentiles, cold starts, throttles. */
  loadCells?: LoadCellRecord[];
}

type Json = Record<string, unknown>;

class Reader {
  constructor(readonly source: string) {}

  fail(path: string, expected: string, value: unknown): never {
    const shown = value === undefined ? "missing" : JSON.stringify(value)?.slice(0, 80);
    throw new TypeError(`Cannot read ${this.source}: "${path}" must be ${expected}, got ${shown}`);
  }

  object(v: unknown, path: string): Json {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, "an object", v);
    return v as Json;
  }

  string(v: unknown, path: string): string {
    if (typeof v !== "string") this.fail(path, "a string", v);
    return v as string;
  }

  nullableString(v: unknown, path: string): string | null {
    return v === null ? null : this.string(v, path);
  }

  number(v: unknown, path: string): number {
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(path, "a number", v);
    return v as number;
  }

  array<T>(v: unknown, path: string, item: (x: unknown, p: string) => T): T[] {
    if (!Array.isArray(v)) this.fail(path, "an array", v);
    return (v as unknown[]).map((x, i) => item(x, `${path}[${i}]`));
  }

  oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
    if (!(allowed as readonly unknown[]).includes(v)) this.fail(path, allowed.join(" | "), v);
    return v as T;
  }
}

function settingsOf(r: Reader, v: unknown, path: string): FunctionSettings {
  const o = r.object(v, path);
  return {
    workIterations: r.number(o.workIterations, `${path}.workIterations`),
    timeoutS: r.number(o.timeoutS, `${path}.timeoutS`),
  };
}

/**
 * Reads a parsed `run.json`, checking the fields the analysis relies on.
 *
 * @param value The parsed JSON.
 * @param source Where it came from, for messages (a path).
 * @returns The manifest, typed.
 * @throws {TypeError} When the schema version is not {@link RUN_MANIFEST_SCHEMA_VERSION} or a
 *   field has the wrong type; the message names the field.
 * @example
 * ```ts
 * import { parseRunManifest } from "./run_manifest.ts";
 * try {
 *   parseRunManifest({ runId: "x" }, "run.json");
 * } catch (e) {
 *   (e as Error).message; // 'Cannot read run.json: "schemaVersion" must be 1, got missing ...'
 * }
 * ```
 */
export function parseRunManifest(value: unknown, source: string): RunManifest {
  const r = new Reader(source);
  const o = r.object(value, "(root)");
  if (o.schemaVersion !== RUN_MANIFEST_SCHEMA_VERSION) {
    r.fail(
      "schemaVersion",
      `${RUN_MANIFEST_SCHEMA_VERSION} (this run was written by another version of the tool; ` +
        `rerun it, or re-ingest its logs)`,
      o.schemaVersion,
    );
  }
  const config = r.object(o.config, "config");
  const facts = r.object(o.backendFacts, "backendFacts");
  const backend = r.oneOf(o.backend, "backend", BACKENDS);
  if (facts.backend !== backend) r.fail("backendFacts.backend", `"${backend}"`, facts.backend);
  if (backend === "local") {
    r.string(facts.llrtLabel, "backendFacts.llrtLabel");
    r.object(facts.llrt, "backendFacts.llrt");
  } else r.string(facts.region, "backendFacts.region");
  r.number(config.payloadBytes, "config.payloadBytes");
  r.number(config.cold, "config.cold");
  r.number(config.warm, "config.warm");
  if (config.invokeGapMs !== undefined) r.number(config.invokeGapMs, "config.invokeGapMs");
  r.array(config.archs, "config.archs", (x, p) => r.oneOf(x, p, ARCHS));
  if (config.functionSettings !== null) {
    settingsOf(r, config.functionSettings, "config.functionSettings");
  }
  r.array(o.cells, "cells", (c, p) => {
    const cell = r.object(c, p);
    r.string(cell.cell, `${p}.cell`);
    r.string(cell.functionRuntime, `${p}.functionRuntime`);
    r.string(cell.extension, `${p}.extension`);
    r.string(cell.workload, `${p}.workload`);
    settingsOf(r, cell.settings, `${p}.settings`);
    return cell;
  });
  r.string(o.runId, "runId");
  r.oneOf(o.status, "status", RUN_STATUSES);
  r.string(o.startedAt, "startedAt");
  r.nullableString(o.finishedAt, "finishedAt");
  r.number(o.rejectedLines, "rejectedLines");
  r.number(o.missingReport, "missingReport");
  r.number(o.rows, "rows");
  r.object(o.versions, "versions");
  r.object(o.host, "host");
  r.array(o.variants, "variants", (x, p) => r.object(x, p));
  return o as unknown as RunManifest;
}
