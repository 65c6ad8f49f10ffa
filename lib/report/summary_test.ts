import assert from "node:assert/strict";
import { loadRuns } from "../analysis/load.ts";
import { summarize } from "../analysis/summary.ts";
import { FIXTURE_RUN } from "../analysis/testdata/make_fixture.ts";
import { memorySweep } from "../cost/sweep.ts";
import { bestMemoryTable, costTable, paretoTable } from "../cost/tables.ts";
import { bestMemory } from "../cost/sweep.ts";
import {
  cheapestMemoryTable,
  costSections,
  formatControls,
  formatShare,
  metricSections,
  SUMMARY_METRICS,
} from "./summary.ts";

Deno.test("formatControls() keeps short settings and drops long details", () => {
  assert.equal(
    formatControls({ memoryLimit: "cgroup-v1", freezer: "cgroup-v1", detail: "long text" }),
    "memoryLimit cgroup-v1, freezer cgroup-v1",
  );
  assert.equal(formatControls(null), "not recorded");
  assert.equal(formatControls("sigstop"), "sigstop");
});

Deno.test("formatShare() writes a share as a percentage without trailing zeros", () => {
  assert.deepEqual([0.01, 0.1, 0.005, 1].map(formatShare), ["1%", "10%", "0.5%", "100%"]);
});

Deno.test("costSections() puts each share's cost table and Pareto table under one heading", () => {
  const points = memorySweep(loadRuns([FIXTURE_RUN]).frame, { coldShares: [0.01, 0.1] });
  const sections = costSections(points, [0.1, 0.01]);
  assert.equal(sections.length, 2);
  assert.ok(sections[0]!.startsWith(`### 10% cold starts\n\n${costTable(points, 0.1)}\n\n`));
  assert.ok(sections[1]!.endsWith(`${paretoTable(points, 0.01)}\n`));
  assert.equal(cheapestMemoryTable(points), bestMemoryTable(bestMemory(points)));
});

Deno.test("metricSections() shows every summary metric that has values, billed ones left out", () => {
  const summaries = summarize(loadRuns([FIXTURE_RUN]).frame);
  assert.ok(!SUMMARY_METRICS.includes("warmBilledMs"));
  const sections = metricSections(summaries);
  assert.equal(sections.length, SUMMARY_METRICS.length);
  assert.match(sections[0]!, /^### .+\n\n\| variant \| memory \(MB\) \|/);
});
