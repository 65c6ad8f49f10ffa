/**
 * `deno task setup`: installs and builds what a run needs. Idempotent: finished steps are
 * skipped quickly. Filled in as the build steps land.
 *
 * @module
 */
if (import.meta.main) {
  console.log("setup: nothing to do yet");
}
