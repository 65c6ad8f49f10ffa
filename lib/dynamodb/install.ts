/**
 * Installs dynalite (an open-source DynamoDB-compatible server on Node.js, MIT) from npm into
 * `.cache/dynalite/<version>/`, once, from the lockfile in `tools/dynalite/`, so every machine
 * runs the same server.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR, ROOT } from "../paths.ts";

/** The dynalite release in use (pinned in `tools/dynalite/package.json` and its lockfile). */
export const DYNALITE_VERSION = "3.2.2";

/** The folder holding `package.json` and `package-lock.json` of the install. */
export const DYNALITE_TOOL_DIR: string = join(ROOT, "tools", "dynalite");

/** Where dynalite lives on disk and how to start it. */
export interface DynaliteInstall {
  /** The dynalite version. */
  version: string;
  /** The `node` executable. */
  node: string;
  /** dynalite's `index.js`. */
  entry: string;
}

/** Options of {@linkcode ensureDynalite}. */
export interface EnsureDynaliteOptions {
  /** Cache folder; default `.cache/dynalite`. */
  cacheDir?: string;
  /** The `node` executable; default `node` on PATH. */
  node?: string;
  /** The `npm` executable; default `npm` on PATH. */
  npm?: string;
}

async function run(cmd: string, args: string[], cwd: string, what: string): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot ${what}: "${cmd}" is not installed (Node.js ≥ 20 with npm)`);
    }
    throw err;
  }
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(`Cannot ${what}: "${cmd}" exited with ${out.code}\n${text.slice(-2000)}`);
  }
  return text;
}

/**
 * Makes sure dynalite is installed in the cache (with `npm ci` from the lockfile the first
 * time: no optional native LevelDB, no install scripts) and that `node` runs. Idempotent and
 * safe to call from parallel processes: each install goes to a private folder renamed into
 * place.
 *
 * @param options Cache folder and tool paths.
 * @returns Where dynalite is and how to run it.
 * @throws {Error} When `node` or `npm` is missing or the install fails; the message says which.
 * @example
 * ```ts ignore
 * import { ensureDynalite } from "./install.ts";
 * const install = await ensureDynalite();
 * console.log(install.entry);
 * ```
 */
export async function ensureDynalite(
  options: EnsureDynaliteOptions = {},
): Promise<DynaliteInstall> {
  const cacheDir = options.cacheDir ?? join(CACHE_DIR, "dynalite");
  const node = options.node ?? "node";
  const home = join(cacheDir, DYNALITE_VERSION);
  const entry = join(home, "node_modules", "dynalite", "index.js");
  await run(node, ["--version"], ROOT, "start dynalite");
  if (!existsSync(entry)) {
    await Deno.mkdir(cacheDir, { recursive: true });
    const staging = await Deno.makeTempDir({ dir: cacheDir, prefix: `${DYNALITE_VERSION}-` });
    try {
      for (const file of ["package.json", "package-lock.json"]) {
        await Deno.copyFile(join(DYNALITE_TOOL_DIR, file), join(staging, file));
      }
      await run(
        options.npm ?? "npm",
        ["ci", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund", "--quiet"],
        staging,
        `install dynalite ${DYNALITE_VERSION} with npm`,
      );
      await Deno.rename(staging, home);
    } catch (err) {
      // Another process may have won the race; its folder is as good as ours.
      await Deno.remove(staging, { recursive: true }).catch(() => {});
      if (!existsSync(entry)) throw err;
    }
  }
  return { version: DYNALITE_VERSION, node, entry };
}
