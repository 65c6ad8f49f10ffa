/**
 * A local Lambda execution environment: real extension processes and a real runtime, driven
 * through Lambda's Runtime, Extensions and Telemetry APIs with Lambda's lifecycle (Init,
 * Invoke, freeze between invocations, Shutdown), limits (timeout, memory, CPU share) and log
 * output (text lines and `platform.*` records). This file is the lifecycle. The rest lives
 * beside it: options and their checks in `options.ts`, runtime commands and environment
 * variables in `runtimes.ts`, the processes in `supervisor.ts`, how an invocation ended in
 * `outcome.ts`, START/END/REPORT in `report_writer.ts`, the output files in `log_files.ts`.
 *
 * @example
 * ```ts
 * const codeDir = new URL("./testdata/shell_fn", import.meta.url).pathname; // a bootstrap in sh
 * const logDir = await Deno.makeTempDir();
 * {
 *   await using sb = await Sandbox.create({ codeDir, runtime: "provided", logDir });
 *   const result = await sb.invoke(new TextEncoder().encode("{}"));
 *   console.log(result.status, result.durationMs, result.maxMemoryMb);
 * }
 * await Deno.remove(logDir, { recursive: true });
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ACCOUNT_ID, type ExtensionState, LambdaApi, MAX_RESPONSE_BYTES } from "./api.ts";
import {
  type ControlsInForce,
  createControls,
  MB_PER_VCPU,
  type ResourceControls,
} from "./cgroup/mod.ts";
import { LogFiles } from "./log_files.ts";
import { canEvict, evictFromPageCache } from "./page_cache.ts";
import { type ResolvedOptions, resolveOptions, type SandboxOptions } from "./options.ts";
import { classifyInit, classifyInvocation, initFailure, TIMED_OUT } from "./outcome.ts";
import {
  billedMs,
  type ExtensionFacts,
  initReportLine,
  initStartLine,
  newTraceId,
  randomHex,
  round3,
  type Status,
} from "./records.ts";
import { ReportWriter } from "./report_writer.ts";
import { runtimeCommand, runtimeEnv, runtimeVersion, sharedEnv } from "./runtimes.ts";
import { EnvironmentFs, nextSandboxAddress } from "./environment_fs.ts";
import { ShutdownWatch } from "./shutdown.ts";
import { youngGenerationMb } from "./young_gen.ts";
import {
  listExecutables,
  type PreparedProcess,
  type SpawnOptions,
  Supervisor,
} from "./supervisor.ts";

export { type RuntimeName, RUNTIMES } from "./runtimes.ts";
export { INIT_LIMIT_MS, type SandboxOptions } from "./options.ts";

/** The controls in force, and the sandbox's models of Lambda's Init CPU and code loading. */
export interface SandboxControls extends ControlsInForce {
  /** CPUs Init ran with (null without a CPU quota: then Init is not limited either). */
  initCpus: number | null;
  /** `evict`: code and layers dropped from the page cache before each cold start. */
  codeLoading: "evict" | "cached" | `cached (${string})`;
  /** `namespace`: Lambda's `/var/task`, `/opt`, `/tmp` and names; `host`: the host's paths. */
  fileSystem: "namespace" | "host";
  /** What the file system is and why (the fallback's reason). */
  fileSystemDetail: string;
  /**
   * The young generation of the process that ran the sandbox, in MB (young_gen.ts: a smaller one
   * collects during more invocations, inside their Duration); absent in runs made before it was
   * recorded, null where V8 did not report it.
   */
  youngGenerationMb?: number | null;
}

/** How long external extensions get after SHUTDOWN before SIGKILL. */
export const SHUTDOWN_LIMIT_MS = 2_000;
/** The same limit when only internal extensions (in the runtime process) registered. */
export const INTERNAL_SHUTDOWN_LIMIT_MS = 500;

/** Per-invocation extras, passed to the runtime as `Lambda-Runtime-*` headers. */
export interface InvokeOptions {
  /** JSON, as `Lambda-Runtime-Client-Context`. */
  clientContext?: string;
  /** JSON, as `Lambda-Runtime-Cognito-Identity`. */
  cognitoIdentity?: string;
  /** The invocation's request id (default a new UUID), for callers that hand it out first. */
  requestId?: string;
  /**
   * Called the moment the runtime answers (response or error), before extensions finish: when
   * Lambda hands a synchronous invocation's response to its caller.
   */
  onAnswer?: (answer: RuntimeAnswer) => void;
  /**
   * Called when the invocation is over (the runtime and every extension back in `/next`, or a
   * failure), before the REPORT is written and the environment frozen: from then on Lambda
   * would route the next event to this environment.
   */
  onEnd?: () => void;
}

/** What the runtime answered, as {@link InvokeOptions.onAnswer} sees it. */
export interface RuntimeAnswer {
  requestId: string;
  kind: "response" | "error";
  body: Uint8Array;
  errorType: string | null;
}

/** What one invocation produced and measured. */
export interface InvokeResult {
  requestId: string;
  status: Status;
  /** e.g. `Runtime.OutOfMemory`, or the handler's error type; null on success. */
  errorType: string | null;
  /** The response, or the error document on failures. */
  response: Uint8Array;
  /** True where this invocation ran Init. */
  cold: boolean;
  /** From the invoke call to the response being available (includes Init when cold). */
  clientRttMs: number;
  startedAt: Date;
  durationMs: number;
  billedMs: number;
  initMs: number | null;
  maxMemoryMb: number;
  /** platform.runtimeDone durationMs; null when the runtime never answered. */
  runtimeDoneMs: number | null;
  /**
   * CPU time the environment's processes used during this invocation, in ms (on a cold one
   * from the end of Init: Init's own is {@link initCpuMs}). Null where it cannot be read.
   */
  cpuMs: number | null;
  /** CPU time the environment's processes used in Init, in ms; null on a warm invocation. */
  initCpuMs: number | null;
}

interface InitOutcome {
  ms: number;
  status: Status;
  errorType: string | null;
  body: Uint8Array | null;
  /** The environment's CPU time in Init (null where it cannot be read). */
  cpuMs: number | null;
}

const encoder = new TextEncoder();
const MIB = 1024 * 1024;

/** One function's local execution environment. See the module doc. */
export class Sandbox {
  readonly #o: ResolvedOptions;
  readonly #api: LambdaApi;
  readonly #out: LogFiles;
  readonly #report: ReportWriter;
  readonly #procs: Supervisor;
  #rc: ResourceControls | null = null;
  /** The current environment's file system (with `#rc`). */
  #fs: EnvironmentFs;
  /** The current environment's processes, made with it and not yet started by its Init. */
  #pending: PendingProcesses | null = null;
  #inForce: ControlsInForce;
  #needsInit = true;
  #envSeq = 0;
  /** OOM kills counted before the current invocation. */
  #oomBase = 0;
  /** Controls and file system for the next Init, prepared after a teardown. */
  #nextRc: Promise<Environment> | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Invocations waiting for the current one to end. */
  #queued = 0;
  #lastThawMs = 0;
  /** A request id and trace id randomness for the next invocation. */
  #spareIds: { requestId: string; traceHex: string } | null = null;
  /** The environment's CPU time when the current invocation's window began. */
  #cpuBase: number | null = null;
  /** `<logDir>/<functionName>.log`. */
  readonly logFile: string;
  /** `<logDir>/<functionName>.telemetry.jsonl`. */
  readonly telemetryFile: string;

  private constructor(o: ResolvedOptions, env: Environment, api: LambdaApi) {
    this.#o = o;
    this.#rc = env.rc;
    this.#fs = env.fs;
    this.#inForce = env.rc.inForce;
    this.#api = api;
    this.#out = new LogFiles({
      logDir: o.logDir,
      functionName: o.functionName,
      ...(o.onLog ? { onLog: o.onLog } : {}),
      publish: (event) => this.#api.state.telemetry.publish(event),
    });
    this.logFile = this.#out.logFile;
    this.telemetryFile = this.#out.telemetryFile;
    this.#report = new ReportWriter(this.#out);
    this.#procs = new Supervisor({
      onOutput: (kind, line) => this.#out.output(kind, line),
      onExit: () => this.#api.notify(),
    });
  }

  /**
   * Checks the options, binds the API port and prepares resource controls. Init itself runs on
   * the first invocation, as on Lambda.
   *
   * @param opts see {@link SandboxOptions}
   * @returns the sandbox
   * @throws {RangeError} for a memory size, timeout or runtime out of range
   * @throws {TypeError} for runtime `llrt` without `llrtBin`
   * @throws {Deno.errors.NotFound} when the code folder, bootstrap or LLRT binary is missing
   */
  static async create(opts: SandboxOptions): Promise<Sandbox> {
    const o = await resolveOptions(opts);
    if (!warming) await warmUp(o);
    await Deno.mkdir(o.logDir, { recursive: true });
    const api = new LambdaApi({
      functionName: o.functionName,
      functionVersion: "$LATEST",
      handler: o.handler,
    });
    let env: Environment | null = null;
    let sb: Sandbox;
    try {
      await api.start();
      env = await newEnvironment(o, 0);
      sb = new Sandbox(o, env, api);
      await sb.#prepareProcesses(env);
      sb.#pending = env.pending;
    } catch (e) {
      await api.close();
      if (env) await env.rc.destroy().finally(() => env!.fs.close());
      throw e;
    }
    api.setHooks({
      onSubscribe: (name, types, via) => sb.#report.subscribed(via, name, types),
      onDropped: (d) => sb.#report.logsDropped(d),
    });
    return sb;
  }

  /** Which resource-control mechanisms and models are in force (for run.json). */
  get controls(): SandboxControls {
    return {
      ...this.#inForce,
      initCpus: this.#inForce.cpuQuota === "none"
        ? null
        : Math.min(this.#o.initCpus, navigator.hardwareConcurrency || 1),
      codeLoading: this.#codeLoading,
      fileSystem: this.#fs.kind,
      fileSystemDetail: this.#fs.detail,
      youngGenerationMb: youngGenerationMb(),
    };
  }

  /** What cold starts do about code loading, for run.json. */
  get #codeLoading(): SandboxControls["codeLoading"] {
    if (this.#o.codeLoading === "cached") return "cached";
    return canEvict() ? "evict" : "cached (this host cannot evict files from its page cache)";
  }

  /**
   * A fresh Lambda environment has none of its code in memory: drop the function's code, its
   * layers and a custom runtime's own binary from the page cache, so Init reads them again.
   * Runs before Init's clock starts; a file that cannot be advised stays cached.
   */
  async #loadCodeCold(): Promise<void> {
    if (this.#o.codeLoading !== "evict" || !canEvict()) return;
    const paths = [this.#o.codeDir];
    if (this.#o.optDir !== undefined) paths.push(this.#o.optDir);
    // LLRT is the function's own bootstrap; node and python are managed runtimes (cached).
    if (this.#o.runtime === "llrt") paths.push(this.#o.runtimeCommand.command);
    await evictFromPageCache(paths);
  }

  /**
   * How long the last invocation's thaw took in ms (0 when cold or not frozen): the part of
   * `clientRttMs` that Lambda's own thaw on the next event also has.
   */
  get lastThawMs(): number {
    return this.#lastThawMs;
  }

  /** `127.0.0.1:<port>` of the Runtime/Extensions/Telemetry API. */
  get apiAddress(): string {
    return this.#api.address;
  }

  /**
   * Invokes the function once; runs Init first when the environment is cold. Invocations are
   * serialised, as in one Lambda execution environment.
   *
   * @param payload the event
   * @param opts optional client context and Cognito identity (JSON strings, passed through)
   * @returns the invocation's result, after its REPORT is written
   * @throws {Error} when the sandbox was shut down
   * @throws {RangeError} when the payload is over 6 MiB
   */
  invoke(payload: Uint8Array, opts: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.#closed) return Promise.reject(new Error("Sandbox is shut down"));
    if (payload.length > MAX_RESPONSE_BYTES) {
      // Lambda refuses synchronous payloads over 6 MiB before any environment sees them.
      return Promise.reject(
        new RangeError(`Payload of ${payload.length} bytes exceeds ${MAX_RESPONSE_BYTES} bytes`),
      );
    }
    this.#queued++;
    const run = this.#chain.then(() => {
      this.#queued--;
      return this.#invokeNow(payload, opts);
    });
    this.#chain = run.catch(() => {});
    return run;
  }

  /**
   * Shuts the environment down (SHUTDOWN `spindown`), so the next invocation is cold.
   *
   * @returns when every process is gone and the next environment's cgroups are made
   */
  reset(): Promise<void> {
    // The next environment's groups are ready when this resolves, so the next cold start does
    // not wait for them (a failure surfaces at that Init instead).
    const run = this.#chain.then(async () => {
      await this.#teardown("spindown");
      await this.#nextRc?.catch(() => {});
    });
    this.#chain = run.catch(() => {});
    return run;
  }

  /**
   * Shuts the environment down and releases the port, files and cgroups. Safe to call twice.
   *
   * @returns when everything is released
   */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#chain;
    await this.#teardown("spindown");
    await this.#api.close();
    await this.#rc?.destroy();
    this.#rc = null;
    await this.#fs.close();
    const prepared = await this.#nextRc?.catch(() => null);
    if (prepared) await this.#disposeEnvironment(prepared);
    this.#nextRc = null;
    this.#out.close();
  }

  /** Same as {@link shutdown}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  async #invokeNow(payload: Uint8Array, opts: InvokeOptions): Promise<InvokeResult> {
    const calledAt = performance.now();
    const startedAt = new Date();
    let initMs: number | null = null;
    let initCpuMs: number | null = null;
    const cold = this.#needsInit || this.#procs.firstExited() !== undefined;
    if (cold) {
      if (!this.#needsInit) await this.#teardown("failure");
      let init = await this.#init("init");
      // Lambda retries a failed Init within the invocation ("suppressed init").
      if (init.status !== "success") init = await this.#init("invoke");
      if (init.status !== "success") return this.#failedInit(init, calledAt, startedAt);
      initMs = init.ms;
      initCpuMs = init.cpuMs;
    }
    const rc = this.#rc!;
    const state = this.#api.state;
    const oomBase = this.#oomBase;
    // Drawn at the end of the last invocation, off this one's critical path.
    const spare = this.#spareIds ?? newIds();
    this.#spareIds = null;
    const requestId = opts.requestId ?? spare.requestId;
    const traceId = newTraceId(Date.now(), spare.traceHex);
    const tracing = { type: "X-Amzn-Trace-Id" as const, value: traceId };
    const t0 = performance.now();
    const limit = t0 + this.#o.timeoutS * 1000;
    this.#api.deliverInvoke({
      requestId,
      payload,
      deadlineMs: Date.now() + this.#o.timeoutS * 1000,
      functionArn: this.#functionArn(),
      traceId,
      ...(opts.clientContext === undefined ? {} : { clientContext: opts.clientContext }),
      ...(opts.cognitoIdentity === undefined ? {} : { cognitoIdentity: opts.cognitoIdentity }),
    });
    // The event is on its way before the thaw, so the runtime reads it the moment the kernel
    // lets it run again; the thaw's own confirmation overlaps the invocation.
    let thawed = Promise.resolve();
    if (!cold && this.#o.freeze) {
      const before = performance.now();
      thawed = rc.thaw();
      this.#lastThawMs = performance.now() - before;
    } else this.#lastThawMs = 0;
    // START and platform.start after the event and the thaw, while the runtime works on the
    // event: still before any line of the invocation's own output (read in later tasks).
    this.#out.platform("platform.start", { requestId, version: "$LATEST", tracing });
    this.#report.start(requestId);
    const rt = state.runtime;
    const crashed = () => this.#procs.firstExited();
    const resumed = thawed.then(() => state.telemetry.resume());
    await this.#api.until(() => rt.outcome !== null || crashed() !== undefined, limit);
    const answer = rt.outcome;
    let runtimeDoneMs: number | null = null;
    if (answer) {
      opts.onAnswer?.({
        requestId,
        kind: answer.kind,
        body: answer.body,
        errorType: answer.errorType,
      });
      runtimeDoneMs = answer.at - t0;
      const span = (name: string, durationMs: number) => ({
        name,
        start: new Date(Date.now() - (performance.now() - t0)).toISOString(),
        durationMs: round3(durationMs),
      });
      this.#out.platform("platform.runtimeDone", {
        requestId,
        status: answer.kind === "response" ? "success" : "error",
        ...(answer.errorType === null ? {} : { errorType: answer.errorType }),
        metrics: { durationMs: round3(runtimeDoneMs), producedBytes: answer.body.length },
        spans: [span("responseLatency", runtimeDoneMs), span("responseDuration", 0)],
        tracing,
      });
      await this.#api.until(() => state.allWaiting() || crashed() !== undefined, limit);
    }
    const end = performance.now();
    opts.onEnd?.();
    await resumed;
    const dead = crashed();
    const outcome = classifyInvocation({
      requestId,
      answer,
      crashed: dead === undefined ? null : {
        kind: dead.kind,
        name: dead.name,
        code: dead.exit?.code ?? 0,
        signal: dead.exit?.signal ?? null,
        reportedError: [...state.extensions.values()].find((e) => e.name === dead.name)
          ?.reportedError ?? null,
      },
      // Read only after a crash: the count is a file read, off the success path.
      oomKills: dead === undefined ? 0 : (await rc.oomEvents()) - oomBase,
      timedOut: !state.allWaiting(),
      oversize: rt.oversize,
      timeoutS: this.#o.timeoutS,
      now: new Date(),
    });
    const { status, errorType, platformFailure } = outcome;
    this.#report.faults(outcome.logLines);
    const response = answer?.body ??
      encoder.encode(outcome.errorDocument === null ? "" : JSON.stringify(outcome.errorDocument));
    const durationMs = end - t0;
    const [peak, cpuNow] = await Promise.all([rc.peakMemoryBytes(), cpuUsage(rc)]);
    const cpuMs = cpuNow === null || this.#cpuBase === null ? null : cpuNow - this.#cpuBase;
    const facts = {
      requestId,
      durationMs,
      // Init is billed on cold starts (custom runtimes always, managed ones since 2025-08-01):
      // REPORT's Billed Duration rounds up Init Duration + Duration.
      billedMs: billedMs(durationMs + (initMs ?? 0)),
      memoryMb: this.#o.memoryMb,
      maxMemoryMb: Math.min(this.#o.memoryMb, Math.max(1, Math.ceil(peak / MIB))),
      initMs,
      status,
      errorType,
    };
    this.#report.end(facts, { showStatus: platformFailure, tracing });
    this.#out.flush();
    if (platformFailure) {
      await this.#teardown(status === "timeout" ? "timeout" : "failure");
    } else {
      state.telemetry.pause();
      // Lambda freezes an environment that has nothing to do; one with an event already
      // waiting goes straight on to it.
      if (this.#o.freeze && this.#queued === 0) await rc.freeze();
      // Start the next invocation's peak window now, off the next invocation's critical path
      // (a frozen group's usage does not move).
      [, this.#oomBase, this.#cpuBase] = await Promise.all([
        rc.resetPeak(),
        rc.oomEvents(),
        cpuUsage(rc),
      ]);
      this.#spareIds = newIds();
    }
    return {
      requestId,
      status,
      errorType,
      response,
      cold,
      clientRttMs: (answer?.at ?? end) - calledAt,
      startedAt,
      durationMs,
      billedMs: facts.billedMs,
      initMs,
      maxMemoryMb: facts.maxMemoryMb,
      runtimeDoneMs,
      cpuMs,
      initCpuMs,
    };
  }

  #functionArn(): string {
    const region = this.#o.env.AWS_REGION ?? "us-east-1";
    return `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${this.#o.functionName}`;
  }

  #failedInit(init: InitOutcome, calledAt: number, startedAt: Date): InvokeResult {
    const requestId = crypto.randomUUID();
    const status: Status = init.status === "timeout" ? "timeout" : "error";
    const errorType = init.errorType ?? TIMED_OUT;
    const facts = {
      requestId,
      durationMs: init.ms,
      billedMs: billedMs(init.ms),
      memoryMb: this.#o.memoryMb,
      maxMemoryMb: 1,
      initMs: null,
      status,
      errorType,
    };
    this.#report.start(requestId);
    this.#report.end(facts, { showStatus: true });
    this.#out.flush();
    return {
      requestId,
      status,
      errorType,
      response: init.body ??
        encoder.encode(JSON.stringify({ errorType, errorMessage: `Init ${status}: ${errorType}` })),
      cold: true,
      clientRttMs: performance.now() - calledAt,
      startedAt,
      durationMs: init.ms,
      billedMs: facts.billedMs,
      initMs: null,
      maxMemoryMb: 1,
      runtimeDoneMs: null,
      cpuMs: null,
      initCpuMs: init.cpuMs,
    };
  }

  async #init(phase: "init" | "invoke"): Promise<InitOutcome> {
    try {
      return await this.#initOnce(phase);
    } catch (e) {
      // Whatever was started must not outlive a failed Init (e.g. a bootstrap that cannot run).
      await this.#teardown("failure");
      throw e;
    }
  }

  async #initOnce(phase: "init" | "invoke"): Promise<InitOutcome> {
    // The environment's groups come first: on Lambda, making the microVM is not part of Init.
    const prepared = this.#nextRc;
    this.#nextRc = null;
    if (this.#rc === null) {
      const env = await (prepared ?? this.#newEnvironment(++this.#envSeq));
      this.#rc = env.rc;
      this.#fs = env.fs;
      this.#pending = env.pending;
    }
    const rc = this.#rc;
    const fs = this.#fs;
    // Processes made with the environment wait for Init to start them (one pipe write each);
    // without the launcher, Init spawns them.
    const pending = this.#pending;
    this.#pending = null;
    const specs = pending === null ? await this.#processSpecs(fs) : null;
    this.#inForce = rc.inForce;
    await this.#loadCodeCold();
    this.#cpuBase = await cpuUsage(rc);
    const t0 = performance.now();
    const deadline = t0 + this.#o.initLimitMs;
    const state = this.#api.newEnvironment({ sandboxAddress: fs.address });
    this.#needsInit = true;
    const { version, arn } = runtimeVersion(this.#o.runtime);
    const base = { initializationType: "on-demand", phase };
    this.#out.line(initStartLine(version, arn));
    this.#out.platform("platform.initStart", {
      ...base,
      runtimeVersion: version,
      runtimeVersionArn: arn,
      functionName: this.#o.functionName,
      functionVersion: "$LATEST",
    });
    if (pending !== null) { for (const p of pending.extensions) this.#procs.start(p); }
    else await Promise.all(specs!.extensions.map((spec) => this.#procs.spawn(rc, spec)));
    const registered = (name: string) =>
      [...state.extensions.values()].some((e) => e.name === name);
    const failure = () =>
      initFailure({
        runtimeInitError: state.runtime.initError,
        extensionErrors: [...state.extensions.values()].map((e) => e.reportedError),
        processes: this.#procs.processes,
      });
    let ok = await this.#api.until(
      () =>
        failure() !== null ||
        this.#procs.processes.every((p) => p.exit !== null || registered(p.name)),
      deadline,
    );
    let runtimeStarted = false;
    if (ok && failure() === null) {
      if (pending !== null) this.#procs.start(pending.runtime);
      else await this.#procs.spawn(rc, specs!.runtime);
      runtimeStarted = true;
      ok = await this.#api.until(() => failure() !== null || state.allWaiting(), deadline);
    }
    state.initDone = true;
    const ms = performance.now() - t0;
    // A runtime that was made but never started (an extension failed first) goes now.
    if (pending !== null && !runtimeStarted) await this.#procs.discard(pending.runtime);
    await this.#procs.placed();
    const failed = failure();
    const { status, errorType } = classifyInit(failed, ok);
    const statusFields = { status, ...(errorType === null ? {} : { errorType }) };
    // Lambda writes each extension's EXTENSION line at the end of Init, before INIT_REPORT.
    this.#report.extensions([...state.extensions.values()].map(extensionFacts));
    this.#out.platform("platform.initRuntimeDone", { ...base, ...statusFields, spans: [] });
    this.#out.platform("platform.initReport", {
      ...base,
      ...statusFields,
      metrics: { durationMs: round3(ms) },
      spans: [],
    });
    state.telemetry.endBacklog();
    this.#out.flush();
    const initBase = this.#cpuBase;
    const cpuSinceBase = (now: number | null) =>
      now === null || initBase === null ? null : now - initBase;
    if (status !== "success") {
      this.#out.line(initReportLine({ durationMs: ms, phase, status, errorType }));
      const cpuMs = cpuSinceBase(await cpuUsage(rc));
      await this.#teardown(status === "timeout" ? "timeout" : "failure");
      return { ms, status, errorType: errorType ?? TIMED_OUT, body: failed?.body ?? null, cpuMs };
    }
    // Extensions that exited cleanly without registering are not part of the environment.
    this.#procs.forgetExited();
    // Init ran on its own CPU budget; invocations get the memory share (the rewrite refills
    // the budget, so what Init used does not throttle the first invocation).
    await rc.setCpuFraction(this.#o.memoryMb / MB_PER_VCPU);
    // The first invocation's CPU window starts here: Init's is counted apart.
    [this.#oomBase, this.#cpuBase] = await Promise.all([rc.oomEvents(), cpuUsage(rc)]);
    this.#needsInit = false;
    return { ms, status, errorType: null, body: null, cpuMs: cpuSinceBase(this.#cpuBase) };
  }

  async #teardown(reason: "spindown" | "timeout" | "failure"): Promise<void> {
    const procs = this.#procs;
    const rc = this.#rc;
    this.#needsInit = true;
    if (rc === null) return;
    // Processes made for an Init that never ran.
    const unused = this.#pending;
    this.#pending = null;
    if (unused) {
      await Promise.all([...unused.extensions, unused.runtime].map((p) => procs.discard(p)));
    }
    if (procs.processes.length > 0) {
      await rc.thaw();
      const state = this.#api.state;
      // Lambda's limits: 2,000 ms with external extensions, 500 ms with internal ones only.
      const limitMs = procs.isRunning("extension")
        ? SHUTDOWN_LIMIT_MS
        : state.extensions.size > 0
        ? INTERNAL_SHUTDOWN_LIMIT_MS
        : 0;
      const deadline = performance.now() + limitMs;
      procs.signal("function", "SIGTERM");
      // Subscribers get what is buffered before SHUTDOWN, within the same time limit.
      await withinMs(state.telemetry.flush(), limitMs / 2);
      this.#api.deliverShutdown(reason, Date.now() + limitMs);
      // Over when the runtime and every extension registered for SHUTDOWN have exited; what
      // still runs at the deadline is killed, also an extension back in /next (shutdown.ts).
      const watch = new ShutdownWatch(procs.processes, state.extensions.values(), now());
      await this.#api.until(() => watch.done(now()), deadline);
      for (const exit of watch.exits(now())) this.#report.shutdownExit(exit);
    }
    await procs.killAll(rc);
    this.#out.flush();
    this.#api.newEnvironment();
    await rc.destroy();
    this.#rc = null;
    // The environment's /tmp goes with it, as on Lambda.
    await this.#fs.close();
    // The next Init's groups, file system and processes are made now, off its critical path.
    if (!this.#closed) {
      this.#nextRc = this.#newEnvironment(++this.#envSeq);
      this.#nextRc.catch(() => {});
    }
  }

  /** A new environment with its processes prepared (see {@link #prepareProcesses}). */
  async #newEnvironment(seq: number): Promise<Environment> {
    const env = await newEnvironment(this.#o, seq);
    try {
      await this.#prepareProcesses(env);
    } catch (e) {
      await this.#disposeEnvironment(env);
      throw e;
    }
    return env;
  }

  /**
   * With the launcher, makes the environment's extension and runtime processes now, each
   * waiting in the launcher with its session, groups, namespace and working directory set up,
   * so Init only starts them: on Lambda, making the environment is not part of Init.
   */
  async #prepareProcesses(env: Environment): Promise<void> {
    if (this.#o.launcher === null) return;
    const specs = await this.#processSpecs(env.fs);
    env.pending = {
      extensions: specs.extensions.map((spec) => this.#procs.prepare(env.rc, spec)),
      runtime: this.#procs.prepare(env.rc, specs.runtime),
    };
  }

  /** What the environment's extensions and runtime are started with. */
  async #processSpecs(
    fs: EnvironmentFs,
  ): Promise<{ extensions: SpawnOptions[]; runtime: SpawnOptions }> {
    // The processes see the code and layers where the environment's file system puts them.
    const { optDir: _hostOpt, ...o } = this.#o;
    const inside = { ...o, codeDir: fs.taskRoot, ...(fs.optRoot ? { optDir: fs.optRoot } : {}) };
    const env = sharedEnv({ ...inside, apiAddress: this.#api.address });
    const launch = this.#o.launcher === null
      ? {}
      : { launch: { launcher: this.#o.launcher, mntns: fs.mntns } };
    const optDir = this.#o.optDir;
    const names = optDir === undefined ? [] : await listExecutables(join(optDir, "extensions"));
    return {
      extensions: names.map((name) => ({
        kind: "extension" as const,
        name,
        command: join(fs.optRoot!, "extensions", name),
        args: [],
        env,
        cwd: fs.optRoot!,
        ...launch,
      })),
      runtime: {
        kind: "function",
        name: "runtime",
        ...runtimeCommand(inside),
        env: { ...env, ...runtimeEnv(inside) },
        cwd: fs.taskRoot,
        ...launch,
      },
    };
  }

  /** Lets an unused environment go: its waiting processes, groups and file system. */
  async #disposeEnvironment(env: Environment): Promise<void> {
    if (env.pending) {
      await Promise.all(
        [...env.pending.extensions, env.pending.runtime].map((p) => this.#procs.discard(p)),
      );
    }
    await env.rc.destroy();
    await env.fs.close();
  }
}

const now = () => performance.now();

/** A fresh request id and the random part of a trace id. */
function newIds(): { requestId: string; traceHex: string } {
  return { requestId: crypto.randomUUID(), traceHex: randomHex(20) };
}

/** An extension at the end of Init, for its EXTENSION line and `platform.extension`. */
function extensionFacts(e: ExtensionState): ExtensionFacts {
  return {
    name: e.name,
    state: e.reportedError !== null
      ? "InitError"
      : e.state === "registered"
      ? "Registered"
      : "Ready",
    events: [...e.events],
    errorType: e.reportedError,
  };
}

/** Waits for `p`, but at most `ms` milliseconds. */
async function withinMs(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

let warmedUp: Promise<void> | null = null;
let warming = false;

const WARM_BOOTSTRAP = fileURLToPath(new URL("./runtimes/warm_bootstrap.mjs", import.meta.url));
const WARM_EXTENSION = fileURLToPath(new URL("./runtimes/warm_extension.mjs", import.meta.url));

/**
 * The sandbox's own code runs uncompiled the first time a process uses it: the API routes, the
 * supervisor's spawns and pumps, the memory sampler, the lifecycle itself. Measured here, that
 * added 10–20 ms to the first Init Duration of every process (e.g. 14–28 ms against 5–7 ms for
 * the next cold starts of a Rust hello), a cost Lambda's Init does not have. So before its first
 * Init, a process runs one throwaway environment (a runtime and an extension in Deno, which is
 * always there) through Init, two invocations and shutdown. A host where that cannot run pays
 * the cost in its first Init instead.
 */
function warmUp(o: ResolvedOptions): Promise<void> {
  warmedUp ??= (async () => {
    warming = true;
    const dir = await Deno.makeTempDir({ prefix: "sandbox_warm_" });
    try {
      const code = join(dir, "code");
      const ext = join(dir, "opt", "extensions");
      await Deno.mkdir(code, { recursive: true });
      await Deno.mkdir(ext, { recursive: true });
      const deno = Deno.execPath();
      const script = (file: string) =>
        `#!/bin/sh\nexec "${deno}" run --quiet --allow-net --allow-env "${file}"\n`;
      await Deno.writeTextFile(join(code, "bootstrap"), script(WARM_BOOTSTRAP), { mode: 0o755 });
      await Deno.writeTextFile(join(ext, "warm"), script(WARM_EXTENSION), { mode: 0o755 });
      const sb = await Sandbox.create({
        codeDir: code,
        optDir: join(dir, "opt"),
        runtime: "provided",
        memoryMb: 1769,
        logDir: dir,
        functionName: "sandbox-warm-up",
        controls: o.controls,
        freeze: o.freeze,
        codeLoading: "cached",
        env: { DENO_NO_UPDATE_CHECK: "1", HOME: dir },
      });
      try {
        const event = new TextEncoder().encode("{}");
        for (let i = 0; i < 2; i++) await sb.invoke(event);
      } finally {
        await sb.shutdown();
      }
    } catch {
      // Nothing is lost: the first real Init pays for the cold code instead.
    } finally {
      warming = false;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  })();
  return warmedUp;
}

/** The environment's CPU time so far in ms, or null where the controls cannot say. */
async function cpuUsage(rc: ResourceControls): Promise<number | null> {
  try {
    return await rc.cpuUsageMs();
  } catch {
    return null;
  }
}

/** One environment's resource controls, file system and (with the launcher) its processes. */
interface Environment {
  rc: ResourceControls;
  fs: EnvironmentFs;
  pending: PendingProcesses | null;
}

/** Processes made with an environment, waiting for its Init. */
interface PendingProcesses {
  extensions: PreparedProcess[];
  runtime: PreparedProcess;
}

/**
 * Makes an environment's controls and its file system (the microVM, on Lambda: not part of
 * Init).
 */
async function newEnvironment(o: ResolvedOptions, seq: number): Promise<Environment> {
  const [rc, fs] = await Promise.all([
    newControls(o, seq),
    EnvironmentFs.create({
      launcher: o.launcher,
      codeDir: o.codeDir,
      ...(o.optDir === undefined ? {} : { optDir: o.optDir }),
      hostPaths: runtimeHostPaths(o),
      address: nextSandboxAddress(),
      tmpMb: o.ephemeralStorageMb,
      mode: o.fileSystem,
    }).catch((e) => EnvironmentFs.host(o, `cannot make the namespace: ${(e as Error).message}`)),
  ]);
  return { rc, fs, pending: null };
}

/**
 * Host paths the environment runs from or is pointed at, beside the code and layers: the
 * sandbox's own runtime client, the runtime's binary and arguments, and every absolute path in
 * the caller's variables (a `PYTHONPATH`, a file a test asks the function to write). A private
 * `/tmp` would hide one under the host's `/tmp` (see environment_fs.ts).
 */
function runtimeHostPaths(o: ResolvedOptions): string[] {
  const paths = [fileURLToPath(new URL(".", import.meta.url))];
  if (o.runtimeCommand.command.startsWith("/")) paths.push(o.runtimeCommand.command);
  paths.push(...o.runtimeCommand.args.filter((a) => a.startsWith("/")));
  for (const v of Object.values(o.env)) {
    paths.push(...v.split(":").filter((p) => p.startsWith("/")));
  }
  return paths;
}

async function newControls(o: ResolvedOptions, seq: number): Promise<ResourceControls> {
  const name = `${o.functionName}-${seq}-${crypto.randomUUID().slice(0, 8)}`;
  const rc = await createControls({
    name,
    memoryMb: o.memoryMb,
    // Made for the next Init: the quota starts at the Init budget.
    cpuFraction: o.initCpus,
    cpuPeriodUs: o.cpuPeriodUs,
    prefer: o.controls,
    // Lambda runs each environment in its own microVM, so every page the environment maps
    // counts, whoever else on this host read the file first (see cgroup/create.ts).
    peak: "rss+kernel",
  });
  // The first process that joins new groups pays the kernel's set-up of them (milliseconds,
  // and more on a busy host); making the environment is not part of Lambda's Init, so a
  // throwaway process joins first.
  const probe = rc.wrapCommand("true", []);
  await new Deno.Command(probe.command, { args: probe.args, stdout: "null", stderr: "null" })
    .output().catch(() => null);
  await rc.resetPeak();
  return rc;
}
