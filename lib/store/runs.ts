/**
 * The run folder's layout, in one place: `data/runs/<run-id>/` holds `invocations.parquet`,
 * `run.json` (a {@link RunManifest}) and `logs/<cell>/`. Creating, claiming (`--out`), finding
 * the newest and resolving a folder all live here, so no other module spells these names.
 *
 * @module
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { RUNS_DIR } from "../paths.ts";
import { writeTextAtomic } from "./_atomic.ts";
import { INVOCATIONS_FILE } from "./invocations.ts";
import { parseRunManifest, type RunManifest } from "./run_manifest.ts";

/** The file name of a run's manifest inside its run folder. */
export const RUN_JSON_FILE = "run.json";
/** The folder of raw platform output, one subfolder per cell. */
export const LOGS_DIR = "logs";

/** The paths inside one run folder. */
export interface RunPaths {
  dir: string;
  invocations: string;
  manifest: string;
  logs: string;
}

/**
 * The files of a run folder.
 *
 * @example
 * ```ts
 * import { runPaths } from "./runs.ts";
 * runPaths("data/runs/r1").manifest; // "data/runs/r1/run.json"
 * ```
 */
export function runPaths(dir: string): RunPaths {
  return {
    dir,
    invocations: join(dir, INVOCATIONS_FILE),
    manifest: join(dir, RUN_JSON_FILE),
    logs: join(dir, LOGS_DIR),
  };
}

/**
 * A new run id: UTC time to the second, then 4 random hex digits, so ids sort by time.
 *
 * @param now The time to use. Default: now.
 * @returns For example `20261123T010203Z-ab12`.
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const rand = crypto.getRandomValues(new Uint16Array(1))[0]!.toString(16).padStart(4, "0");
  return `${stamp}-${rand}`;
}

/**
 * Creates a new, empty run folder; never reuses an existing one.
 *
 * @param root The folder of runs. Default `data/runs`.
 * @returns The run id and its folder.
 * @throws {Deno.errors.AlreadyExists} After 20 colliding ids (practically impossible).
 */
export async function createRunDir(
  root: string = RUNS_DIR,
): Promise<{ runId: string; dir: string }> {
  await Deno.mkdir(root, { recursive: true });
  for (let attempt = 0; attempt < 20; attempt++) {
    const runId = newRunId();
    const dir = join(root, runId);
    try {
      await Deno.mkdir(dir); // not recursive: fails when the folder exists
      return { runId, dir };
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
  }
  throw new Deno.errors.AlreadyExists(`Cannot create a new run folder in "${root}"`);
}

/**
 * Uses `--out DIR` as the run folder: created when missing, refused when it already holds a run,
 * so one run never overwrites another.
 *
 * @param dir The folder.
 * @returns A new run id and the folder.
 * @throws {Deno.errors.AlreadyExists} When DIR holds `invocations.parquet` or `run.json`.
 */
export async function claimRunDir(dir: string): Promise<{ runId: string; dir: string }> {
  await Deno.mkdir(dir, { recursive: true });
  const paths = runPaths(dir);
  for (const path of [paths.invocations, paths.manifest]) {
    if (existsSync(path)) {
      throw new Deno.errors.AlreadyExists(
        `Cannot use --out "${dir}": it already holds a run (${
          path.slice(dir.length + 1)
        }); choose a new folder`,
      );
    }
  }
  return { runId: newRunId(), dir };
}

/**
 * The newest run folder (by the modification time of its Parquet file).
 *
 * @param runsDir Where runs live (default `data/runs`).
 * @returns Its path, or null when there is none.
 */
export function newestRunDir(runsDir: string = RUNS_DIR): string | null {
  if (!existsSync(runsDir)) return null;
  let best: { dir: string; mtime: number } | null = null;
  for (const name of readdirSync(runsDir)) {
    const dir = join(runsDir, name);
    const parquet = runPaths(dir).invocations;
    if (!existsSync(parquet)) continue;
    const mtime = statSync(parquet).mtimeMs;
    if (best === null || mtime > best.mtime) best = { dir, mtime };
  }
  return best?.dir ?? null;
}

/**
 * The run folder a command works on: the one named, else the newest.
 *
 * @param named The folder given on the command line, if any.
 * @param runsDir Where runs live (default `data/runs`).
 * @returns The folder.
 * @throws {Deno.errors.NotFound} When the named folder or its Parquet file does not exist, or
 *   no run exists at all.
 */
export function resolveRunDir(named: string | undefined, runsDir: string = RUNS_DIR): string {
  if (named === undefined) {
    const newest = newestRunDir(runsDir);
    if (newest === null) {
      throw new Deno.errors.NotFound(
        `No run found under "${runsDir}": run deno task bench first, or pass --run DIR`,
      );
    }
    return newest;
  }
  if (!existsSync(named)) {
    throw new Deno.errors.NotFound(`Run folder "${named}" does not exist`);
  }
  if (!existsSync(runPaths(named).invocations)) {
    throw new Deno.errors.NotFound(`No ${INVOCATIONS_FILE} in run folder "${named}"`);
  }
  return named;
}

/**
 * Writes `run.json` atomically (pretty-printed, trailing newline).
 *
 * @param dir The run folder.
 * @param manifest The run's manifest.
 */
export async function writeRunManifest(dir: string, manifest: RunManifest): Promise<void> {
  await writeTextAtomic(runPaths(dir).manifest, `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Reads `run.json`.
 *
 * @param dir The run folder.
 * @returns The manifest, or null when the folder has none (e.g. a folder of ingested logs).
 * @throws {SyntaxError} The file is not JSON; the message names the file.
 * @throws {TypeError} The file is not a manifest of this schema version (see
 *   {@link parseRunManifest}).
 */
export function readRunManifest(dir: string): RunManifest | null {
  const path = runPaths(dir).manifest;
  if (!existsSync(path)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Deno.readTextFileSync(path));
  } catch (err) {
    throw new SyntaxError(`Cannot parse "${path}": ${(err as Error).message}`);
  }
  return parseRunManifest(value, path);
}
