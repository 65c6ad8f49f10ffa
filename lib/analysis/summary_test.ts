import assert from "node:assert/strict";
import { testRow } from "./testdata/rows.ts";
import { invocationFrame } from "./frame.ts";
import { loadRuns } from "./load.ts";
import { compareVariants, metricValues, selectCells, summarize, variantOrder } from "./summary.ts";
import { FIXTURE_RUN, FIXTURE_RUN_X86 } from "./testdata/make_fixture.ts";

const row = testRow;

Deno.test("summarize() excludes failed rows from latency but counts them", () => {
  const frame = invocationFrame([
    row({ cold: true, init_ms: 100, client_rtt_ms: 120 }),
    row({ cold: true, init_ms: 110, client_rtt_ms: 130 }),
    row({ cold: true, init_ms: 9999, status: "error", error_type: "Runtime.OutOfMemory" }),
    row({ duration_ms: 5 }),
    row({ duration_ms: 7 }),
    row({ duration_ms: 3000, status: "timeout" }),
  ]);
  const [s] = summarize(frame);
  assert.ok(s);
  assert.equal(s.invocations, 6);
  assert.equal(s.coldOk, 2);
  assert.equal(s.warmOk, 2);
  assert.deepEqual(s.excluded, { error: 1, timeout: 1 });
  assert.equal(s.metrics.initMs.n, 2);
  assert.equal(s.metrics.initMs.p50, 105);
  assert.equal(s.metrics.coldRttMs.p50, 125);
  assert.equal(s.metrics.warmDurationMs.p50, 6);
  assert.equal(s.metrics.initMs.note, "n=2: too few for a 95% interval");
  assert.equal(s.metrics.maxMemoryMb.n, 4);
});

Deno.test("summarize() gives one cell per variant × memory × arch in variant order", () => {
  const { frame } = loadRuns([FIXTURE_RUN, FIXTURE_RUN_X86]);
  const cells = summarize(frame);
  assert.equal(cells.length, 5 * 3 + 3);
  assert.deepEqual(
    [...new Set(cells.map((c) => c.variant))],
    ["none", "direct", "rust", "node", "llrt"],
  );
  const nodeSmall = cells.find((c) => c.variant === "node" && c.memoryMb === 128)!;
  assert.deepEqual(nodeSmall.excluded, { error: 2 });
  assert.equal(nodeSmall.metrics.initMs.n, 12);
  assert.ok(nodeSmall.metrics.initMs.ci !== null);
  const x86 = cells.find((c) => c.arch === "x86_64" && c.variant === "llrt")!;
  assert.equal(x86.metrics.initMs.ci, null);
  assert.equal(x86.metrics.initMs.note, "n=4: too few for a 95% interval");
});

Deno.test("compareVariants() gives the ratio of medians per shared cell", () => {
  const { frame } = loadRuns([FIXTURE_RUN, FIXTURE_RUN_X86]);
  const cmp = compareVariants(frame, { variant: "llrt", baseline: "node", metric: "initMs" });
  assert.deepEqual(cmp.map((c) => `${c.memoryMb}/${c.arch}`), [
    "128/arm64",
    "512/arm64",
    "512/x86_64",
    "1024/arm64",
  ]);
  for (const c of cmp) {
    const a = metricValues(frame, { ...c, variant: "llrt", metric: "initMs" }).sort((x, y) =>
      x - y
    );
    const b = metricValues(frame, { ...c, variant: "node", metric: "initMs" }).sort((x, y) =>
      x - y
    );
    const med = (s: number[]) => (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
    assert.ok(Math.abs(c.ratio! - med(a) / med(b)) < 1e-12);
  }
  // The fixture's llrt Init is about a third of node's.
  const arm = cmp.find((c) => c.arch === "arm64" && c.memoryMb === 512)!;
  assert.ok(arm.ci && arm.ci.lower < 95 / 290 && 95 / 290 < arm.ci.upper, JSON.stringify(arm));
  assert.equal(cmp.find((c) => c.arch === "x86_64")!.ci, null);
});

Deno.test("selectCells() keeps the chosen variants, memory sizes and archs", () => {
  const { frame } = loadRuns([FIXTURE_RUN, FIXTURE_RUN_X86]);
  const picked = selectCells(frame, { variants: ["llrt", "node"], memoryMb: [512] });
  const cells = summarize(picked).map((c) => `${c.variant}/${c.memoryMb}/${c.arch}`);
  assert.deepEqual(cells, [
    "node/512/arm64",
    "node/512/x86_64",
    "llrt/512/arm64",
    "llrt/512/x86_64",
  ]);
  assert.equal(selectCells(frame, { archs: ["x86_64"] }).height, 42);
  assert.equal(selectCells(frame, {}).height, frame.height);
});

Deno.test("variantOrder() gives rust and llrt one place in charts by variant and by runtime", () => {
  const sorted = (names: string[]) => [...names].sort(variantOrder);
  assert.deepEqual(sorted(["llrt", "node", "rust", "none", "direct"]), [
    "none",
    "direct",
    "rust",
    "node",
    "llrt",
  ]);
  assert.deepEqual(sorted(["go", "llrt", "python-pyo3", "rust", "nodejs", "python"]), [
    "nodejs",
    "python",
    "python-pyo3",
    "rust",
    "go",
    "llrt",
  ]);
  assert.deepEqual(sorted(["go-none-sqs", "zzz", "rust", "nodejs-rust-sqs", "nodejs-none-sqs"]), [
    "rust",
    "nodejs-none-sqs",
    "nodejs-rust-sqs",
    "go-none-sqs",
    "zzz",
  ]);
});
