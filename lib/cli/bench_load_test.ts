import assert from "node:assert/strict";
import { DEFAULT_LOAD_CONCURRENCY, DEFAULT_LOAD_REQUESTS, parseBenchArgs } from "./bench.ts";

Deno.test("parseBenchArgs() --load: R requests at concurrency C, defaults sized for a 2-core machine", () => {
  const a = parseBenchArgs(["--load", "--variants", "none"]);
  assert.deepEqual(a.load, {
    requests: DEFAULT_LOAD_REQUESTS,
    concurrency: DEFAULT_LOAD_CONCURRENCY,
    reservedConcurrency: null,
    payloadBytes: 1024,
    gapMs: 20,
  });
  assert.equal(a.concurrency, 1, "cells run one after another under load");
  const b = parseBenchArgs([
    "--load",
    "--variants",
    "none",
    "--requests",
    "5000",
    "--concurrency",
    "250",
    "--reserved-concurrency",
    "100",
  ]);
  assert.deepEqual([b.load?.requests, b.load?.concurrency, b.load?.reservedConcurrency], [
    5000,
    250,
    100,
  ]);
});

Deno.test("parseBenchArgs() keeps the load's flags and the protocol's counts apart", () => {
  assert.throws(() => parseBenchArgs(["--requests", "10"]), {
    name: "RangeError",
    message: "--requests needs --load",
  });
  assert.throws(() => parseBenchArgs(["--load", "--cold", "3"]), {
    name: "RangeError",
    message: "--cold is a setting of the cold/warm protocol, not of --load",
  });
  assert.throws(() => parseBenchArgs(["--load", "--requests", "0"]), {
    name: "RangeError",
    message: 'Invalid --requests "0": expected a whole number ≥ 1',
  });
});

Deno.test("parseBenchArgs() --delay-ms sets the delay workload's sleep locally and is a deploy-time setting on AWS", () => {
  const a = parseBenchArgs(["--workloads", "delay", "--delay-ms", "500"]);
  assert.equal(a.functionSettings?.delayMs, 500);
  assert.equal(parseBenchArgs(["--workloads", "delay"]).functionSettings?.delayMs, undefined);
  assert.throws(() => parseBenchArgs(["--backend", "aws", "--delay-ms", "500"]), {
    name: "RangeError",
    message: /--delay-ms is a deploy-time setting on AWS/,
  });
});
