/**
 * A small fidelity run in the real sandbox: the Node.js hello function cold-started at 128 and
 * 1,024 MB. Init of a hello function barely moves with memory on Lambda (Init gets its own CPU
 * budget); without that budget the sandbox's 128 MB Init was about six times its 1,024 MB one.
 */
import assert from "node:assert/strict";
import { prepareHelloFunctions } from "./hello.ts";
import { measureHello } from "./measure.ts";

Deno.test("measureHello(): a Node.js hello's Init is nearly flat from 128 to 1,024 MB", async () => {
  const { functions } = await prepareHelloFunctions(["nodejs"]);
  assert.equal(functions.length, 1, "node is installed");
  const logDir = await Deno.makeTempDir({ prefix: "fidelity_test_" });
  try {
    const { cells, samples, controls } = await measureHello(functions, {
      memoryMb: [128, 1024],
      cold: 3,
      warm: 2,
      logDir,
    });
    assert.deepEqual(samples.map((s) => s.failures), [[], []]);
    assert.equal(cells.length, 2);
    const [small, big] = cells as [typeof cells[0], typeof cells[0]];
    assert.equal(small.coldSamples, 3);
    assert.ok(small.maxMemoryMb > 10, `Max Memory Used ${small.maxMemoryMb} MB`);
    assert.equal(samples[0]!.firstCpuMs.length === 0, small.firstCpuMs === null);
    if (small.firstCpuMs != null) {
      // The first invocation's CPU only, not Init's (a Node.js Init is tens of ms of CPU).
      assert.ok(small.firstCpuMs > 0 && small.firstCpuMs < small.initMs, `${small.firstCpuMs} ms`);
    }
    if (controls?.cpuQuota !== "none") {
      const ratio = small.initMs / big.initMs;
      assert.ok(ratio < 2, `Init 128 MB ${small.initMs} ms ÷ 1,024 MB ${big.initMs} ms = ${ratio}`);
    }
  } finally {
    await Deno.remove(logDir, { recursive: true });
  }
});
