/**
 * The SQS client, configured the same way on Node.js and on LLRT: region, endpoint
 * (`AWS_ENDPOINT_URL_SQS`) and credentials from the standard environment variables, which
 * Lambda sets for runtimes and extensions alike. On Node.js requests go through the SDK's
 * `node:http` handler; elsewhere (LLRT has `fetch` but no `node:http`) through `FetchHttpHandler`.
 *
 * @module
 */
import { SendMessageBatchCommand, SQSClient, type SQSClientConfig } from "@aws-sdk/client-sqs";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import { CONTRACT } from "./contract.ts";
import type { SendBatch } from "./delivery.ts";
import { nativeChecksum } from "./hash.ts";

/** Environment variables, as `process.env` holds them. */
export type Env = Record<string, string | undefined>;

/** Per-request timeout: a hung connection must not eat the invocation's deadline. */
const REQUEST_TIMEOUT_MS = CONTRACT.sqsAttemptTimeoutMs;

/**
 * True on Node.js (not on LLRT, which also defines `process`).
 *
 * @returns Whether `process.release.name` is "node".
 */
export function onNode(): boolean {
  const p = (globalThis as { process?: { release?: { name?: string } } }).process;
  return p?.release?.name === "node";
}

/**
 * The client configuration for this runtime.
 *
 * @param env The environment: `AWS_REGION`, `AWS_ENDPOINT_URL_SQS` (or `AWS_ENDPOINT_URL`),
 * `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (without them, on Node.js,
 * the SDK's provider chain applies).
 * @param options `node`: whether to use the Node.js defaults (default {@linkcode onNode});
 * `maxAttempts`: the SDK's own attempts (default 1, since callers retry themselves).
 * @returns The configuration.
 * @throws {TypeError} Off Node.js, when no region is set.
 */
export function sqsClientConfig(
  env: Env,
  options: { node?: boolean; maxAttempts?: number } = {},
): SQSClientConfig {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const endpoint = env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL;
  const config: SQSClientConfig = {
    maxAttempts: options.maxAttempts ?? 1,
    // The JS SDK recomputes the MD5 of every body SQS acknowledges; the Rust SDK does not, and
    // TLS already protects the bytes in transit. Off, both extensions do the same work per
    // request, and a JS batch of 10 × 1 KB costs about a fifth less CPU (Node.js: 200 batches
    // 550–610 ms instead of 680–800 ms against ElasticMQ).
    md5: false,
    // The SDK's documented switch to resolve a command's middleware stack once, not on every
    // send: the stack never changes here (one client, one command, no per-call options). Saves
    // about 0.2 ms of CPU per request on LLRT, 0.1 ms on Node.js.
    cacheMiddleware: true,
  };
  if (region) config.region = region;
  // Passed explicitly: the SDK reads AWS_ENDPOINT_URL_SQS itself only in its Node.js build.
  if (endpoint) config.endpoint = endpoint;
  // Lambda puts the role's credentials in these variables for runtimes and extensions alike;
  // taking them directly skips the provider chain (which the SDK's browser build lacks).
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  if (options.node ?? onNode()) {
    config.requestHandler = { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: 2_000 };
    return config;
  }
  if (!region) throw new TypeError("Cannot create the SQS client: AWS_REGION is not set");
  config.requestHandler = new FetchHttpHandler({ requestTimeout: REQUEST_TIMEOUT_MS });
  // Native hashing through node:crypto, as the SDK's Node.js build does (see hash.ts for why).
  config.sha256 = nativeChecksum("sha256");
  return config;
}

/**
 * Creates the SQS client for this runtime.
 *
 * @param env See {@linkcode sqsClientConfig}.
 * @param options See {@linkcode sqsClientConfig}.
 * @returns The client.
 */
export function createSqsClient(
  env: Env,
  options: { node?: boolean; maxAttempts?: number } = {},
): SQSClient {
  const client = new SQSClient(sqsClientConfig(env, options));
  nativeJsonStrings(client);
  return client;
}

/** The parts of the SDK's JSON serializer (`JsonShapeSerializer2`) that its string writer uses. */
interface JsonSerializer {
  json: Uint8Array;
  i: number;
  ensure(byteCount: number): void;
  writeJsonString(s: string): void;
}

const utf8 = new TextEncoder();

/**
 * Makes the client's JSON serializer write strings with the engine's `JSON.stringify` instead
 * of the SDK's own loop, which escapes and copies one UTF-16 unit at a time in JavaScript: for
 * a batch of 10 × 1 KB that loop was most of a request's CPU on LLRT (QuickJS interprets it;
 * 3.5 ms of SDK time per request, 1.2 ms with this) and about a tenth on Node.js. The bytes
 * are the same JSON string (both escape `"`, `\` and control characters; JSON.stringify leaves
 * the rest as UTF-8). Everything else — protocol, signing, errors — stays the SDK's. A client
 * whose serializer does not have the expected shape (another SDK release) is left as it is.
 *
 * @param client The SQS client (AWS JSON 1.0 protocol).
 * @returns Whether the serializer was changed.
 */
export function nativeJsonStrings(client: SQSClient): boolean {
  const protocol = (client.config as { protocol?: { serializer?: Partial<JsonSerializer> } })
    .protocol;
  const serializer = protocol?.serializer;
  if (
    serializer === undefined || typeof serializer.writeJsonString !== "function" ||
    typeof serializer.ensure !== "function" || !(serializer.json instanceof Uint8Array) ||
    typeof serializer.i !== "number"
  ) {
    return false;
  }
  serializer.writeJsonString = function (this: JsonSerializer, s: string) {
    const literal = JSON.stringify(s);
    // At most 3 UTF-8 bytes per UTF-16 unit.
    this.ensure(literal.length * 3);
    this.i += utf8.encodeInto(literal, this.json.subarray(this.i)).written;
  };
  return true;
}

/**
 * Adapts a client to the {@linkcode SendBatch} the delivery code calls.
 *
 * @param client The SQS client.
 * @param queueUrl The queue.
 * @returns A function sending one `SendMessageBatch` request.
 */
export function sqsBatchSender(client: SQSClient, queueUrl: string): SendBatch {
  return (entries) =>
    client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
}

/** The SDK's own switch for its notice about Node.js versions it will stop supporting. */
export const SDK_NODE_NOTICE_VARIABLE = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/**
 * Turns off the SDK's notice (9 lines on stderr, at every start on Node.js < 22) that releases
 * from 2027 on will need a newer Node.js: the bundled release runs on Lambda's Node.js 20 and
 * the lines would land in every function's log. Only that notice: the SDK reads the variable
 * for nothing else, and real errors are logged as before. An explicit setting is kept.
 *
 * @param env The process environment (changed in place).
 */
export function quietSdkNodeNotice(env: Env): void {
  env[SDK_NODE_NOTICE_VARIABLE] ??= "true";
}
