/**
 * A real SQS-compatible server (ElasticMQ) for tests and the local sandbox: start it on
 * loopback, create queues, drain them, stop it, and start it again on the same port.
 *
 * @module
 */
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { launch, type Launched, type LaunchOptions } from "./_launch.ts";
import { type ElasticMQInstall, ensureElasticMQ } from "./install.ts";

/** Credentials ElasticMQ accepts (it checks none); never real ones. */
export const DUMMY_CREDENTIALS = { accessKeyId: "battle", secretAccessKey: "battle" } as const;
/** The region every local client uses. */
export const LOCAL_REGION = "us-east-1";

/** Options of {@linkcode startElasticMQ}. */
export interface StartOptions {
  /** Port on 127.0.0.1; default 0 (a free port). */
  port?: number;
  /** An install from {@linkcode ensureElasticMQ}; default: ensure one. */
  install?: ElasticMQInstall;
}

/** Options of {@linkcode ElasticMQ.receiveAll}. */
export interface ReceiveOptions {
  /** Keep polling until this many messages arrived (or the time is up). Default: drain once. */
  expect?: number;
  /** Give up after this long; default 10 s. */
  timeoutMs?: number;
}

/** A running ElasticMQ. Stop it with {@linkcode ElasticMQ.stop} or `await using`. */
export class ElasticMQ implements AsyncDisposable {
  #install: ElasticMQInstall;
  #server: Launched | null;
  #queues = new Set<string>();
  #client: SQSClient | null = null;
  #paused = false;
  /** The bound port; it stays the same across {@linkcode ElasticMQ.start}. */
  readonly port: number;

  constructor(install: ElasticMQInstall, server: Launched) {
    this.#install = install;
    this.#server = server;
    this.port = server.port;
  }

  /** `http://127.0.0.1:<port>`: what `AWS_ENDPOINT_URL_SQS` should be. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The JVM's process id (for CPU and memory readings), or null when it is not running. */
  get jvmPid(): number | null {
    return this.#server?.jvmPid() ?? null;
  }

  /** True while the JVM runs. */
  get running(): boolean {
    return this.#server !== null;
  }

  /** An SQS client bound to this server, with dummy credentials. */
  get client(): SQSClient {
    this.#client ??= new SQSClient({
      endpoint: this.endpoint,
      region: LOCAL_REGION,
      credentials: DUMMY_CREDENTIALS,
      maxAttempts: 2,
    });
    return this.#client;
  }

  /** The last lines the JVM printed (for failure messages). */
  log(): string {
    return this.#server?.log() ?? "";
  }

  /**
   * Creates a queue (idempotent); it is re-created when the server starts again.
   *
   * @param name Queue name (letters, digits, `-`, `_`).
   * @returns The queue URL.
   * @throws {Error} When the server is stopped or refuses the name.
   */
  async createQueue(name: string): Promise<string> {
    this.#assertRunning("create a queue");
    const out = await this.client.send(new CreateQueueCommand({ QueueName: name }));
    if (!out.QueueUrl) throw new Error(`CreateQueue "${name}" returned no QueueUrl`);
    this.#queues.add(name);
    return out.QueueUrl;
  }

  /**
   * Receives and deletes messages until `expect` arrived or, without `expect`, until the queue
   * reads empty.
   *
   * @param queueUrl The queue.
   * @param options How many to wait for and for how long.
   * @returns The messages in arrival order (fewer than `expect` when the time ran out).
   * @throws {Error} When the server is stopped.
   */
  async receiveAll(queueUrl: string, options: ReceiveOptions = {}): Promise<Message[]> {
    this.#assertRunning("receive messages");
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    const got: Message[] = [];
    while (Date.now() < deadline) {
      const out = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: options.expect === undefined ? 0 : 1,
          MessageSystemAttributeNames: ["All"],
        }),
      );
      const batch = out.Messages ?? [];
      if (batch.length > 0) {
        got.push(...batch);
        await this.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
      if (options.expect === undefined ? batch.length === 0 : got.length >= options.expect) break;
    }
    return got;
  }

  /**
   * Starts the JVM again on the same port with the same queues (empty: ElasticMQ keeps
   * messages in memory). Used to end a simulated SQS outage.
   *
   * @throws {Error} When it is running already or the JVM does not start (tried twice).
   */
  async start(): Promise<void> {
    if (this.#server) throw new Error(`ElasticMQ on port ${this.port} is running already`);
    this.#server = await launchWithRetry(this.#install, {
      port: this.port,
      queues: [...this.#queues],
    });
  }

  /**
   * Holds every request without closing the port, as a slow SQS would: the JVM is stopped
   * (SIGSTOP), so connections and requests wait in the kernel's queues until
   * {@linkcode ElasticMQ.resume}. Keep it shorter than the clients' time-outs.
   *
   * @throws {Error} When the server is stopped.
   */
  pause(): void {
    this.#signalJvm("SIGSTOP");
    this.#paused = true;
  }

  /** Lets a paused server run again; a no-op when it is not paused. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#signalJvm("SIGCONT");
  }

  #signalJvm(signal: Deno.Signal): void {
    this.#assertRunning(`send ${signal}`);
    const pid = this.#server!.jvmPid();
    if (pid === null) {
      throw new Error(`Cannot send ${signal}: no JVM under pid ${this.#server!.pid}`);
    }
    Deno.kill(pid, signal);
  }

  /** Stops the JVM and waits for it to exit; a no-op when stopped. */
  async stop(): Promise<void> {
    // A paused JVM would not act on SIGTERM.
    if (this.#server) this.resume();
    // Pooled sockets point at the old JVM: drop them.
    this.#client?.destroy();
    this.#client = null;
    const server = this.#server;
    this.#server = null;
    await server?.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #assertRunning(what: string): void {
    if (!this.#server) throw new Error(`Cannot ${what}: ElasticMQ on port ${this.port} is stopped`);
  }
}

/**
 * Starts ElasticMQ on 127.0.0.1 (downloading it first if needed).
 *
 * @param options Port (default a free one) and install.
 * @returns The running server.
 * @throws {Error} When Java or Maven is missing or the JVM does not start (tried twice; the
 * message says why for each attempt: the port, a bind error, the JVM's exit and output).
 * @example
 * ```ts
 * await using sqs = await startElasticMQ();
 * const url = await sqs.createQueue("q");
 * const messages = await sqs.receiveAll(url);
 * ```
 */
export async function startElasticMQ(options: StartOptions = {}): Promise<ElasticMQ> {
  const install = options.install ?? await ensureElasticMQ();
  const server = await launchWithRetry(install, { port: options.port ?? 0, queues: [] });
  return new ElasticMQ(install, server);
}

/**
 * Launches, and once more after a failed start (a JVM that was slow or crashed once usually
 * starts the second time). The error of two failures gives both reasons.
 *
 * @param install What {@linkcode ensureElasticMQ} returned.
 * @param options Port and queues.
 * @param launcher The launch to use (tests replace it).
 * @returns The running server.
 * @throws {Error} When both attempts fail.
 */
export async function launchWithRetry(
  install: ElasticMQInstall,
  options: LaunchOptions,
  launcher: typeof launch = launch,
): Promise<Launched> {
  try {
    return await launcher(install, options);
  } catch (first) {
    const reason = (first as Error).message;
    console.error(`ElasticMQ: start failed, trying once more: ${reason.split("\n")[0]}`);
    try {
      return await launcher(install, options);
    } catch (second) {
      throw new Error(
        `Cannot start ElasticMQ (tried twice):\n1st: ${reason}\n2nd: ${(second as Error).message}`,
      );
    }
  }
}
