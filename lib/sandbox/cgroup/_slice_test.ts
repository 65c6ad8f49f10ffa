import assert from "node:assert/strict";
import { join } from "node:path";
import { fitSliceAt, SANDBOX_SLICE_US } from "./_slice.ts";

Deno.test("fitSliceAt() lowers a larger slice and leaves a smaller one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "sched_cfs_bandwidth_slice_us");
    await Deno.writeTextFile(path, "5000\n");
    const lowered = await fitSliceAt(path);
    assert.deepEqual(lowered, {
      sliceUs: SANDBOX_SLICE_US,
      loweredFrom: 5000,
      note: `cpu slice ${SANDBOX_SLICE_US} us (lowered from 5000)`,
    });
    assert.equal((await Deno.readTextFile(path)).trim(), String(SANDBOX_SLICE_US));
    await Deno.writeTextFile(path, "50\n");
    assert.deepEqual(await fitSliceAt(path), {
      sliceUs: 50,
      loweredFrom: null,
      note: "cpu slice 50 us",
    });
    assert.equal((await Deno.readTextFile(path)).trim(), "50", "a smaller slice stays");
    await Deno.writeTextFile(path, "fast\n");
    assert.equal((await fitSliceAt(path)).sliceUs, null, "not a number: unknown");
    assert.equal((await Deno.readTextFile(path)).trim(), "fast", "and not written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fitSliceAt() says when there is no slice to read", async () => {
  const outcome = await fitSliceAt("/nonexistent/sched_cfs_bandwidth_slice_us");
  assert.equal(outcome.sliceUs, null);
  assert.match(outcome.note, /^cpu slice unknown \(no \/nonexistent\//);
});

Deno.test("fitSliceAt() records the slice it could not lower", async () => {
  // A read-only sysctl holding a number above the target: even root cannot write it.
  const path = "/proc/sys/kernel/ngroups_max";
  const info = await Deno.stat(path).catch(() => null);
  if (info === null || (info.mode! & 0o222) !== 0) return;
  const before = (await Deno.readTextFile(path)).trim();
  const outcome = await fitSliceAt(path);
  assert.equal(outcome.sliceUs, Number(before));
  assert.equal(outcome.loweredFrom, null);
  assert.match(outcome.note, new RegExp(`^cpu slice ${before} us \\(not lowered to 100: `));
  assert.equal((await Deno.readTextFile(path)).trim(), before);
});
