/**
 * A local Lambda execution environment: real extension processes and a real runtime, driven
 * through Lambda's Runtime, Extensions and Telemetry APIs with Lambda's lifecycle (Init,
 * Invoke, freeze between invocations, Shutdown), limits (timeout, memory, CPU share) and log
 * output (text lines and `platform.*` records).
 *
 * @example
 * ```ts
 * await using sb = await Sandbox.create({ codeDir: "fn", runtime: "node", logDir: "/tmp/logs" });
 * const result = await sb.invoke(new TextEncoder().encode("{}"));
 * console.log(result.status, result.durationMs, result.maxMemoryMb);
 * ```
 *
 * @module
 */
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ACCOUNT_ID, type Environment, LambdaApi, MAX_RESPONSE_BYTES } from "./api.ts";
import {
  type ControlsInForce,
  createControls,
  DEFAULT_CPU_PERIOD_US,
  type ResourceControls,
} from "./cgroup/mod.ts";
import {
  billedMs,
  endLine,
  initReportLine,
  initStartLine,
  newTraceId,
  reportLine,
  reportRecord,
  round3,
  startLine,
  type Status,
  type TelemetryEvent,
} from "./records.ts";
import { LLRT_BIN } from "../paths.ts";

/** The runtimes the sandbox can start. */
export const RUNTIMES = ["node", "llrt", "provided"] as const;
/** One of {@link RUNTIMES}. */
export type RuntimeName = typeof RUNTIMES[number];

/** Lambda's on-demand Init limit. */
export const INIT_LIMIT_MS = 10_000;
/** How long external extensions get after SHUTDOWN before SIGKILL. */
export const SHUTDOWN_LIMIT_MS = 2_000;
/** The same limit when only internal extensions (in the runtime process) registered. */
export const INTERNAL_SHUTDOWN_LIMIT_MS = 500;

const NODE_BOOTSTRAP = fileURLToPath(new URL("./runtimes/node_bootstrap.mjs", import.meta.url));

/** Options of {@link Sandbox.create}. */
export interface SandboxOptions {
  /** The function's code (`LAMBDA_TASK_ROOT`). */
  codeDir: string;
  /** A folder laid out like `/opt`; its `extensions/` executables start at Init. Default none. */
  optDir?: string;
  runtime: RuntimeName;
  /** Default `index.handler`. */
  handler?: string;
  /** 128–10,240; default 128. Also sets the CPU share (1,769 MB = one vCPU). */
  memoryMb?: number;
  /** Function timeout in seconds; default 3. */
  timeoutS?: number;
  /** Extra environment for the runtime and extensions. */
  env?: Record<string, string>;
  /** Default: the code folder's name. */
  functionName?: string;
  /** Where `<functionName>.log` and `<functionName>.telemetry.jsonl` go (appended). */
  logDir: string;
  /** The LLRT binary for runtime `llrt`; default `build/llrt/llrt`. */
  llrtBin?: string;
  /** Called with every Lambda log line (without the timestamp prefix) as it is written. */
  onLog?: (line: string) => void;
  /** Freeze the environment between invocations, as Lambda does; default true. */
  freeze?: boolean;
  /** `fallback` skips cgroups (SIGSTOP freezer, RSS sampling, no limits); default `auto`. */
  controls?: "auto" | "fallback";
  /** Init time limit in ms; default Lambda's 10,000 for on-demand functions. */
  initLimitMs?: number;
  /**
   * CFS period of the CPU quota in µs; default 20,000 (Lambda's observed granularity, see
   * `DEFAULT_CPU_PERIOD_US` in cgroup/create.ts). The quota is memory/1,769 of it.
   */
  cpuPeriodUs?: number;
}

/** Per-invocation extras, passed to the runtime as `Lambda-Runtime-*` headers. */
export interface InvokeOptions {
  /** JSON, as `Lambda-Runtime-Client-Context`. */
  clientContext?: string;
  /** JSON, as `Lambda-Runtime-Cognito-Identity`. */
  cognitoIdentity?: string;
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
}

interface Proc {
  kind: "function" | "extension";
  name: string;
  child: Deno.ChildProcess;
  exit: Deno.CommandStatus | null;
  drained: Promise<void>;
}

interface InitOutcome {
  ms: number;
  status: Status;
  errorType: string | null;
  body: Uint8Array | null;
}

type Resolved = Required<Omit<SandboxOptions, "optDir" | "onLog">> & SandboxOptions;

const encoder = new TextEncoder();
const MIB = 1024 * 1024;

/** One function's local execution environment. See the module doc. */
export class Sandbox {
  readonly #o: Resolved;
  readonly #api: LambdaApi;
  readonly #log: Deno.FsFile;
  readonly #tel: Deno.FsFile;
  #rc: ResourceControls | null = null;
  #inForce: ControlsInForce;
  #procs: Proc[] = [];
  #needsInit = true;
  #envSeq = 0;
  /** OOM kills counted before the current invocation. */
  #oomBase = 0;
  /** Controls for the next Init, prepared after a teardown. */
  #nextRc: Promise<ResourceControls> | null = null;
  /** `addProcess` calls still running. */
  #adding: Promise<void>[] = [];
  #logBuf: string[] = [];
  #telBuf: string[] = [];
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;
  #lastThawMs = 0;
  /** `<logDir>/<functionName>.log`. */
  readonly logFile: string;
  /** `<logDir>/<functionName>.telemetry.jsonl`. */
  readonly telemetryFile: string;

  private constructor(o: Resolved, rc: ResourceControls, api: LambdaApi) {
    this.#o = o;
    this.#rc = rc;
    this.#inForce = rc.inForce;
    this.#api = api;
    this.logFile = join(o.logDir, `${o.functionName}.log`);
    this.telemetryFile = join(o.logDir, `${o.functionName}.telemetry.jsonl`);
    const append = { create: true, append: true } as const;
    this.#log = Deno.openSync(this.logFile, append);
    this.#tel = Deno.openSync(this.telemetryFile, append);
  }

  /**
   * Checks the options, binds the API port and prepares resource controls. Init itself runs on
   * the first invocation, as on Lambda.
   *
   * @param opts see {@link SandboxOptions}
   * @returns the sandbox
   * @throws {RangeError} for a memory size, timeout or runtime out of range
   * @throws {Deno.errors.NotFound} when the code folder, bootstrap or LLRT binary is missing
   */
  static async create(opts: SandboxOptions): Promise<Sandbox> {
    const o = {
      handler: "index.handler",
      memoryMb: 128,
      timeoutS: 3,
      env: {},
      functionName: basename(opts.codeDir).replace(/[^A-Za-z0-9_-]/g, "-") || "function",
      llrtBin: LLRT_BIN,
      freeze: true,
      controls: "auto" as const,
      initLimitMs: INIT_LIMIT_MS,
      cpuPeriodUs: DEFAULT_CPU_PERIOD_US,
      ...opts,
    };
    if (!(RUNTIMES as readonly string[]).includes(o.runtime)) {
      throw new RangeError(`Unknown runtime "${o.runtime}" (expected ${RUNTIMES.join(", ")})`);
    }
    if (!Number.isInteger(o.memoryMb) || o.memoryMb < 128 || o.memoryMb > 10240) {
      throw new RangeError(`memoryMb must be an integer in 128..10240, got ${o.memoryMb}`);
    }
    if (!(o.timeoutS > 0 && o.timeoutS <= 900)) {
      throw new RangeError(`timeoutS must be in (0, 900], got ${o.timeoutS}`);
    }
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.functionName)) {
      throw new RangeError(`Bad function name "${o.functionName}"`);
    }
    await mustExist(o.codeDir, "code folder", true);
    if (o.optDir !== undefined) await mustExist(o.optDir, "opt folder", true);
    if (o.runtime === "llrt") await mustExist(o.llrtBin, "LLRT binary", false);
    if (o.runtime === "provided") await mustExist(join(o.codeDir, "bootstrap"), "bootstrap", false);
    await Deno.mkdir(o.logDir, { recursive: true });
    const api = new LambdaApi({
      functionName: o.functionName,
      functionVersion: "$LATEST",
      handler: o.handler,
    });
    const rc = await newControls(o, 0);
    let sb: Sandbox;
    try {
      await api.start();
      sb = new Sandbox(o, rc, api);
    } catch (e) {
      await api.close();
      await rc.destroy();
      throw e;
    }
    api.setHooks({
      onRegister: (name, events) =>
        sb.#platform("platform.extension", { name, state: "Ready", events }),
      onSubscribe: (name, types) =>
        sb.#platform("platform.telemetrySubscription", { name, state: "Subscribed", types }),
    });
    return sb;
  }

  /** Which resource-control mechanisms are in force (for run.json). */
  get controls(): ControlsInForce {
    return this.#inForce;
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
    const run = this.#chain.then(() => this.#invokeNow(payload, opts));
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
    const prepared = await this.#nextRc?.catch(() => null);
    await prepared?.destroy();
    this.#nextRc = null;
    this.#flush();
    this.#log.close();
    this.#tel.close();
  }

  /** Same as {@link shutdown}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  // Lines are buffered and written at the end of each phase, so no file write sits between
  // an invocation's event and its response.
  #line(text: string): void {
    this.#logBuf.push(`${new Date().toISOString()}\t${text}\n`);
    this.#o.onLog?.(text);
    if (this.#logBuf.length >= 256) this.#flush();
  }

  #platform(type: string, record: Record<string, unknown>): void {
    const event: TelemetryEvent = { time: new Date().toISOString(), type, record };
    this.#telBuf.push(JSON.stringify(event) + "\n");
    this.#api.env.telemetry.publish(event);
  }

  #flush(): void {
    for (const [buf, file] of [[this.#logBuf, this.#log], [this.#telBuf, this.#tel]] as const) {
      if (buf.length === 0) continue;
      const bytes = encoder.encode(buf.join(""));
      buf.length = 0;
      for (let off = 0; off < bytes.length;) off += file.writeSync(bytes.subarray(off));
    }
  }

  #output(kind: Proc["kind"], line: string): void {
    this.#line(line);
    this.#api.env.telemetry.publish({ time: new Date().toISOString(), type: kind, record: line });
  }

  async #invokeNow(payload: Uint8Array, opts: InvokeOptions): Promise<InvokeResult> {
    const calledAt = performance.now();
    const startedAt = new Date();
    let initMs: number | null = null;
    const cold = this.#needsInit || this.#procs.some((p) => p.exit !== null);
    if (cold) {
      if (!this.#needsInit) await this.#teardown("failure");
      let init = await this.#init("init");
      // Lambda retries a failed Init within the invocation ("suppressed init").
      if (init.status !== "success") init = await this.#init("invoke");
      if (init.status !== "success") return this.#failedInit(init, calledAt, startedAt);
      initMs = init.ms;
    }
    const rc = this.#rc!;
    const env = this.#api.env;
    const oomBase = this.#oomBase;
    const requestId = crypto.randomUUID();
    const traceId = newTraceId(Date.now());
    const tracing = { type: "X-Amzn-Trace-Id" as const, value: traceId };
    const t0 = performance.now();
    const limit = t0 + this.#o.timeoutS * 1000;
    this.#platform("platform.start", { requestId, version: "$LATEST", tracing });
    this.#line(startLine(requestId));
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
    const rt = env.runtime;
    const crashed = () => this.#procs.find((p) => p.exit !== null);
    const resumed = thawed.then(() => env.telemetry.resume());
    await this.#api.until(() => rt.outcome !== null || crashed() !== undefined, limit);
    const outcome = rt.outcome;
    let runtimeDoneMs: number | null = null;
    if (outcome) {
      runtimeDoneMs = outcome.at - t0;
      const span = (name: string, durationMs: number) => ({
        name,
        start: new Date(Date.now() - (performance.now() - t0)).toISOString(),
        durationMs: round3(durationMs),
      });
      this.#platform("platform.runtimeDone", {
        requestId,
        status: outcome.kind === "response" ? "success" : "error",
        ...(outcome.errorType === null ? {} : { errorType: outcome.errorType }),
        metrics: { durationMs: round3(runtimeDoneMs), producedBytes: outcome.body.length },
        spans: [span("responseLatency", runtimeDoneMs), span("responseDuration", 0)],
        tracing,
      });
      await this.#api.until(() => env.allWaiting() || crashed() !== undefined, limit);
    }
    const end = performance.now();
    await resumed;
    let status: Status = "success";
    let errorType: string | null = null;
    let response = outcome?.body ?? new Uint8Array();
    let platformFailure = false;
    const dead = crashed();
    if (dead) {
      platformFailure = true;
      status = "error";
      const oom = (await rc.oomEvents()) > oomBase;
      // An extension that said why through /exit/error keeps its own error type.
      const reported = [...env.extensions.values()].find((e) => e.name === dead.name)
        ?.reportedError;
      errorType = oom
        ? "Runtime.OutOfMemory"
        : dead.kind === "function"
        ? "Runtime.ExitError"
        : reported ?? "Extension.Crash";
      const how = dead.exit?.signal
        ? `signal: ${dead.exit.signal}`
        : `exit status ${dead.exit?.code}`;
      const message = `RequestId: ${requestId} Error: ${
        dead.kind === "function" ? "Runtime" : `Extension ${dead.name}`
      } exited with error: ${how}`;
      this.#line(message);
      this.#line(errorType);
      if (!outcome) response = encoder.encode(JSON.stringify({ errorType, errorMessage: message }));
    } else if (!outcome || !env.allWaiting()) {
      platformFailure = true;
      status = "timeout";
      errorType = "Sandbox.Timedout";
      const message = `${new Date().toISOString()} ${requestId} Task timed out after ${
        this.#o.timeoutS.toFixed(2)
      } seconds`;
      this.#line(message);
      if (!outcome) response = encoder.encode(JSON.stringify({ errorMessage: message }));
    } else if (outcome.kind === "error") {
      status = "error";
      errorType = outcome.errorType;
    } else if (rt.oversize) {
      status = "error";
      errorType = "Function.ResponseSizeTooLarge";
    }
    const durationMs = end - t0;
    const peak = await rc.peakMemoryBytes();
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
    this.#line(endLine(requestId));
    // Lambda's REPORT names no Error Type for timeouts.
    this.#line(
      reportLine(status === "timeout" ? { ...facts, errorType: null } : facts, platformFailure),
    );
    this.#platform("platform.report", reportRecord(facts, tracing));
    this.#flush();
    if (platformFailure) {
      await this.#teardown(status === "timeout" ? "timeout" : "failure");
    } else {
      env.telemetry.pause();
      if (this.#o.freeze) await rc.freeze();
      // Start the next invocation's peak window now, off the next invocation's critical path
      // (a frozen group's usage does not move).
      [, this.#oomBase] = await Promise.all([rc.resetPeak(), rc.oomEvents()]);
    }
    return {
      requestId,
      status,
      errorType,
      response,
      cold,
      clientRttMs: (outcome?.at ?? end) - calledAt,
      startedAt,
      durationMs,
      billedMs: facts.billedMs,
      initMs,
      maxMemoryMb: facts.maxMemoryMb,
      runtimeDoneMs,
    };
  }

  #functionArn(): string {
    const region = this.#o.env.AWS_REGION ?? "us-east-1";
    return `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${this.#o.functionName}`;
  }

  #failedInit(init: InitOutcome, calledAt: number, startedAt: Date): InvokeResult {
    const requestId = crypto.randomUUID();
    const status: Status = init.status === "timeout" ? "timeout" : "error";
    const errorType = init.errorType ?? "Sandbox.Timedout";
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
    this.#line(startLine(requestId));
    this.#line(endLine(requestId));
    this.#line(reportLine(status === "timeout" ? { ...facts, errorType: null } : facts, true));
    this.#platform("platform.report", reportRecord(facts));
    this.#flush();
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
    this.#rc ??= await (prepared ?? newControls(this.#o, ++this.#envSeq));
    this.#inForce = this.#rc.inForce;
    const t0 = performance.now();
    const deadline = t0 + this.#o.initLimitMs;
    const env = this.#api.newEnvironment();
    this.#needsInit = true;
    const [version, arn] = this.#runtimeVersion();
    const base = { initializationType: "on-demand", phase };
    this.#line(initStartLine(version, arn));
    this.#platform("platform.initStart", {
      ...base,
      runtimeVersion: version,
      runtimeVersionArn: arn,
      functionName: this.#o.functionName,
      functionVersion: "$LATEST",
    });
    const envVars = this.#baseEnv();
    const extDir = this.#o.optDir === undefined ? null : join(this.#o.optDir, "extensions");
    const extensions = extDir === null ? [] : await listExecutables(extDir);
    await Promise.all(
      extensions.map((name) =>
        this.#spawn("extension", name, join(extDir!, name), [], {
          env: envVars,
          cwd: this.#o.optDir!,
        })
      ),
    );
    const registered = (name: string) => [...env.extensions.values()].some((e) => e.name === name);
    const failure = () => this.#initFailure(env);
    let ok = await this.#api.until(
      () =>
        failure() !== null ||
        this.#procs.every((p) => p.exit !== null || registered(p.name)),
      deadline,
    );
    if (ok && failure() === null) {
      const [command, args] = this.#runtimeCommand();
      await this.#spawn("function", "runtime", command, args, {
        env: { ...envVars, ...this.#runtimeEnv() },
        cwd: this.#o.codeDir,
      });
      ok = await this.#api.until(() => failure() !== null || env.allWaiting(), deadline);
    }
    env.initDone = true;
    const ms = performance.now() - t0;
    await Promise.all(this.#adding.splice(0));
    const failed = failure();
    const status: Status = failed ? "error" : ok ? "success" : "timeout";
    const errorType = failed?.errorType ?? null;
    const statusFields = { status, ...(errorType === null ? {} : { errorType }) };
    this.#platform("platform.initRuntimeDone", { ...base, ...statusFields, spans: [] });
    this.#platform("platform.initReport", {
      ...base,
      ...statusFields,
      metrics: { durationMs: round3(ms) },
      spans: [],
    });
    env.telemetry.endBacklog();
    this.#flush();
    if (status !== "success") {
      this.#line(initReportLine({ durationMs: ms, phase, status, errorType }));
      await this.#teardown(status === "timeout" ? "timeout" : "failure");
      return { ms, status, errorType: errorType ?? "Sandbox.Timedout", body: failed?.body ?? null };
    }
    // Extensions that exited cleanly without registering are not part of the environment.
    this.#procs = this.#procs.filter((p) => p.exit === null);
    this.#oomBase = await this.#rc.oomEvents();
    this.#needsInit = false;
    return { ms, status, errorType: null, body: null };
  }

  #initFailure(env: Environment): { errorType: string; body: Uint8Array | null } | null {
    if (env.runtime.initError) return env.runtime.initError;
    for (const e of env.extensions.values()) {
      if (e.reportedError) return { errorType: e.reportedError, body: null };
    }
    for (const p of this.#procs) {
      if (p.exit === null) continue;
      if (p.kind === "function") return { errorType: "Runtime.ExitError", body: null };
      if (!p.exit.success) return { errorType: "Extension.Crash", body: null };
    }
    return null;
  }

  #runtimeVersion(): [string, string] {
    const name = this.#o.runtime === "node"
      ? "nodejs:20.sandbox"
      : `provided:al2023.sandbox-${this.#o.runtime}`;
    return [name, `arn:aws:lambda:us-east-1::runtime:sandbox-${this.#o.runtime}`];
  }

  #runtimeCommand(): [string, string[]] {
    switch (this.#o.runtime) {
      case "node":
        return ["node", [NODE_BOOTSTRAP]];
      case "llrt":
        return [this.#o.llrtBin, []];
      case "provided":
        return [join(this.#o.codeDir, "bootstrap"), []];
    }
  }

  #baseEnv(): Record<string, string> {
    const o = this.#o;
    const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
    const stream = `${day}/[$LATEST]${crypto.randomUUID().replaceAll("-", "")}`;
    const region = o.env.AWS_REGION ?? "us-east-1";
    const path = [o.optDir ? join(o.optDir, "bin") : null, Deno.env.get("PATH") ?? "/usr/bin:/bin"]
      .filter((p) => p !== null).join(":");
    return {
      PATH: path,
      LANG: "en_US.UTF-8",
      TZ: "UTC",
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_LAMBDA_RUNTIME_API: this.#api.address,
      AWS_LAMBDA_FUNCTION_NAME: o.functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(o.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${o.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: stream,
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      ...o.env,
    };
  }

  #runtimeEnv(): Record<string, string> {
    const o = this.#o;
    const env: Record<string, string> = {
      _HANDLER: o.handler,
      LAMBDA_TASK_ROOT: o.codeDir,
      LAMBDA_RUNTIME_DIR: o.codeDir,
    };
    if (o.runtime === "node") {
      env.AWS_EXECUTION_ENV = "AWS_Lambda_nodejs20.x";
      if (o.optDir) env.NODE_PATH = join(o.optDir, "nodejs", "node_modules");
    }
    return env;
  }

  async #spawn(
    kind: Proc["kind"],
    name: string,
    command: string,
    args: string[],
    opts: { env: Record<string, string>; cwd: string },
  ): Promise<void> {
    const rc = this.#rc!;
    const wrapped = rc.wrapCommand(command, args);
    // Each process leads its own session and process group, so signals reach its children.
    // setsid(1) execs in place (the child is no group leader); Deno's own `detached` forks
    // the whole Deno process instead of spawning, which costs tens of milliseconds.
    const viaSetsid = await setsidPath();
    const child = new Deno.Command(viaSetsid ?? wrapped.command, {
      args: viaSetsid ? [wrapped.command, ...wrapped.args] : wrapped.args,
      env: opts.env,
      clearEnv: true,
      cwd: opts.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: viaSetsid === null,
    }).spawn();
    const proc: Proc = { kind, name, child, exit: null, drained: Promise.resolve() };
    proc.drained = Promise.all([
      this.#pump(kind, child.stdout),
      this.#pump(kind, child.stderr),
      child.status.then((s) => {
        proc.exit = s;
        this.#api.notify();
      }),
    ]).then(() => {});
    this.#procs.push(proc);
    // The command wrapper already put the process into the groups; addProcess also tracks it
    // for the fallback. It runs alongside the start-up rather than in front of it.
    this.#adding.push(rc.addProcess(child.pid).catch(() => {}));
  }

  async #pump(kind: Proc["kind"], stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) this.#output(kind, line);
    }
    if (rest !== "") this.#output(kind, rest);
  }

  async #teardown(reason: "spindown" | "timeout" | "failure"): Promise<void> {
    const procs = this.#procs;
    const rc = this.#rc;
    this.#needsInit = true;
    if (rc === null) return;
    if (procs.length > 0) {
      await rc.thaw();
      const env = this.#api.env;
      const hasExtensions = procs.some((p) => p.kind === "extension" && p.exit === null);
      // Lambda's limits: 2,000 ms with external extensions, 500 ms with internal ones only.
      const limitMs = hasExtensions
        ? SHUTDOWN_LIMIT_MS
        : env.extensions.size > 0
        ? INTERNAL_SHUTDOWN_LIMIT_MS
        : 0;
      const deadline = performance.now() + limitMs;
      for (const p of procs) {
        if (p.kind === "function" && p.exit === null) signalGroup(p.child.pid, "SIGTERM");
      }
      // Subscribers get what is buffered before SHUTDOWN, within the same time limit.
      await withinMs(env.telemetry.flush(), limitMs / 2);
      this.#api.deliverShutdown(reason, Date.now() + limitMs);
      // Shutdown is over when every process has exited, or every extension has handled
      // SHUTDOWN and is back in /next (the crates' run loops do that instead of exiting).
      await this.#api.until(
        () =>
          procs.every((p) => p.exit !== null) ||
          (env.extensions.size > 0 &&
            [...env.extensions.values()].every((e) => e.state === "waiting")),
        deadline,
      );
      for (const p of procs) signalGroup(p.child.pid, "SIGKILL");
      await rc.killAll("SIGKILL");
      await Promise.all(procs.map((p) => p.drained));
    }
    this.#flush();
    this.#procs = [];
    this.#api.newEnvironment();
    await rc.destroy();
    this.#rc = null;
    // The next Init's groups are made now, off its critical path.
    if (!this.#closed) {
      this.#nextRc = newControls(this.#o, ++this.#envSeq);
      this.#nextRc.catch(() => {});
    }
  }
}

let setsid: Promise<string | null> | null = null;

/** Where setsid(1) is, or null where there is none (then Deno's `detached` is used). */
function setsidPath(): Promise<string | null> {
  setsid ??= (async () => {
    for (const dir of ["/usr/bin", "/bin", "/usr/local/bin"]) {
      const path = join(dir, "setsid");
      if (await Deno.stat(path).then((i) => i.isFile, () => false)) return path;
    }
    return null;
  })();
  return setsid;
}

/** Waits for `p`, but at most `ms` milliseconds. */
async function withinMs(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

function signalGroup(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

async function newControls(o: Resolved, seq: number): Promise<ResourceControls> {
  const name = `${o.functionName}-${seq}-${crypto.randomUUID().slice(0, 8)}`;
  return await createControls({
    name,
    memoryMb: o.memoryMb,
    cpuFraction: o.memoryMb / 1769,
    cpuPeriodUs: o.cpuPeriodUs,
    prefer: o.controls,
    // Lambda runs each environment in its own microVM, so every page the environment maps
    // counts, whoever else on this host read the file first (see cgroup/create.ts).
    peak: "rss+kernel",
  });
}

async function mustExist(path: string, what: string, dir: boolean): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new Deno.errors.NotFound(`The ${what} does not exist: ${path}`);
  }
  if (dir !== info.isDirectory) {
    throw new Deno.errors.NotFound(`The ${what} is not a ${dir ? "folder" : "file"}: ${path}`);
  }
}

async function listExecutables(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile && !entry.isSymlink) continue;
      const info = await Deno.stat(join(dir, entry.name));
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) names.push(entry.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}
