/**
 * JupyterLab for people: started from the project's venv (`lib/jupyter.ts`) with the project's
 * Deno kernel, on loopback, rooted at `notebooks/`. `deno task jupyter` runs it in the
 * foreground; the browser test starts one on a free port and stops it.
 *
 * @module
 */
import { join } from "node:path";
import { kernelEnv, NOTEBOOKS_DIR, PYTHON } from "./jupyter.ts";

/** Port JupyterLab listens on unless told otherwise (Jupyter's own default). */
export const DEFAULT_LAB_PORT = 8888;

/** Options of {@link startJupyterLab}. */
export interface JupyterLabOptions {
  /** Port on 127.0.0.1 (default 8888). Taken ports fail at once; nothing else is tried. */
  port?: number;
  /** Let Jupyter open the system's browser (default false). */
  openBrowser?: boolean;
  /** Folder the file browser shows (default `notebooks/`). */
  rootDir?: string;
  /** Access token (default: 24 random bytes as hex). */
  token?: string;
  /** Extra environment for the server and its kernels, e.g. `BATTLE_NOTEBOOK_SMOKE`. */
  env?: Record<string, string>;
  /** Pass `--allow-root` (default: when running as root). */
  asRoot?: boolean;
  /** Extra JupyterLab arguments (`--LabApp.expose_app_in_browser=True`, ...). */
  args?: string[];
  /** Each line the server logs (default: stderr). */
  log?: (line: string) => void;
  /** How long to wait for the server to answer (default 90 s). */
  startupTimeoutMs?: number;
}

/**
 * The JupyterLab command line for {@link startJupyterLab}'s options.
 *
 * @param options Port, browser, root, token and extra arguments.
 * @returns Arguments for the venv's Python.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { labArgs } from "./jupyter_lab.ts";
 * const args = labArgs({ port: 9999, token: "t", rootDir: "/nb" });
 * assert.ok(args.includes("--ServerApp.port=9999") && args.includes("--no-browser"));
 * ```
 */
export function labArgs(
  options: Required<Pick<JupyterLabOptions, "port" | "token" | "rootDir">> & JupyterLabOptions,
): string[] {
  return [
    "-m",
    "jupyterlab",
    "--ServerApp.ip=127.0.0.1",
    `--ServerApp.port=${options.port}`,
    "--ServerApp.port_retries=0",
    `--ServerApp.root_dir=${options.rootDir}`,
    `--IdentityProvider.token=${options.token}`,
    // No calls home: the update check and the news feed need the network.
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.news_url=",
    "--LabApp.extension_manager=readonly",
    // Jupyter refuses to start as root without it; CI and containers run as root.
    ...(options.asRoot ?? Deno.uid() === 0 ? ["--allow-root"] : []),
    ...(options.openBrowser ? [] : ["--no-browser"]),
    ...(options.args ?? []),
  ];
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A running JupyterLab. Stop it with {@link JupyterLab.stop} (or `await using`). */
export class JupyterLab {
  readonly port: number;
  readonly token: string;
  readonly rootDir: string;
  #child: Deno.ChildProcess;
  #stopped = false;

  constructor(child: Deno.ChildProcess, port: number, token: string, rootDir: string) {
    this.#child = child;
    this.port = port;
    this.token = token;
    this.rootDir = rootDir;
  }

  /** The server's base address, `http://127.0.0.1:PORT`. */
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The address that logs a browser in and opens the file browser. */
  get url(): string {
    return `${this.base}/lab?token=${this.token}`;
  }

  /**
   * The address that opens one notebook (logging in with the token).
   *
   * @param name A path under the root, e.g. `01_run_local.ipynb`.
   * @returns The URL.
   */
  notebookUrl(name: string): string {
    return `${this.base}/lab/tree/${
      name.split("/").map(encodeURIComponent).join("/")
    }?token=${this.token}`;
  }

  /** Resolves with the exit status when the server ends. */
  get status(): Promise<Deno.CommandStatus> {
    return this.#child.status;
  }

  /**
   * Stops the server (SIGTERM, which Jupyter handles by shutting its kernels down; SIGKILL
   * after 10 s). Safe to call twice.
   *
   * @returns Resolves once the process has exited.
   */
  async stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      try {
        this.#child.kill("SIGTERM");
      } catch { /* gone already */ }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      this.#child.status.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000))),
    ]);
    clearTimeout(timer);
    if (!exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
      await this.#child.status;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

async function relayLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let rest = "";
  const decoder = new TextDecoder();
  for await (const bytes of stream) {
    const lines = (rest + decoder.decode(bytes, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  }
  if (rest !== "") onLine(rest);
}

/**
 * Starts JupyterLab from the project's venv, with the project's Deno kernel, on 127.0.0.1, and
 * waits until it answers. Run `ensureNotebookTools()` first.
 *
 * @param options Port, browser, root folder, token, environment, extra arguments.
 * @returns The running server.
 * @throws {Error} When JupyterLab exits or does not answer in time; the message carries its
 * last log lines (a taken port reads "... address already in use").
 * @example
 * ```ts ignore
 * import { startJupyterLab } from "./jupyter_lab.ts";
 * await using lab = await startJupyterLab({ port: 8888 });
 * console.log(lab.notebookUrl("01_run_local.ipynb"));
 * ```
 */
export async function startJupyterLab(options: JupyterLabOptions = {}): Promise<JupyterLab> {
  const port = options.port ?? DEFAULT_LAB_PORT;
  const token = options.token ?? randomToken();
  const rootDir = options.rootDir ?? NOTEBOOKS_DIR;
  const log = options.log ?? ((line: string) => console.error(line));
  const child = new Deno.Command(PYTHON, {
    args: labArgs({ ...options, port, token, rootDir }),
    cwd: rootDir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: kernelEnv(options.env),
  }).spawn();
  const tail: string[] = [];
  const onLine = (line: string) => {
    // The token is printed in the server's own URL lines; keep it out of logs that are kept.
    const shown = line.replaceAll(token, "…");
    tail.push(shown);
    if (tail.length > 12) tail.shift();
    log(shown);
  };
  const relayed = Promise.all([relayLines(child.stdout, onLine), relayLines(child.stderr, onLine)])
    .catch(() => {});
  const lab = new JupyterLab(child, port, token, rootDir);
  let exited = false;
  child.status.then(() => (exited = true));
  const deadline = Date.now() + (options.startupTimeoutMs ?? 90_000);
  while (true) {
    if (exited) {
      await relayed;
      throw new Error(`JupyterLab exited before it answered: ${tail.slice(-4).join(" | ")}`);
    }
    try {
      const res = await fetch(`${lab.base}/api/status`, {
        headers: { Authorization: `token ${token}` },
        signal: AbortSignal.timeout(2000),
      });
      await res.body?.cancel();
      if (res.ok) return lab;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await lab.stop();
      throw new Error(
        `JupyterLab did not answer on port ${port} within ${
          Math.round((options.startupTimeoutMs ?? 90_000) / 1000)
        } s: ${tail.slice(-4).join(" | ")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Where JupyterLab keeps a test's settings and workspaces, apart from the user's. */
export function isolatedLabArgs(dir: string): string[] {
  return [
    `--LabApp.user_settings_dir=${join(dir, "settings")}`,
    `--LabApp.workspaces_dir=${join(dir, "workspaces")}`,
  ];
}
