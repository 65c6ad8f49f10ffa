/**
 * The local backend end to end: real sandboxes, real extension processes, a real ElasticMQ.
 * Needs `deno task build` (the test task runs setup first).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { INVOCATION_COLUMN_NAMES } from "../schema.ts";
import { variantByName } from "../variants.ts";
import {
  invocationRows,
  readInvocations,
  readRunManifest,
  RUN_MANIFEST_SCHEMA_VERSION,
} from "../store/mod.ts";
import { LocalBackend } from "./local.ts";
import { runBench } from "./run.ts";

Deno.test("local bench writes a Parquet run whose cold rows have Init Duration and warm rows none", async () => {
  const out = await Deno.makeTempDir({ prefix: "battle-bench-" });
  try {
    const backend = await LocalBackend.start({ workIterations: 200, timeoutS: 10 });
    const variants = ["none", "rust", "node"].map(variantByName);
    for (const v of variants) {
      assert.equal(
        backend.skipReason({ variant: v, memoryMb: 512, arch: "x86_64" }),
        null,
        `${v.name} is not runnable: run deno task build`,
      );
    }
    const lines: string[] = [];
    const summary = await runBench(backend, {
      variants,
      memoryMb: [512],
      archs: ["x86_64"],
      plan: { cold: 2, warm: 3, payloadBytes: 2048 },
      functionSettings: { workIterations: 200, timeoutS: 10 },
      out: join(out, "run"),
      log: (l) => lines.push(l),
    });
    assert.deepEqual(summary.failedCells, []);
    assert.ok(
      lines.some((l) => /^\[\d+\/\d+\] rust-512mb-x86_64 done/.test(l)),
      "progress per cell",
    );

    const df = await readInvocations(summary.parquetPath);
    assert.deepEqual(df.columns, [...INVOCATION_COLUMN_NAMES]);
    const rows = invocationRows(df);
    assert.equal(rows.length, 15);
    assert.equal(new Set(rows.map((r) => r.request_id)).size, 15, "request ids are unique");
    for (const r of rows) {
      assert.equal(r.status, "success", `${r.variant} ${r.request_id}: ${r.error_type}`);
      assert.equal(r.backend, "local");
      assert.equal(r.memory_mb, 512);
      assert.ok(r.duration_ms !== null && r.duration_ms > 0);
      assert.ok(r.billed_ms !== null && r.billed_ms >= Math.ceil(r.duration_ms ?? 0));
      assert.ok(r.runtime_done_ms !== null && r.post_runtime_ms !== null);
      assert.ok(r.client_rtt_ms !== null && r.client_rtt_ms > 0);
      assert.ok(r.timestamp instanceof Date);
      if (r.cold) assert.ok(r.init_ms !== null && r.init_ms > 0, "cold rows have init_ms");
      else assert.equal(r.init_ms, null, "warm rows have no init_ms");
    }
    for (const v of variants) {
      const mine = rows.filter((r) => r.variant === v.name);
      assert.equal(mine.filter((r) => r.cold).length, 2, `${v.name}: 2 cold`);
      assert.equal(mine.filter((r) => !r.cold).length, 3, `${v.name}: 3 warm`);
    }
    const peak = (name: string) =>
      Math.max(...rows.filter((r) => r.variant === name).map((r) => r.max_memory_mb ?? 0));
    assert.ok(peak("node") > peak("rust"), `node ${peak("node")} MB > rust ${peak("rust")} MB`);

    const run = readRunManifest(summary.runDir)!;
    assert.equal(run.schemaVersion, RUN_MANIFEST_SCHEMA_VERSION);
    assert.equal(run.status, "complete");
    assert.deepEqual(run.config.functionSettings, { workIterations: 200, timeoutS: 10 });
    for (const c of run.cells) {
      assert.deepEqual(c.settings, { workIterations: 200, timeoutS: 10 }, "what it ran with");
      assert.equal(c.coldRetries, 0);
      assert.deepEqual(c.coldMismatches, []);
      // The host's other work while the cell ran, and the summary's busy cells drawn from it.
      assert.ok(c.host, `${c.cell} has its host load`);
      assert.ok(c.host.othersCpu >= 0 && c.host.othersCpu <= 1 && c.host.seconds > 0);
      assert.equal(
        summary.busyCells.some((b) => b.cell === c.cell),
        c.host.othersCpu > 0.1 || c.host.steal > 0.05,
      );
    }
    for (const c of run.cells.filter((c) => !c.cell.startsWith("none"))) {
      assert.deepEqual(
        c.messages,
        { expected: 5, received: 5 },
        `${c.cell}: every payload reached SQS`,
      );
    }
    const facts = run.backendFacts;
    assert.equal(facts.backend, "local");
    if (facts.backend === "local") {
      assert.ok(facts.sandboxControls, "run.json says which sandbox controls were in force");
      assert.ok(typeof facts.llrtLabel === "string");
    }
    assert.ok(run.git.commit !== undefined);
    assert.ok(run.host.cpuSpeed.sha256MBps > 0, "the host's CPU speed is recorded");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
