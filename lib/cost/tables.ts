/**
 * Markdown tables of the cost model's results.
 *
 * @module
 */
import { markdownTable } from "../analysis/format.ts";
import type { PriceTable } from "./prices.ts";
import { type BestMemory, type CostPoint, deliveringPoints, paretoFront } from "./sweep.ts";

const usd = (x: number) => `$${x.toFixed(4)}`;
const pct = (share: number) => `${+(share * 100).toFixed(2)}%`;

/**
 * The price table as Markdown.
 *
 * @param prices The table in force.
 * @returns A short table with region, date and each price.
 */
export function priceTableMarkdown(prices: PriceTable): string {
  return markdownTable(["price", "value"], [
    ["region / date", `${prices.region} / ${prices.date}`],
    ["Lambda x86_64 per GB-second", `$${prices.lambda.gbSecond.x86_64}`],
    ["Lambda arm64 per GB-second", `$${prices.lambda.gbSecond.arm64}`],
    ["Lambda per million requests", `$${prices.lambda.requestsPerMillion}`],
    ["Init billed for on-demand functions since", prices.lambda.initBilledSince],
    [
      "SQS standard per million requests",
      `$${prices.sqs.requestsPerMillion} (each ${
        prices.sqs.chunkBytes / 1024
      } KB chunk is a request; up to ${prices.sqs.maxBatchMessages} messages per batch)`,
    ],
    ["source", prices.source],
  ]);
}

/**
 * Cost per million invocations for every configuration at one cold-start share.
 *
 * @param points Output of `memorySweep()`.
 * @param coldShare The share to show.
 * @returns The table.
 */
export function costTable(points: readonly CostPoint[], coldShare: number): string {
  return markdownTable(
    [
      "variant",
      "memory (MB)",
      "arch",
      "invoke",
      "Init",
      "requests",
      "SQS",
      "total per 1M",
      "expected duration (ms)",
      "n warm / cold",
    ],
    points.filter((p) => p.coldShare === coldShare).map((p) => [
      p.variant,
      String(p.memoryMb),
      p.arch,
      usd(p.cost.invoke),
      usd(p.cost.init),
      usd(p.cost.requests),
      usd(p.cost.sqs),
      `**${usd(p.cost.total)}**`,
      p.latencyMs.toFixed(1),
      `${p.warmN} / ${p.coldN}`,
    ]),
  );
}

/**
 * The cheapest and the fastest memory per variant and arch.
 *
 * @param best Output of `bestMemory()`.
 * @returns The table.
 */
export function bestMemoryTable(best: readonly BestMemory[]): string {
  return markdownTable(
    [
      "cold share",
      "variant",
      "arch",
      "cheapest memory",
      "cost per 1M",
      "fastest memory",
      "expected duration (ms)",
    ],
    best.map((b) => [
      pct(b.coldShare),
      b.variant,
      b.arch,
      `${b.cheapest.memoryMb} MB`,
      usd(b.cheapest.cost.total),
      `${b.fastest.memoryMb} MB`,
      b.fastest.latencyMs.toFixed(1),
    ]),
  );
}

/**
 * The cost–latency Pareto front at one cold-start share, over the variants that deliver the
 * payload (`none` does less and is not compared).
 *
 * @param points Output of `memorySweep()`.
 * @param coldShare The share to show.
 * @returns The table, cheapest first.
 */
export function paretoTable(points: readonly CostPoint[], coldShare: number): string {
  return markdownTable(
    ["variant", "memory (MB)", "arch", "cost per 1M", "expected duration (ms)"],
    paretoFront(deliveringPoints(points.filter((p) => p.coldShare === coldShare))).map((p) => [
      p.variant,
      String(p.memoryMb),
      p.arch,
      usd(p.cost.total),
      p.latencyMs.toFixed(1),
    ]),
  );
}
