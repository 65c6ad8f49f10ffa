/**
 * The command line of `lib/jupyter.ts` and `lib/jupyter_lab.ts`:
 * - `setup` (`deno task notebooks setup`) — venv + pip install + project kernelspec; also
 *   `deno jupyter --install --force` so a Jupyter of your own finds the Deno kernel.
 * - `execute [NOTEBOOK...]` — runs notebooks (default: all) headless into `build/notebooks/`
 *   and fails on any cell error.
 * - `lab [--no-browser] [--port P]` (`deno task jupyter`) — installs what is missing, then runs
 *   JupyterLab on 127.0.0.1 with the project's Deno kernel, showing `notebooks/`; prints the
 *   URL with its token on stdout and stops on Ctrl-C.
 *
 * Exits 2 on a bad command line, 1 when a step fails.
 *
 * @module
 */
import { numberFlag, parseFlags, runCommand } from "../lib/cli/_flags.ts";
import {
  allNotebooks,
  ensureNotebookTools,
  executeNotebooks,
  installUserKernel,
  JUPYTER_DIR,
  VENV_DIR,
} from "../lib/jupyter.ts";
import { DEFAULT_LAB_PORT, startJupyterLab } from "../lib/jupyter_lab.ts";

/** Parsed command line. */
export type JupyterCommand =
  | { command: "setup" }
  | { command: "execute"; notebooks: string[] }
  | { command: "lab"; port: number; openBrowser: boolean };

/** One line of usage, printed after a bad command line. */
export const USAGE =
  "usage: setup | execute [NOTEBOOK...] | lab [--no-browser] [--port P] (deno task jupyter)";

/**
 * Reads the command line.
 *
 * @param args For example `["execute", "notebooks/05_cost.ipynb"]` or `["lab", "--port", "9000"]`.
 * @returns The command.
 * @throws {RangeError} When the command is not `setup`, `execute` or `lab`, or on a bad port.
 * @throws {TypeError} On an unknown flag, a flag the command does not take, or arguments after
 * `setup` or `lab`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJupyterArgs } from "./jupyter.ts";
 * assert.deepEqual(parseJupyterArgs(["lab", "--no-browser"]), {
 *   command: "lab",
 *   port: 8888,
 *   openBrowser: false,
 * });
 * ```
 */
export function parseJupyterArgs(args: string[]): JupyterCommand {
  const { values, positionals } = parseFlags({
    args,
    options: { "no-browser": { type: "boolean" }, port: { type: "string" } },
    allowPositionals: true,
  });
  const [command, ...rest] = positionals;
  const labFlags = values["no-browser"] !== undefined || values.port !== undefined;
  if (command === "lab") {
    if (rest.length > 0) throw new TypeError(`lab takes no arguments, got "${rest.join(" ")}"`);
    return {
      command,
      port: values.port === undefined
        ? DEFAULT_LAB_PORT
        : numberFlag("port", values.port, { integer: true, min: 1, max: 65535 }),
      openBrowser: values["no-browser"] !== true,
    };
  }
  if (labFlags && (command === "setup" || command === "execute")) {
    throw new TypeError(`--no-browser and --port belong to lab, not ${command}`);
  }
  if (command === "setup" && rest.length === 0) return { command };
  if (command === "execute") return { command, notebooks: rest };
  if (command === "setup") throw new TypeError(`setup takes no arguments, got "${rest.join(" ")}"`);
  throw new RangeError(`Unknown command "${command ?? ""}": expected setup, execute or lab`);
}

async function lab(port: number, openBrowser: boolean): Promise<number> {
  const server = await startJupyterLab({ port, openBrowser });
  const stop = () => void server.stop();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  console.log(`JupyterLab (Deno kernel, notebooks/) at ${server.url}`);
  console.log(`Open 01 directly: ${server.notebookUrl("01_run_local.ipynb")}`);
  console.error("jupyter: Ctrl-C stops the server and its kernels");
  const status = await server.status;
  return status.success || status.signal === "SIGTERM" ? 0 : status.code || 1;
}

async function run(parsed: JupyterCommand): Promise<number> {
  await ensureNotebookTools();
  if (parsed.command === "lab") return await lab(parsed.port, parsed.openBrowser);
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
  const name = Deno.args[0] === "lab" ? "jupyter" : "notebooks";
  Deno.exit(await runCommand(name, Deno.args, { parse: parseJupyterArgs, run }, { usage: USAGE }));
}
