/**
 * The workloads end to end in the sandbox, against the real local servers: every function
 * runtime's `dynamodb` workload writes one item per successful invocation into dynalite (counted
 * in run.json), `delay` sleeps what `--delay-ms` says, and the blank extensions ride along a
 * workload without talking to the function. A runtime whose build is missing is skipped with the
 * reason `deno task build` gave, never replaced.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { expandVariants, FUNCTION_RUNTIME_NAMES } from "../variants.ts";
import { invocationRows, readInvocations, readRunManifest } from "../store/mod.ts";
import { hostArch } from "./matrix.ts";
import { LocalBackend } from "./local.ts";
import { runBench } from "./run.ts";

Deno.test("workload dynamodb on every function runtime puts one item per successful invocation into the local DynamoDB", async () => {
  const out = await Deno.makeTempDir({ prefix: "battle-dynamodb-" });
  try {
    const backend = await LocalBackend.start({ workIterations: 0, timeoutS: 10 });
    const { variants } = expandVariants({
      functions: FUNCTION_RUNTIME_NAMES.join(","),
      extensions: "none",
      workloads: "dynamodb",
    });
    const runnable = variants.filter((v) => {
      const reason = backend.skipReason({ variant: v, memoryMb: 512, arch: hostArch() });
      if (reason !== null) console.warn(`skipped ${v.name}: ${reason}`);
      return reason === null;
    });
    assert.ok(runnable.some((v) => v.functionRuntime === "nodejs"), "nodejs is built");
    const summary = await runBench(backend, {
      variants: runnable,
      memoryMb: [512],
      archs: [hostArch()],
      plan: { cold: 1, warm: 3, payloadBytes: 200 },
      functionSettings: { workIterations: 0, timeoutS: 10 },
      out: join(out, "run"),
      log: () => {},
    });
    assert.deepEqual(summary.failedCells, []);
    const rows = invocationRows(await readInvocations(summary.parquetPath));
    const run = readRunManifest(summary.runDir)!;
    assert.equal(
      run.backendFacts.backend === "local" && run.backendFacts.dynamodbServer,
      "dynalite",
    );
    for (const c of run.cells) {
      const successes = rows.filter((r) => r.variant === c.variant && r.status === "success");
      assert.equal(
        successes.length,
        4,
        `${c.cell}: ${rows.find((r) => r.variant === c.variant)?.error_type}`,
      );
      assert.deepEqual(c.items, { expected: 4, received: 4 }, `${c.cell}: one item per invocation`);
      assert.equal(c.messages, null, `${c.cell} sends nothing to SQS`);
      assert.equal(c.workload, "dynamodb");
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("workload delay sleeps --delay-ms; a blank extension rides along, a collector forwards", async () => {
  const out = await Deno.makeTempDir({ prefix: "battle-delay-" });
  try {
    const backend = await LocalBackend.start({ workIterations: 0, timeoutS: 10, delayMs: 150 });
    const { variants } = expandVariants({
      functions: "nodejs",
      extensions: "none,blankrust,blanknode,rust",
      workloads: "delay",
    });
    const runnable = variants.filter((v) => {
      const reason = backend.skipReason({ variant: v, memoryMb: 1024, arch: hostArch() });
      if (reason !== null) console.warn(`skipped ${v.name}: ${reason}`);
      return reason === null;
    });
    assert.equal(runnable.length, 4, "the blank and forwarding extensions are built");
    const summary = await runBench(backend, {
      variants: runnable,
      memoryMb: [1024],
      archs: [hostArch()],
      plan: { cold: 1, warm: 2, payloadBytes: 200 },
      functionSettings: { workIterations: 0, timeoutS: 10, delayMs: 150 },
      out: join(out, "run"),
      log: () => {},
    });
    assert.deepEqual(summary.failedCells, []);
    const rows = invocationRows(await readInvocations(summary.parquetPath));
    assert.equal(rows.length, 12);
    for (const r of rows) {
      assert.equal(r.status, "success", `${r.variant}: ${r.error_type}`);
      assert.ok(
        (r.duration_ms ?? 0) >= 150,
        `${r.variant}: Duration ${r.duration_ms} ms for a 150 ms delay`,
      );
    }
    const run = readRunManifest(summary.runDir)!;
    const cell = (ext: string) => run.cells.find((c) => c.extension === ext)!;
    assert.equal(cell("blankrust").messages, null, "a blank extension delivers nothing");
    assert.deepEqual(cell("rust").messages, { expected: 3, received: 3 }, "the collector forwards");
    assert.equal(run.config.functionSettings?.delayMs, 150);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
