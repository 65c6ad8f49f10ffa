/**
 * The load mode through the local backend and the runner: a burst scales the function out like
 * Lambda, bounded by its reserved concurrency, and the load's record lands in run.json beside the
 * rows in Parquet.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { composedName, variantByName } from "../variants.ts";
import { invocationRows, readInvocations, readRunManifest } from "../store/mod.ts";
import { hostArch } from "./matrix.ts";
import { LocalBackend } from "./local.ts";
import { runBench } from "./run.ts";

Deno.test("bench --load: a burst of 2C requests at concurrency C with reserved concurrency C makes at most C environments, every cold start counted, in run.json", async () => {
  const out = await Deno.makeTempDir({ prefix: "battle-load-run-" });
  try {
    const c = 3;
    const settings = { workIterations: 0, timeoutS: 10, delayMs: 300 };
    const backend = await LocalBackend.start(settings);
    const variant = variantByName(composedName("nodejs", "none", "delay"));
    const skip = backend.skipReason({ variant, memoryMb: 1024, arch: hostArch() });
    assert.equal(skip, null, `not built: ${skip}`);
    const summary = await runBench(backend, {
      variants: [variant],
      memoryMb: [1024],
      archs: [hostArch()],
      plan: { cold: 0, warm: 0, payloadBytes: 100 },
      functionSettings: settings,
      load: { requests: 2 * c, concurrency: c, reservedConcurrency: c, payloadBytes: 100 },
      out: join(out, "run"),
      log: () => {},
    });
    assert.deepEqual(summary.failedCells, []);
    const [load] = summary.loadCells;
    assert.ok(load, "a load record");
    assert.ok(load.environments <= c, `${load.environments} environments at concurrency ${c}`);
    assert.equal(load.coldStarts, load.environments);
    assert.equal(load.invoked + load.throttles, 2 * c);
    assert.ok(load.throughputRps > 0);
    const rows = invocationRows(await readInvocations(summary.parquetPath));
    assert.equal(rows.length, load.invoked);
    assert.equal(rows.filter((r) => r.cold).length, load.coldStarts);
    assert.ok(rows.every((r) => r.workload === "delay" && r.status === "success"));
    const run = readRunManifest(summary.runDir)!;
    assert.deepEqual(run.config.load, {
      requests: 2 * c,
      concurrency: c,
      reservedConcurrency: c,
      payloadBytes: 100,
    });
    assert.equal(run.loadCells?.[0]?.cell, load.cell);
    assert.equal(run.cells[0]?.invocations, load.invoked);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
