/**
 * Every function runtime end to end in the sandbox: a small local run per runtime (direct to SQS
 * and through the Rust extension), read back from Parquet with its cell's parts. A runtime whose
 * build is missing is skipped with the reason `deno task build` gave, never replaced.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { expandVariants, FUNCTION_RUNTIME_NAMES } from "../variants.ts";
import { invocationRows, readInvocations, readRunManifest } from "../store/mod.ts";
import { LocalBackend } from "./local.ts";
import { runBench } from "./run.ts";

Deno.test("every function runtime runs locally and reads back from Parquet with its parts", async () => {
  const out = await Deno.makeTempDir({ prefix: "battle-runtimes-" });
  try {
    const backend = await LocalBackend.start({ workIterations: 200, timeoutS: 10 });
    const { variants } = expandVariants({
      functions: FUNCTION_RUNTIME_NAMES.join(","),
      extensions: "none,rust",
    });
    const runnable = variants.filter((v) => {
      const reason = backend.skipReason({ variant: v, memoryMb: 256, arch: "x86_64" });
      if (reason !== null) console.warn(`skipped ${v.name}: ${reason}`);
      return reason === null;
    });
    const summary = await runBench(backend, {
      variants: runnable,
      memoryMb: [256],
      archs: ["x86_64"],
      plan: { cold: 1, warm: 2, payloadBytes: 700 },
      functionSettings: { workIterations: 200, timeoutS: 10 },
      out: join(out, "run"),
      log: () => {},
    });
    assert.deepEqual(summary.failedCells, []);
    const rows = invocationRows(await readInvocations(summary.parquetPath));
    assert.equal(rows.length, runnable.length * 3);
    for (const v of runnable) {
      const mine = rows.filter((r) => r.variant === v.name);
      assert.equal(mine.length, 3, v.name);
      for (const r of mine) {
        assert.equal(r.status, "success", `${v.name}: ${r.error_type}`);
        assert.equal(r.function_runtime, v.functionRuntime);
        assert.equal(r.extension, v.extensionName);
        assert.equal(r.workload, "sqs");
        if (r.cold) assert.ok(r.init_ms !== null && r.init_ms > 0, `${v.name}: Init Duration`);
        else assert.equal(r.init_ms, null);
      }
      assert.equal(mine.filter((r) => r.cold).length, 1, `${v.name}: one cold start`);
    }
    const run = readRunManifest(summary.runDir)!;
    for (const c of run.cells) {
      assert.deepEqual(c.messages, { expected: 3, received: 3 }, `${c.cell} reached SQS`);
      assert.equal(c.workload, "sqs");
    }
    assert.ok(
      runnable.some((v) => v.functionRuntime === "python"),
      "the Python runtime is built (deno task build)",
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
