/**
 * One served function: its configuration as Lambda shows it (GetFunctionConfiguration), its
 * updates (`LastUpdateStatus` `InProgress`, then `Successful` once the old environments are
 * gone), and its invocations over an {@link EnvironmentPool} of sandboxes, each environment
 * with its own log stream.
 *
 * An invocation's response is handed back the moment the runtime posts it, as Lambda hands a
 * synchronous response to its caller while extensions may still work; the environment is free
 * for the next event once the runtime and every extension are back in `/next`. With
 * `LogType: Tail` the response waits for the REPORT, which the tail carries.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MAX_RESPONSE_BYTES, SANDBOX_ACCOUNT_ID } from "../lambda/mod.ts";
import type { Arch } from "../schema.ts";
import {
  type InvokeResult,
  type RuntimeAnswer,
  type RuntimeName,
  Sandbox,
  type SandboxOptions,
} from "../sandbox/mod.ts";
import type { LogFormat, LogGroup, LogStream } from "./log_store.ts";
import { EnvironmentPool, type PoolStats } from "./pool.ts";

/** What a served function is made from. */
export interface FunctionSpec {
  /** The function's name (`[A-Za-z0-9_-]{1,64}`). */
  name: string;
  /** The code folder (`LAMBDA_TASK_ROOT`). */
  codeDir: string;
  /** A folder laid out like `/opt` (its `extensions/` start at Init). */
  optDir?: string;
  runtime: RuntimeName;
  handler: string;
  /** The LLRT binary, for runtime `llrt`. */
  llrtBin?: string;
  memoryMb: number;
  timeoutS: number;
  arch: Arch;
  /** The function's variables, as its configuration shows them. */
  environment: Record<string, string>;
  /** Variables the platform adds that the configuration does not show (endpoints, keys). */
  platformEnvironment?: Record<string, string>;
  /**
   * Adjusts one new environment's variables: environments share this host's loopback, where
   * on Lambda each has its own (for example, an extension's port).
   */
  localize?: (variables: Record<string, string>) => Promise<Record<string, string>>;
  description?: string;
  /** Default `JSON` (with system log level DEBUG, as the stack deploys). */
  logFormat?: LogFormat;
  tags?: Record<string, string>;
  /** Layer names shown in the configuration (their ARNs are made up from them). */
  layers?: string[];
  /** Sandbox controls for every environment (freeze, cgroups, code loading). */
  sandbox?: Pick<
    SandboxOptions,
    "freeze" | "controls" | "codeLoading" | "initCpus" | "cpuPeriodUs"
  >;
}

/** Options shared by every function of one server. */
export interface FunctionContext {
  region: string;
  /** Most environments per function (default 10). */
  maxEnvironments?: number;
  /** `InProgress` lasts at least this long after an update (default 0 ms). */
  minUpdateMs?: number;
}

/** What one invocation handed back. */
export interface InvokeOutcome {
  requestId: string;
  /** `Unhandled` when the function failed (X-Amz-Function-Error); null on success. */
  functionError: "Unhandled" | null;
  /** The response, or the error document. */
  body: Uint8Array;
  /** The last 4 KB of the invocation's log, base64 (LogType Tail); null otherwise. */
  logResult: string | null;
  errorType: string | null;
}

/** A configuration change, as UpdateFunctionConfiguration takes it. */
export interface ConfigurationUpdate {
  memoryMb?: number;
  timeoutS?: number;
  environment?: Record<string, string>;
  description?: string;
  handler?: string;
  logFormat?: LogFormat;
  revisionId?: string;
}

/** An error Lambda would answer with: its type, HTTP status and message. */
export class LambdaError extends Error {
  constructor(readonly type: string, readonly status: number, message: string) {
    super(message);
    this.name = type;
  }
}

interface Environment {
  sandbox: Sandbox;
  stream: LogStream;
  /** Settles when this environment's latest invocation is over, REPORT included. */
  last: Promise<void>;
}

const TAIL_BYTES = 4096;

/** Variables Lambda sets itself and refuses in a configuration. */
const RESERVED_VARIABLES = new Set([
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
]);
const encoder = new TextEncoder();

function codeFacts(dir: string): { size: number; sha256: string } {
  const hash = createHash("sha256");
  let size = 0;
  const walk = (d: string) => {
    for (
      const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
        a.name.localeCompare(b.name)
      )
    ) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() || entry.isSymbolicLink()) {
        try {
          if (!statSync(p).isFile()) continue;
          const bytes = readFileSync(p);
          size += bytes.length;
          hash.update(entry.name).update(bytes);
        } catch {
          // a dangling link counts for nothing
        }
      }
    }
  };
  walk(dir);
  return { size, sha256: hash.digest("base64") };
}

/** The name of a Lambda runtime for a sandbox runtime. */
function lambdaRuntime(runtime: RuntimeName): string {
  return runtime === "node"
    ? "nodejs22.x"
    : runtime === "python"
    ? "python3.13"
    : "provided.al2023";
}

/** Lambda's `LastModified` format: `2026-12-01T10:00:00.000+0000`. */
function lastModified(d: Date): string {
  return d.toISOString().replace("Z", "+0000");
}

/** One served function. See the module doc. */
export class ServedFunction {
  readonly spec: FunctionSpec;
  readonly group: LogGroup;
  readonly arn: string;
  readonly #ctx: Required<FunctionContext>;
  readonly #pool: EnvironmentPool<Environment>;
  readonly #code: { size: number; sha256: string };
  #memoryMb: number;
  #timeoutS: number;
  #environment: Record<string, string>;
  #description: string;
  #handler: string;
  #logFormat: LogFormat;
  #revisionId = crypto.randomUUID();
  #lastModified = new Date();
  #status: "Successful" | "InProgress" | "Failed" = "Successful";
  #updating: Promise<void> = Promise.resolve();

  /**
   * @param spec What the function is.
   * @param group Its log group.
   * @param ctx Region, bounds and update timing.
   */
  constructor(spec: FunctionSpec, group: LogGroup, ctx: FunctionContext) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(spec.name)) {
      throw new RangeError(`Invalid function name "${spec.name}": expected [A-Za-z0-9_-]{1,64}`);
    }
    this.spec = spec;
    this.group = group;
    this.#ctx = { maxEnvironments: 10, minUpdateMs: 0, ...ctx };
    this.arn = `arn:aws:lambda:${ctx.region}:${SANDBOX_ACCOUNT_ID}:function:${spec.name}`;
    this.#memoryMb = spec.memoryMb;
    this.#timeoutS = spec.timeoutS;
    this.#environment = { ...spec.environment };
    this.#description = spec.description ?? "";
    this.#handler = spec.handler;
    this.#logFormat = spec.logFormat ?? "JSON";
    this.#code = codeFacts(spec.codeDir);
    this.#pool = new EnvironmentPool<Environment>({
      create: () => this.#createEnvironment(),
      destroy: (env) => env.sandbox.shutdown(),
      maxEnvironments: this.#ctx.maxEnvironments,
    });
  }

  get name(): string {
    return this.spec.name;
  }

  /** The configured memory in MB. */
  get memoryMb(): number {
    return this.#memoryMb;
  }

  /** Scale-out counters. */
  stats(): PoolStats {
    return this.#pool.stats();
  }

  async #createEnvironment(): Promise<Environment> {
    const format = this.#logFormat;
    const stream = this.group.newStream({ functionName: this.name, format });
    let variables = { ...this.#environment };
    if (this.spec.localize) variables = await this.spec.localize(variables);
    const sandbox = await Sandbox.create({
      codeDir: this.spec.codeDir,
      ...(this.spec.optDir === undefined ? {} : { optDir: this.spec.optDir }),
      ...(this.spec.llrtBin === undefined ? {} : { llrtBin: this.spec.llrtBin }),
      ...this.spec.sandbox,
      runtime: this.spec.runtime,
      handler: this.#handler,
      memoryMb: this.#memoryMb,
      timeoutS: this.#timeoutS,
      functionName: this.name,
      logDir: stream.dir,
      env: {
        ...variables,
        ...this.spec.platformEnvironment,
        AWS_REGION: this.#ctx.region,
        AWS_LAMBDA_LOG_FORMAT: format,
        AWS_LAMBDA_LOG_STREAM_NAME: stream.name,
        ...(format === "JSON" ? { AWS_LAMBDA_LOG_LEVEL: "INFO" } : {}),
      },
    });
    return { sandbox, stream, last: Promise.resolve() };
  }

  /**
   * Invokes the function once.
   *
   * @param payload The event.
   * @param options `tail`: wait for the REPORT and return the last 4 KB of the log;
   *   `queued`: an asynchronous invocation (waits for an environment instead of throttling);
   *   `clientContext`: the decoded X-Amz-Client-Context; `requestId`: the id to give it (default
   *   a new one).
   * @returns What the invoker gets back.
   * @throws {LambdaError} `RequestTooLargeException` over 6 MB, `TooManyRequestsException`
   *   when every environment is busy at the bound, `ServiceException` when an environment cannot
   *   be made.
   */
  async invoke(
    payload: Uint8Array,
    options: { tail?: boolean; queued?: boolean; clientContext?: string; requestId?: string } = {},
  ): Promise<InvokeOutcome> {
    if (payload.length > MAX_RESPONSE_BYTES) {
      throw new LambdaError(
        "RequestTooLargeException",
        413,
        `Request must be smaller than ${MAX_RESPONSE_BYTES} bytes for the InvokeFunction operation`,
      );
    }
    let lease;
    try {
      lease = await this.#pool.acquire({ wait: options.queued === true });
    } catch (error) {
      if ((error as Error).name === "TooManyRequestsException") {
        throw new LambdaError("TooManyRequestsException", 429, "Rate Exceeded.");
      }
      throw new LambdaError(
        "ServiceException",
        500,
        `Cannot start an environment of ${this.name}: ${(error as Error).message}`,
      );
    }
    const env = lease.env;
    let mark = 0;
    if (options.tail) {
      // The previous invocation's END and REPORT come after the environment was freed.
      await env.last;
      env.stream.refresh();
      mark = env.stream.events.length;
    }
    let onAnswer!: (a: RuntimeAnswer) => void;
    const answered = new Promise<RuntimeAnswer>((resolve) => {
      onAnswer = (a) => {
        lease.answered();
        resolve(a);
      };
    });
    const run = env.sandbox.invoke(payload, {
      onAnswer,
      onEnd: () => lease.release(),
      ...(options.clientContext === undefined ? {} : { clientContext: options.clientContext }),
      ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
    });
    env.last = run.then(() => {}, () => {});
    run.then(() => lease.release(), () => lease.discard());
    if (!options.tail) {
      const first = await Promise.race([
        answered.then((answer) => ({ answer })),
        run.then((result) => ({ result }), (error) => ({ error })),
      ]);
      if ("answer" in first) return fromAnswer(first.answer);
      if ("result" in first) return fromResult(first.result, null);
      throw new LambdaError("ServiceException", 500, String((first.error as Error).message));
    }
    let result: InvokeResult;
    try {
      result = await run;
    } catch (error) {
      throw new LambdaError("ServiceException", 500, String((error as Error).message));
    }
    env.stream.refresh();
    const log = env.stream.events.slice(mark).map((e) => e.message.replace(/\n$/, "")).join("\n") +
      "\n";
    const bytes = encoder.encode(log);
    return fromResult(result, encodeBase64(bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES))));
  }

  /**
   * Changes the configuration: the function's environments are retired (idle ones at once, busy
   * ones when their invocation ends), `LastUpdateStatus` is `InProgress` until the idle ones are
   * gone, and the next invocation runs Init with the new settings.
   *
   * @param update What changes.
   * @returns The new configuration (status `InProgress`).
   * @throws {LambdaError} `ResourceConflictException` while an update is in progress,
   *   `PreconditionFailedException` for a stale `RevisionId`, `InvalidParameterValueException`
   *   for a value out of range.
   */
  updateConfiguration(update: ConfigurationUpdate): Record<string, unknown> {
    if (this.#status === "InProgress") {
      throw new LambdaError(
        "ResourceConflictException",
        409,
        `The operation cannot be performed at this time. An update is in progress for resource: ${this.arn}`,
      );
    }
    if (update.revisionId !== undefined && update.revisionId !== this.#revisionId) {
      throw new LambdaError(
        "PreconditionFailedException",
        412,
        "The Revision Id provided does not match the latest Revision Id. Call the " +
          "GetFunction/GetAlias API to retrieve the latest Revision Id",
      );
    }
    if (update.memoryMb !== undefined) {
      if (!Number.isInteger(update.memoryMb) || update.memoryMb < 128 || update.memoryMb > 10240) {
        throw new LambdaError(
          "InvalidParameterValueException",
          400,
          `1 validation error detected: Value '${update.memoryMb}' at 'memorySize' failed to ` +
            "satisfy constraint: Member must have value between 128 and 10240",
        );
      }
    }
    if (update.timeoutS !== undefined) {
      if (!Number.isInteger(update.timeoutS) || update.timeoutS < 1 || update.timeoutS > 900) {
        throw new LambdaError(
          "InvalidParameterValueException",
          400,
          `1 validation error detected: Value '${update.timeoutS}' at 'timeout' failed to ` +
            "satisfy constraint: Member must have value between 1 and 900",
        );
      }
    }
    if (update.environment !== undefined) {
      const bad = Object.keys(update.environment).find((k) =>
        !/^[a-zA-Z]([a-zA-Z0-9_])+$/.test(k) || RESERVED_VARIABLES.has(k)
      );
      if (bad !== undefined) {
        throw new LambdaError(
          "InvalidParameterValueException",
          400,
          `Lambda was unable to configure your environment variables because the environment ` +
            `variables you have provided contains reserved keys or invalid names: ${bad}`,
        );
      }
    }
    if (update.memoryMb !== undefined) this.#memoryMb = update.memoryMb;
    if (update.timeoutS !== undefined) this.#timeoutS = update.timeoutS;
    if (update.environment !== undefined) this.#environment = { ...update.environment };
    if (update.description !== undefined) this.#description = update.description;
    if (update.handler !== undefined) this.#handler = update.handler;
    if (update.logFormat !== undefined) this.#logFormat = update.logFormat;
    this.#revisionId = crypto.randomUUID();
    this.#lastModified = new Date();
    this.#status = "InProgress";
    const minUpdateMs = this.#ctx.minUpdateMs;
    const started = performance.now();
    this.#updating = this.#pool.retire().then(async () => {
      const left = minUpdateMs - (performance.now() - started);
      if (left > 0) await new Promise((r) => setTimeout(r, left));
      this.#status = "Successful";
    }, () => {
      this.#status = "Failed";
    });
    return this.configuration();
  }

  /** Resolves when the latest update has finished. */
  settled(): Promise<void> {
    return this.#updating;
  }

  /** The function's configuration, as GetFunctionConfiguration returns it. */
  configuration(): Record<string, unknown> {
    const layers = (this.spec.layers ?? []).map((name) => ({
      Arn: `arn:aws:lambda:${this.#ctx.region}:${SANDBOX_ACCOUNT_ID}:layer:${name}:1`,
      CodeSize: 0,
    }));
    return {
      FunctionName: this.name,
      FunctionArn: this.arn,
      Runtime: lambdaRuntime(this.spec.runtime),
      Role: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:role/${this.name}-role`,
      Handler: this.#handler,
      CodeSize: this.#code.size,
      Description: this.#description,
      Timeout: this.#timeoutS,
      MemorySize: this.#memoryMb,
      LastModified: lastModified(this.#lastModified),
      CodeSha256: this.#code.sha256,
      Version: "$LATEST",
      Environment: { Variables: { ...this.#environment } },
      TracingConfig: { Mode: "PassThrough" },
      RevisionId: this.#revisionId,
      ...(layers.length > 0 ? { Layers: layers } : {}),
      State: "Active",
      LastUpdateStatus: this.#status,
      ...(this.#status === "Failed"
        ? { LastUpdateStatusReason: "Retiring the old environments failed" }
        : {}),
      PackageType: "Zip",
      Architectures: [this.spec.arch],
      EphemeralStorage: { Size: 512 },
      SnapStart: { ApplyOn: "None", OptimizationStatus: "Off" },
      LoggingConfig: this.#logFormat === "JSON"
        ? {
          LogFormat: "JSON",
          ApplicationLogLevel: "INFO",
          SystemLogLevel: "DEBUG",
          LogGroup: this.group.name,
        }
        : { LogFormat: "Text", LogGroup: this.group.name },
    };
  }

  /** Shuts every environment down. */
  async close(): Promise<void> {
    await this.#pool.close();
  }
}

function fromAnswer(answer: RuntimeAnswer): InvokeOutcome {
  return {
    requestId: answer.requestId,
    functionError: answer.kind === "error" ? "Unhandled" : null,
    body: answer.body,
    logResult: null,
    errorType: answer.errorType,
  };
}

function fromResult(result: InvokeResult, logResult: string | null): InvokeOutcome {
  return {
    requestId: result.requestId,
    functionError: result.status === "success" ? null : "Unhandled",
    body: result.response,
    logResult,
    errorType: result.errorType,
  };
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
