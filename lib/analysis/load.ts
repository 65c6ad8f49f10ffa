/**
 * Reads run folders (`data/runs/<run-id>/invocations.parquet` + `run.json`).
 *
 * @module
 */
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import pl from "nodejs-polars";
import { llrtLabel } from "../llrt/mod.ts";
import type { SandboxControls } from "../sandbox/mod.ts";
import { readRunManifest, type RunManifest, runPaths } from "../store/mod.ts";
import { conformFrame } from "./frame.ts";

export { newestRunDir } from "../store/mod.ts";

/** What the analysis needs from a run's manifest. */
export interface RunInfo {
  /** The run folder. */
  dir: string;
  runId: string;
  /** Null for folders without a manifest (ingested logs). */
  backend: string | null;
  /** Which LLRT build was used, e.g. `LLRT 0.8.1-beta (crate)`; null when not recorded. */
  llrtLabel: string | null;
  /** Payload size the functions sent (bytes), for the SQS cost; null when not recorded. */
  payloadBytes: number | null;
  /** Sandbox controls in force; null on AWS or without a manifest. */
  controls: SandboxControls | null;
  /** The run's manifest; null for a folder without `run.json`. */
  manifest: RunManifest | null;
}

/** One or more runs: their rows concatenated and their descriptions. */
export interface LoadedRuns {
  frame: pl.DataFrame;
  runs: RunInfo[];
}

/**
 * Describes a run from its manifest.
 *
 * @param manifest The run's manifest, or null for a folder without one.
 * @param dir The run folder.
 * @param rowsRunId The rows' `run_id` when they all share one; names a run without a manifest
 *   (else the folder name does).
 * @returns The run description.
 */
export function runInfoFrom(
  manifest: RunManifest | null,
  dir: string,
  rowsRunId: string | null = null,
): RunInfo {
  if (manifest === null) {
    return {
      dir,
      runId: rowsRunId ?? basename(dir),
      backend: null,
      llrtLabel: null,
      payloadBytes: null,
      controls: null,
      manifest: null,
    };
  }
  const facts = manifest.backendFacts;
  const llrt = facts.backend === "local"
    ? facts.llrtLabel
    : manifest.versions.llrt === null
    ? null
    : llrtLabel(manifest.versions.llrt);
  return {
    dir,
    runId: manifest.runId,
    backend: manifest.backend,
    llrtLabel: llrt,
    payloadBytes: manifest.config.payloadBytes,
    controls: facts.backend === "local" ? facts.sandboxControls : null,
    manifest,
  };
}

/**
 * Reads one run folder.
 *
 * @param dir A folder holding `invocations.parquet` (required) and `run.json` (optional).
 * @returns The rows (schema columns, schema types) and the run description.
 * @throws {Error} When the folder or its Parquet file is missing or unreadable.
 * @throws {TypeError} When `run.json` is not a manifest of this schema version.
 */
export function loadRun(dir: string): LoadedRuns {
  const paths = runPaths(dir);
  if (!existsSync(paths.invocations)) {
    throw new Error(`No invocations.parquet in run folder "${dir}"`);
  }
  const manifest = readRunManifest(dir);
  let frame: pl.DataFrame;
  try {
    frame = pl.readParquet(paths.invocations);
  } catch (e) {
    throw new Error(`Cannot read "${paths.invocations}": ${(e as Error).message}`);
  }
  const conformed = conformFrame(frame, paths.invocations);
  const ids = conformed.getColumn("run_id").unique().dropNulls().toArray() as string[];
  return {
    frame: conformed,
    runs: [runInfoFrom(manifest, dir, ids.length === 1 ? ids[0]! : null)],
  };
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
