import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURE_RUN, FIXTURE_RUN_X86 } from "../lib/analysis/testdata/make_fixture.ts";
import { resolveRunDirs, smokeMode } from "./support.ts";

Deno.test("smokeMode() reads BATTLE_NOTEBOOK_SMOKE", () => {
  assert.equal(smokeMode({ BATTLE_NOTEBOOK_SMOKE: "1" }), true);
  assert.equal(smokeMode({ BATTLE_NOTEBOOK_SMOKE: "true" }), true);
  assert.equal(smokeMode({ BATTLE_NOTEBOOK_SMOKE: "0" }), false);
  assert.equal(smokeMode({}), false);
});

Deno.test("resolveRunDirs() prefers the parameter, then BATTLE_RUN_DIR, then the fixture", () => {
  const empty = mkdtempSync(join(tmpdir(), "nb-runs-"));
  try {
    assert.deepEqual(resolveRunDirs([FIXTURE_RUN_X86], { env: {} }), {
      dirs: [FIXTURE_RUN_X86],
      source: "parameter",
    });
    const env = { BATTLE_RUN_DIR: `${FIXTURE_RUN}, ${FIXTURE_RUN_X86}` };
    assert.deepEqual(resolveRunDirs([], { env }).dirs, [FIXTURE_RUN, FIXTURE_RUN_X86]);
    assert.deepEqual(resolveRunDirs([], { env: {}, runsDir: empty }), {
      dirs: [FIXTURE_RUN],
      source: "fixture",
    });
    assert.equal(
      resolveRunDirs(["data/fixtures/analysis/fixture-x86"], { env: {} }).dirs[0],
      FIXTURE_RUN_X86,
    );
    assert.throws(() => resolveRunDirs([empty], { env: {} }), {
      message: `Run folder "${empty}" (from parameter) has no invocations.parquet`,
    });
  } finally {
    rmSync(empty, { recursive: true });
  }
});
