/**
 * Starts one dynalite server under Node.js on loopback, waits until it listens, and stops it.
 * Private to `lib/dynamodb`.
 *
 * @module
 */
import type { DynaliteInstall } from "./install.ts";

/** A running dynalite. */
export interface Launched {
  /** The bound port. */
  port: number;
  /** The Node.js process id. */
  pid: number;
  /** The last lines the server printed. */
  log(): string;
  /** Stops the server (stdin closed, SIGKILL after 5 s) and waits for it to exit. Idempotent. */
  terminate(): Promise<void>;
}

const SERVER_SCRIPT = new URL("./_server.mjs", import.meta.url).pathname;
const READY = /^\{"port":(\d+)\}$/;

/**
 * Launches dynalite and resolves once it accepts connections.
 *
 * @param install What `ensureDynalite` returned.
 * @param options Port on 127.0.0.1 (0 picks a free one) and how long start-up may take
 *   (default 30 s).
 * @returns The running server.
 * @throws {Error} When Node.js exits or does not start in time; the message holds its output.
 */
export async function launch(
  install: DynaliteInstall,
  options: { port: number; startTimeoutMs?: number },
): Promise<Launched> {
  const child = new Deno.Command(install.node, {
    args: [SERVER_SCRIPT, install.entry, String(options.port)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let port = 0;
  let onReady = () => {};
  const ready = new Promise<void>((resolve) => onReady = resolve);
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let rest = "";
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 200) lines.shift();
        const bound = READY.exec(line.trim());
        if (bound) {
          port = Number(bound[1]);
          onReady();
        }
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = child.status;
  const log = () => lines.join("\n");
  let terminating: Promise<void> | null = null;
  const terminate = () =>
    terminating ??= (async () => {
      await child.stdin.close().catch(() => {});
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited meanwhile */ }
      }, 5_000);
      await status;
      clearTimeout(timer);
      await pumps;
    })();

  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready" as const),
    status.then(() => "exited" as const),
    new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), options.startTimeoutMs ?? 30_000);
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    await terminate();
    const why = outcome === "exited" ? "exited during start-up" : "did not start in time";
    throw new Error(`dynalite on port ${options.port} ${why}:\n${log().slice(-3000)}`);
  }
  return { port, pid: child.pid, log, terminate };
}
