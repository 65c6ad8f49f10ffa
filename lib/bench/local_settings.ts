/**
 * What local functions run with unless `deno task bench` is told otherwise. Kept apart from the
 * local adapter so parsing flags does not load the sandbox.
 *
 * @module
 */
import type { FunctionSettings } from "../store/run_manifest.ts";

/** 2,000 hash rounds per invocation and a 10 s timeout. */
export const DEFAULT_LOCAL_SETTINGS: FunctionSettings = { workIterations: 2000, timeoutS: 10 };

/**
 * The pause before each warm invocation of a local cell, in ms: one CFS period of the sandbox's
 * CPU quota (`cpuPeriodUs`, 20 ms). On Lambda two invocations of one environment are at least a
 * client's round trip through the Invoke API apart, the environment frozen in between, so each
 * starts with its period's CPU budget. Invoked back to back here, a warm invocation at 128 MB
 * shared the period of the one before (1.45 ms of CPU per 20 ms) and waited for the next: a
 * Node.js hello's warm Duration had a p90 of 17.5 ms back to back and 1.9 ms with this pause, an
 * LLRT hello's 12.0 and 1.4 ms, a Go hello's 14.8 and 3.5 ms (120 warm invocations each, the two
 * alternated in blocks of 20, 2026-12-02). `--invoke-gap-ms 0` invokes back to back.
 */
export const DEFAULT_LOCAL_GAP_MS = 20;
