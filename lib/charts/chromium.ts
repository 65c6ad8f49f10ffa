/**
 * Renders figures to PNG and SVG with headless Chromium: one browser for all charts, driven over
 * the DevTools protocol from Deno, calling `Plotly.toImage` in a page that loads the pinned
 * plotly.js. PNG and SVG come from plotly itself, so they match the HTML exactly.
 *
 * @module
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { plotlyPath, scriptJson } from "./html.ts";
import { type Figure, FIGURE_HEIGHT, FIGURE_WIDTH } from "./theme.ts";

/** Where Debian's chromium package installs the browser. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/**
 * The Chromium executable to use: `$CHROMIUM` if set, else /usr/bin/chromium.
 *
 * @returns The path, or null when there is none.
 */
export function findChromium(): string | null {
  const candidates = [Deno.env.get("CHROMIUM"), DEFAULT_CHROMIUM, "/usr/bin/chromium-browser"];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

/** The flags the browser is started with (plus a fresh profile and a DevTools port). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--hide-scrollbars",
  "--allow-file-access-from-files",
];

/** A tab opened with {@link ChartRenderer.openTab}. */
export interface BrowserTab {
  /** Evaluates JavaScript in the page (promises awaited) and returns its value as JSON. */
  evaluate(expression: string): Promise<unknown>;
  /** Evaluates `expression` until it is truthy (default 15 s), returning that value. */
  waitFor(expression: string, timeoutMs?: number): Promise<unknown>;
  /** The tab's viewport as PNG. */
  screenshot(): Promise<Uint8Array>;
  /** Closes the tab. */
  close(): Promise<void>;
}

/** Images of one figure. */
export interface RenderedFigure {
  png: Uint8Array;
  svg: string;
}

/** Size of the rendered images. */
export interface RenderOptions {
  /** CSS pixels (default: the figure's layout width, else 1000). */
  width?: number;
  /** CSS pixels (default: the figure's layout height, else 600). */
  height?: number;
  /** PNG pixel ratio (default 2). */
  scale?: number;
}

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

async function readDevToolsUrl(
  stderr: ReadableStream<Uint8Array>,
  timeoutMs: number,
): Promise<string> {
  const reader = stderr.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const timer = setTimeout(() => reader.cancel().catch(() => {}), timeoutMs);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (m) {
        // Keep draining stderr so the browser never blocks on a full pipe.
        (async () => {
          try {
            while (!(await reader.read()).done) { /* discard */ }
          } catch { /* closed */ }
        })();
        return m[1]!;
      }
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(
    `Chromium did not start (no DevTools URL). Its output: ${text.slice(-500).trim()}`,
  );
}

/**
 * A headless Chromium with one page that has plotly.js loaded. Open with
 * {@link ChartRenderer.start}, render any number of figures, then {@link ChartRenderer.close}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChartRenderer, findChromium } from "./chromium.ts";
 * if (findChromium() !== null) {
 *   const renderer = await ChartRenderer.start();
 *   try {
 *     const { png, svg } = await renderer.render({ data: [], layout: {} });
 *     assert.ok(png.length > 0 && svg.startsWith("<svg"));
 *   } finally {
 *     await renderer.close();
 *   }
 * }
 * ```
 */
export class ChartRenderer {
  #child: Deno.ChildProcess;
  #socket: WebSocket;
  #profile: string;
  #session = "";
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #closed = false;

  private constructor(child: Deno.ChildProcess, socket: WebSocket, profile: string) {
    this.#child = child;
    this.#socket = socket;
    this.#profile = profile;
    socket.onmessage = (event) => {
      const msg = JSON.parse(String(event.data)) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
      };
      if (msg.id === undefined) return;
      const waiter = this.#pending.get(msg.id);
      if (!waiter) return;
      this.#pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(`DevTools: ${msg.error.message}`));
      else waiter.resolve(msg.result ?? {});
    };
    socket.onclose = () => {
      for (const w of this.#pending.values()) {
        w.reject(new Error("Chromium closed the DevTools connection"));
      }
      this.#pending.clear();
    };
  }

  /**
   * Starts Chromium and loads plotly.js into a blank page.
   *
   * @param options `chromium`: the executable (default {@link findChromium}); `timeoutMs` for
   * the start (default 30 s).
   * @returns The renderer.
   * @throws {Error} When Chromium is missing (with the install command) or does not start.
   */
  static async start(
    options: { chromium?: string; timeoutMs?: number } = {},
  ): Promise<ChartRenderer> {
    const chromium = options.chromium ?? findChromium();
    if (chromium === null || !existsSync(chromium)) {
      throw new Error(
        `Chromium not found at ${
          chromium ?? DEFAULT_CHROMIUM
        } (set $CHROMIUM, or install it: apt-get install -y chromium)`,
      );
    }
    const profile = mkdtempSync(join(tmpdir(), "battle-chromium-"));
    const child = new Deno.Command(chromium, {
      args: [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let socket: WebSocket | null = null;
    try {
      const url = await readDevToolsUrl(child.stderr, options.timeoutMs ?? 30_000);
      socket = new WebSocket(url);
      await new Promise<void>((resolve, reject) => {
        socket!.onopen = () => resolve();
        socket!.onerror = () => reject(new Error(`Cannot connect to Chromium at ${url}`));
      });
      const renderer = new ChartRenderer(child, socket, profile);
      await renderer.#openPage();
      return renderer;
    } catch (e) {
      try {
        socket?.close();
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      rmSync(profile, { recursive: true, force: true });
      throw e;
    }
  }

  /** `session`: true for the current page, false for the browser, or a session id. */
  #send(
    method: string,
    params: Record<string, unknown> = {},
    session: boolean | string = true,
  ): Promise<Record<string, unknown>> {
    if (this.#closed) return Promise.reject(new Error("ChartRenderer is closed"));
    const id = this.#nextId++;
    const sessionId = typeof session === "string" ? session : session ? this.#session : "";
    const message = { id, method, params, ...(sessionId ? { sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify(message));
    });
  }

  async #evaluate(expression: string, session: boolean | string = true): Promise<unknown> {
    const result = await this.#send("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    }, session) as {
      result?: { value?: unknown };
      exceptionDetails?: { exception?: { description?: string }; text?: string };
    };
    if (result.exceptionDetails) {
      const d = result.exceptionDetails;
      throw new Error(
        `Chart rendering failed in Chromium: ${
          d.exception?.description ?? d.text ?? "unknown error"
        }`,
      );
    }
    return result.result?.value;
  }

  /** Opens a tab at `url` and attaches a flat session to it. */
  async #newTab(url: string): Promise<{ targetId: string; sessionId: string }> {
    const { targetId } = await this.#send("Target.createTarget", { url }, false) as {
      targetId: string;
    };
    const { sessionId } = await this.#send(
      "Target.attachToTarget",
      { targetId, flatten: true },
      false,
    ) as { sessionId: string };
    return { targetId, sessionId };
  }

  async #openPage(): Promise<void> {
    this.#session = (await this.#newTab("about:blank")).sessionId;
    // Load plotly.js from the pinned package on disk: no network needed.
    const src = pathToFileURL(plotlyPath()).href;
    const page = join(this.#profile, "render.html");
    writeFileSync(
      page,
      `<!doctype html><html><head><meta charset="utf-8"><script src="${src}"></script></head><body style="margin:0;background:#fff"></body></html>`,
    );
    await this.#send("Page.enable");
    await this.#send("Page.navigate", { url: pathToFileURL(page).href });
    const deadline = Date.now() + 30_000;
    while (await this.#evaluate("typeof Plotly") !== "object") {
      if (Date.now() > deadline) throw new Error(`plotly.js did not load from ${src}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Renders one figure as PNG and SVG.
   *
   * @param figure The figure.
   * @param options Size and PNG scale.
   * @returns PNG bytes and SVG text.
   * @throws {Error} When plotly fails on the figure.
   */
  async render(figure: Figure, options: RenderOptions = {}): Promise<RenderedFigure> {
    const width = options.width ?? Number(figure.layout.width ?? FIGURE_WIDTH);
    const height = options.height ?? Number(figure.layout.height ?? FIGURE_HEIGHT);
    const scale = options.scale ?? 2;
    const value = await this.#evaluate(`(async () => {
      const fig = ${scriptJson(figure)};
      const gd = document.createElement("div");
      document.body.appendChild(gd);
      try {
        await Plotly.newPlot(gd, fig.data, fig.layout, { staticPlot: true });
        const png = await Plotly.toImage(gd, { format: "png", width: ${width}, height: ${height}, scale: ${scale} });
        const svg = await Plotly.toImage(gd, { format: "svg", width: ${width}, height: ${height} });
        return { png, svg };
      } finally {
        Plotly.purge(gd);
        gd.remove();
      }
    })()`) as { png: string; svg: string };
    const base64 = value.png.slice(value.png.indexOf(",") + 1);
    const png = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const svgData = value.svg.slice(value.svg.indexOf(",") + 1);
    const svg = value.svg.includes(";base64,") ? atob(svgData) : decodeURIComponent(svgData);
    return { png, svg };
  }

  /**
   * Opens a page in a new tab and waits until `expression` is truthy there (e.g. to check that
   * an exported HTML chart draws offline), then closes the tab.
   *
   * @param url The page, e.g. a `file://` URL.
   * @param expression JavaScript evaluated in the page until it returns a truthy value.
   * @param timeoutMs How long to wait (default 15 s).
   * @returns The truthy value.
   * @throws {Error} When the expression stays falsy until the timeout.
   */
  async waitInPage(url: string, expression: string, timeoutMs = 15_000): Promise<unknown> {
    const { targetId, sessionId } = await this.#newTab(url);
    const pageSession = this.#session;
    this.#session = sessionId;
    try {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const value = await this.#evaluate(expression).catch(() => null);
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`Page ${url}: "${expression}" stayed false`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      this.#session = pageSession;
      await this.#send("Target.closeTarget", { targetId }, false).catch(() => {});
    }
  }

  /**
   * Opens a page in a new tab for a caller that drives it (a browser test of JupyterLab, say):
   * evaluate JavaScript there, wait for a condition, take a screenshot, close it.
   *
   * @param url The page.
   * @param viewport CSS pixels of the tab (default 1280 × 900).
   * @returns The tab.
   */
  async openTab(
    url: string,
    viewport: { width: number; height: number } = { width: 1280, height: 900 },
  ): Promise<BrowserTab> {
    const { targetId, sessionId } = await this.#newTab("about:blank");
    await this.#send("Page.enable", {}, sessionId);
    await this.#send(
      "Emulation.setDeviceMetricsOverride",
      { ...viewport, deviceScaleFactor: 1, mobile: false },
      sessionId,
    );
    await this.#send("Page.navigate", { url }, sessionId);
    const evaluate = (expression: string) => this.#evaluate(expression, sessionId);
    return {
      evaluate,
      waitFor: async (expression, timeoutMs = 15_000) => {
        const deadline = Date.now() + timeoutMs;
        while (true) {
          const value = await evaluate(expression).catch(() => null);
          if (value) return value;
          if (Date.now() > deadline) {
            throw new Error(`Page ${url}: "${expression.slice(0, 200)}" stayed false`);
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      screenshot: async () => {
        const { data } = await this.#send(
          "Page.captureScreenshot",
          { format: "png" },
          sessionId,
        ) as {
          data: string;
        };
        return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      },
      close: async () => {
        await this.#send("Target.closeTarget", { targetId }, false).catch(() => {});
      },
    };
  }

  /** Closes the browser and removes its temporary profile. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await Promise.race([
        this.#send("Browser.close", {}, false).catch(() => {}),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
    } finally {
      this.#closed = true;
      this.#socket.close();
      const exited = await Promise.race([
        this.#child.status.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 5000)),
      ]);
      if (!exited) {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* gone */ }
        await this.#child.status;
      }
      rmSync(this.#profile, { recursive: true, force: true });
    }
  }
}
