import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadRun } from "../analysis/load.ts";
import { FIXTURE_RUN } from "../analysis/testdata/make_fixture.ts";
import { ChartRenderer, findChromium } from "./chromium.ts";
import { mimeBundle } from "./display.ts";
import { coldStartBox, initEcdf } from "./figures.ts";

Deno.test({
  name: "mimeBundle() HTML fallbacks draw offline, the first one bringing plotly.js",
  ignore: findChromium() === null,
  async fn() {
    const { frame, runs } = loadRun(FIXTURE_RUN);
    const first = mimeBundle(initEcdf(frame, { runs }), { inlinePlotly: true });
    const second = mimeBundle(coldStartBox(frame, { runs }), { inlinePlotly: false });
    const renderer = await ChartRenderer.start();
    const dir = mkdtempSync(join(tmpdir(), "display-test-"));
    try {
      const page = join(dir, "notebook.html");
      writeFileSync(
        page,
        `<!doctype html><html><body>${first["text/html"]}${second["text/html"]}</body></html>`,
      );
      const drawn = await renderer.waitInPage(
        pathToFileURL(page).href,
        "[...document.querySelectorAll('.js-plotly-plot')].filter((p) => p.querySelector('.main-svg')).length === 2 && 2",
      );
      assert.equal(drawn, 2);
    } finally {
      await renderer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
