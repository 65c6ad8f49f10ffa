/**
 * The young generation of the process that runs the sandbox.
 *
 * The sandbox's Runtime API, bookkeeping and memory sampler run in this Deno process, so a pause
 * of its garbage collector that falls while a runtime answers delays reading the answer, and the
 * invocation's Duration grows by the pause. Each warm invocation leaves about 52 KB of garbage here
 * (V8's sampling heap profiler, a no-op runtime). V8's default young generation starts at 1 MB and
 * grows only a little, so a scavenge fell in 1.51–1.60% of warm invocations (a pause of
 * 0.17–0.27 ms at their median): more than the 1% a p99 looks at. With
 * `--min-semi-space-size=16` it fell in 0.38–0.43% of them, and the p99 of the no-op's warm
 * Duration went from 0.345–0.407 to 0.274–0.324 ms (four alternated pairs of 10,000 warm
 * invocations, 2026-12-02). In functions whose warm Duration is a few ms (the SQS workload) the
 * difference was below the run-to-run spread (two alternated pairs of `deno task bench`).
 *
 * The project's tasks that run the sandbox pass {@link HARNESS_V8_FLAGS} (deno.json; `deno task
 * study` and `perf:serve` pass it on to the processes they start). Each run records the size in
 * its controls, and the report of a run made with less says so.
 *
 * @module
 */
import { getHeapSpaceStatistics } from "node:v8";

/** The young generation (one semi-space) the sandbox's process is given, in MB. */
export const YOUNG_GENERATION_MB = 16;

/** The Deno flag that gives it: pass it to `deno run` before the script. */
export const HARNESS_V8_FLAGS = `--v8-flags=--min-semi-space-size=${YOUNG_GENERATION_MB}`;

/**
 * This process's young generation: the size V8 reports for its new space plus what it can still
 * take before a scavenge, in MB to a tenth.
 *
 * @returns the capacity, or null when V8 does not report a new space
 */
export function youngGenerationMb(): number | null {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
  if (space === undefined) return null;
  return Math.round((space.space_used_size + space.space_available_size) / 2 ** 20 * 10) / 10;
}

/**
 * What a report says of a run whose sandbox had a smaller young generation than the tasks give.
 *
 * @param mb the run's `controls.youngGenerationMb` (undefined or null: not recorded)
 * @returns the sentence, or null when it was at least {@link YOUNG_GENERATION_MB} MB or unknown
 * @example youngGenerationNote(1) // "The sandbox ran with a 1 MB young generation ..."
 */
export function youngGenerationNote(mb: number | null | undefined): string | null {
  // V8 keeps a little of the semi-space for itself: allow 10% below the flag's size.
  if (mb === null || mb === undefined || mb >= YOUNG_GENERATION_MB * 0.9) return null;
  return `The sandbox ran with a ${mb} MB young generation (the project's tasks give ` +
    `${YOUNG_GENERATION_MB} MB with \`${HARNESS_V8_FLAGS}\`): with V8's default of about 1 MB its ` +
    "own garbage collections fell in about 1.5% of a no-op's warm invocations and added " +
    "0.1–0.3 ms to their Duration, which shows in a fast function's p99.";
}
