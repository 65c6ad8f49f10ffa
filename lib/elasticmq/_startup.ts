/**
 * Private to `lib/elasticmq`: reads ElasticMQ's start-up output. The server is ready once it
 * has logged both that it started and which address it bound, in either order: the two lines
 * come from different threads, and a start that waited for "bound" before "started" hung
 * until its time-out whenever the JVM printed them the other way round. When a start fails,
 * {@linkcode startupFailure} says why in one line (the port, a bind error, the JVM's exit),
 * followed by the JVM's last output.
 *
 * @module
 */

const BOUND = /Started SQS rest server, bind address [^\s:]+:(\d+)/;
const STARTED = /ElasticMQ server \([^)]*\) started in/;
const BIND_ERROR = /BindException|Address already in use|Failed to bind/i;
const JAVA_ERROR = /^(Error|Exception in thread)|Could not (find or load|create the Java)/;

/** Follows the start-up output, line by line. */
export class StartupWatch {
  #port = 0;
  #started = false;
  #bindFailed = false;

  /**
   * True once the server said it cannot bind its port: it would go on running without
   * serving, so the start fails at once rather than at its time-out.
   */
  get bindFailed(): boolean {
    return this.#bindFailed;
  }

  /** The bound port; 0 until the server said. */
  get port(): number {
    return this.#port;
  }

  /** True once the server said it started and which port it bound. */
  get ready(): boolean {
    return this.#started && this.#port > 0;
  }

  /**
   * Reads one line of output.
   *
   * @param line The line, without its newline.
   * @returns Whether the server is ready now.
   */
  read(line: string): boolean {
    const bound = BOUND.exec(line);
    if (bound) this.#port = Number(bound[1]);
    if (STARTED.test(line)) this.#started = true;
    if (BIND_ERROR.test(line)) this.#bindFailed = true;
    return this.ready;
  }
}

/** How a start that did not get ready ended. */
export interface StartupOutcome {
  /** The port asked for (0: any free one). */
  port: number;
  /** `exited`: the JVM ended; `bind`: it cannot bind; `timeout`: it was not ready in time. */
  outcome: "exited" | "bind" | "timeout";
  /** The JVM's exit code when it exited. */
  code?: number;
  timeoutMs: number;
  /** The JVM's last output lines. */
  log: string;
}

/**
 * Says why a start failed.
 *
 * @param o What happened.
 * @returns One line of reason, then the JVM's last output.
 * @example
 * ```ts
 * import { startupFailure } from "./_startup.ts";
 * startupFailure({ port: 9324, outcome: "exited", code: 1, timeoutMs: 30_000,
 *   log: "java.net.BindException: Address already in use" }).split("\n")[0];
 * // "ElasticMQ could not bind 127.0.0.1:9324 (is another server using the port?); ..."
 * ```
 */
export function startupFailure(o: StartupOutcome): string {
  const where = o.port === 0 ? "a free port on 127.0.0.1" : `127.0.0.1:${o.port}`;
  const lines = o.log.split("\n");
  const reasons: string[] = [];
  if (lines.some((l) => BIND_ERROR.test(l))) {
    reasons.push(`ElasticMQ could not bind ${where} (is another server using the port?)`);
  }
  const javaError = lines.find((l) => JAVA_ERROR.test(l.trim()));
  if (javaError) reasons.push(`the JVM said: ${javaError.trim()}`);
  if (o.outcome === "exited") {
    reasons.push(`the JVM exited with code ${o.code ?? "?"} during start-up on ${where}`);
  } else if (o.outcome === "timeout") {
    const watch = new StartupWatch();
    for (const l of lines) watch.read(l);
    const seen = lines.some((l) => STARTED.test(l))
      ? "it logged that it started but not which address it bound"
      : watch.port > 0
      ? `it bound port ${watch.port} but did not log that it started`
      : "it logged neither its start nor a bound address";
    reasons.push(`ElasticMQ was not ready on ${where} after ${o.timeoutMs} ms: ${seen}`);
  }
  const output = o.log.trim() === "" ? "(no output)" : o.log.slice(-3000);
  return `${reasons.join("; ")}\n--- JVM output ---\n${output}`;
}
