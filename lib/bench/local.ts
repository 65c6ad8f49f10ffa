/**
 * The local platform adapter: every cell runs in its own sandbox (real extension processes, the
 * real Runtime/Extensions/Telemetry APIs, cgroup limits from the memory setting), delivering to
 * a real ElasticMQ that this adapter starts on loopback and stops at the end, and, for cells of
 * workload `dynamodb`, writing to a real DynamoDB-compatible server (dynalite) started the same
 * way on first need. The measurement protocol is `measureCell`'s (protocol.ts) and, for loads,
 * `measureLoad`'s (lib/load): this file only makes, invokes and resets sandboxes, one per cell or
 * a pool of them that scales out like Lambda.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { layerDir, LLRT_BIN } from "../paths.ts";
import { functionRuntimeSpec, needsLlrt } from "../variants.ts";
import { AWSLAMBDARIC_DIR, BOTO3_DIR, codeDirOf } from "../build/functions.ts";
import { functionEnvironment } from "../function_env.ts";
import { ensureLambdaPython, LAMBDA_PYTHON_BIN } from "../lambda_python.ts";
import { type ElasticMQ, startElasticMQ } from "../elasticmq/mod.ts";
import { type LocalDynamoDB, startDynamoDB } from "../dynamodb/mod.ts";
import { checkCapacity, cpuOversubscription } from "../load/memory.ts";
import { poolLoadCell } from "../load/local_pool.ts";
import type { LoadAdapter, LoadCell } from "../load/measure.ts";
import type { LoadPlan } from "../load/summary.ts";
import { type LlrtInfo, llrtLabel, readLlrtInfo } from "../llrt/mod.ts";
import { Sandbox, type SandboxControls, type SandboxOptions } from "../sandbox/mod.ts";
import type { FunctionSettings, LocalBackendFacts } from "../store/run_manifest.ts";
import { type Cell, cellLabel, hostArch } from "./matrix.ts";
import type { CellContext, PlatformAdapter, PreparedCell } from "./protocol.ts";
import type { CellPlan } from "./types.ts";
import { DEFAULT_LOCAL_SETTINGS } from "./local_settings.ts";
import { commandOutput } from "./run_info.ts";

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

/**
 * Where the sandbox's function runtimes differ in version from what Lambda deploys (the
 * managed runtimes of lib/variants.ts): one line each, for run.json and the report.
 *
 * @param versions The host's `python3 --version` and `node --version` (default: asked here).
 * @returns The notes; none where the versions agree.
 * @example
 * ```ts
 * import { localRuntimeNotes } from "./local.ts";
 * const notes = await localRuntimeNotes({ python: "Python 3.11.7", node: "v22.1.0" });
 * notes[0]; // "python, python-pyo3: the sandbox runs Python 3.11.7 (python3 here); Lambda deploys python3.12"
 * ```
 */
export async function localRuntimeNotes(
  versions?: { python: string | null; node: string | null },
): Promise<string[]> {
  const v = versions ?? {
    python: await commandOutput("python3", ["--version"]),
    node: await commandOutput("node", ["--version"]),
  };
  const deployed = (name: string) => functionRuntimeSpec(name).lambdaRuntime;
  const notes: string[] = [];
  const py = /Python (\d+)\.(\d+)/.exec(v.python ?? "");
  const pyDeployed = /python(\d+)\.(\d+)/.exec(deployed("python"));
  if (py === null) {
    notes.push(`python, python-pyo3: no python3 here; Lambda deploys ${deployed("python")}`);
  } else if (py[1] !== pyDeployed?.[1] || py[2] !== pyDeployed?.[2]) {
    notes.push(
      `python, python-pyo3: the sandbox runs ${v.python} (python3 here); Lambda deploys ${
        deployed("python")
      }`,
    );
  }
  const node = /^v(\d+)\./.exec(v.node ?? "");
  const nodeDeployed = /nodejs(\d+)/.exec(deployed("nodejs"));
  if (node !== null && node[1] !== nodeDeployed?.[1]) {
    notes.push(`nodejs: the sandbox runs Node.js ${v.node}; Lambda deploys ${deployed("nodejs")}`);
  }
  return notes;
}

/** How the sandbox models Lambda's Init CPU and code loading (see `SandboxOptions`). */
export type LocalModels = Pick<SandboxOptions, "initCpus" | "codeLoading">;

/** A name DynamoDB and SQS accept, from a cell label. */
function resourceName(label: string): string {
  return `battle-${label}`.replace(/[^A-Za-z0-9_-]/g, "-");
}

/** Runs cells in local sandboxes. Create with `LocalBackend.start()`. */
export class LocalBackend implements PlatformAdapter, LoadAdapter {
  readonly name = "local" as const;
  #sqs: ElasticMQ;
  /** dynalite, started when the first cell of workload `dynamodb` needs it. */
  #dynamodb: Promise<LocalDynamoDB> | null = null;
  #dynamodbUsed = false;
  #controls: SandboxControls | null = null;
  #llrt: LlrtInfo;
  #settings: FunctionSettings;
  #models: LocalModels;
  #runtimeNotes: string[] = [];

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
    // Python functions run on a bare venv of the host's Python; without one, on python3.
    await ensureLambdaPython().catch(() => {});
    const backend = new LocalBackend(await startElasticMQ({ port: 0 }), llrt, settings, models);
    backend.#runtimeNotes = await localRuntimeNotes();
    return backend;
  }

  describe(): LocalBackendFacts {
    return {
      backend: "local",
      sqsEndpoint: this.#sqs.endpoint,
      sqsServer: "ElasticMQ",
      sandboxControls: this.#controls,
      llrt: this.#llrt,
      llrtLabel: llrtLabel(this.#llrt),
      runtimeNotes: this.#runtimeNotes,
      ...(this.#dynamodbUsed ? { dynamodbServer: "dynalite" } : {}),
    };
  }

  /** The DynamoDB server and a fresh table for a cell of workload `dynamodb`, else null. */
  async #tableFor(cell: Cell): Promise<{ db: LocalDynamoDB; table: string } | null> {
    if (cell.variant.workload !== "dynamodb") return null;
    this.#dynamodb ??= startDynamoDB();
    this.#dynamodbUsed = true;
    const db = await this.#dynamodb;
    return { db, table: await db.createTable(resourceName(cellLabel(cell))) };
  }

  skipReason(cell: Cell): string | null {
    return localSkipReason(cell, this.#llrt);
  }

  /** One sandbox of a cell's function (its own extension port), logging into `logDir`. */
  async #cellSandbox(
    cell: Cell,
    plan: Pick<CellPlan, "payloadBytes">,
    where: {
      queueUrl: string;
      dynamo: { db: LocalDynamoDB; table: string } | null;
      logDir: string;
    },
  ): Promise<{ sandbox: Sandbox; settings: FunctionSettings }> {
    const { dynamo } = where;
    const fn = cellFunction(cell, {
      settings: this.#settings,
      payloadBytes: plan.payloadBytes,
      queueUrl: where.queueUrl,
      extensionPort: await freePort(),
      sqsEndpoint: this.#sqs.endpoint,
      llrt: this.#llrt,
      ...(dynamo ? { dynamodb: { endpoint: dynamo.db.endpoint, table: dynamo.table } } : {}),
    });
    const sandbox = await Sandbox.create({
      ...this.#models,
      ...fn.sandbox,
      memoryMb: cell.memoryMb,
      timeoutS: fn.settings.timeoutS,
      functionName: `battle-${cellLabel(cell)}`,
      logDir: where.logDir,
      env: { ...fn.environment, ...fn.platformEnvironment },
    });
    this.#controls ??= { ...sandbox.controls };
    return { sandbox, settings: fn.settings };
  }

  async prepare(cell: Cell, plan: CellPlan, context: CellContext): Promise<PreparedCell> {
    const label = cellLabel(cell);
    const v = cell.variant;
    const queueUrl = await this.#sqs.createQueue(resourceName(label));
    const dynamo = await this.#tableFor(cell);
    const { sandbox, settings } = await this.#cellSandbox(cell, plan, {
      queueUrl,
      dynamo,
      logDir: context.logDir,
    });
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
      checkItems: async (successes) =>
        dynamo ? { expected: successes, received: await dynamo.db.countItems(dynamo.table) } : null,
      dispose: () => sandbox.shutdown(),
    };
  }

  /**
   * Makes a cell ready for a load: a pool of sandboxes that scales out like Lambda up to the
   * plan's reserved concurrency (else as far as the host's memory allows), each environment
   * with its own extension port and log folder, after checking that the host's memory holds the
   * plan's concurrency.
   *
   * @throws {RangeError} When the host cannot hold the environments (see `checkCapacity`).
   */
  async prepareLoad(cell: Cell, plan: LoadPlan, context: CellContext): Promise<LoadCell> {
    // The callers alone keep `concurrency` environments busy; without reserved concurrency the
    // function scales out further while environments finish post-response work, up to what the
    // host's memory holds (Lambda's account limit stands in for it).
    const capacity = checkCapacity({
      environments: Math.min(plan.reservedConcurrency ?? plan.concurrency, plan.concurrency),
      memoryMb: cell.memoryMb,
    });
    const bound = plan.reservedConcurrency ?? capacity.maxEnvironments;
    const cpu = cpuOversubscription({
      environments: Math.min(bound, plan.concurrency),
      memoryMb: cell.memoryMb,
    });
    if (cpu) console.error(`load ${cellLabel(cell)}: ${cpu}`);
    const label = cellLabel(cell);
    const v = cell.variant;
    const queueUrl = await this.#sqs.createQueue(resourceName(label));
    const dynamo = await this.#tableFor(cell);
    const sqs = this.#sqs;
    return poolLoadCell({
      maxEnvironments: bound,
      notes: cpu ? [cpu] : [],
      // A hello function (workload none) does no work, whatever the run's setting.
      settings: v.workload === "none" ? { ...this.#settings, workIterations: 0 } : this.#settings,
      makeEnvironment: async (index) =>
        (await this.#cellSandbox(cell, plan, {
          queueUrl,
          dynamo,
          logDir: join(context.logDir, `env-${index}`),
        })).sandbox,
      checkDelivery: async (successes) => {
        if (v.mode === "none") return null;
        const received = await sqs.receiveAll(queueUrl, { expect: successes, timeoutMs: 10_000 });
        return { expected: successes, received: received.length };
      },
      checkItems: async (successes) =>
        dynamo ? { expected: successes, received: await dynamo.db.countItems(dynamo.table) } : null,
    });
  }

  async close(): Promise<void> {
    await this.#sqs.stop();
    const db = this.#dynamodb;
    this.#dynamodb = null;
    if (db) await (await db.catch(() => null))?.stop();
  }
}

/**
 * Why a cell cannot run in the local sandbox (another architecture, no LLRT, not built), or
 * null when it can.
 *
 * @param cell The cell.
 * @param llrt Which LLRT the build made.
 * @returns The reason, or null.
 */
export function localSkipReason(cell: Cell, llrt: LlrtInfo): string | null {
  if (cell.arch !== hostArch()) {
    return `the local sandbox runs on this host's architecture (${hostArch()}) only`;
  }
  const v = cell.variant;
  if (needsLlrt(v) && !llrt.available) return `no LLRT: ${llrt.reason}`;
  const runtime = functionRuntimeSpec(v.functionRuntime);
  const code = codeDirOf(v);
  const entry = runtime.sandboxRuntime === "python"
    ? "handler.py"
    : runtime.sandboxRuntime === "provided"
    ? "bootstrap"
    : "index.mjs";
  const needed = [join(code, entry)];
  if (runtime.sandboxRuntime === "python") {
    needed.push(join(AWSLAMBDARIC_DIR, "awslambdaric"));
    if (v.mode === "direct") needed.push(join(BOTO3_DIR, "boto3"));
  }
  if (v.extension) needed.push(join(layerDir(v.extensionName), "extensions", v.extension.name));
  const missing = needed.filter((p) => !existsSync(p));
  if (missing.length > 0) return `not built (${missing.join(", ")}): run deno task build`;
  return null;
}

/** A cell's function as the sandbox runs it (shared by the local adapter and `deno task serve`). */
export interface CellFunction {
  /** Code, layers, runtime, handler and LLRT binary. */
  sandbox: {
    codeDir: string;
    optDir?: string;
    runtime: SandboxOptions["runtime"];
    handler: string;
    llrtBin: string;
  };
  /** The function's own variables, as the stack sets them (`functionEnvironment`). */
  environment: Record<string, string>;
  /** What the platform adds here: the SQS endpoint, region and keys, the runtime's packages. */
  platformEnvironment: Record<string, string>;
  /** What the function runs with (a hello function, workload none, does no work). */
  settings: FunctionSettings;
}

/**
 * Builds a cell's function from the variant's build, as the local adapter runs it.
 *
 * @param cell The cell.
 * @param o What every function runs with, its payload size, the queue and SQS endpoint, the
 *   extension's loopback port and which LLRT the build made.
 * @returns The sandbox options and variables.
 */
export function cellFunction(cell: Cell, o: {
  settings: FunctionSettings;
  payloadBytes: number;
  queueUrl: string;
  extensionPort: number;
  sqsEndpoint: string;
  llrt: LlrtInfo;
  /** The DynamoDB server and table of workload `dynamodb`. */
  dynamodb?: { endpoint: string; table: string };
}): CellFunction {
  const v = cell.variant;
  // A hello function (workload none) does no work, whatever the run's setting.
  const settings = v.workload === "none" ? { ...o.settings, workIterations: 0 } : o.settings;
  const runtime = functionRuntimeSpec(v.functionRuntime);
  return {
    sandbox: {
      codeDir: codeDirOf(v),
      ...(v.extension ? { optDir: layerDir(v.extensionName) } : {}),
      runtime: runtime.sandboxRuntime,
      handler: runtime.handler,
      llrtBin: o.llrt.available ? o.llrt.path : LLRT_BIN,
    },
    environment: functionEnvironment({
      variant: v,
      workIterations: settings.workIterations,
      payloadBytes: o.payloadBytes,
      queueUrl: o.queueUrl,
      extensionPort: o.extensionPort,
      ...(settings.delayMs === undefined ? {} : { delayMs: settings.delayMs }),
      ...(o.dynamodb ? { tableName: o.dynamodb.table } : {}),
    }),
    platformEnvironment: {
      // awslambdaric and boto3 are the Python runtime's own packages (/var/runtime on Lambda).
      ...(runtime.sandboxRuntime === "python"
        ? {
          PYTHONPATH: [AWSLAMBDARIC_DIR, BOTO3_DIR].join(":"),
          // The bare venv, where it exists: the host's own Python runs its site-packages'
          // start-up hooks, which Lambda's Python does not have (see lambda_python.ts).
          ...(existsSync(LAMBDA_PYTHON_BIN) ? { PYTHON_BIN: LAMBDA_PYTHON_BIN } : {}),
        }
        : {}),
      AWS_ENDPOINT_URL_SQS: o.sqsEndpoint,
      ...(o.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: o.dynamodb.endpoint } : {}),
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    },
    settings,
  };
}
