/**
 * Entry point of the JavaScript extension (bundled to one ESM file; runs on Node.js and LLRT).
 *
 * Environment: `AWS_LAMBDA_RUNTIME_API`, `BATTLE_EXTENSION_NAME` (set by the launcher to its own
 * file name), `BATTLE_EXTENSION_PORT` (default 4243, `extensions/contract.json`),
 * `BATTLE_QUEUE_URL`, the outbox's bounds `BATTLE_OUTBOX_MAX_MESSAGES` and
 * `BATTLE_OUTBOX_MAX_BYTES`, `BATTLE_SQS_CONCURRENCY`, `AWS_REGION`, `AWS_ENDPOINT_URL_SQS`
 * and the AWS credential variables.
 *
 * @module
 */
import { CONTRACT } from "./contract.ts";
import { ExtensionsApi } from "./extensions_api.ts";
import { runExtension } from "./extension.ts";
import { InvocationTracker } from "./invocations.ts";
import type { SendBatch } from "./delivery.ts";
import { Outbox } from "./outbox.ts";
import { startServer } from "./server.ts";
import { positiveSetting } from "./settings.ts";
import { createSqsClient, type Env, quietSdkNodeNotice, sqsBatchSender } from "./sqs.ts";

/** Default port of the extension's HTTP endpoint. */
export const DEFAULT_PORT: number = CONTRACT.port.default;

/**
 * Reads the configuration, wires the parts and runs the extension.
 *
 * @param env The environment.
 * @returns The exit code.
 */
export async function main(env: Env): Promise<number> {
  const name = env.BATTLE_EXTENSION_NAME ?? "battle-ext-js";
  const log = (line: string) => console.log(`[${name}] ${line}`);
  const runtimeApi = env.AWS_LAMBDA_RUNTIME_API;
  const queueUrl = env[CONTRACT.queueUrlVariable];
  const rawPort = env[CONTRACT.port.variable];
  const port = Number(rawPort ?? DEFAULT_PORT);
  if (!runtimeApi) {
    log("AWS_LAMBDA_RUNTIME_API is not set: not running inside Lambda");
    return 1;
  }
  const api = new ExtensionsApi(runtimeApi);
  let send: SendBatch;
  let bounds: { concurrency: number; maxMessages: number; maxBytes: number };
  try {
    bounds = {
      concurrency: positiveSetting(env, CONTRACT.batch.concurrency),
      maxMessages: positiveSetting(env, CONTRACT.outbox.maxMessages),
      maxBytes: positiveSetting(env, CONTRACT.outbox.maxBytes),
    };
    if (!queueUrl) throw new TypeError(`${CONTRACT.queueUrlVariable} is not set`);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`${CONTRACT.port.variable} "${rawPort}" is not a port`);
    }
    quietSdkNodeNotice(env);
    send = sqsBatchSender(createSqsClient(env), queueUrl);
  } catch (e) {
    // Register anyway, so the failure reaches Lambda as an Init error with its reason.
    const problem = (e as Error).message;
    log(problem);
    const id = await api.register(name).catch(() => null);
    if (id !== null) {
      await api.initError(id, CONTRACT.errorTypes.configInvalid, problem).catch(() => {});
    }
    return 1;
  }
  const outbox = new Outbox({ send, log, ...bounds });
  const invocations = new InvocationTracker();
  return await runExtension({
    name,
    api,
    outbox,
    invocations,
    log: (line) => console.log(line),
    listen: () =>
      startServer({
        port,
        onMessage: (body, requestId) => {
          // Accepted first, so the flush that the ending releases includes it.
          const full = outbox.accept(body);
          if (full) return { ...full, retryAfterSeconds: CONTRACT.outbox.retryAfterSeconds };
          if (requestId !== undefined) invocations.end(requestId);
        },
        onEnd: (requestId) => invocations.end(requestId),
      }),
  });
}

const proc =
  (globalThis as unknown as { process: { env: Env; exit(code: number): never } }).process;
proc.exit(await main(proc.env));
