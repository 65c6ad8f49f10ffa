/**
 * Run folders (`data/runs/<run-id>/`) and their `run.json`.
 *
 * @module
 */
import { join } from "node:path";
import { RUNS_DIR } from "../paths.ts";
import { writeTextAtomic } from "./_atomic.ts";

/** The file name of a run's configuration and facts inside its run folder. */
export const RUN_JSON_FILE = "run.json";

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
 * Writes `run.json` atomically (pretty-printed, trailing newline).
 *
 * @param dir The run folder.
 * @param value Anything JSON can hold.
 */
export async function writeRunJson(dir: string, value: unknown): Promise<void> {
  await writeTextAtomic(join(dir, RUN_JSON_FILE), `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Reads `run.json`.
 *
 * @param dir The run folder.
 * @returns The parsed object.
 * @throws {Deno.errors.NotFound} The file is missing.
 * @throws {SyntaxError} The file is not a JSON object; the message names the file.
 */
export async function readRunJson(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, RUN_JSON_FILE);
  const text = await Deno.readTextFile(path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(`Cannot parse "${path}": ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SyntaxError(`Cannot read "${path}": not a JSON object`);
  }
  return value as Record<string, unknown>;
}
