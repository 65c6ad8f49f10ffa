/**
 * What local functions run with unless `deno task bench` is told otherwise. Kept apart from the
 * local adapter so parsing flags does not load the sandbox.
 *
 * @module
 */
import type { FunctionSettings } from "../store/run_manifest.ts";

/** 2,000 hash rounds per invocation and a 10 s timeout. */
export const DEFAULT_LOCAL_SETTINGS: FunctionSettings = { workIterations: 2000, timeoutS: 10 };
