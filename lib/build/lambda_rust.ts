/**
 * Lambda builds of the Rust extension. `scripts/build_lambda_rust.sh` cross-compiles with
 * cargo-lambda for both architectures. Without it, the host's own release build serves
 * Lambda on the host's architecture when the glibc it needs is no newer than Lambda's.
 *
 * @module
 */
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BUILD_DIR } from "../paths.ts";
import type { Arch } from "../schema.ts";
import { glibcNewer, LAMBDA_GLIBC, newestGlibc } from "./glibc.ts";

/**
 * Where the Lambda build of a Rust extension for `arch` goes.
 *
 * @param arch The Lambda architecture.
 * @param buildDir The build folder; default `build/`.
 * @param binary The cargo binary: `battle-ext-rust` (default) or the blank `battle-ext-blank`.
 * @returns `build/lambda/<arch>/<binary>`.
 */
export function rustLambdaBinary(
  arch: Arch,
  buildDir: string = BUILD_DIR,
  binary = "battle-ext-rust",
): string {
  return join(buildDir, "lambda", arch, binary);
}

/** What {@link stageHostRustForLambda} did. */
export type StagedRust =
  | { staged: true; path: string; glibc: string | null }
  | { staged: false; reason: string };

/**
 * Copies the host build to `build/lambda/<arch>/` when it can run on Lambda, unless a
 * cross-compiled build is already there.
 *
 * @param options The host binary, the host's architecture and the build folder.
 * @returns Where it went, or why it did not.
 */
export async function stageHostRustForLambda(options: {
  hostBinary: string;
  arch: Arch;
  buildDir?: string;
  /** The cargo binary (default `battle-ext-rust`). */
  binary?: string;
}): Promise<StagedRust> {
  const target = rustLambdaBinary(options.arch, options.buildDir, options.binary);
  try {
    const existing = await Deno.stat(target);
    const host = await Deno.stat(options.hostBinary);
    if (existing.isFile && (existing.mtime?.getTime() ?? 0) > (host.mtime?.getTime() ?? 0)) {
      return { staged: false, reason: `${target} is newer (a cross-compiled build): kept` };
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const glibc = newestGlibc(await Deno.readFile(options.hostBinary));
  if (glibc !== null && glibcNewer(glibc, LAMBDA_GLIBC)) {
    return {
      staged: false,
      reason: `the host build needs glibc ${glibc}, Lambda has ${LAMBDA_GLIBC}: ` +
        "run scripts/build_lambda_rust.sh",
    };
  }
  await mkdir(dirname(target), { recursive: true });
  await copyFile(options.hostBinary, target);
  await Deno.chmod(target, 0o755);
  return { staged: true, path: target, glibc };
}
