/**
 * The notebooks as a person runs them: JupyterLab on loopback (`lib/jupyter_lab.ts`, as
 * `deno task jupyter` starts it), driven by headless Chromium over the DevTools protocol (the
 * chart exporter's launcher), opens `01` in smoke mode, runs all cells, waits for the kernel to
 * go idle, and checks that a plotly chart rendered live through JupyterLab's plotly renderer
 * (not the HTML fallback) and that no cell shows an error. The screenshot goes to
 * `build/notebook_01_jupyterlab.png`.
 *
 * Skipped, saying why, where Chromium or the Jupyter venv is missing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserTab, ChartRenderer, findChromium } from "../lib/charts/chromium.ts";
import { ensureNotebookTools, NOTEBOOKS_DIR } from "../lib/jupyter.ts";
import { isolatedLabArgs, startJupyterLab } from "../lib/jupyter_lab.ts";
import { BUILD_DIR } from "../lib/paths.ts";
import { writeFixtures } from "../lib/analysis/testdata/make_fixture.ts";

const NOTEBOOK = "01_run_local.ipynb";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
/** Where the screenshot of the executed notebook goes. */
export const SCREENSHOT: string = join(BUILD_DIR, "notebook_01_jupyterlab.png");

const chromium = findChromium();
const toolsError = await ensureNotebookTools(() => {}).then(
  () => null,
  (e: Error) => e.message,
);
const skipReason = chromium === null
  ? "Chromium not found (apt-get install chromium, or set $CHROMIUM)"
  : toolsError === null
  ? null
  : `the Jupyter venv could not be set up: ${toolsError}`;

/** JupyterLab settings for a test: no autosave (the notebook on disk stays stripped), every
 * cell rendered (no windowing), no news or update prompts. */
function writeLabSettings(dir: string): void {
  const put = (plugin: string, settings: unknown) => {
    const [pkg, name] = plugin.split(":") as [string, string];
    const folder = join(dir, "settings", pkg);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${name}.jupyterlab-settings`), JSON.stringify(settings));
  };
  put("@jupyterlab/docmanager-extension:plugin", { autosave: false });
  put("@jupyterlab/notebook-extension:tracker", { windowingMode: "none" });
  put("@jupyterlab/apputils-extension:notification", {
    fetchNews: "false",
    checkForUpdates: false,
  });
}

/** In the page: the notebook panel once its kernel is connected, else null. */
const PANEL = `(() => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  if (!w || !w.sessionContext || !w.content) return null;
  return w;
})()`;

/** In the page: each output's MIME types and rendered class, for a failure report. */
const OUTPUTS = `[...document.querySelectorAll(".jp-OutputArea-output")].map((o) =>
  (o.getAttribute("data-mime-type") || "?") + " " + o.className)`;

Deno.test({
  name: skipReason === null
    ? "JupyterLab runs notebook 01 in Chromium: a live plotly chart, no cell error"
    : `JupyterLab runs notebook 01 in Chromium (skipped: ${skipReason})`,
  ignore: skipReason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const started = performance.now();
    const original = readFileSync(join(NOTEBOOKS_DIR, NOTEBOOK), "utf8");
    const dir = mkdtempSync(join(tmpdir(), "battle-lab-"));
    writeLabSettings(dir);
    // A small run of the current schema for the smoke-mode notebook to read.
    const [run] = writeFixtures(join(dir, "runs"));
    const log: string[] = [];
    const lab = await startJupyterLab({
      port: freePort(),
      env: {
        BATTLE_NOTEBOOK_SMOKE: "1",
        BATTLE_RUN_DIR: run!,
        JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
        JUPYTER_CONFIG_DIR: join(dir, "config"),
      },
      args: ["--LabApp.expose_app_in_browser=True", ...isolatedLabArgs(dir)],
      log: (line) => log.push(line),
    });
    const browser = await ChartRenderer.start();
    let tab: BrowserTab | null = null;
    try {
      tab = await browser.openTab(lab.notebookUrl(NOTEBOOK), { width: 1280, height: 1000 });
      // The notebook is open and its kernel (the project's Deno kernel) has started.
      const kernel = await tab.waitFor(
        `(() => { const w = ${PANEL}; const k = w && w.sessionContext.session &&
          w.sessionContext.session.kernel;
          return k && k.status === "idle" ? w.sessionContext.kernelDisplayName : null; })()`,
        40_000,
      );
      assert.equal(kernel, "Deno");
      await tab.evaluate(`(() => {
        window.__runAll = null;
        window.jupyterapp.commands.execute("notebook:run-all-cells").then(
          (ok) => (window.__runAll = { ok }),
          (e) => (window.__runAll = { error: String(e) }),
        );
        return true;
      })()`);
      const cells = await tab.waitFor(
        `(() => { const w = ${PANEL};
          if (!window.__runAll || w.sessionContext.session.kernel.status !== "idle") return null;
          const code = w.content.widgets.filter((c) => c.model.type === "code");
          if (code.some((c) => c.model.executionCount === null)) return null;
          return code.map((c) => ({
            count: c.model.executionCount,
            errors: c.model.outputs.toJSON().filter((o) => o.output_type === "error")
              .map((o) => o.ename + ": " + o.evalue),
          }));
        })()`,
        60_000,
      ) as Array<{ count: number; errors: string[] }>;
      const errors = cells.flatMap((c) => c.errors);
      assert.deepEqual(errors, [], `cell errors: ${errors.join("; ")}`);
      const plot = await tab.waitFor(
        `(() => {
          const plots = [...document.querySelectorAll(
            ".jp-RenderedPlotly.js-plotly-plot, .jp-RenderedPlotly .js-plotly-plot",
          )];
          const live = plots.filter((p) => Array.isArray(p.data) && p.data.length > 0 &&
            p.querySelectorAll(".trace").length > 0);
          if (live.length === 0) return null;
          live[0].scrollIntoView({ block: "center" });
          return {
            live: live.length,
            traces: live[0].data.length,
            fallbacks: document.querySelectorAll(".jp-RenderedHTMLCommon .js-plotly-plot").length,
          };
        })()`,
        20_000,
      ) as { live: number; traces: number; fallbacks: number };
      assert.ok(plot.traces > 0);
      assert.equal(plot.fallbacks, 0, "the chart is drawn by the plotly renderer, not the HTML");
      await new Promise((r) => setTimeout(r, 500));
      mkdirSync(BUILD_DIR, { recursive: true });
      writeFileSync(SCREENSHOT, await tab.screenshot());
      await tab.close();
      console.log(
        `jupyterlab: ${cells.length} cells ran, ${plot.live} live chart(s) with ${plot.traces} ` +
          `traces; screenshot ${SCREENSHOT} (${
            ((performance.now() - started) / 1000).toFixed(1)
          } s)`,
      );
    } catch (e) {
      console.error(log.slice(-30).join("\n"));
      if (tab) {
        // What the page shows, for the failure report.
        mkdirSync(BUILD_DIR, { recursive: true });
        writeFileSync(SCREENSHOT, await tab.screenshot().catch(() => new Uint8Array()));
        console.error(`page: ${JSON.stringify(await tab.evaluate(OUTPUTS).catch(String))}`);
      }
      throw e;
    } finally {
      await browser.close();
      await lab.stop();
      rmSync(dir, { recursive: true, force: true });
      const after = readFileSync(join(NOTEBOOKS_DIR, NOTEBOOK), "utf8");
      if (after !== original) writeFileSync(join(NOTEBOOKS_DIR, NOTEBOOK), original);
      assert.equal(after, original, "JupyterLab saved over the committed notebook");
    }
  },
});
