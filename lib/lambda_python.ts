/**
 * The Python interpreter local Python functions run on: a bare venv of the host's Python
 * (`.cache/lambda-python`, no pip, no system site-packages). Lambda's Python runtime has only its
 * own packages on its path; a host's Python often has many, and `.pth` hooks in site-packages
 * that run at every start (on this workplace's machines one imports certifi), which made a
 * hello function's Init about twice as long as from the bare venv.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR } from "./paths.ts";

/** Where the venv lives. */
export const LAMBDA_PYTHON_DIR: string = join(CACHE_DIR, "lambda-python");
/** Its interpreter (exists once {@link ensureLambdaPython} ran). */
export const LAMBDA_PYTHON_BIN: string = join(LAMBDA_PYTHON_DIR, "bin", "python");

/**
 * Makes the venv if it is missing.
 *
 * @param python The host's interpreter (default `python3`).
 * @returns The venv's `python` executable.
 * @throws {Error} When the venv cannot be made, with Python's message.
 */
export async function ensureLambdaPython(python = "python3"): Promise<string> {
  const bin = LAMBDA_PYTHON_BIN;
  if (existsSync(bin)) return bin;
  const out = await new Deno.Command(python, {
    args: ["-m", "venv", "--without-pip", LAMBDA_PYTHON_DIR],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot make ${LAMBDA_PYTHON_DIR}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return bin;
}
