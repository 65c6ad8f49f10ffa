/**
 * Jupyter tooling for the notebooks: a Python venv at `.cache/venv` with the pinned packages of
 * `notebooks/requirements.txt` (nbclient and nbconvert for headless runs, JupyterLab and the
 * plotly renderer for people, pyarrow and pandas for reading the Parquet), a Deno kernelspec at
 * `.cache/jupyter/kernels/deno` that runs the Deno executing this code, and headless execution
 * of notebooks. `deno task setup` installs the tools; `notebooks/jupyter.ts`
 * (`deno task notebooks setup|execute`, `deno task jupyter`) is the command line, and
 * `lib/jupyter_lab.ts` starts JupyterLab.
 *
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD_DIR, CACHE_DIR, ROOT } from "./paths.ts";

/** The notebooks' Python venv. */
export const VENV_DIR: string = join(CACHE_DIR, "venv");
/** Holds the project's Deno kernelspec (`kernels/deno/kernel.json`); goes into JUPYTER_PATH. */
export const JUPYTER_DIR: string = join(CACHE_DIR, "jupyter");
/** Pinned Python packages. */
export const REQUIREMENTS: string = join(ROOT, "notebooks", "requirements.txt");
/** Where executed copies of the notebooks go. */
export const EXECUTED_DIR: string = join(BUILD_DIR, "notebooks");
/** The notebooks folder. */
export const NOTEBOOKS_DIR: string = join(ROOT, "notebooks");

/** The venv's Python. */
export const PYTHON: string = join(VENV_DIR, "bin", "python");
const STAMP = join(VENV_DIR, ".battle-requirements");

async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env } : {}),
  }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}): ${err}`);
  }
}

/**
 * Makes sure the venv, the pinned packages and the project kernelspec exist. Fast when they do.
 *
 * @param log Progress lines (default: stderr).
 * @returns Resolves when ready.
 * @throws {Error} When python3 -m venv or pip fails (the message says which).
 */
export async function ensureNotebookTools(
  log: (line: string) => void = (l) => console.error(l),
): Promise<void> {
  const wanted = readFileSync(REQUIREMENTS, "utf8");
  if (!existsSync(PYTHON)) {
    log(`notebooks: creating ${VENV_DIR}`);
    await run("python3", ["-m", "venv", VENV_DIR]);
  }
  if (!existsSync(STAMP) || readFileSync(STAMP, "utf8") !== wanted) {
    log(`notebooks: pip install -r notebooks/requirements.txt`);
    await run(PYTHON, [
      "-m",
      "pip",
      "install",
      "--quiet",
      "--disable-pip-version-check",
      "-r",
      REQUIREMENTS,
    ]);
    writeFileSync(STAMP, wanted);
  }
  const kernelDir = join(JUPYTER_DIR, "kernels", "deno");
  mkdirSync(kernelDir, { recursive: true });
  const spec = {
    argv: [Deno.execPath(), "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
  writeFileSync(join(kernelDir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
}

/**
 * Registers the Deno kernel for the user's own Jupyter (`deno jupyter --install --force`),
 * pointing at the Deno running this code.
 *
 * @returns Resolves when installed.
 * @throws {Error} When the command fails.
 */
export async function installUserKernel(): Promise<void> {
  await run(Deno.execPath(), ["jupyter", "--install", "--force"]);
}

/**
 * The environment Jupyter (headless or JupyterLab) runs with so that it finds the project's
 * Deno kernel: `JUPYTER_PATH` at {@link JUPYTER_DIR}, this Deno first on `PATH`, no colours.
 *
 * @param extra Variables to add (they win), e.g. `BATTLE_NOTEBOOK_SMOKE`.
 * @returns Variables to pass to the Jupyter process (merged into the inherited environment).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JUPYTER_DIR, kernelEnv } from "./jupyter.ts";
 * assert.equal(kernelEnv().JUPYTER_PATH, JUPYTER_DIR);
 * assert.equal(kernelEnv({ NO_COLOR: "0" }).NO_COLOR, "0");
 * ```
 */
export function kernelEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    JUPYTER_PATH: JUPYTER_DIR,
    // The kernel runs `deno task ...` with Deno.execPath(); PATH still gets our Deno first.
    PATH: `${join(Deno.execPath(), "..")}:${Deno.env.get("PATH") ?? ""}`,
    NO_COLOR: "1",
    ...extra,
  };
}

/** Every notebook in `notebooks/`, in name order. */
export function allNotebooks(): string[] {
  return readdirSync(NOTEBOOKS_DIR).filter((n) => n.endsWith(".ipynb")).sort()
    .map((n) => join(NOTEBOOKS_DIR, n));
}

/** What {@link executeNotebooks} reports. */
export interface ExecutionResult {
  ok: boolean;
  /** `ok|FAILED NAME SECONDS` lines. */
  lines: string[];
  stderr: string;
  seconds: number;
}

/**
 * Executes notebooks headless on the project's Deno kernel.
 *
 * @param notebooks Paths (default: every notebook).
 * @param options `outDir` (default `build/notebooks`), extra `env` for the kernel (e.g.
 * `BATTLE_NOTEBOOK_SMOKE`, `BATTLE_RUN_DIR`).
 * @returns Per-notebook lines and whether all passed.
 */
export async function executeNotebooks(
  notebooks: readonly string[] = allNotebooks(),
  options: { outDir?: string; env?: Record<string, string> } = {},
): Promise<ExecutionResult> {
  const outDir = options.outDir ?? EXECUTED_DIR;
  mkdirSync(outDir, { recursive: true });
  const started = performance.now();
  const out = await new Deno.Command(PYTHON, {
    args: [join(NOTEBOOKS_DIR, "execute.py"), outDir, ...notebooks],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: kernelEnv(options.env),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    ok: out.success,
    lines: decode(out.stdout).split("\n").filter((l) => l.trim() !== ""),
    stderr: decode(out.stderr),
    seconds: (performance.now() - started) / 1000,
  };
}
