import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pl from "nodejs-polars";
import { loadRun, loadRuns, newestRunDir, runInfoFrom } from "./load.ts";
import { testManifest } from "../store/testdata/manifest.ts";
import { FIXTURE_RUN, FIXTURE_RUN_X86 } from "./testdata/make_fixture.ts";

Deno.test("loadRuns() reads and concatenates run folders with their run.json", () => {
  const { frame, runs } = loadRuns([FIXTURE_RUN, FIXTURE_RUN_X86]);
  assert.equal(frame.height, 633 + 42);
  assert.equal(String(frame.schema.memory_mb), "DataType(Int32)");
  assert.deepEqual(runs.map((r) => r.runId), ["fixture-arm64", "fixture-x86"]);
  assert.equal(runs[0]!.backend, "local");
  assert.equal(runs[0]!.llrtLabel, "LLRT v0.7.0-beta (fixture)");
  assert.equal(runs[0]!.payloadBytes, 1024);
});

Deno.test("runInfoFrom() reads the typed manifest: LLRT label, payload, controls", () => {
  const local = runInfoFrom(
    testManifest({
      runId: "r9",
      config: { ...testManifest().config, payloadBytes: 2048 },
    }),
    "/x/r1",
  );
  assert.equal(local.runId, "r9");
  assert.equal(local.backend, "local");
  assert.equal(local.llrtLabel, "LLRT unavailable (not built)");
  assert.equal(local.payloadBytes, 2048);
  assert.equal(local.controls, null);
  const aws = runInfoFrom(
    testManifest({
      backend: "aws",
      backendFacts: { backend: "aws", region: "eu-west-1", queueUrl: null },
      versions: { ...testManifest().versions, llrt: { available: false, reason: "offline" } },
    }),
    "/x",
  );
  assert.equal(aws.llrtLabel, "LLRT unavailable: offline");
  assert.equal(aws.controls, null);
  const bare = runInfoFrom(null, "/x/r1");
  assert.equal(bare.runId, "r1");
  assert.equal(bare.llrtLabel, null);
  assert.equal(bare.backend, null);
  assert.equal(runInfoFrom(null, "/x/r1", "from-rows").runId, "from-rows");
});

Deno.test("loadRun() names the folder when its Parquet file is missing or bad", () => {
  const dir = mkdtempSync(join(tmpdir(), "analysis-load-"));
  try {
    assert.throws(() => loadRun(dir), {
      name: "Error",
      message: /No invocations\.parquet in run folder/,
    });
    pl.DataFrame({ a: [1] }).writeParquet(join(dir, "invocations.parquet"));
    assert.throws(() => loadRun(dir), {
      name: "TypeError",
      message: /missing column\(s\) request_id, cold, status/,
    });
    assert.throws(() => loadRuns([]), { name: "RangeError" });
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("newestRunDir() picks the most recently written run", () => {
  const root = mkdtempSync(join(tmpdir(), "analysis-runs-"));
  try {
    assert.equal(newestRunDir(join(root, "absent")), null);
    for (const [name, secs] of [["old", 1000], ["new", 2000]] as const) {
      mkdirSync(join(root, name));
      const file = join(root, name, "invocations.parquet");
      Deno.writeFileSync(file, new Uint8Array([0]));
      utimesSync(file, secs, secs);
    }
    mkdirSync(join(root, "empty"));
    assert.equal(newestRunDir(root), join(root, "new"));
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test("loadRuns() reads a run folder given twice only once", () => {
  const { frame, runs } = loadRuns([FIXTURE_RUN, `${FIXTURE_RUN}/`, FIXTURE_RUN_X86]);
  assert.equal(frame.height, 633 + 42, "rows counted twice would double n and narrow intervals");
  assert.deepEqual(runs.map((r) => r.runId), ["fixture-arm64", "fixture-x86"]);
});
