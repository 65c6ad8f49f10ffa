/**
 * The price table: one place for every price the cost model uses, with region and date, and
 * overridable (e.g. from a JSON file) for other regions or later prices.
 *
 * @module
 */
import type { Arch } from "../schema.ts";

/** Prices in USD. */
export interface PriceTable {
  /** AWS region the prices are for. */
  region: string;
  /** When the prices were read (ISO date); Init billing depends on it. */
  date: string;
  /** Where they come from. */
  source: string;
  lambda: {
    /** Price per GB-second of billed duration (first tier, on demand), by architecture. */
    gbSecond: Record<Arch, number>;
    /** Price per million requests. */
    requestsPerMillion: number;
    /** From this date on, Init is billed for every on-demand function (custom runtimes always). */
    initBilledSince: string;
  };
  sqs: {
    /** Standard queue: price per million requests. */
    requestsPerMillion: number;
    /** Each chunk of this many payload bytes counts as one request. */
    chunkBytes: number;
    /** Messages one SendMessageBatch may carry (billed as one request per chunk). */
    maxBatchMessages: number;
  };
}

/** us-east-1 list prices (first tier). */
export const US_EAST_1: PriceTable = {
  region: "us-east-1",
  date: "2025-08-01",
  source: "AWS Lambda and Amazon SQS pricing pages (first tier, on demand)",
  lambda: {
    gbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 },
    requestsPerMillion: 0.2,
    initBilledSince: "2025-08-01",
  },
  sqs: { requestsPerMillion: 0.4, chunkBytes: 64 * 1024, maxBatchMessages: 10 },
};

/** A partial price table: any field may be left out. */
export type PriceOverrides = {
  region?: string;
  date?: string;
  source?: string;
  lambda?: Partial<Omit<PriceTable["lambda"], "gbSecond">> & {
    gbSecond?: Partial<Record<Arch, number>>;
  };
  sqs?: Partial<PriceTable["sqs"]>;
};

function checkPositive(value: number, name: string): void {
  if (!(typeof value === "number" && Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`Price "${name}" must be a number ≥ 0, got ${JSON.stringify(value)}`);
  }
}

/**
 * A price table with some fields replaced.
 *
 * @param overrides Fields to replace.
 * @param base The table to start from (default {@link US_EAST_1}).
 * @returns The merged table.
 * @throws {RangeError} When a price is negative or not a number.
 * @example
 * ```ts
 * import { withPrices } from "./prices.ts";
 * withPrices({ region: "eu-west-1" }).lambda.requestsPerMillion; // 0.2
 * ```
 */
export function withPrices(overrides: PriceOverrides, base: PriceTable = US_EAST_1): PriceTable {
  const table: PriceTable = {
    region: overrides.region ?? base.region,
    date: overrides.date ?? base.date,
    source: overrides.source ?? base.source,
    lambda: {
      ...base.lambda,
      ...overrides.lambda,
      gbSecond: { ...base.lambda.gbSecond, ...overrides.lambda?.gbSecond },
    },
    sqs: { ...base.sqs, ...overrides.sqs },
  };
  checkPositive(table.lambda.gbSecond.x86_64, "lambda.gbSecond.x86_64");
  checkPositive(table.lambda.gbSecond.arm64, "lambda.gbSecond.arm64");
  checkPositive(table.lambda.requestsPerMillion, "lambda.requestsPerMillion");
  checkPositive(table.sqs.requestsPerMillion, "sqs.requestsPerMillion");
  if (!(table.sqs.chunkBytes > 0)) {
    throw new RangeError(`Price "sqs.chunkBytes" must be > 0, got ${table.sqs.chunkBytes}`);
  }
  if (!(Number.isInteger(table.sqs.maxBatchMessages) && table.sqs.maxBatchMessages >= 1)) {
    throw new RangeError(
      `Price "sqs.maxBatchMessages" must be an integer ≥ 1, got ${table.sqs.maxBatchMessages}`,
    );
  }
  return table;
}

/**
 * Reads price overrides from a JSON file (same shape as {@link PriceTable}, any subset).
 *
 * @param path The JSON file.
 * @returns The table, merged over us-east-1.
 * @throws {Error} When the file cannot be read or parsed; {@link withPrices} errors.
 */
export function loadPriceTable(path: string): PriceTable {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new Error(`Cannot read price file "${path}": ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`Cannot parse price file "${path}": ${(e as Error).message}`);
  }
  return withPrices(parsed as PriceOverrides);
}

/**
 * Whether Init is billed under this table.
 *
 * @param prices The price table (its `date` against `lambda.initBilledSince`).
 * @param customRuntime True for custom runtimes (`provided.*`), whose Init was always billed.
 * @returns True when cold starts pay for Init.
 */
export function initIsBilled(prices: PriceTable, customRuntime = false): boolean {
  return customRuntime || prices.date >= prices.lambda.initBilledSince;
}
