/**
 * Rerunning with new settings in one edit: values injected after a notebook's `parameters`
 * cell (as papermill does, in a cell tagged `injected-parameters`) take effect under
 * `jupyter nbconvert --execute`, names the library does not know are refused with a clear
 * message, and a rerun in one kernel reuses the running local backend.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFixtures } from "../lib/analysis/testdata/make_fixture.ts";
import { ensureNotebookTools, kernelEnv, NOTEBOOKS_DIR, PYTHON } from "../lib/jupyter.ts";
import {
  checkBenchFlags,
  closeLocalBackends,
  matrixFlags,
  runLocalBench,
  selectRows,
} from "./matrix.ts";
import { loadRuns } from "../lib/analysis/load.ts";

interface Cell {
  cell_type: string;
  source: string[] | string;
  metadata: { tags?: string[] };
  outputs?: Array<{ output_type: string; text?: string[] | string; evalue?: string }>;
}

const toolsError = await ensureNotebookTools(() => {}).then(() => null, (e: Error) => e.message);

/**
 * A small papermill: a copy of the notebook with an `injected-parameters` cell right after the
 * one tagged `parameters`, executed by `jupyter nbconvert --execute` (errors kept in the
 * output). The copy sits in `notebooks/` (hidden) so its relative imports resolve.
 */
async function executeInjected(
  notebook: string,
  injected: string,
  env: Record<string, string>,
): Promise<{ ok: boolean; cells: Cell[]; stderr: string }> {
  const nb = JSON.parse(readFileSync(join(NOTEBOOKS_DIR, notebook), "utf8")) as { cells: Cell[] };
  const at = nb.cells.findIndex((c) => c.metadata.tags?.includes("parameters"));
  assert.ok(at >= 0, `${notebook} has a parameters cell`);
  nb.cells.splice(at + 1, 0, {
    cell_type: "code",
    source: injected,
    metadata: { tags: ["injected-parameters"] },
    outputs: [],
    execution_count: null,
  } as Cell);
  const id = crypto.randomUUID().slice(0, 8);
  const copy = join(NOTEBOOKS_DIR, `.injected-${id}-${notebook}`);
  const out = mkdtempSync(join(tmpdir(), "injected-"));
  writeFileSync(copy, JSON.stringify(nb));
  try {
    const result = await new Deno.Command(PYTHON, {
      args: [
        "-m",
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--allow-errors",
        "--ExecutePreprocessor.timeout=300",
        "--output-dir",
        out,
        "--output",
        "executed.ipynb",
        copy,
      ],
      stdout: "piped",
      stderr: "piped",
      env: kernelEnv(env),
    }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    if (!result.success) return { ok: false, cells: [], stderr };
    const executed = JSON.parse(readFileSync(join(out, "executed.ipynb"), "utf8")) as {
      cells: Cell[];
    };
    return { ok: true, cells: executed.cells, stderr };
  } finally {
    rmSync(copy, { force: true });
    rmSync(out, { recursive: true, force: true });
  }
}

const text = (cells: Cell[]) =>
  cells.flatMap((c) => c.outputs ?? []).map((o) =>
    Array.isArray(o.text) ? o.text.join("") : (o.text ?? "")
  ).join("");
const errors = (cells: Cell[]) =>
  cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === "error");

Deno.test({
  name: toolsError === null
    ? "injected parameters take effect under jupyter nbconvert --execute; unknown names are refused"
    : `injected parameters under nbconvert (skipped: the Jupyter venv could not be set up: ${toolsError})`,
  ignore: toolsError !== null,
  sanitizeResources: false,
  async fn() {
    const fixtures = mkdtempSync(join(tmpdir(), "param-fixtures-"));
    try {
      const [run] = writeFixtures(fixtures);
      const env = { BATTLE_NOTEBOOK_SMOKE: "1", BATTLE_RUN_DIR: run! };
      const good = await executeInjected(
        "01_run_local.ipynb",
        'const MEMORY_SIZES: number[] = [256, 2048];\nconst VARIANTS: string[] = ["none", "rust"];\n',
        env,
      );
      assert.ok(good.ok, good.stderr.slice(-2000));
      assert.deepEqual(errors(good.cells), []);
      assert.match(text(good.cells), /Matrix: none, rust × 256, 2048 MB/);
      const bad = await executeInjected(
        "01_run_local.ipynb",
        'const RUNTIMES: string[] = ["cobol"];\n',
        env,
      );
      assert.ok(bad.ok, bad.stderr.slice(-2000));
      const [first] = errors(bad.cells);
      assert.ok(first, "the matrix cell fails");
      assert.match(first.evalue ?? "", /^RUNTIMES.*cobol/);
      // The analysis notebooks pick rows by the same parameters.
      const cost = await executeInjected(
        "05_cost.ipynb",
        'const EXTENSIONS: string[] = ["bogus"];\n',
        env,
      );
      assert.ok(cost.ok, cost.stderr.slice(-2000));
      assert.match(
        errors(cost.cells)[0]?.evalue ?? "",
        /^EXTENSIONS: no rows with extension bogus/,
      );
    } finally {
      rmSync(fixtures, { recursive: true, force: true });
    }
  },
});

Deno.test("matrixFlags() and checkBenchFlags() turn parameters into the bench's matrix", () => {
  const args = checkBenchFlags([
    ...matrixFlags({ variants: ["none", "rust"], memorySizes: [256, 2048], runtimes: [] }),
    "--cold",
    "1",
    "--warm",
    "2",
  ]);
  assert.deepEqual(args.variants.map((v) => v.name), ["none", "rust"]);
  assert.deepEqual(args.memoryMb, [256, 2048]);
  assert.throws(() => checkBenchFlags(matrixFlags({ memorySizes: [64] })), {
    name: "RangeError",
    message: /^MEMORY_SIZES: .*"64"/,
  });
  assert.throws(() => checkBenchFlags(matrixFlags({ variants: ["bogus"] })), {
    name: "RangeError",
    message: /^VARIANTS: Unknown variant "bogus"/,
  });
});

Deno.test("selectRows() picks cells by the parameters and names what a run lacks", () => {
  const fixtures = mkdtempSync(join(tmpdir(), "select-fixtures-"));
  try {
    const [run] = writeFixtures(fixtures);
    const { frame } = loadRuns([run!]);
    const picked = selectRows(frame, { variants: ["rust"], memorySizes: [128] });
    assert.ok(picked.height > 0);
    assert.deepEqual([...new Set(picked.getColumn("variant").toArray())], ["rust"]);
    assert.throws(() => selectRows(frame, { memorySizes: [3008] }), {
      name: "RangeError",
      message: /^MEMORY_SIZES: no rows with memory_mb 3008 in this run \(it has /,
    });
  } finally {
    rmSync(fixtures, { recursive: true, force: true });
  }
});

Deno.test({
  name: "runLocalBench() reruns in one kernel on the local backend it already started",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = mkdtempSync(join(tmpdir(), "rerun-"));
    const lines: string[] = [];
    try {
      const args = (dir: string) =>
        checkBenchFlags([
          ...matrixFlags({ variants: ["none"], memorySizes: [256] }),
          "--cold",
          "1",
          "--warm",
          "1",
          "--out",
          join(out, dir),
        ]);
      const first = await runLocalBench(args("a"), (l) => lines.push(l));
      const t0 = performance.now();
      const second = await runLocalBench(args("b"), (l) => lines.push(l));
      const seconds = (performance.now() - t0) / 1000;
      assert.notEqual(first, second);
      assert.ok(lines.some((l) => l.startsWith("started the local backend")));
      assert.ok(lines.some((l) => l.startsWith("reusing the local backend")), lines.join("\n"));
      console.log(`rerun of one cell on the running backend: ${seconds.toFixed(1)} s`);
    } finally {
      await closeLocalBackends();
      rmSync(out, { recursive: true, force: true });
    }
  },
});
