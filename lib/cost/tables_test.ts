import assert from "node:assert/strict";
import { testRow } from "../analysis/testdata/rows.ts";
import { invocationFrame } from "../analysis/frame.ts";
import { bestMemory, memorySweep } from "./sweep.ts";
import { bestMemoryTable, costTable, paretoTable } from "./tables.ts";

/** rust at 512 MB measured in full; at 1024 MB its two cold starts failed (one timeout). */
function points() {
  const rows = [];
  for (const memory_mb of [512, 1024]) {
    for (let i = 0; i < 3; i++) rows.push(testRow({ memory_mb, billed_ms: 10, duration_ms: 10 }));
    const cold = { memory_mb, cold: true, init_ms: 150, duration_ms: 20, billed_ms: 171 };
    if (memory_mb === 512) rows.push(testRow(cold), testRow(cold));
    else rows.push(testRow({ ...cold, status: "error" }), testRow({ ...cold, status: "timeout" }));
  }
  return memorySweep(invocationFrame(rows), { coldShares: [0.1] });
}

Deno.test("costTable() keeps a cell without a successful cold start, marked and explained", () => {
  const table = costTable(points(), 0.1);
  const lines = table.split("\n");
  assert.match(lines[0]!, /\| n cold \/ warm \|$/);
  assert.match(lines.find((l) => l.includes("| 512 |"))!, /^\| rust \| 512 \|.*\| 2 \/ 3 \|$/);
  assert.match(
    lines.find((l) => l.includes("| 1024 |"))!,
    /^\| rust † \| 1024 \|.*\| 0 \(\+2 failed\) \/ 3 \|$/,
  );
  assert.match(lines.at(-1)!, /^† no successful cold start: Init priced as 0/);
  assert.ok(!costTable(points().filter((p) => p.memoryMb === 512), 0.1).includes("†"));
});

Deno.test("bestMemoryTable() shows sample counts and names what it left out", () => {
  const table = bestMemoryTable(bestMemory(points()));
  const lines = table.split("\n");
  assert.equal(
    lines[0],
    "| cold share | variant | arch | cheapest memory | cost per 1M | n cold / warm | fastest memory | expected duration (ms) | n cold / warm |",
  );
  assert.match(
    lines[2]!,
    /^\| 10% \| rust \| arm64 \| 512 MB \| \$[\d.]+ \| 2 \/ 3 \| 512 MB \| [\d.]+ \| 2 \/ 3 \|$/,
  );
  assert.match(
    lines.at(-1)!,
    /^Left out for want of a successful cold start \(.*\): rust arm64 1024 MB at 10%\.$/,
  );
});

Deno.test("paretoTable() shows sample counts and names what it left out", () => {
  const table = paretoTable(points(), 0.1);
  const lines = table.split("\n");
  assert.match(lines[0]!, /\| n cold \/ warm \|$/);
  assert.equal(lines.filter((l) => l.startsWith("| rust")).length, 1);
  assert.match(lines[2]!, /^\| rust \| 512 \| arm64 \|.*\| 2 \/ 3 \|$/);
  assert.match(
    lines.at(-1)!,
    /^Left out for want of a successful cold start \(.*\): rust 1024 MB\.$/,
  );
});
