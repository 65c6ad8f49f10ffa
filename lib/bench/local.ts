/**
 * The local platform adapter: every cell runs in its own sandbox (real extension processes, the
 * real Runtime/Extensions/Telemetry APIs, cgroup limits from the memory setting), delivering to
 * a real ElasticMQ that this adapter starts on loopback and stops at the end. The measurement
 * protocol is `measureCell`'s (protocol.ts); this file only makes, invokes and resets sandboxes.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { functionDir, layerDir, LLRT_BIN } from "../paths.ts";
import { needsLlrt } from "../variants.ts";
import { functionEnvironment } from "../function_env.ts";
import { type ElasticMQ, startElasticMQ } from "../elasticmq/mod.ts";
import { type LlrtInfo, llrtLabel, readLlrtInfo } from "../llrt/mod.ts";
import { Sandbox, type SandboxControls, type SandboxOptions } from "../sandbox/mod.ts";
import type { FunctionSettings, LocalBackendFacts } from "../store/run_manifest.ts";
import { type Cell, cellLabel, hostArch } from "./matrix.ts";
import type { CellContext, PlatformAdapter, PreparedCell } from "./protocol.ts";
import type { CellPlan } from "./types.ts";
import { DEFAULT_LOCAL_SETTINGS } from "./local_settings.ts";

export { DEFAULT_LOCAL_SETTINGS };

/** Asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** How the sandbox models Lambda's Init CPU and code loading (see `SandboxOptions`). */
export type LocalModels = Pick<SandboxOptions, "initCpus" | "codeLoading">;

/** Runs cells in local sandboxes. Create with `LocalBackend.start()`. */
export class LocalBackend implements PlatformAdapter {
  readonly name = "local" as const;
  #sqs: ElasticMQ;
  #controls: SandboxControls | null = null;
  #llrt: LlrtInfo;
  #settings: FunctionSettings;
  #models: LocalModels;

  private constructor(
    sqs: ElasticMQ,
    llrt: LlrtInfo,
    settings: FunctionSettings,
    models: LocalModels,
  ) {
    this.#sqs = sqs;
    this.#llrt = llrt;
    this.#settings = settings;
    this.#models = models;
  }

  /**
   * Starts ElasticMQ on a free loopback port and reads which LLRT the build made.
   *
   * @param settings What every function runs with (default {@link DEFAULT_LOCAL_SETTINGS}).
   * @param models The sandbox's Init CPU budget and code loading (default: its own defaults).
   */
  static async start(
    settings: FunctionSettings = DEFAULT_LOCAL_SETTINGS,
    models: LocalModels = {},
  ): Promise<LocalBackend> {
    const llrt = await readLlrtInfo();
    return new LocalBackend(await startElasticMQ({ port: 0 }), llrt, settings, models);
  }

  describe(): LocalBackendFacts {
    return {
      backend: "local",
      sqsEndpoint: this.#sqs.endpoint,
      sqsServer: "ElasticMQ",
      sandboxControls: this.#controls,
      llrt: this.#llrt,
      llrtLabel: llrtLabel(this.#llrt),
    };
  }

  skipReason(cell: Cell): string | null {
    if (cell.arch !== hostArch()) {
      return `the local sandbox runs on this host's architecture (${hostArch()}) only`;
    }
    const v = cell.variant;
    if (needsLlrt(v) && !this.#llrt.available) return `no LLRT: ${this.#llrt.reason}`;
    const needed = [join(functionDir(v.name), "index.mjs")];
    if (v.extension) needed.push(join(layerDir(v.name), "extensions", v.extension.name));
    const missing = needed.filter((p) => !existsSync(p));
    if (missing.length > 0) return `not built (${missing.join(", ")}): run deno task build`;
    return null;
  }

  async prepare(cell: Cell, plan: CellPlan, context: CellContext): Promise<PreparedCell> {
    const label = cellLabel(cell);
    const v = cell.variant;
    const queueUrl = await this.#sqs.createQueue(`battle-${label}`.replace(/[^A-Za-z0-9_-]/g, "-"));
    const settings = this.#settings;
    const sandbox = await Sandbox.create({
      ...this.#models,
      codeDir: functionDir(v.name),
      ...(v.extension ? { optDir: layerDir(v.name) } : {}),
      runtime: v.functionRuntime === "llrt" ? "llrt" : "node",
      handler: "index.handler",
      memoryMb: cell.memoryMb,
      timeoutS: settings.timeoutS,
      functionName: `battle-${label}`,
      logDir: context.logDir,
      llrtBin: this.#llrt.available ? this.#llrt.path : LLRT_BIN,
      env: {
        ...functionEnvironment({
          variant: v,
          workIterations: settings.workIterations,
          payloadBytes: plan.payloadBytes,
          queueUrl,
          extensionPort: await freePort(),
        }),
        AWS_ENDPOINT_URL_SQS: this.#sqs.endpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
      },
    });
    this.#controls ??= { ...sandbox.controls };
    const sqs = this.#sqs;
    let initialised = false;
    return {
      settings,
      outputWait: { maxMs: 0, pollMs: 0 },
      async forceColdStart() {
        // A new sandbox is cold already; afterwards a reset retires the environment.
        if (initialised) await sandbox.reset();
      },
      async invoke(event) {
        const r = await sandbox.invoke(event);
        initialised = true;
        return {
          requestId: r.requestId,
          clientRttMs: r.clientRttMs,
          timestamp: r.startedAt,
          ranInit: r.cold,
          ok: r.status === "success",
        };
      },
      settle: () => sandbox.shutdown(),
      fetchOutput: () => Promise.resolve({ files: [sandbox.logFile, sandbox.telemetryFile] }),
      async checkDelivery(successes) {
        if (v.mode === "none") return null;
        const received = await sqs.receiveAll(queueUrl, { expect: successes, timeoutMs: 5_000 });
        return { expected: successes, received: received.length };
      },
      dispose: () => sandbox.shutdown(),
    };
  }

  async close(): Promise<void> {
    await this.#sqs.stop();
  }
}
