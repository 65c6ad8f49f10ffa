/**
 * The local backend: every cell runs in its own sandbox (real extension processes, the real
 * Runtime/Extensions/Telemetry APIs, cgroup limits from the memory setting), delivering to a
 * real ElasticMQ that this backend starts on loopback and stops at the end.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { functionDir, layerDir, LLRT_BIN } from "../paths.ts";
import { needsLlrt } from "../variants.ts";
import { type ElasticMQ, startElasticMQ } from "../elasticmq/mod.ts";
import { type LlrtInfo, llrtLabel, readLlrtInfo } from "../llrt/mod.ts";
import { Sandbox } from "../sandbox/sandbox.ts";
import { type Cell, cellLabel, hostArch } from "./matrix.ts";
import { collectCell } from "./collect_cell.ts";
import type { BenchBackend, CellPlan, CellResult, ClientRecord } from "./types.ts";

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

/** Runs cells in local sandboxes. Create with `LocalBackend.start()`. */
export class LocalBackend implements BenchBackend {
  readonly name = "local" as const;
  #sqs: ElasticMQ;
  #controls: Record<string, unknown> | null = null;
  #llrt: LlrtInfo;

  private constructor(sqs: ElasticMQ, llrt: LlrtInfo) {
    this.#sqs = sqs;
    this.#llrt = llrt;
  }

  /** Starts ElasticMQ on a free loopback port and reads which LLRT the build made. */
  static async start(): Promise<LocalBackend> {
    const llrt = await readLlrtInfo();
    return new LocalBackend(await startElasticMQ({ port: 0 }), llrt);
  }

  describe(): Record<string, unknown> {
    return {
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
    if (needsLlrt(v)) {
      if (!this.#llrt?.available) {
        return `no LLRT: ${
          this.#llrt?.reason ?? "build/llrt/llrt.json missing (run deno task setup)"
        }`;
      }
    }
    const needed = [join(functionDir(v.name), "index.mjs")];
    if (v.extension) needed.push(join(layerDir(v.name), "extensions", v.extension.name));
    const missing = needed.filter((p) => !existsSync(p));
    if (missing.length > 0) return `not built (${missing.join(", ")}): run deno task build`;
    return null;
  }

  async runCell(
    cell: Cell,
    plan: CellPlan,
    context: { runId: string; runDir: string; progress: import("./progress.ts").Progress },
  ): Promise<CellResult> {
    const label = cellLabel(cell);
    const v = cell.variant;
    const queueUrl = await this.#sqs.createQueue(`battle-${label}`.replace(/[^A-Za-z0-9_-]/g, "-"));
    const port = await freePort();
    const logDir = join(context.runDir, "logs", label);
    await Deno.mkdir(logDir, { recursive: true });
    const sandbox = await Sandbox.create({
      codeDir: functionDir(v.name),
      ...(v.extension ? { optDir: layerDir(v.name) } : {}),
      runtime: v.functionRuntime === "llrt" ? "llrt" : "node",
      handler: "index.handler",
      memoryMb: cell.memoryMb,
      timeoutS: plan.timeoutS,
      functionName: `battle-${label}`,
      logDir,
      llrtBin: this.#llrt.available ? this.#llrt.path : LLRT_BIN,
      env: {
        BATTLE_MODE: v.mode,
        BATTLE_WORK_ITERATIONS: String(plan.workIterations),
        BATTLE_PAYLOAD_BYTES: String(plan.payloadBytes),
        BATTLE_EXTENSION_PORT: String(port),
        BATTLE_EXTENSION_URL: `http://127.0.0.1:${port}/messages`,
        BATTLE_QUEUE_URL: queueUrl,
        AWS_ENDPOINT_URL_SQS: this.#sqs.endpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
      },
    });
    this.#controls ??= { ...sandbox.controls };
    const client: ClientRecord[] = [];
    const event = new TextEncoder().encode(JSON.stringify({ payloadBytes: plan.payloadBytes }));
    let successes = 0;
    try {
      const invokeOnce = async (intendedCold: boolean) => {
        const r = await sandbox.invoke(event);
        client.push({
          requestId: r.requestId,
          clientRttMs: r.clientRttMs,
          timestamp: r.startedAt,
          intendedCold,
        });
        if (r.status === "success") successes++;
        context.progress.advance();
      };
      for (let i = 0; i < plan.cold; i++) {
        if (i > 0) await sandbox.reset();
        await invokeOnce(true);
      }
      if (plan.cold === 0 && plan.warm > 0) {
        // A new environment's first invocation runs Init: it is recorded as the cold sample it is.
        await invokeOnce(true);
      }
      for (let i = 0; i < plan.warm; i++) await invokeOnce(false);
    } finally {
      await sandbox.shutdown();
    }
    const result = await collectCell({
      files: [sandbox.logFile, sandbox.telemetryFile],
      meta: {
        run_id: context.runId,
        backend: "local",
        variant: v.name,
        arch: cell.arch,
        memory_mb: cell.memoryMb,
      },
      client,
    });
    if (v.mode !== "none") {
      const received = await this.#sqs.receiveAll(queueUrl, {
        expect: successes,
        timeoutMs: 5_000,
      });
      result.messages = { expected: successes, received: received.length };
    }
    return result;
  }

  async close(): Promise<void> {
    await this.#sqs.stop();
  }
}
