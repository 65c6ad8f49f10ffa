/**
 * Starts one ElasticMQ JVM bound to loopback with a generated config, waits until it serves, and
 * stops it again. Private to `lib/elasticmq`.
 *
 * @module
 */
import { join } from "node:path";
import { type ElasticMQInstall, JVM_FLAGS } from "./install.ts";
import { startupFailure, StartupWatch } from "./_startup.ts";

/** Options of {@linkcode launch}. */
export interface LaunchOptions {
  /** Port to bind on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Queues that exist from the start (so a restart brings them back). */
  queues: readonly string[];
  /** More JVM flags. */
  extraFlags?: readonly string[];
  /** How long start-up may take; default {@linkcode DEFAULT_START_TIMEOUT_MS}. */
  startTimeoutMs?: number;
}

/** A running ElasticMQ JVM. */
export interface Launched {
  /** The bound port. */
  port: number;
  /** The process id of the watchdog shell the JVM runs under. */
  pid: number;
  /** The JVM's own process id (a child of `pid`), or null when it is gone. */
  jvmPid(): number | null;
  /** The last lines the JVM printed. */
  log(): string;
  /** Stops the JVM (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. Idempotent. */
  terminate(): Promise<void>;
}

/**
 * How long one start may take: a healthy one takes 1–5 s here, a cold JVM on a busy machine
 * longer; the callers try once more after a failure.
 */
export const DEFAULT_START_TIMEOUT_MS = 30_000;

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Runs the JVM (`$@`) under a shell that stops it once its own stdin closes: when `terminate()`
 * closes it, and also when the Deno process dies without cleaning up (a failed or interrupted
 * test run), so no JVM outlives its owner. It waits for the JVM's real exit, so the port is
 * free again when the shell ends. (A background job's stdin is /dev/null unless redirected:
 * hence fd 3.)
 */
const WATCHDOG = `
exec 3<&0
"$@" </dev/null 3<&- &
jvm=$!
trap 'kill -TERM "$jvm" 2>/dev/null' TERM INT
{
  while read -r _; do :; done
  kill -TERM "$jvm"
  i=0
  while kill -0 "$jvm" && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$jvm"
} <&3 >/dev/null 2>&1 &
exec 3<&-
watch=$!
wait "$jvm"; code=$?
while kill -0 "$jvm" 2>/dev/null; do wait "$jvm"; code=$?; done
kill "$watch" 2>/dev/null
exit "$code"
`;

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
 * @throws {Error} When the JVM exits or does not start in time; the message says why (see
 * `startupFailure`) and holds its output.
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
  const child = new Deno.Command("sh", {
    args: ["-c", WATCHDOG, "elasticmq", install.java, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  const lines: string[] = [];
  const watch = new StartupWatch();
  let onReady = () => {};
  const ready = new Promise<void>((resolve) => onReady = resolve);
  let onBindFailed = () => {};
  const bindFailed = new Promise<void>((resolve) => onBindFailed = resolve);
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let rest = "";
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 200) lines.shift();
        if (watch.read(line)) onReady();
        if (watch.bindFailed) onBindFailed();
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = child.status;
  const log = () => lines.join("\n");

  const terminate = async () => {
    // Closing the watchdog's stdin stops the JVM (SIGTERM, SIGKILL 5 s later).
    await child.stdin.close().catch(() => {});
    await status;
    await pumps;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready" as const),
    status.then(() => "exited" as const),
    // A few more lines (the exception's cause) arrive just after the first.
    bindFailed.then(() => new Promise((r) => setTimeout(r, 200))).then(() => "bind" as const),
    new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    const code = outcome === "exited" ? (await status).code : undefined;
    await terminate();
    throw new Error(
      startupFailure({
        port: options.port,
        outcome,
        ...(code === undefined ? {} : { code }),
        timeoutMs,
        log: log(),
      }),
    );
  }
  const jvmPid = () => {
    try {
      const children = Deno.readTextFileSync(`/proc/${child.pid}/task/${child.pid}/children`);
      for (const pid of children.trim().split(/\s+/).map(Number)) {
        if (Deno.readTextFileSync(`/proc/${pid}/comm`).trim() === "java") return pid;
      }
    } catch {
      // Gone, or no /proc.
    }
    return null;
  };
  return { port: watch.port, pid: child.pid, jvmPid, log, terminate };
}
