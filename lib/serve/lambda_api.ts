/**
 * Lambda's REST API for the served functions: Invoke (`RequestResponse`, `Event`, `DryRun`;
 * `LogType: Tail`; `X-Amz-Function-Error`; `X-Amz-Executed-Version`), GetFunction,
 * GetFunctionConfiguration, UpdateFunctionConfiguration, ListFunctions and
 * GetFunctionUrlConfig. Errors carry `x-amzn-ErrorType` and a `{"Type","message"}` body, as
 * Lambda's do, so the SDKs raise the modelled exceptions (`ResourceNotFoundException`,
 * `TooManyRequestsException`, ...).
 *
 * @module
 */
import { type ConfigurationUpdate, LambdaError, type ServedFunction } from "./function.ts";
import type { LogFormat } from "./log_store.ts";

/** Asynchronous (Event) payloads above this are refused (1 MB since October 2025). */
export const MAX_ASYNC_PAYLOAD_BYTES = 1_048_576;

/** Options of {@link LambdaRestApi}. */
export interface LambdaRestApiOptions {
  functions: ReadonlyMap<string, ServedFunction>;
  /** The Function URL of a function (for GetFunctionUrlConfig). */
  functionUrl: (name: string) => string;
  /** Hears of asynchronous invocations that failed (default console.error). */
  onAsyncError?: (name: string, error: unknown) => void;
}

const API = /^\/(2015-03-31|2021-10-31)\/functions\/?([^/]*)(?:\/([a-z-]+))?\/?$/;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json",
      "x-amzn-requestid": crypto.randomUUID(),
      ...headers,
    },
  });
}

/** A Lambda error response. */
export function lambdaErrorResponse(error: LambdaError): Response {
  const extra: Record<string, unknown> = {};
  const headers: Record<string, string> = { "x-amzn-errortype": error.type };
  if (error.type === "TooManyRequestsException") {
    extra.Reason = "ConcurrentInvocationLimitExceeded";
    headers["retry-after"] = "1";
  }
  return json(error.status, {
    Type: error.status >= 500 ? "Service" : "User",
    message: error.message,
    ...extra,
  }, headers);
}

/** The function name inside a FunctionName (name, `name:qualifier`, full or partial ARN). */
export function parseFunctionName(given: string): { name: string; qualifier: string | null } {
  if (!given.includes(":")) return { name: given, qualifier: null };
  const full = /^arn:[^:]+:lambda:[^:]+:\d{12}:function:([^:]+)(?::(.+))?$/.exec(given);
  const partial = /^\d{12}:function:([^:]+)(?::(.+))?$/.exec(given);
  const plain = /^([^:]+)(?::(.+))?$/.exec(given);
  const m = full ?? partial ?? plain;
  return { name: m?.[1] ?? given, qualifier: m?.[2] ?? null };
}

/** The Lambda endpoint. See the module doc. */
export class LambdaRestApi {
  readonly #o: LambdaRestApiOptions;
  /** Event invocations still running (awaited on close). */
  readonly #async = new Set<Promise<unknown>>();

  /** @param options The functions and their URLs. */
  constructor(options: LambdaRestApiOptions) {
    this.#o = options;
  }

  /** True when the path is one of Lambda's. */
  matches(pathname: string): boolean {
    return API.test(pathname);
  }

  /**
   * Answers one Lambda request (the caller checked the signature).
   *
   * @param request The request.
   * @param url Its URL, when the caller has parsed it already.
   * @returns The response.
   */
  async handle(request: Request, url: URL = new URL(request.url)): Promise<Response> {
    const m = API.exec(url.pathname);
    try {
      if (!m) throw new LambdaError("UnknownOperationException", 404, "Unknown operation");
      const [, version, rawName = "", action] = m;
      const method = request.method;
      if (rawName === "") {
        if (method === "GET" && version === "2015-03-31") return this.#list(url);
        throw new LambdaError("UnknownOperationException", 404, "Unknown operation");
      }
      const { name, qualifier: inName } = parseFunctionName(
        rawName.includes("%") ? decodeURIComponent(rawName) : rawName,
      );
      const qualifier = url.searchParams.get("Qualifier") ?? inName;
      const fn = this.#function(name, qualifier);
      if (version === "2021-10-31") {
        if (action === "url" && method === "GET") return this.#urlConfig(fn);
        throw new LambdaError("UnknownOperationException", 404, "Unknown operation");
      }
      if (action === "invocations" && method === "POST") return await this.#invoke(fn, request);
      if (action === undefined && method === "GET") {
        return json(200, {
          Configuration: fn.configuration(),
          Code: { RepositoryType: "S3", Location: `file://${fn.spec.codeDir}` },
          Tags: fn.spec.tags ?? {},
        });
      }
      if (action === "configuration" && method === "GET") return json(200, fn.configuration());
      if (action === "configuration" && method === "PUT") {
        return json(200, fn.updateConfiguration(await readUpdate(request)));
      }
      throw new LambdaError("UnknownOperationException", 404, "Unknown operation");
    } catch (error) {
      if (error instanceof LambdaError) return lambdaErrorResponse(error);
      return lambdaErrorResponse(
        new LambdaError("ServiceException", 500, (error as Error)?.message ?? String(error)),
      );
    }
  }

  #function(name: string, qualifier: string | null): ServedFunction {
    const fn = this.#o.functions.get(name);
    if (!fn || (qualifier !== null && qualifier !== "$LATEST")) {
      const arn = fn?.arn ?? `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
      throw new LambdaError(
        "ResourceNotFoundException",
        404,
        `Function not found: ${arn}${qualifier === null ? "" : `:${qualifier}`}`,
      );
    }
    return fn;
  }

  #list(url: URL): Response {
    const max = Number(url.searchParams.get("MaxItems") ?? "50");
    if (!Number.isInteger(max) || max < 1 || max > 10_000) {
      throw new LambdaError(
        "InvalidParameterValueException",
        400,
        `1 validation error detected: Value '${url.searchParams.get("MaxItems")}' at ` +
          "'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000",
      );
    }
    const all = [...this.#o.functions.values()].sort((a, b) => a.name.localeCompare(b.name));
    const from = Number(url.searchParams.get("Marker") ?? "0") || 0;
    const page = all.slice(from, from + max);
    return json(200, {
      Functions: page.map((f) => f.configuration()),
      ...(from + max < all.length ? { NextMarker: String(from + max) } : {}),
    });
  }

  #urlConfig(fn: ServedFunction): Response {
    return json(200, {
      FunctionUrl: this.#o.functionUrl(fn.name),
      FunctionArn: fn.arn,
      AuthType: "NONE",
      CreationTime: new Date().toISOString(),
      LastModifiedTime: new Date().toISOString(),
      InvokeMode: "BUFFERED",
    });
  }

  async #invoke(fn: ServedFunction, request: Request): Promise<Response> {
    const type = request.headers.get("x-amz-invocation-type") ?? "RequestResponse";
    if (!["RequestResponse", "Event", "DryRun"].includes(type)) {
      throw new LambdaError(
        "InvalidParameterValueException",
        400,
        `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy ` +
          "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
      );
    }
    const logType = request.headers.get("x-amz-log-type") ?? "None";
    if (logType !== "None" && logType !== "Tail") {
      throw new LambdaError(
        "InvalidParameterValueException",
        400,
        `1 validation error detected: Value '${logType}' at 'logType' failed to satisfy ` +
          "constraint: Member must satisfy enum value set: [None, Tail]",
      );
    }
    let clientContext: string | undefined;
    const cc = request.headers.get("x-amz-client-context");
    if (cc !== null) {
      try {
        clientContext = new TextDecoder().decode(Uint8Array.from(atob(cc), (c) => c.charCodeAt(0)));
        JSON.parse(clientContext);
      } catch {
        throw new LambdaError(
          "InvalidParameterValueException",
          400,
          "Client context must be a valid Base64-encoded JSON object.",
        );
      }
    }
    const payload = new Uint8Array(await request.arrayBuffer());
    const common = { "x-amz-executed-version": "$LATEST" };
    if (type === "DryRun") return new Response(null, { status: 204, headers: common });
    if (type === "Event") {
      if (payload.length > MAX_ASYNC_PAYLOAD_BYTES) {
        throw new LambdaError(
          "RequestTooLargeException",
          413,
          `Request must be smaller than ${MAX_ASYNC_PAYLOAD_BYTES} bytes for the InvokeAsync operation`,
        );
      }
      const requestId = crypto.randomUUID();
      const run = fn.invoke(payload, {
        queued: true,
        requestId,
        ...(clientContext === undefined ? {} : { clientContext }),
      }).catch((e) =>
        (this.#o.onAsyncError ?? ((n, err) => console.error(`${n}: ${String(err)}`)))(fn.name, e)
      );
      this.#async.add(run);
      run.finally(() => this.#async.delete(run));
      return new Response(null, {
        status: 202,
        headers: { ...common, "x-amzn-requestid": requestId },
      });
    }
    const out = await fn.invoke(payload, {
      tail: logType === "Tail",
      ...(clientContext === undefined ? {} : { clientContext }),
    });
    const headers: Record<string, string> = {
      ...common,
      "content-type": "application/json",
      "x-amzn-requestid": out.requestId,
    };
    if (out.functionError) headers["x-amz-function-error"] = out.functionError;
    if (out.logResult !== null) headers["x-amz-log-result"] = out.logResult;
    return new Response(out.body as Uint8Array<ArrayBuffer>, { status: 200, headers });
  }

  /** Waits for every asynchronous invocation still running. */
  async drain(): Promise<void> {
    while (this.#async.size > 0) await Promise.all([...this.#async]);
  }
}

async function readUpdate(request: Request): Promise<ConfigurationUpdate> {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(await request.text() || "{}");
  } catch {
    throw new LambdaError(
      "InvalidRequestContentException",
      400,
      "Could not parse request body into json",
    );
  }
  const update: ConfigurationUpdate = {};
  const num = (key: string): number | undefined => {
    const v = body[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number") {
      throw new LambdaError("InvalidParameterValueException", 400, `${key} must be a number`);
    }
    return v;
  };
  const memory = num("MemorySize");
  if (memory !== undefined) update.memoryMb = memory;
  const timeout = num("Timeout");
  if (timeout !== undefined) update.timeoutS = timeout;
  const env = body.Environment as { Variables?: Record<string, unknown> } | undefined;
  if (env !== undefined) {
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(env?.Variables ?? {})) vars[k] = String(v);
    update.environment = vars;
  }
  if (typeof body.Description === "string") update.description = body.Description;
  if (typeof body.Handler === "string") update.handler = body.Handler;
  if (typeof body.RevisionId === "string") update.revisionId = body.RevisionId;
  const logging = body.LoggingConfig as { LogFormat?: unknown } | undefined;
  if (logging?.LogFormat !== undefined) {
    if (logging.LogFormat !== "JSON" && logging.LogFormat !== "Text") {
      throw new LambdaError(
        "InvalidParameterValueException",
        400,
        `1 validation error detected: Value '${String(logging.LogFormat)}' at ` +
          "'loggingConfig.logFormat' failed to satisfy constraint: Member must satisfy enum value set: [JSON, Text]",
      );
    }
    update.logFormat = logging.LogFormat as LogFormat;
  }
  for (const key of ["Runtime", "Layers", "VpcConfig", "FileSystemConfigs", "ImageConfig"]) {
    if (body[key] !== undefined) {
      throw new LambdaError(
        "InvalidParameterValueException",
        400,
        `${key} cannot be changed on this local endpoint (it serves the functions it was started with)`,
      );
    }
  }
  return update;
}
