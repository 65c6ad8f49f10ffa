/**
 * What the notebooks share: which run to read, whether this is a smoke run (tests and CI,
 * where nothing talks to AWS and nothing long runs), and running `deno task ...` from a cell.
 *
 * Environment:
 * - `BATTLE_RUN_DIR`: run folder(s) to read (comma-separated), used when a notebook's
 *   `RUN_DIRS` parameter is empty.
 * - `BATTLE_NOTEBOOK_SMOKE=1`: smoke mode. Notebooks 01–03 skip the benchmark, the deploy and
 *   the ingest and read `BATTLE_RUN_DIR` (or the fixture) instead; 02 never calls AWS.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { newestRunDir } from "../lib/analysis/load.ts";
import { FIXTURE_RUN } from "../lib/analysis/testdata/make_fixture.ts";
import { ROOT } from "../lib/paths.ts";

/** The fixture run notebooks fall back to when there is no real run. */
export { FIXTURE_RUN };

/**
 * True in smoke mode (`BATTLE_NOTEBOOK_SMOKE=1` or `true`).
 *
 * @param env Environment (default the process's).
 * @returns Whether notebooks must skip long or cloud steps.
 */
export function smokeMode(env: Record<string, string | undefined> = Deno.env.toObject()): boolean {
  const v = env.BATTLE_NOTEBOOK_SMOKE?.trim().toLowerCase();
  return v === "1" || v === "true" || v === "yes";
}

/** Where a notebook's run folders came from. */
export interface ResolvedRuns {
  dirs: string[];
  source: "parameter" | "BATTLE_RUN_DIR" | "newest run" | "fixture";
}

/**
 * The run folders a notebook reads: its `RUN_DIRS` parameter, else `$BATTLE_RUN_DIR`
 * (comma-separated), else the newest run under `data/runs/` (not in smoke mode), else the
 * fixture. Relative paths are taken from the repository root.
 *
 * @param dirs The notebook's parameter (may be empty).
 * @param options `env` (default the process's) and `runsDir` (default `data/runs`).
 * @returns The folders and where they came from.
 * @throws {Error} When a given folder has no `invocations.parquet`.
 */
export function resolveRunDirs(
  dirs: readonly string[],
  options: { env?: Record<string, string | undefined>; runsDir?: string } = {},
): ResolvedRuns {
  const env = options.env ?? Deno.env.toObject();
  const abs = (d: string) => (isAbsolute(d) ? d : resolve(ROOT, d));
  const check = (list: string[], source: ResolvedRuns["source"]): ResolvedRuns => {
    for (const d of list) {
      if (!existsSync(join(d, "invocations.parquet"))) {
        throw new Error(`Run folder "${d}" (from ${source}) has no invocations.parquet`);
      }
    }
    return { dirs: list, source };
  };
  if (dirs.length > 0) return check(dirs.map(abs), "parameter");
  const fromEnv = (env.BATTLE_RUN_DIR ?? "").split(",").map((s) => s.trim()).filter((s) =>
    s !== ""
  );
  if (fromEnv.length > 0) return check(fromEnv.map(abs), "BATTLE_RUN_DIR");
  if (!smokeMode(env)) {
    const newest = newestRunDir(options.runsDir);
    if (newest !== null) return { dirs: [newest], source: "newest run" };
  }
  return { dirs: [FIXTURE_RUN], source: "fixture" };
}

/** What {@link runDenoTask} returns. */
export interface TaskResult {
  code: number;
  /** The last non-empty line printed on stdout (tasks print their output path last). */
  lastLine: string | null;
  stdout: string;
}

/**
 * Runs `deno task NAME ARGS...` from the repository root with the Deno running this notebook,
 * echoing its output, and returns the last stdout line (e.g. the run folder `bench` printed).
 *
 * @param name Task name, e.g. `bench`.
 * @param args Its arguments.
 * @returns Exit code, last line and stdout.
 * @throws {Error} When the task exits non-zero (message names the task and code).
 */
export async function runDenoTask(name: string, args: readonly string[]): Promise<TaskResult> {
  console.log(`$ deno task ${name} ${args.join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", name, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const decoder = new TextDecoder();
  let stdout = "";
  const echo = async (stream: ReadableStream<Uint8Array>, keep: boolean) => {
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      if (keep) stdout += text;
      console.log(text.replace(/\n$/, ""));
    }
  };
  await Promise.all([echo(child.stdout, true), echo(child.stderr, false)]);
  const { code } = await child.status;
  if (code !== 0) throw new Error(`deno task ${name} failed (exit ${code})`);
  const lines = stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return { code, lastLine: lines.at(-1) ?? null, stdout };
}
