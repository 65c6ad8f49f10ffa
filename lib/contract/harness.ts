/**
 * One extension under test, wired like in Lambda: a test Extensions API, an ElasticMQ queue
 * behind a recording proxy, the extension process with the shared environment, and helpers to
 * talk to it. Used by the contract suite; usable on its own for benchmarks.
 *
 * @module
 */
import { connect } from "node:net";
import { CONTRACT } from "../../extensions/src/contract.ts";
import { DUMMY_CREDENTIALS, type ElasticMQ, LOCAL_REGION } from "../elasticmq/mod.ts";
import { type ExtensionsApi, startExtensionsApi } from "./extensions_api.ts";
import { type SqsProxy, startSqsProxy } from "./sqs_proxy.ts";

/** How to start an extension implementation. */
export interface ExtensionCommand {
  /** Executable (absolute path or on PATH). */
  command: string;
  /** Its arguments; default none. */
  args?: string[];
  /** Extra environment, applied last (over the harness's). */
  env?: Record<string, string>;
}

/** Options of {@linkcode startHarness}. */
export interface HarnessOptions {
  /** Environment variables to leave out (e.g. `BATTLE_QUEUE_URL` to test a bad config). */
  unset?: string[];
  /** Wait for registration and the first `/next` (Init done); default true. */
  waitForInit?: boolean;
  /** How long Init may take; default 10 s (Lambda's limit). */
  initTimeoutMs?: number;
  /** The extension's port (`BATTLE_EXTENSION_PORT`); default a free one. */
  port?: number;
  /** More environment for this start (e.g. the outbox's bounds), over the command's. */
  env?: Record<string, string>;
  /**
   * The extension talks to ElasticMQ itself, not through the recording proxy (whose `calls`
   * then stay empty): for measurements where the proxy's own CPU would count. Default false.
   */
  direct?: boolean;
}

/** The header a function tags its message with: the invocation's request id. */
export const REQUEST_ID_HEADER: string = CONTRACT.requestIdHeader;

/** Options of {@linkcode Harness.invoke}. */
export interface InvokeOptions {
  /** How long the extension may take to call `/next` again; default 10 s. */
  timeoutMs?: number;
  /** The request id; default a random UUID. */
  requestId?: string;
  /** The event's deadline (epoch ms); default 30 s from now. */
  deadlineMs?: number;
  /**
   * Whether to end the invocation with `POST /invocations/<id>/end` right after the INVOKE, like
   * a function that posted no tagged message; default true.
   */
  end?: boolean;
}

/** The answer of one request to the extension. */
export interface PostResult {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or null when it is not JSON. */
  json: unknown;
  /** The raw body. */
  text: string;
}

/** A free TCP port on 127.0.0.1 (bound and released: a small race, fine on loopback). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** True when a TCP connection to host:port succeeds. */
export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

let queueSeq = 0;

/** A running extension and everything around it. */
export class Harness implements AsyncDisposable {
  /** Exit status and `performance.now()` of the exit, once the process ended. */
  exit: { code: number; signal: string | null; at: number } | null = null;
  #child: Deno.ChildProcess;
  #lines: string[] = [];
  #pumps: Promise<unknown>;
  #status: Promise<Deno.CommandStatus>;

  constructor(
    readonly api: ExtensionsApi,
    readonly proxy: SqsProxy,
    readonly sqs: ElasticMQ,
    /** The queue as ElasticMQ names it (for receiving). */
    readonly queueUrl: string,
    /** The extension's HTTP port. */
    readonly port: number,
    child: Deno.ChildProcess,
  ) {
    this.#child = child;
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      let rest = "";
      for await (const chunk of stream) {
        const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
        rest = parts.pop() ?? "";
        this.#lines.push(...parts);
      }
      if (rest) this.#lines.push(rest);
    };
    this.#pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
    this.#status = child.status.then((s) => {
      this.exit = { code: s.code, signal: s.signal, at: performance.now() };
      return s;
    });
  }

  /** The extension's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** The base URL of the extension's HTTP API. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Everything the extension printed (stdout and stderr). */
  log(): string {
    return this.#lines.join("\n");
  }

  /**
   * Sends a request to the extension (default `POST /messages`).
   *
   * @param body The request body.
   * @param options Path, method and extra headers.
   * @returns Status, headers and body of the answer.
   */
  async post(
    body: string | Uint8Array | null,
    options: { path?: string; method?: string; headers?: Record<string, string> } = {},
  ): Promise<PostResult> {
    const res = await fetch(`${this.url}${options.path ?? CONTRACT.paths.messages}`, {
      method: options.method ?? "POST",
      ...(options.headers ? { headers: options.headers } : {}),
      ...(body === null ? {} : { body: body as BodyInit }),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, json, text };
  }

  /**
   * Posts a message tagged with its invocation (`Lambda-Runtime-Aws-Request-Id`), as the
   * function does.
   *
   * @param body The message.
   * @param requestId The invocation's request id.
   * @returns The answer.
   */
  postTagged(body: string, requestId: string): Promise<PostResult> {
    return this.post(body, { headers: { [REQUEST_ID_HEADER]: requestId } });
  }

  /**
   * Ends an invocation without a message: `POST /invocations/<id>/end`.
   *
   * @param requestId The invocation's request id.
   * @returns The answer (204 expected).
   */
  end(requestId: string): Promise<PostResult> {
    const { invocationsPrefix, endSuffix } = CONTRACT.paths;
    return this.post(null, {
      path: `${invocationsPrefix}${encodeURIComponent(requestId)}${endSuffix}`,
    });
  }

  /**
   * Sends an INVOKE, by default ends it at once (a function that posted nothing tagged), and
   * waits until the extension asks for the next event again.
   *
   * @param options Time-out, request id, deadline, whether to end the invocation.
   * @returns The request id and `performance.now()` of the INVOKE and of the following `/next`.
   * @throws {Error} When `/invocations/<id>/end` is not answered 204, or on time-out.
   */
  async invoke(
    options: InvokeOptions = {},
  ): Promise<{ requestId: string; invokedAt: number; nextAt: number }> {
    const count = this.api.nextCalls.length;
    const invokedAt = performance.now();
    const { requestId } = this.api.invoke({
      ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    });
    if (options.end ?? true) {
      const res = await this.end(requestId);
      if (res.status !== 204) {
        throw new Error(`POST /invocations/${requestId}/end answered ${res.status}: ${res.text}`);
      }
    }
    const nextAt = await this.api.waitForNext(count + 1, options.timeoutMs ?? 10_000);
    return { requestId, invokedAt, nextAt };
  }

  /** Receives and deletes what is in the queue now, without waiting. */
  async drain(): Promise<string[]> {
    return (await this.sqs.receiveAll(this.queueUrl)).map((m) => m.Body ?? "");
  }

  /**
   * Waits for the process to exit.
   *
   * @param timeoutMs How long to wait.
   * @returns The exit, or null on time-out (the process still runs).
   */
  async waitForExit(timeoutMs: number): Promise<Harness["exit"]> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#status,
      new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
    ]);
    clearTimeout(timer);
    return this.exit;
  }

  /** Kills the extension if it still runs and stops the API and proxy (not ElasticMQ). */
  async close(): Promise<void> {
    if (!this.exit) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
    }
    await this.#status;
    await this.#pumps;
    await this.api.close();
    await this.proxy.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Starts an extension as Lambda would: a fresh queue on `sqs` reached through a recording
 * proxy, a test Extensions API, and the environment every implementation reads
 * (`AWS_LAMBDA_RUNTIME_API`, `BATTLE_EXTENSION_PORT`, `BATTLE_QUEUE_URL`,
 * `AWS_ENDPOINT_URL_SQS`, `AWS_REGION`, dummy credentials).
 *
 * @param extension How to run it.
 * @param sqs A running ElasticMQ.
 * @param options Variables to leave out; whether to wait for Init.
 * @returns The harness, after Init unless `waitForInit` is false.
 * @throws {Error} When Init does not finish in time; the message holds the extension's output.
 */
export async function startHarness(
  extension: ExtensionCommand,
  sqs: ElasticMQ,
  options: HarnessOptions = {},
): Promise<Harness> {
  const queueUrl = await sqs.createQueue(`contract-${Deno.pid}-${++queueSeq}`);
  const api = startExtensionsApi();
  const proxy = startSqsProxy(sqs.endpoint);
  const port = options.port ?? freePort();
  // The queue URL names the proxy too: SDKs that route by queue URL still pass through it.
  const endpoint = options.direct ? sqs.endpoint : proxy.endpoint;
  const extensionQueueUrl = endpoint + new URL(queueUrl).pathname;
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    TZ: "UTC",
    AWS_LAMBDA_RUNTIME_API: api.address,
    AWS_LAMBDA_FUNCTION_NAME: "contract",
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_ENDPOINT_URL_SQS: endpoint,
    [CONTRACT.port.variable]: String(port),
    [CONTRACT.queueUrlVariable]: extensionQueueUrl,
    ...extension.env,
    ...options.env,
  };
  for (const name of options.unset ?? []) delete env[name];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(extension.command, {
      args: extension.args ?? [],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    await api.close();
    await proxy.close();
    throw new Error(`Cannot start extension "${extension.command}": ${err}`);
  }
  const harness = new Harness(api, proxy, sqs, queueUrl, port, child);
  if (options.waitForInit ?? true) {
    try {
      await api.waitForNext(1, options.initTimeoutMs ?? 10_000);
    } catch (err) {
      await harness.close();
      throw new Error(
        `${err instanceof Error ? err.message : err}\n--- extension output ---\n${harness.log()}`,
      );
    }
  }
  return harness;
}
