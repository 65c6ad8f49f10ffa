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
 * shared the period of the one before (1.45 ms of CPU per 20 ms) and waited for the next. The
 * hellos of workload `none` at 128 MB, 60 warm invocations per cell, two alternated pairs of
 * `deno task bench` (2026-12-02), warm Duration p90 with this pause / back to back: Node.js 1.67
 * and 1.45 / 17.24 and 4.30 ms, LLRT 1.59 and 1.00 / 10.73 and 5.06 ms, Go 1.35 and 1.45 / 10.55
 * and 13.91 ms; Node.js's mean Billed Duration 2.23 and 2.03 / 6.13 and 2.47 ms.
 * `--invoke-gap-ms 0` invokes back to back.
 *
 * A load's callers (`--load`) pause as long before each of their requests after the first: at
 * 128 MB, 400 requests at concurrency 2 (two alternated pairs), Duration p99 with the pause / back
 * to back: Node.js 6.37 and 2.73 / 18.0 and 17.3 ms, Go 1.52 and 1.87 / 18.1 and 15.9 ms, in 2
 * environments against 3–5 (throttled ones stayed busy, so the pool scaled out). The request rate
 * is then the callers' (about 90 requests/s for two), as a deployed function's is its clients'.
 */
export const DEFAULT_LOCAL_GAP_MS = 20;
