/**
 * Notebook checks: committed without outputs, one parameters cell first and tagged
 * `parameters` (so papermill-style runners can inject values), and every notebook executes
 * headless on the Deno kernel (nbclient from `.cache/venv`) without a cell error.
 *
 * The execution runs in smoke mode (`BATTLE_NOTEBOOK_SMOKE=1`: no benchmark of its own, no AWS)
 * against a small real local run that the test makes first with the local backend (the sandbox,
 * real extensions, ElasticMQ), or against `BATTLE_NOTEBOOK_RUN_DIR` when set.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { variantByName } from "../lib/variants.ts";
import { LocalBackend } from "../lib/bench/local.ts";
import { runBench } from "../lib/bench/run.ts";
import { hostArch } from "../lib/bench/matrix.ts";
import { allNotebooks, ensureNotebookTools, executeNotebooks } from "../lib/jupyter.ts";
import { stripNotebook } from "./strip.ts";
import { PLOTLY_MIME } from "../lib/charts/display.ts";

interface Cell {
  cell_type: string;
  source: string[] | string;
  metadata?: { tags?: string[] };
  outputs?: Array<{ output_type: string; data?: Record<string, unknown> }>;
}

function cells(path: string): Cell[] {
  return (JSON.parse(readFileSync(path, "utf8")) as { cells: Cell[] }).cells;
}

const source = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);

Deno.test("the five notebooks exist and are committed without outputs", () => {
  const names = allNotebooks().map((p) => basename(p));
  assert.deepEqual(names, [
    "01_run_local.ipynb",
    "02_deploy_aws.ipynb",
    "03_collect.ipynb",
    "04_cold_starts.ipynb",
    "05_cost.ipynb",
  ]);
  for (const path of allNotebooks()) {
    assert.equal(
      stripNotebook(readFileSync(path, "utf8")).changed,
      false,
      `${path}: run notebooks/strip.ts`,
    );
  }
});

Deno.test("stripNotebook() removes outputs and execution counts", () => {
  const text = JSON.stringify({
    cells: [{
      cell_type: "code",
      execution_count: 3,
      metadata: { execution: {} },
      outputs: [{ output_type: "stream" }],
      source: "1",
    }],
    metadata: {},
  });
  const { text: out, changed } = stripNotebook(text);
  assert.equal(changed, true);
  const nb = JSON.parse(out);
  assert.deepEqual(nb.cells[0].outputs, []);
  assert.equal(nb.cells[0].execution_count, null);
  assert.deepEqual(nb.cells[0].metadata, {});
  assert.equal(stripNotebook(out).changed, false);
});

Deno.test("every notebook opens with exactly one parameters cell", () => {
  for (const path of allNotebooks()) {
    const code = cells(path).filter((c) => c.cell_type === "code");
    assert.match(source(code[0]!), /^\/\/ Parameters/, path);
    assert.equal(code.filter((c) => /^\/\/ Parameters/.test(source(c))).length, 1, path);
  }
});

Deno.test("every notebook tags exactly its parameters cell `parameters`, for papermill", () => {
  for (const path of allNotebooks()) {
    const tagged = cells(path).filter((c) => c.metadata?.tags?.includes("parameters"));
    assert.equal(tagged.length, 1, `${path}: one cell tagged "parameters"`);
    assert.equal(tagged[0]!.cell_type, "code", path);
    assert.match(source(tagged[0]!), /^\/\/ Parameters/, path);
  }
});

Deno.test({
  name: "every notebook executes headless on the Deno kernel without a cell error",
  async fn() {
    await ensureNotebookTools(() => {});
    const out = mkdtempSync(join(tmpdir(), "notebooks-"));
    try {
      let runDir = Deno.env.get("BATTLE_NOTEBOOK_RUN_DIR") ?? "";
      if (runDir === "") {
        const settings = { workIterations: 200, timeoutS: 10 };
        const backend = await LocalBackend.start(settings);
        const variants = ["none", "rust", "node", "llrt"].map(variantByName)
          .filter((v) =>
            backend.skipReason({ variant: v, memoryMb: 256, arch: hostArch() }) === null
          );
        assert.ok(variants.length >= 3, "none, rust and node are built (deno task build)");
        const run = await runBench(backend, {
          variants,
          memoryMb: [256, 1024],
          archs: [hostArch()],
          plan: { cold: 2, warm: 3, payloadBytes: 1024 },
          functionSettings: settings,
          out: join(out, "run"),
          log: () => {},
        });
        assert.deepEqual(run.failedCells, []);
        runDir = run.runDir;
      }
      const result = await executeNotebooks(allNotebooks(), {
        outDir: out,
        env: { BATTLE_NOTEBOOK_SMOKE: "1", BATTLE_RUN_DIR: runDir },
      });
      console.log(`notebooks: ${result.lines.join("; ")} (total ${result.seconds.toFixed(1)} s)`);
      assert.ok(result.ok, result.stderr.slice(-4000));
      assert.equal(result.lines.filter((l) => l.startsWith("ok ")).length, 5);
      for (const name of ["04_cold_starts.ipynb", "05_cost.ipynb"]) {
        const outputs = cells(join(out, name)).flatMap((c) => c.outputs ?? []);
        assert.ok(outputs.some((o) => o.data && PLOTLY_MIME in o.data), `${name} shows a chart`);
        assert.ok(!outputs.some((o) => o.output_type === "error"), name);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
});
