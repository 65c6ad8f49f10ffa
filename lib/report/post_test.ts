import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChartRenderer, findChromium } from "../charts/chromium.ts";
import { writeFixtures } from "../analysis/testdata/make_fixture.ts";
import { readRunManifest } from "../store/mod.ts";
import { postQuestion } from "./post.ts";
import { reproduceCommand } from "./post_method.ts";
import { responsiveSvg } from "./post_html.ts";
import { writeReport } from "./write.ts";

// Fixtures of the current schema, written afresh (the committed ones may lag a schema change).
const fixtures = mkdtempSync(join(tmpdir(), "post-fixtures-"));
const [fixtureRun] = writeFixtures(fixtures);
const chromium = findChromium();

const SECTIONS = [
  "## The question",
  "## The answer",
  "## Cold starts",
  "## Cost",
  "## Method",
  "## How far to trust these numbers",
  "## Reproduce it",
  "## Open data",
];

Deno.test("writeReport() writes post.md and a standalone post.html with the open data", async () => {
  const out = mkdtempSync(join(tmpdir(), "post-test-"));
  try {
    await writeReport({
      runDirs: [fixtureRun!],
      outDir: out,
      images: false,
      log: () => {},
      fidelity: null,
    });
    const md = readFileSync(join(out, "post.md"), "utf8");
    assert.match(md, /^# What does a Lambda extension cost\? /);
    let at = -1;
    for (const heading of SECTIONS) {
      const i = md.indexOf(`\n${heading}\n`);
      assert.ok(i > at, `${heading} in order`);
      at = i;
    }
    // The answer carries intervals; the method its counts; the reproduction its command.
    assert.match(md, /\| none \| \d[\d.]* \[[\d.]+, [\d.]+\] \|/);
    assert.match(
      md,
      /task study \\\n {2}--variants [a-z,]+ \\\n {2}--memory [\d,]+ \\\n {2}--cold \d+ \\\n {2}--warm \d+/,
    );
    assert.match(md, /No fidelity check has been run on this machine/);
    const parquet = /\[invocations\.parquet\]\((data\/[^)]+\/invocations\.parquet)\)/.exec(md);
    assert.ok(parquet, "the post links the Parquet");
    assert.ok(existsSync(join(out, parquet[1]!)), "the linked Parquet is beside the post");
    assert.ok(existsSync(join(out, parquet[1]!.replace("invocations.parquet", "run.json"))));
    // Without images: links to the interactive charts, and the HTML draws them itself.
    assert.match(md, /\[interactive chart\]\(cold_start_init\.html\)/);
    assert.doesNotMatch(md, /\.png\)/);
    const html = readFileSync(join(out, "post.html"), "utf8");
    assert.match(html, /<h2 id="open-data">Open data<\/h2>/);
    assert.match(html, /<table>/);
    assert.match(html, /Plotly\.newPlot\("post-cold_start_init"/);
    assert.doesNotMatch(html, /<script src=/, "standalone: nothing loaded from elsewhere");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

Deno.test({
  name: "the post embeds every chart: PNG with SVG links in Markdown, inline SVG in HTML",
  ignore: chromium === null,
  async fn() {
    const out = mkdtempSync(join(tmpdir(), "post-test-"));
    const renderer = await ChartRenderer.start();
    try {
      const result = await writeReport({
        runDirs: [fixtureRun!],
        outDir: out,
        log: () => {},
        fidelity: null,
        renderer,
      });
      const md = readFileSync(join(out, "post.md"), "utf8");
      const charts = result.files.filter((f) => f.endsWith(".png")).length;
      assert.equal((md.match(/^!\[Figure \d+\. /gm) ?? []).length, charts);
      assert.match(
        md,
        /!\[Figure 1\. Init Duration \(ms\)[^\]]*Run fixture-arm64, local sandbox\.\]\(cold_start_init\.png\)/,
      );
      assert.match(
        md,
        /\[SVG\]\(cold_start_init\.svg\) · \[interactive\]\(cold_start_init\.html\)/,
      );
      const html = readFileSync(join(out, "post.html"), "utf8");
      assert.equal((html.match(/<figure id="figure-\d+">\n<svg /g) ?? []).length, charts);
      assert.doesNotMatch(html, /Plotly\.newPlot/, "inline SVG needs no plotly.js");
      assert.ok(html.length < 3_000_000, `post.html is ${html.length} chars`);
    } finally {
      await renderer.close();
      rmSync(out, { recursive: true, force: true });
    }
  },
});

Deno.test("postQuestion() asks about extensions, and about runtimes only where runtimes differ alone", () => {
  const v = (name: string, functionRuntime: string, extension: string, workload = "sqs") => ({
    name,
    description: "",
    functionRuntime,
    extension,
    workload,
  });
  const first = postQuestion([
    v("none", "nodejs", "none", "cpu"),
    v("rust", "nodejs", "rust"),
    v("node", "nodejs", "node"),
    v("llrt", "llrt", "llrt"),
  ]);
  assert.equal(
    first.title,
    "What does a Lambda extension cost? Rust vs Node.js vs LLRT vs no extension",
  );
  assert.match(
    first.question,
    /written in Rust, for Node\.js or for LLRT, against no extension at all\?$/,
  );
  const runtimes = postQuestion(
    [v("python.none.sqs", "python", "none"), v("go.none.sqs", "go", "none")],
    "multi-runtime",
  );
  assert.equal(
    runtimes.title,
    "multi-runtime: What does the function's runtime cost? Python vs Go",
  );
});

Deno.test("reproduceCommand() gives the study's flags, and the non-default function settings", () => {
  const manifest = readRunManifest(fixtureRun!);
  assert.ok(manifest);
  const command = reproduceCommand(manifest);
  assert.match(command, /^npx --yes deno@\S+ task study --variants \S+ --memory \S+ --cold \d+/);
  const changed = reproduceCommand({
    ...manifest,
    config: { ...manifest.config, functionSettings: { workIterations: 5, timeoutS: 10 } },
  });
  assert.match(changed, / --work-iterations 5$/);
  const aws = reproduceCommand({ ...manifest, backend: "aws" });
  assert.match(aws, /task bench --backend aws --arch /);
  // The pause before warm invocations: named where it is not the backend's default.
  assert.doesNotMatch(command, /--invoke-gap-ms/, "local, 20 ms: the default");
  const { invokeGapMs: _, ...before } = manifest.config;
  for (const config of [{ ...manifest.config, invokeGapMs: 0 }, before]) {
    assert.match(reproduceCommand({ ...manifest, config }), / --invoke-gap-ms 0( |$)/);
  }
  assert.match(
    reproduceCommand({
      ...manifest,
      backend: "aws",
      config: { ...manifest.config, invokeGapMs: 5 },
    }),
    / --invoke-gap-ms 5( |$)/,
  );
  assert.doesNotMatch(
    reproduceCommand({
      ...manifest,
      backend: "aws",
      config: { ...manifest.config, invokeGapMs: 0 },
    }),
    /--invoke-gap-ms/,
  );
});

Deno.test("responsiveSvg() scales a plotly SVG with the column", () => {
  assert.equal(
    responsiveSvg('<svg class="main-svg" width="800" height="560"><g/></svg>'),
    '<svg viewBox="0 0 800 560" class="main-svg" width="100%"><g/></svg>',
  );
});

Deno.test("post fixtures are cleaned up", () => {
  rmSync(fixtures, { recursive: true, force: true });
});
