import assert from "node:assert/strict";
import { join } from "node:path";
import { Sandbox } from "../sandbox/mod.ts";
import { Progress } from "../bench/progress.ts";
import { hostArch } from "../bench/matrix.ts";
import { composedName, variantByName } from "../variants.ts";
import { type LoadAdapter, measureLoad } from "./measure.ts";
import { poolLoadCell } from "./local_pool.ts";
import type { LoadPlan } from "./summary.ts";

const SLEEPY = new URL("./testdata/sleepy", import.meta.url).pathname;

/** A local load adapter over the sleepy function: each environment its own log folder. */
function adapter(dir: string, sleepMs: number): LoadAdapter & { made: number } {
  const a = {
    name: "local" as const,
    made: 0,
    describe: () => ({}) as never,
    skipReason: () => null,
    prepareLoad: (_cell: unknown, plan: LoadPlan) =>
      Promise.resolve(poolLoadCell({
        maxEnvironments: plan.reservedConcurrency ?? plan.concurrency,
        settings: { workIterations: 0, timeoutS: 10 },
        makeEnvironment: (index) => {
          a.made++;
          return Sandbox.create({
            codeDir: SLEEPY,
            runtime: "node",
            memoryMb: 1024,
            timeoutS: 10,
            functionName: "sleepy",
            logDir: join(dir, `env-${index}`),
            codeLoading: "cached",
            env: { SLEEP_MS: String(sleepMs) },
          });
        },
      })),
    close: () => Promise.resolve(),
  };
  return a;
}

const cell = {
  variant: variantByName(composedName("nodejs", "none", "none")),
  memoryMb: 1024,
  arch: hostArch(),
};

function context(dir: string) {
  return {
    runId: "load-test",
    runDir: dir,
    logDir: dir,
    progress: new Progress(0, { write: () => {} }),
  };
}

Deno.test("measureLoad() on the sandbox pool: a burst of 2C requests at concurrency C makes at most C environments, each cold start counted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "battle-load-" });
  try {
    const c = 3;
    const a = adapter(dir, 300);
    const plan = { requests: 2 * c, concurrency: c, reservedConcurrency: null, payloadBytes: 16 };
    const result = await measureLoad(a, cell, plan, context(dir));
    const load = result.load;
    assert.equal(result.rows.length, 2 * c, result.notes.join("; "));
    assert.ok(result.rows.every((r) => r.status === "success"));
    assert.ok(load.environments <= c, `${load.environments} environments for concurrency ${c}`);
    assert.equal(load.environments, a.made);
    assert.equal(
      load.coldStarts,
      load.environments,
      "every environment's first invocation is cold",
    );
    assert.equal(result.rows.filter((r) => r.cold).length, load.coldStarts);
    assert.ok(result.rows.filter((r) => r.cold).every((r) => r.init_ms !== null));
    assert.equal(load.throttles, 0);
    assert.equal(load.succeeded, 2 * c);
    assert.ok(load.throughputRps > 0);
    assert.ok((load.latencyMs.p50 ?? 0) >= 300, `p50 ${load.latencyMs.p50} ms for a 300 ms sleep`);
    assert.ok((load.durationMs.p50 ?? 0) >= 300);
    assert.ok(load.peakConcurrency <= c);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("measureLoad() throttles past the reserved concurrency and counts it; a freed environment is reused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "battle-load-" });
  try {
    const a = adapter(dir, 100);
    const plan = { requests: 12, concurrency: 4, reservedConcurrency: 2, payloadBytes: 16 };
    const result = await measureLoad(a, cell, plan, context(dir), { throttleBackoffMs: 200 });
    const load = result.load;
    assert.ok(load.environments <= 2, `${load.environments} environments at a bound of 2`);
    assert.ok(load.throttles > 0, "callers beyond the bound were throttled");
    assert.equal(load.throttles, load.throttledAtMs.length);
    assert.equal(load.invoked + load.throttles, 12);
    assert.equal(load.coldStarts, load.environments);
    assert.ok(load.invoked > load.environments, "environments were reused");
    assert.match(result.notes.join("; "), /requests throttled/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
