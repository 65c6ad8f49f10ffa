/**
 * Reads run folders (`data/runs/<run-id>/invocations.parquet` + `run.json`).
 *
 * @module
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import pl from "nodejs-polars";
import { RUNS_DIR } from "../paths.ts";
import { conformFrame } from "./frame.ts";

/** What the analysis needs from `run.json`, read leniently (missing keys become null). */
export interface RunInfo {
  /** The run folder. */
  dir: string;
  runId: string;
  backend: string | null;
  /** Which LLRT build was used, e.g. `v0.7.0-beta (linux-x64)`; null when not recorded. */
  llrtLabel: string | null;
  /** Payload size the functions sent (bytes), for the SQS cost; null when not recorded. */
  payloadBytes: number | null;
  /** Sandbox controls in force, as recorded (free form). */
  controls: unknown;
  /** The whole parsed `run.json`. */
  raw: Record<string, unknown>;
}

/** One or more runs: their rows concatenated and their descriptions. */
export interface LoadedRuns {
  frame: pl.DataFrame;
  runs: RunInfo[];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

function firstString(...values: unknown[]): string | null {
  for (const v of values) if (typeof v === "string" && v !== "") return v;
  return null;
}

function firstNumber(...values: unknown[]): number | null {
  for (const v of values) if (typeof v === "number" && Number.isFinite(v)) return v;
  return null;
}

function llrtLabelOf(r: Record<string, unknown>): string | null {
  const versions = record(r.versions);
  const candidates = [record(r.llrt), record(versions.llrt), record(record(r.backendFacts).llrt)];
  const direct = firstString(r.llrtLabel, versions.llrt, ...candidates.map((c) => c.label));
  if (direct !== null) return direct;
  for (const c of candidates) {
    const version = firstString(c.version, c.tag, c.release);
    const source = firstString(c.source);
    if (version !== null) return source === null ? version : `${version} (${source})`;
    if (c.available === false) return `unavailable (${firstString(c.reason) ?? "no reason given"})`;
  }
  return null;
}

/**
 * Normalises a parsed `run.json`. Looks for the LLRT label at `llrtLabel`, `versions.llrt`
 * (string), or `label`, then `version`/`tag`/`release`, of `llrt`, `versions.llrt` or
 * `backendFacts.llrt` (`version (source)`; `available: false` gives `unavailable (reason)`);
 * the payload size at `config.payloadBytes`, `config.payload_bytes` or `payloadBytes`; the
 * controls at `controls`, `backendFacts.sandboxControls`, `backendFacts.controls` or
 * `sandbox.controls`.
 *
 * @param raw The parsed JSON.
 * @param dir The run folder.
 * @param rowsRunId The rows' `run_id` when they all share one; used when `run.json` names no
 * run id (`run_id`, `runId`, `id`), before the folder name.
 * @returns The run description.
 */
export function runInfoFrom(raw: unknown, dir: string, rowsRunId: string | null = null): RunInfo {
  const r = record(raw);
  const config = record(r.config);
  return {
    dir,
    runId: firstString(r.run_id, r.runId, r.id) ?? rowsRunId ?? basename(dir),
    backend: firstString(r.backend, config.backend),
    llrtLabel: llrtLabelOf(r),
    payloadBytes: firstNumber(config.payloadBytes, config.payload_bytes, r.payloadBytes),
    controls: r.controls ?? record(r.backendFacts).sandboxControls ??
      record(r.backendFacts).controls ?? record(r.sandbox).controls ?? null,
    raw: r,
  };
}

/**
 * Reads one run folder.
 *
 * @param dir A folder holding `invocations.parquet` (required) and `run.json` (optional).
 * @returns The rows (schema columns, schema types) and the run description.
 * @throws {Error} When the folder or its Parquet file is missing or unreadable.
 */
export function loadRun(dir: string): LoadedRuns {
  const parquet = join(dir, "invocations.parquet");
  if (!existsSync(parquet)) throw new Error(`No invocations.parquet in run folder "${dir}"`);
  let raw: unknown = {};
  const runJson = join(dir, "run.json");
  if (existsSync(runJson)) {
    try {
      raw = JSON.parse(Deno.readTextFileSync(runJson));
    } catch (e) {
      throw new Error(`Cannot parse "${runJson}": ${(e as Error).message}`);
    }
  }
  let frame: pl.DataFrame;
  try {
    frame = pl.readParquet(parquet);
  } catch (e) {
    throw new Error(`Cannot read "${parquet}": ${(e as Error).message}`);
  }
  const conformed = conformFrame(frame, parquet);
  const ids = conformed.getColumn("run_id").unique().dropNulls().toArray() as string[];
  return { frame: conformed, runs: [runInfoFrom(raw, dir, ids.length === 1 ? ids[0]! : null)] };
}

/**
 * Reads several run folders and concatenates their rows.
 *
 * @param dirs Run folders (at least one); a folder named twice is read once.
 * @returns All rows and every run's description, in the order given.
 * @throws {RangeError} When no folder is given; errors of {@link loadRun}.
 */
export function loadRuns(dirs: readonly string[]): LoadedRuns {
  if (dirs.length === 0) throw new RangeError("No run folder given");
  // A folder named twice (`--run A --run A/`) is read once: its rows would otherwise count twice.
  const seen = new Set<string>();
  const unique = dirs.filter((d) => {
    const key = resolve(d);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const loaded = unique.map(loadRun);
  return {
    frame: pl.concat(loaded.map((l) => l.frame), { how: "vertical" }),
    runs: loaded.flatMap((l) => l.runs),
  };
}

/**
 * The newest run folder (by modification time) that holds an `invocations.parquet`.
 *
 * @param runsDir Where runs live (default `data/runs`).
 * @returns Its path, or null when there is none.
 */
export function newestRunDir(runsDir: string = RUNS_DIR): string | null {
  if (!existsSync(runsDir)) return null;
  let best: { dir: string; mtime: number } | null = null;
  for (const name of readdirSync(runsDir)) {
    const dir = join(runsDir, name);
    const parquet = join(dir, "invocations.parquet");
    if (!existsSync(parquet)) continue;
    const mtime = statSync(parquet).mtimeMs;
    if (best === null || mtime > best.mtime) best = { dir, mtime };
  }
  return best?.dir ?? null;
}
