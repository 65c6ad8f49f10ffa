import assert from "node:assert/strict";
import { loadRuns } from "../analysis/load.ts";
import { summarize } from "../analysis/summary.ts";
import { FIXTURE_RUN, FIXTURE_RUN_X86 } from "../analysis/testdata/make_fixture.ts";
import { memorySweep } from "../cost/sweep.ts";
import { VARIANTS } from "../variants.ts";
import {
  coldStartBox,
  costVsMemory,
  initEcdf,
  initVsMemory,
  memoryUsed,
  paretoChart,
  warmAndOverhead,
} from "./figures.ts";
import { colorOf, type Figure, sourceNote } from "./theme.ts";
import { figureHtml } from "./html.ts";
import { mimeBundle, PLOTLY_MIME } from "./display.ts";

const { frame, runs } = loadRuns([FIXTURE_RUN]);
const summaries = summarize(frame);
const points = memorySweep(frame);

function allFigures(): Record<string, Figure> {
  return {
    coldStartBox: coldStartBox(frame, { runs }),
    coldRttBox: coldStartBox(frame, { runs }, "coldRttMs"),
    initEcdf: initEcdf(frame, { runs }),
    initVsMemory: initVsMemory(summaries, { runs }),
    warmAndOverhead: warmAndOverhead(frame, { runs }),
    memoryUsed: memoryUsed(frame, { runs }),
    costVsMemory: costVsMemory(points, { runs, region: "us-east-1", priceDate: "2025-08-01" }),
    pareto: paretoChart(points, { runs }),
  };
}

function traceColor(t: Record<string, unknown>): string | undefined {
  const line = t.line as { color?: string } | undefined;
  const marker = t.marker as { color?: unknown } | undefined;
  return line?.color ?? (typeof marker?.color === "string" ? marker.color : undefined);
}

Deno.test("every figure colours each variant with Variant.color", () => {
  for (const [name, fig] of Object.entries(allFigures())) {
    const variantTraces = fig.data.filter((t) => typeof t.legendgroup === "string");
    assert.ok(variantTraces.length > 0, name);
    for (const t of variantTraces) {
      const variant = t.legendgroup as string;
      assert.equal(
        traceColor(t),
        VARIANTS.find((v) => v.name === variant)!.color,
        `${name}/${variant}`,
      );
    }
  }
});

Deno.test("box and ECDF figures have one trace per variant, in variant order", () => {
  const names = VARIANTS.map((v) => v.name);
  const figs = allFigures();
  for (const key of ["coldStartBox", "initEcdf", "memoryUsed", "initVsMemory"]) {
    assert.deepEqual(figs[key]!.data.map((t) => t.name), names, key);
  }
  assert.equal(figs.warmAndOverhead!.data.length, 2 * names.length);
  const box = figs.coldStartBox!.data[0]!;
  assert.equal((box.y as number[]).length, 3 * 12, "12 cold starts × 3 memory sizes");
  assert.equal(box.boxpoints, "all");
  const ecdf = figs.initEcdf!.data[0]!;
  assert.equal((ecdf.y as number[])[0], 0, "the ECDF rises from 0");
  assert.equal((ecdf.y as number[]).at(-1), 1);
  assert.equal((ecdf.x as number[]).length, 12 + 1);
  // Pareto: a front trace plus one per variant.
  assert.equal(figs.pareto!.data[0]!.name, "Pareto front");
  assert.equal(figs.pareto!.data.length, 1 + names.length);
  // Cost: one line per variant per cold share.
  assert.equal(figs.costVsMemory!.data.length, 2 * names.length);
});

Deno.test("every figure has a title, axis titles with units and the source note", () => {
  for (const [name, fig] of Object.entries(allFigures())) {
    const layout = fig.layout as {
      title: { text: string };
      yaxis: { title: { text: string } };
      annotations: Array<{ text: string }>;
    };
    assert.ok(layout.title.text.length > 5, name);
    assert.match(layout.yaxis.title.text, /\((ms|MB)\)|USD|Share/, name);
    assert.equal(
      layout.annotations[0]!.text,
      "Source: run fixture-arm64 · backend local · LLRT v0.7.0-beta (fixture)",
    );
  }
});

Deno.test("initVsMemory() draws 95% intervals only where the sample allows", () => {
  const both = loadRuns([FIXTURE_RUN, FIXTURE_RUN_X86]);
  const fig = initVsMemory(summarize(both.frame), { runs: both.runs });
  const x86 = fig.data.find((t) => t.name === "llrt (x86_64)")!;
  assert.deepEqual((x86.error_y as { array: number[] }).array, [0]);
  assert.match((x86.text as string[])[0]!, /n=4: too few for a 95% interval/);
  const arm = fig.data.find((t) => t.name === "llrt (arm64)")!;
  assert.ok((arm.error_y as { array: number[] }).array.every((v) => v > 0));
});

Deno.test("sourceNote() lists every run and tolerates missing facts", () => {
  const both = loadRuns([FIXTURE_RUN, FIXTURE_RUN_X86]);
  assert.equal(
    sourceNote(both.runs),
    "Source: runs fixture-arm64, fixture-x86 · backend local · LLRT v0.7.0-beta (fixture)",
  );
  assert.equal(
    sourceNote([{ ...runs[0]!, backend: null, llrtLabel: null }]),
    "Source: run fixture-arm64 · backend unknown · LLRT not recorded",
  );
  assert.equal(colorOf("bun"), colorOf("bun"));
});

Deno.test("mimeBundle() carries the plotly JSON and an offline HTML fallback", () => {
  const fig = initEcdf(frame, { runs });
  const first = mimeBundle(fig);
  assert.deepEqual(first[PLOTLY_MIME], { data: fig.data, layout: fig.layout });
  const html = String(first["text/html"]);
  assert.ok(html.length > 1_000_000, "first output inlines plotly.js");
  assert.match(html, /Plotly\.newPlot/);
  const later = String(mimeBundle(fig)["text/html"]);
  assert.ok(later.length < 100_000, "later outputs reuse window.Plotly");
  const page = figureHtml(fig, { plotly: { src: "plotly.min.js" } });
  assert.match(page, /<script src="plotly\.min\.js"><\/script>/);
});
