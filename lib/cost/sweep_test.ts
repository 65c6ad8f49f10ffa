import assert from "node:assert/strict";
import { testRow } from "../analysis/testdata/rows.ts";
import { invocationFrame } from "../analysis/frame.ts";
import { loadRun } from "../analysis/load.ts";
import { FIXTURE_RUN } from "../analysis/testdata/make_fixture.ts";
import {
  bestMemory,
  cellMeans,
  type CostPoint,
  deliveringPoints,
  isComparable,
  memorySweep,
  paretoFront,
} from "./sweep.ts";

const row = testRow;

Deno.test("cellMeans() takes Init out of a cold Billed Duration that includes it", () => {
  const frame = invocationFrame([
    // New-style REPORT: Billed Duration = ceil(Init + Duration).
    row({ cold: true, init_ms: 100.4, duration_ms: 5, billed_ms: 106 }),
    // Old-style REPORT: Billed Duration excludes Init.
    row({ cold: true, init_ms: 100.4, duration_ms: 5, billed_ms: 7 }),
    row({ billed_ms: 10 }),
    row({ billed_ms: 12 }),
    row({ billed_ms: 999, status: "error" }),
  ]);
  const [c] = cellMeans(frame);
  assert.ok(c);
  assert.equal(c.warmN, 2);
  assert.equal(c.coldN, 2);
  assert.equal(c.warmBilledMs, 11);
  assert.equal(c.initBilledMs, 101);
  assert.equal(c.coldBilledMs, (5 + 7) / 2);
});

Deno.test("memorySweep() and bestMemory() find the cheapest and the fastest memory", () => {
  const frame = invocationFrame([
    row({ memory_mb: 512, billed_ms: 10, duration_ms: 10 }),
    row({ memory_mb: 1024, billed_ms: 6, duration_ms: 6 }),
    row({ memory_mb: 2048, billed_ms: 6, duration_ms: 6 }),
  ]);
  const points = memorySweep(frame, { coldShares: [0] });
  assert.deepEqual(points.map((p) => p.memoryMb), [512, 1024, 2048]);
  // 512 MB: 1e6 × 10 ms × 0.5 GB = 5,000 GB-s; 1024 MB: 6,000 GB-s; rust sends 1 SQS request.
  assert.ok(Math.abs(points[0]!.cost.total - (5000 * 0.0000133334 + 0.2 + 0.4)) < 1e-9);
  const [best] = bestMemory(points);
  assert.equal(best!.cheapest.memoryMb, 512);
  assert.equal(best!.fastest.memoryMb, 1024, "ties go to less memory");
});

Deno.test("paretoFront() keeps only points nothing beats on both axes", () => {
  const p = (name: string, total: number, latencyMs: number) =>
    ({ variant: name, coldShare: 0.01, latencyMs, cost: { total } }) as unknown as CostPoint;
  const front = paretoFront([
    p("a", 1, 50),
    p("b", 2, 40),
    p("c", 2.5, 45),
    p("d", 3, 10),
    p("e", 1, 60),
  ]);
  assert.deepEqual(front.map((x) => x.variant), ["a", "b", "d"]);
  assert.throws(() => paretoFront([p("a", 1, 1), { ...p("b", 1, 1), coldShare: 0.1 }]), {
    name: "RangeError",
  });
});

Deno.test("memorySweep() prices every fixture cell at 1% and 10% cold starts", () => {
  const { frame } = loadRun(FIXTURE_RUN);
  const points = memorySweep(frame);
  assert.equal(points.length, 2 * 5 * 3);
  const none = points.find((p) => p.variant === "none" && p.coldShare === 0.01)!;
  assert.equal(none.cost.sqs, 0);
  const llrt = points.find((p) => p.variant === "llrt" && p.coldShare === 0.1)!;
  assert.equal(llrt.inputs.customRuntime, true);
  assert.ok(llrt.cost.init > 0);
  const at10 = points.filter((p) => p.coldShare === 0.1);
  const atOne = points.filter((p) => p.coldShare === 0.01);
  const sum = (ps: CostPoint[]) => ps.reduce((s, x) => s + x.cost.init, 0);
  assert.ok(sum(at10) > 9 * sum(atOne));
});

Deno.test("deliveringPoints() leaves out variants that do not send, keeps unknown ones", () => {
  const point = (variant: string) => ({ variant }) as unknown as CostPoint;
  const kept = deliveringPoints(["none", "direct", "rust", "node", "llrt", "bun"].map(point));
  assert.deepEqual(kept.map((p) => p.variant), ["direct", "rust", "node", "llrt", "bun"]);
});

/** rust at 512 and 1024 MB with cold starts that succeed; at 2048 MB every cold start failed. */
function failedColdFrame() {
  const rows = [];
  for (const memory_mb of [512, 1024, 2048]) {
    for (let i = 0; i < 4; i++) rows.push(row({ memory_mb, billed_ms: 10, duration_ms: 10 }));
    for (let i = 0; i < 2; i++) {
      const cold = { memory_mb, cold: true, init_ms: 150, duration_ms: 20, billed_ms: 171 };
      rows.push(row(memory_mb === 2048 ? { ...cold, status: "error" } : cold));
    }
  }
  // The failing cell looks cheapest and fastest when its cold starts are priced as warm ones.
  for (let i = 0; i < 4; i++) rows.push(row({ memory_mb: 2048, billed_ms: 1, duration_ms: 1 }));
  return invocationFrame(rows);
}

Deno.test("cellMeans() counts failed cold starts apart", () => {
  const cells = cellMeans(failedColdFrame());
  assert.deepEqual(cells.map((c) => [c.memoryMb, c.coldN, c.coldFailedN, c.warmN]), [
    [512, 2, 0, 4],
    [1024, 2, 0, 4],
    [2048, 0, 2, 8],
  ]);
});

Deno.test("memorySweep() flags a cell whose cold starts all failed; best and Pareto skip it", () => {
  const points = memorySweep(failedColdFrame(), { coldShares: [0, 0.1] });
  const failed = points.filter((p) => p.memoryMb === 2048);
  assert.deepEqual(failed.map((p) => [p.coldShare, p.noColdSample, isComparable(p)]), [
    [0, true, true],
    [0.1, true, false],
  ]);
  assert.equal(failed[1]!.inputs.initBilledMs, 0, "priced, but with Init as 0");
  const at10 = points.filter((p) => p.coldShare === 0.1);
  // Without the flag it would be both the cheapest and the fastest.
  const cheapest = [...at10].sort((a, b) => a.cost.total - b.cost.total)[0]!;
  assert.equal(cheapest.memoryMb, 2048);
  const [best] = bestMemory(at10);
  assert.equal(best!.cheapest.memoryMb, 512);
  assert.equal(best!.fastest.memoryMb, 512);
  assert.deepEqual(best!.excluded.map((p) => p.memoryMb), [2048]);
  assert.ok(paretoFront(at10).every((p) => p.memoryMb !== 2048));
  assert.ok(paretoFront(at10).length > 0);
  // At a cold share of 0 cold starts do not count, and the cell competes.
  const [atZero] = bestMemory(points.filter((p) => p.coldShare === 0));
  assert.equal(atZero!.fastest.memoryMb, 2048);
  assert.deepEqual(atZero!.excluded, []);
});

Deno.test("bestMemory() omits a variant with no comparable memory size", () => {
  const frame = invocationFrame([
    row({ variant: "node", memory_mb: 512 }),
    row({ variant: "node", memory_mb: 512, cold: true, init_ms: 90, status: "timeout" }),
    row({ variant: "rust", memory_mb: 512 }),
    row({ variant: "rust", memory_mb: 512, cold: true, init_ms: 90, billed_ms: 101 }),
  ]);
  const points = memorySweep(frame, { coldShares: [0.01] });
  assert.equal(points.length, 2, "both stay in the sweep");
  assert.deepEqual(bestMemory(points).map((b) => b.variant), ["rust"]);
  assert.deepEqual(paretoFront(points).map((p) => p.variant), ["rust"]);
});
