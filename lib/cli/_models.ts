/**
 * The flags that choose how the sandbox models Lambda where it differs from a plain process:
 * `--init-cpus C` (Init's CPU budget) and `--code-loading evict|cached` (whether cold starts
 * read code and layers from disk). Shared by `sandbox`, `bench` and `fidelity`.
 *
 * @module
 */
import { numberFlag } from "./_flags.ts";

/** The parseArgs options of the model flags. */
export const MODEL_FLAGS = {
  "init-cpus": { type: "string" },
  "code-loading": { type: "string" },
} as const;

/** Sandbox options the flags set; absent ones keep the sandbox's defaults. */
export interface LambdaModels {
  initCpus?: number;
  codeLoading?: "evict" | "cached";
}

/**
 * Reads the model flags.
 *
 * @param values The parsed flag values.
 * @returns The options given.
 * @throws {RangeError} For a CPU count outside (0, 64] or an unknown code-loading model.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseModelFlags } from "./_models.ts";
 * assert.deepEqual(parseModelFlags({ "init-cpus": "1", "code-loading": "cached" }), {
 *   initCpus: 1,
 *   codeLoading: "cached",
 * });
 * ```
 */
export function parseModelFlags(
  values: { "init-cpus"?: string | undefined; "code-loading"?: string | undefined },
): LambdaModels {
  const models: LambdaModels = {};
  if (values["init-cpus"] !== undefined) {
    models.initCpus = numberFlag("init-cpus", values["init-cpus"], { above: 0, max: 64 });
  }
  const loading = values["code-loading"];
  if (loading !== undefined) {
    if (loading !== "evict" && loading !== "cached") {
      throw new RangeError(`Invalid --code-loading "${loading}": expected evict or cached`);
    }
    models.codeLoading = loading;
  }
  return models;
}
