import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadRuns } from "../analysis/load.ts";
import { writeFixtures } from "../analysis/testdata/make_fixture.ts";
import type { CostPoint } from "../cost/sweep.ts";
import { memorySweep } from "../cost/sweep.ts";
import { ChartRenderer, findChromium } from "./chromium.ts";
import { coldStartBox, paretoChart } from "./figures.ts";
import { figureHtml } from "./html.ts";
import { FIGURE_WIDTH, spansOrders, valueAxis } from "./theme.ts";

const fixtures = mkdtempSync(join(tmpdir(), "style-fixtures-"));
const [fixtureRun] = writeFixtures(fixtures);
const { frame, runs } = loadRuns([fixtureRun!]);
rmSync(fixtures, { recursive: true, force: true });

/** Sweep points whose memory labels crowd together, as the first study's 512 and 1024 MB did. */
function crowdedPoints(): CostPoint[] {
  const points = memorySweep(frame).filter((p) => p.coldShare === 0.1);
  // A tight cluster, and one far point that stretches the axes as node's 128 MB did.
  return points.map((p, i) => ({
    ...p,
    cost: { ...p.cost, total: i === 0 ? 2.2 : 0.8 + (i % 5) * 0.06 },
    latencyMs: i === 0 ? 400 : 20 + (i % 3) * 8,
  }));
}

Deno.test("figures fit an 800 px column and put the legend above the plot", () => {
  const fig = coldStartBox(frame, { runs });
  assert.equal(fig.layout.width, FIGURE_WIDTH);
  assert.ok(FIGURE_WIDTH <= 800);
  assert.equal((fig.layout.legend as { orientation: string }).orientation, "h");
});

Deno.test("valueAxis() goes logarithmic where values span an order of magnitude", () => {
  assert.equal(valueAxis("Init Duration (ms)", [45, 60, 2500]).axis.type, "log");
  const log = valueAxis("Init Duration (ms)", [45, 60, 2500]).axis as {
    tickvals: number[];
    title: { text: string };
  };
  assert.deepEqual(log.tickvals, [50, 100, 200, 500, 1000, 2000]);
  assert.equal(log.title.text, "Init Duration (ms), log scale");
  assert.equal(valueAxis("x (ms)", [45, 60, 300]).log, false);
  assert.equal(spansOrders([]), false);
  const box = coldStartBox(frame, { runs });
  const values = (box.data as Array<{ y: number[] }>).flatMap((t) => t.y);
  assert.equal((box.layout.yaxis as { type?: string }).type === "log", spansOrders(values));
});

Deno.test("paretoChart() gives crowded labels different places", () => {
  const fig = paretoChart(crowdedPoints(), { runs });
  const positions = fig.data.slice(1).flatMap((t) => t.textposition as string[]);
  assert.ok(new Set(positions).size >= 4, `positions used: ${[...new Set(positions)]}`);
});

Deno.test({
  name: "paretoChart()'s memory labels do not overlap once drawn",
  ignore: findChromium() === null,
  async fn() {
    const dir = mkdtempSync(join(tmpdir(), "style-test-"));
    const renderer = await ChartRenderer.start();
    try {
      for (const points of [memorySweep(frame), crowdedPoints()]) {
        const page = join(dir, "pareto.html");
        writeFileSync(page, figureHtml(paretoChart(points, { runs, coldShare: 0.1 })));
        const tab = await renderer.openTab(pathToFileURL(page).href);
        const boxes = await tab.waitFor(`(() => {
          const texts = [...document.querySelectorAll(".scatterlayer .textpoint text")];
          if (texts.length === 0) return null;
          return texts.map((t) => { const r = t.getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom, t.textContent]; });
        })()`) as Array<[number, number, number, number, string]>;
        await tab.close();
        const overlaps: string[] = [];
        boxes.forEach((a, i) =>
          boxes.slice(i + 1).forEach((b) => {
            const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
            const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
            if (w > 1 && h > 1) overlaps.push(`${a[4]} × ${b[4]}`);
          })
        );
        assert.ok(boxes.length >= 6);
        assert.deepEqual(overlaps, [], `${boxes.length} labels`);
      }
    } finally {
      await renderer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
