/**
 * Starts one ElasticMQ JVM bound to loopback with a generated config, waits until it serves, and
 * stops it again. Private to `lib/elasticmq`.
 *
 * @module
 */
import { join } from "node:path";
import { type ElasticMQInstall, JVM_FLAGS } from "./install.ts";

/** Options of {@linkcode launch}. */
export interface LaunchOptions {
  /** Port to bind on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Queues that exist from the start (so a restart brings them back). */
  queues: readonly string[];
  /** More JVM flags. */
  extraFlags?: readonly string[];
  /** How long start-up may take; default 60 s (a cold JVM on a busy machine is slow). */
  startTimeoutMs?: number;
}

/** A running ElasticMQ JVM. */
export interface Launched {
  /** The bound port. */
  port: number;
  /** The JVM's process id. */
  pid: number;
  /** The last lines the JVM printed. */
  log(): string;
  /** Stops the JVM (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  terminate(): Promise<void>;
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const BOUND = /Started SQS rest server, bind address [^\s:]+:(\d+)/;
const STARTED = /ElasticMQ server \([^)]*\) started in/;

/** The HOCON config: REST SQS on loopback only, strict SQS limits, no stats server. */
export function renderConfig(port: number, queues: readonly string[]): string {
  for (const q of queues) {
    if (!QUEUE_NAME.test(q)) throw new RangeError(`Invalid SQS queue name: "${q}"`);
  }
  return [
    'include classpath("application.conf")',
    `node-address { protocol = http, host = "127.0.0.1", port = ${port}, context-path = "" }`,
    "generate-node-address = true",
    `rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "127.0.0.1", ` +
    "sqs-limits = strict }",
    "rest-stats { enabled = false }",
    "queues {",
    ...queues.map((q) => `  "${q}" {}`),
    "}",
    "",
  ].join("\n");
}

/**
 * Launches ElasticMQ and resolves once it accepts requests.
 *
 * @param install What {@linkcode ensureElasticMQ} returned.
 * @param options Port, queues and flags.
 * @returns The running server.
 * @throws {Error} When the JVM exits or does not start in time; the message holds its output.
 */
export async function launch(install: ElasticMQInstall, options: LaunchOptions): Promise<Launched> {
  const dir = await Deno.makeTempDir({ prefix: "elasticmq-" });
  const config = join(dir, "elasticmq.conf");
  await Deno.writeTextFile(config, renderConfig(options.port, options.queues));
  const args = [
    ...JVM_FLAGS,
    ...(install.sharedArchive ? [`-XX:SharedArchiveFile=${install.sharedArchive}`] : []),
    ...(options.extraFlags ?? []),
    `-Dconfig.file=${config}`,
    "-cp",
    install.classpath,
    "org.elasticmq.server.Main",
  ];
  const child = new Deno.Command(install.java, {
    args,
    stdin: "null",
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
        const bound = BOUND.exec(line);
        if (bound) port = Number(bound[1]);
        if (STARTED.test(line) && port > 0) onReady();
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const log = () => lines.join("\n");

  const terminate = async () => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* exited meanwhile */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited meanwhile */ }
      }, 5_000);
      await status;
      clearTimeout(timer);
    }
    await status;
    await pumps;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready" as const),
    status.then(() => "exited" as const),
    new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), options.startTimeoutMs ?? 60_000);
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    await terminate();
    const why = outcome === "exited" ? "exited during start-up" : "did not start in time";
    throw new Error(`ElasticMQ on port ${options.port} ${why}:\n${log().slice(-3000)}`);
  }
  return { port, pid: child.pid, log, terminate };
}
