import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ChartRenderer, findChromium } from "../charts/chromium.ts";
import { FIGURE_HEIGHT, FIGURE_WIDTH } from "../charts/theme.ts";
import { FIXTURE_RUN, FIXTURE_RUN_X86 } from "../analysis/testdata/make_fixture.ts";
import { invocationFrame } from "../analysis/frame.ts";
import { writeReport } from "./write.ts";

const chromium = findChromium();
if (chromium === null) {
  console.log("write_test: Chromium not found (apt-get install -y chromium): image test skipped");
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "report-test-"));
}

const CHARTS = [
  "cold_start_init",
  "cold_start_round_trip",
  "init_ecdf",
  "init_vs_memory",
  "warm_and_overhead",
  "memory_used",
  "cost_vs_memory",
  "pareto_1pct",
  "pareto_10pct",
];

Deno.test({
  name: "writeReport() renders every chart as a real PNG, SVG and offline HTML",
  ignore: chromium === null,
  async fn() {
    const renderer = await ChartRenderer.start();
    const out = tempDir();
    try {
      const result = await writeReport({
        runDirs: [FIXTURE_RUN],
        outDir: out,
        log: () => {},
        renderer,
      });
      assert.equal(result.imagesSkipped, null);
      for (const name of CHARTS) {
        const png = readFileSync(join(out, `${name}.png`));
        assert.deepEqual(
          [...png.subarray(0, 8)],
          [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
          name,
        );
        // IHDR: width and height at bytes 16–23, rendered at scale 2.
        assert.equal(png.readUInt32BE(16), 2 * FIGURE_WIDTH, `${name} width`);
        assert.equal(png.readUInt32BE(20), 2 * FIGURE_HEIGHT, `${name} height`);
        assert.ok(png.length > 30_000, `${name}.png is ${png.length} bytes`);
        const svg = readFileSync(join(out, `${name}.svg`), "utf8");
        assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, name);
        assert.match(svg, /<\/svg>$/);
        assert.ok(svg.length > 5_000, `${name}.svg is ${svg.length} chars`);
        assert.match(svg, /Source: run fixture-arm64/);
        const html = readFileSync(join(out, `${name}.html`), "utf8");
        assert.match(html, /<script src="plotly\.min\.js"><\/script>/);
        assert.doesNotMatch(html, /https?:\/\/cdn/);
      }
      assert.ok(statSync(join(out, "plotly.min.js")).size > 1_000_000);
      // The HTML draws offline, from plotly.min.js beside it.
      const drawn = await renderer.waitInPage(
        pathToFileURL(join(out, "pareto_1pct.html")).href,
        "document.querySelectorAll('#chart .main-svg .scatterlayer .trace').length",
      );
      assert.equal(drawn, 6, "Pareto front + 5 variants");
    } finally {
      await renderer.close();
      rmSync(out, { recursive: true, force: true });
    }
  },
});

Deno.test("writeReport() writes summary.md with intervals, costs, backend and LLRT label", async () => {
  const out = tempDir();
  try {
    const result = await writeReport({
      runDirs: [FIXTURE_RUN, FIXTURE_RUN_X86],
      outDir: out,
      images: false,
      inlinePlotly: true,
      log: () => {},
    });
    assert.equal(result.imagesSkipped, "images turned off");
    assert.ok(!existsSync(join(out, "plotly.min.js")), "inlined, not beside");
    assert.ok(statSync(join(out, "init_ecdf.html")).size > 1_000_000);
    const md = readFileSync(join(out, "summary.md"), "utf8");
    assert.match(md, /^# Battle of the Extensions: fixture-arm64, fixture-x86/);
    assert.match(
      md,
      /\| fixture-arm64 \| local \| LLRT v0\.7\.0-beta \(fixture\) \| memoryLimit cgroup-v1, cpuQuota cgroup-v1, freezer cgroup-v2, peakMemory rss\+cgroup-v1[^|]* \|/,
    );
    assert.match(md, /\| node \| 128 \| arm64 \| 44 \| 12 \| 30 \| 2 error \|/);
    assert.match(md, /\| llrt \| 512 \| x86_64 \| 4 \| \d+ \(n=4: too few for a 95% interval\) \|/);
    assert.match(md, /llrt vs node: 0\.\d\d× \[0\.\d\d, 0\.\d\d\]/);
    assert.match(md, /## Headlines\n\n- Init Duration at 1024 MB arm64: rust vs node: 0\.\d\d× \[/);
    assert.match(
      md,
      /- Extension overhead per warm invocation \(median post-runtime ms\) at 1024 MB arm64: rust /,
    );
    assert.match(
      md,
      /- Cheapest memory per variant at 1% cold starts: none \(arm64\) 128 MB \$0\.\d{4}; /,
    );
    assert.match(md, /### 1% cold starts/);
    assert.match(md, /### 10% cold starts/);
    assert.match(md, /us-east-1 \/ 2025-08-01/);
    assert.match(md, /Pareto front/);
    assert.match(md, /\[PNG\]\(pareto_1pct\.png\)/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

Deno.test("writeReport() copes with failed-only cells and rows of unknown variant", async () => {
  const dir = tempDir();
  try {
    const base = {
      run_id: "edge",
      backend: null,
      arch: null,
      memory_mb: 256,
      init_ms: null,
      restore_ms: null,
      duration_ms: 5,
      billed_ms: 5,
      max_memory_mb: 50,
      runtime_done_ms: null,
      post_runtime_ms: null,
      client_rtt_ms: null,
      error_type: null,
      timestamp: null,
    } as const;
    invocationFrame([
      { ...base, variant: null, request_id: "a", cold: true, init_ms: 100, status: "success" },
      { ...base, variant: "rust", request_id: "b", cold: true, init_ms: 90, status: "error" },
      { ...base, variant: "rust", request_id: "c", cold: false, status: "timeout" },
    ]).writeParquet(join(dir, "invocations.parquet"));
    const out = join(dir, "report");
    await writeReport({ runDirs: [dir], outDir: out, images: false, log: () => {} });
    const md = readFileSync(join(out, "summary.md"), "utf8");
    assert.match(md, /\| rust \| 256 \| unknown \| 2 \| 0 \| 0 \| 1 error, 1 timeout \|/);
    assert.match(
      md,
      /\| unknown \| 256 \| unknown \| 1 \| 100 \(n=1: too few for a 95% interval\)/,
    );
    assert.match(
      md,
      new RegExp(`\\| edge \\| unknown \\| not recorded \\| not recorded \\| ${dir}`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
