import assert from "node:assert/strict";
import { loadRuns } from "../analysis/load.ts";
import { selectCells } from "../analysis/summary.ts";
import { FIXTURE_RUN } from "../analysis/testdata/make_fixture.ts";
import { comparisonPairs, ratioSections, summaryComparisons } from "./comparisons.ts";

Deno.test("comparisonPairs() compares extensions with node, then every variant with none", () => {
  const pairs = comparisonPairs(["none", "direct", "rust", "node", "llrt", null]);
  const text = pairs.map((p) => `${p.variant}/${p.baseline}/${p.metric}`);
  assert.deepEqual(text.slice(0, 3), [
    "rust/node/initMs",
    "llrt/node/initMs",
    "rust/node/coldRttMs",
  ]);
  assert.ok(text.includes("llrt/node/postRuntimeMs"));
  assert.ok(text.includes("direct/none/warmDurationMs"));
  assert.ok(!text.some((t) => t.includes("/none/postRuntimeMs")), "no overhead ratio vs none");
  assert.ok(!text.some((t) => t.startsWith("node/node") || t.startsWith("none/none")));
  assert.equal(pairs.length, 2 * 4 + 4 * 3);
});

Deno.test("comparisonPairs() keeps only pairs whose both variants are present", () => {
  assert.deepEqual(comparisonPairs(["rust", "llrt"]), []);
  assert.deepEqual(
    comparisonPairs(["rust", "node"]).map((p) => p.baseline),
    ["node", "node", "node", "node"],
  );
});

Deno.test("summaryComparisons() follows the pairs through a selection of cells", () => {
  const { frame } = loadRuns([FIXTURE_RUN]);
  const picked = selectCells(frame, { variants: ["llrt", "node", "none"], memoryMb: [512] });
  const cmp = summaryComparisons(picked);
  assert.ok(cmp.length > 0);
  assert.ok(cmp.every((c) => c.memoryMb === 512));
  assert.deepEqual(
    [...new Set(cmp.map((c) => `${c.variant}/${c.baseline}`))],
    ["llrt/node", "node/none", "llrt/none"],
  );
});

Deno.test("ratioSections() groups the ratios by metric under the metric's label", () => {
  const { frame } = loadRuns([FIXTURE_RUN]);
  const sections = ratioSections(summaryComparisons(selectCells(frame, { memoryMb: [128] })));
  assert.match(sections[0]!, /^### Init Duration \(ms\)\n\n\| memory \(MB\) \| arch \| ratio/);
  assert.match(sections[0]!, /\| 128 \| arm64 \| rust vs node: \d\.\d\d× \[/);
  assert.deepEqual(ratioSections([]), ["No pair of variants to compare.\n"]);
});
