/**
 * Cost per million invocations: billed duration × memory (GB) × the architecture's GB-second
 * price, plus the request price, plus Init on cold starts (where billed), plus SQS requests for
 * variants that send.
 *
 * @module
 */
import type { Arch } from "../schema.ts";
import type { DeliveryMode } from "../variants.ts";
import { initIsBilled, type PriceTable, US_EAST_1 } from "./prices.ts";

/** What one configuration costs to run, per invocation type. */
export interface CostInputs {
  arch: Arch;
  memoryMb: number;
  /** Mean billed duration of a warm invocation (ms). */
  warmBilledMs: number;
  /** Mean billed duration of a cold invocation's Invoke phase, Init excluded (ms). */
  coldBilledMs: number;
  /** Mean billed Init duration of a cold start (ms). */
  initBilledMs: number;
  /** Share of invocations that are cold starts, in [0, 1]. */
  coldShare: number;
  /** SQS requests billed per invocation (see {@link sqsRequestsPerInvocation}). */
  sqsRequestsPerInvocation: number;
  /** Custom runtime (`provided.al2023`, e.g. LLRT): Init billed whatever the date. */
  customRuntime?: boolean;
}

/** Cost of one million invocations, in USD, by part. */
export interface CostBreakdown {
  /** GB-seconds of Invoke phases. */
  invokeGbSeconds: number;
  /** GB-seconds of billed Init phases (0 where Init is not billed). */
  initGbSeconds: number;
  invoke: number;
  init: number;
  requests: number;
  sqs: number;
  total: number;
}

const MILLION = 1_000_000;

/**
 * Billed SQS requests for sending `messages` messages of `payloadBytes` each, in batches of up to
 * `maxBatchMessages`: each batch (or single send) costs one request per started chunk of
 * `chunkBytes` of its total payload, and at least one.
 *
 * @param options `messages`, `payloadBytes`, and optionally `batched` (default true: use
 * SendMessageBatch; false: one SendMessage per message) and the SQS price fields.
 * @returns The number of billed requests.
 * @throws {RangeError} On negative or non-integer counts.
 * @example
 * ```ts
 * import { sqsRequests } from "./model.ts";
 * sqsRequests({ messages: 12, payloadBytes: 1024 }); // 2 (batches of 10 + 2)
 * sqsRequests({ messages: 1, payloadBytes: 200 * 1024 }); // 4 (64 KB chunks)
 * ```
 */
export function sqsRequests(options: {
  messages: number;
  payloadBytes: number;
  batched?: boolean;
  chunkBytes?: number;
  maxBatchMessages?: number;
}): number {
  const { messages, payloadBytes } = options;
  if (!(Number.isInteger(messages) && messages >= 0)) {
    throw new RangeError(`Message count must be an integer ≥ 0, got ${messages}`);
  }
  if (!(payloadBytes >= 0)) throw new RangeError(`Payload bytes must be ≥ 0, got ${payloadBytes}`);
  const chunk = options.chunkBytes ?? US_EAST_1.sqs.chunkBytes;
  const perBatch = options.batched === false ? 1 : options.maxBatchMessages ?? 10;
  let requests = 0;
  for (let left = messages; left > 0; left -= perBatch) {
    const inBatch = Math.min(perBatch, left);
    requests += Math.max(1, Math.ceil((inBatch * payloadBytes) / chunk));
  }
  return requests;
}

/**
 * Billed SQS requests per invocation of a variant: none for `none`; `direct` sends each message
 * with SendMessage; `extension` delivers an invocation's messages with SendMessageBatch.
 *
 * @param mode The variant's delivery mode (lib/variants.ts).
 * @param options Payload size, messages per invocation (default 1), and the price table.
 * @returns Requests per invocation.
 */
export function sqsRequestsPerInvocation(
  mode: DeliveryMode,
  options: { payloadBytes: number; messagesPerInvocation?: number; prices?: PriceTable },
): number {
  if (mode === "none") return 0;
  const sqs = (options.prices ?? US_EAST_1).sqs;
  return sqsRequests({
    messages: options.messagesPerInvocation ?? 1,
    payloadBytes: options.payloadBytes,
    batched: mode === "extension",
    chunkBytes: sqs.chunkBytes,
    maxBatchMessages: sqs.maxBatchMessages,
  });
}

/**
 * Cost of one million invocations.
 *
 * @param inputs Billed durations, memory, arch, cold-start share and SQS requests.
 * @param prices The price table (default us-east-1).
 * @returns The cost by part and in total (USD).
 * @throws {RangeError} When the cold share is outside [0, 1] or memory is not positive.
 * @example
 * ```ts
 * import { costPerMillion } from "./model.ts";
 * costPerMillion({
 *   arch: "arm64", memoryMb: 1024, warmBilledMs: 10, coldBilledMs: 10, initBilledMs: 0,
 *   coldShare: 0, sqsRequestsPerInvocation: 0,
 * }).total; // 10,000 GB-s × $0.0000133334 + $0.20 ≈ 0.333
 * ```
 */
export function costPerMillion(inputs: CostInputs, prices: PriceTable = US_EAST_1): CostBreakdown {
  const { coldShare, memoryMb } = inputs;
  if (!(coldShare >= 0 && coldShare <= 1)) {
    throw new RangeError(`Cold-start share must be within [0, 1], got ${coldShare}`);
  }
  if (!(memoryMb > 0)) throw new RangeError(`Memory must be > 0 MB, got ${memoryMb}`);
  const gb = memoryMb / 1024;
  const cold = MILLION * coldShare;
  const warm = MILLION - cold;
  const invokeGbSeconds = ((warm * inputs.warmBilledMs + cold * inputs.coldBilledMs) / 1000) * gb;
  const initGbSeconds = initIsBilled(prices, inputs.customRuntime ?? false)
    ? ((cold * inputs.initBilledMs) / 1000) * gb
    : 0;
  const rate = prices.lambda.gbSecond[inputs.arch];
  const invoke = invokeGbSeconds * rate;
  const init = initGbSeconds * rate;
  const requests = prices.lambda.requestsPerMillion;
  const sqs = inputs.sqsRequestsPerInvocation * prices.sqs.requestsPerMillion;
  return {
    invokeGbSeconds,
    initGbSeconds,
    invoke,
    init,
    requests,
    sqs,
    total: invoke + init + requests + sqs,
  };
}
