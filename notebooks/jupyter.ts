/**
 * `deno task notebooks setup|execute [NOTEBOOK...]`, the command line of `lib/jupyter.ts`:
 * - `setup` — venv + pip install + project kernelspec; also `deno jupyter --install --force`
 *   so an interactive Jupyter finds the Deno kernel.
 * - `execute [NOTEBOOK...]` — runs notebooks (default: all) into `build/notebooks/` and fails
 *   on any cell error.
 *
 * Exits 2 on a bad command line, 1 when a step fails.
 *
 * @module
 */
import { parseFlags, runCommand } from "../lib/cli/_flags.ts";
import {
  allNotebooks,
  ensureNotebookTools,
  executeNotebooks,
  installUserKernel,
  JUPYTER_DIR,
  VENV_DIR,
} from "../lib/jupyter.ts";

/** Parsed command line. */
export type JupyterCommand =
  | { command: "setup" }
  | { command: "execute"; notebooks: string[] };

/**
 * Reads the command line.
 *
 * @param args For example `["execute", "notebooks/05_cost.ipynb"]`.
 * @returns The command.
 * @throws {RangeError} When the command is neither `setup` nor `execute`.
 * @throws {TypeError} On a flag (there are none) or arguments after `setup`.
 */
export function parseJupyterArgs(args: string[]): JupyterCommand {
  const { positionals } = parseFlags({ args, options: {}, allowPositionals: true });
  const [command, ...rest] = positionals;
  if (command === "setup" && rest.length === 0) return { command };
  if (command === "execute") return { command, notebooks: rest };
  if (command === "setup") throw new TypeError(`setup takes no arguments, got "${rest.join(" ")}"`);
  throw new RangeError(`Unknown command "${command ?? ""}": expected setup or execute`);
}

async function run(parsed: JupyterCommand): Promise<number> {
  await ensureNotebookTools();
  if (parsed.command === "setup") {
    await installUserKernel();
    console.log(`notebooks: ready (${VENV_DIR}, kernelspec ${JUPYTER_DIR}/kernels/deno)`);
    return 0;
  }
  const result = await executeNotebooks(
    parsed.notebooks.length > 0 ? parsed.notebooks : allNotebooks(),
  );
  for (const line of result.lines) console.log(line);
  if (result.ok) return 0;
  console.error(result.stderr.trim());
  throw new Error("a notebook failed");
}

if (import.meta.main) {
  Deno.exit(await runCommand("notebooks", Deno.args, { parse: parseJupyterArgs, run }));
}
