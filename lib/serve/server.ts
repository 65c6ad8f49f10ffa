/**
 * The local Lambda and CloudWatch Logs endpoint of `deno task serve`: one loopback port that
 * answers Lambda's REST API and CloudWatch Logs' JSON API for SDKs, the AWS CLI and boto3 with
 * `AWS_ENDPOINT_URL` pointing at it (SigV4-shaped credentials required, any key), Function URLs
 * for plain HTTP clients, and `GET /_serve/stats` (scale-out counters per function).
 *
 * Function URLs: `http://127.0.0.1:<port>/lambda-url/<function>/<path>`, or any path on a host
 * named `<function>.lambda-url.localhost` (curl resolves `*.localhost` to loopback).
 *
 * @example
 * ```ts ignore
 * const server = await startServer({ functions: [spec], logsDir: "/tmp/logs" });
 * console.log(server.endpoint); // http://127.0.0.1:<port>
 * await server.close();
 * ```
 *
 * @module
 */
import { type FunctionSpec, LambdaError, ServedFunction } from "./function.ts";
import { urlEvent, urlResponse } from "./function_url.ts";
import { lambdaErrorResponse, LambdaRestApi } from "./lambda_api.ts";
import { LogStore } from "./log_store.ts";
import { LOGS_TARGET_PREFIX, LogsApi } from "./logs_api.ts";
import type { PoolStats } from "./pool.ts";
import { parseSigV4 } from "./sigv4.ts";

/** Options of {@link startServer}. */
export interface ServeOptions {
  functions: readonly FunctionSpec[];
  /** Where log groups and streams are kept (found again on restart). */
  logsDir: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  hostname?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Most environments per function (default 10); invocations past it are throttled. */
  maxEnvironments?: number;
  /** `LastUpdateStatus` stays `InProgress` at least this long after an update (default 0). */
  minUpdateMs?: number;
  /** See `LogsApiOptions.emptyFirstPage` (default true). */
  emptyFirstPage?: boolean;
}

/** A running server. */
export interface Server {
  /** `http://127.0.0.1:<port>`: the value for `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly functions: ReadonlyMap<string, ServedFunction>;
  /** The Function URL of a function. */
  functionUrl(name: string): string;
  /** Scale-out counters per function. */
  stats(): Record<string, PoolStats>;
  /** Stops accepting requests, waits for asynchronous invocations, shuts every environment down. */
  close(): Promise<void>;
}

const URL_PREFIX = "/lambda-url/";

/**
 * Starts the server.
 *
 * @param options Functions, folders and limits.
 * @returns The running server.
 * @throws {RangeError} For a bad function name or two functions with one name.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 */
export async function startServer(options: ServeOptions): Promise<Server> {
  const region = options.region ?? "us-east-1";
  const store = new LogStore(options.logsDir);
  const functions = new Map<string, ServedFunction>();
  for (const spec of options.functions) {
    if (functions.has(spec.name)) throw new RangeError(`Two functions are named "${spec.name}"`);
    functions.set(
      spec.name,
      new ServedFunction(spec, store.groupFor(spec.name), {
        region,
        ...(options.maxEnvironments === undefined
          ? {}
          : { maxEnvironments: options.maxEnvironments }),
        ...(options.minUpdateMs === undefined ? {} : { minUpdateMs: options.minUpdateMs }),
      }),
    );
  }
  let endpoint = "";
  const functionUrl = (name: string) => `${endpoint}${URL_PREFIX}${name}/`;
  const lambda = new LambdaRestApi({ functions, functionUrl });
  const logs = new LogsApi({
    store,
    region,
    ...(options.emptyFirstPage === undefined ? {} : { emptyFirstPage: options.emptyFirstPage }),
  });
  const stats = () => Object.fromEntries([...functions].map(([n, f]) => [n, f.stats()]));
  const byHost = new Map([...functions.keys()].map((n) => [n.toLowerCase(), n]));

  const handler = async (request: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const url = new URL(request.url);
    const host = (request.headers.get("host") ?? "").split(":")[0]!.toLowerCase();
    const hostFn = /^([^.]+)\.lambda-url\./.exec(host)?.[1];
    if (hostFn !== undefined || url.pathname.startsWith(URL_PREFIX)) {
      let name: string | undefined;
      let rawPath: string;
      if (hostFn !== undefined) {
        name = byHost.get(hostFn);
        rawPath = url.pathname;
      } else {
        const rest = url.pathname.slice(URL_PREFIX.length);
        const slash = rest.indexOf("/");
        name = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
        rawPath = slash < 0 ? "/" : rest.slice(slash);
      }
      const fn = name === undefined ? undefined : functions.get(name);
      if (!fn) return Response.json({ Message: "Forbidden" }, { status: 403 });
      const requestId = crypto.randomUUID();
      const remote = info.remoteAddr as Deno.NetAddr;
      const event = await urlEvent(request, {
        rawPath,
        requestId,
        domainName: host || "localhost",
        sourceIp: remote.hostname,
      });
      try {
        const out = await fn.invoke(new TextEncoder().encode(JSON.stringify(event)), { requestId });
        return urlResponse(out, out.requestId);
      } catch (error) {
        if (error instanceof LambdaError && error.status === 429) {
          return Response.json({ Message: "Too Many Requests" }, { status: 429 });
        }
        return Response.json({ Message: "Internal Server Error" }, { status: 502 });
      }
    }
    if (url.pathname === "/_serve/stats" && request.method === "GET") {
      return Response.json(stats());
    }
    const target = request.headers.get("x-amz-target");
    const isLogs = target?.startsWith(LOGS_TARGET_PREFIX) === true;
    if (!isLogs && !lambda.matches(url.pathname)) {
      return Response.json({ message: `No such operation: ${request.method} ${url.pathname}` }, {
        status: 404,
        headers: { "x-amzn-errortype": "UnknownOperationException" },
      });
    }
    const auth = parseSigV4(request);
    if (!auth.ok) {
      await request.body?.cancel();
      if (isLogs) {
        return new Response(JSON.stringify({ __type: auth.errorType, message: auth.message }), {
          status: 400,
          headers: { "content-type": "application/x-amz-json-1.1" },
        });
      }
      return lambdaErrorResponse(new LambdaError(auth.errorType, 403, auth.message));
    }
    return isLogs ? await logs.handle(request) : await lambda.handle(request, url);
  };

  const ready = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    onListen: (addr) => ready.resolve(addr as Deno.NetAddr),
    onError: (error) => {
      console.error(`serve: ${error instanceof Error ? error.message : String(error)}`);
      return Response.json({ message: "Internal error" }, { status: 500 });
    },
  }, handler);
  const addr = await ready.promise;
  endpoint = `http://${addr.hostname}:${addr.port}`;
  let closed: Promise<void> | null = null;
  return {
    endpoint,
    port: addr.port,
    region,
    functions,
    functionUrl,
    stats,
    close() {
      closed ??= (async () => {
        await lambda.drain();
        await Promise.all([...functions.values()].map((f) => f.close()));
        await server.shutdown();
      })();
      return closed;
    },
  };
}
