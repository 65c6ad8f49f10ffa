/**
 * Markdown tables of the cost model's results.
 *
 * @module
 */
import { markdownTable } from "../analysis/format.ts";
import type { PriceTable } from "./prices.ts";
import {
  type BestMemory,
  type CostPoint,
  deliveringPoints,
  isComparable,
  paretoFront,
} from "./sweep.ts";

const usd = (x: number) => `$${x.toFixed(4)}`;
const pct = (share: number) => `${+(share * 100).toFixed(2)}%`;
/** Sample counts of a point: successful cold starts (and failed ones), successful warm ones. */
const samples = (p: CostPoint) =>
  `${p.coldN}${p.coldFailedN > 0 ? ` (+${p.coldFailedN} failed)` : ""} / ${p.warmN}`;
const cell = (p: CostPoint, manyArchs = true) =>
  `${p.variant} ${p.memoryMb} MB${manyArchs ? ` ${p.arch}` : ""}`;

const NO_COLD =
  "no successful cold start: Init priced as 0 and cold invocations as warm ones, so it is " +
  "left out of the cheapest/fastest memory and the Pareto front";

const LEFT_OUT =
  "Left out for want of a successful cold start (Init would be priced as 0 and cold " +
  "invocations as warm ones)";

/** A note naming the points priced without a successful cold start, or "" when none is. */
function leftOutNote(points: readonly CostPoint[]): string {
  const out = points.filter((p) => !isComparable(p));
  if (out.length === 0) return "";
  const archs = new Set(points.map((p) => p.arch)).size > 1;
  const names = [...new Set(out.map((p) => cell(p, archs)))].join(", ");
  return `\n\n${LEFT_OUT}: ${names}.`;
}

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
 * Cost per million invocations for every configuration at one cold-start share. A
 * configuration priced without a successful cold start is kept, marked † and explained below.
 *
 * @param points Output of `memorySweep()`.
 * @param coldShare The share to show.
 * @returns The table, and a note when a row is marked.
 */
export function costTable(points: readonly CostPoint[], coldShare: number): string {
  const atShare = points.filter((p) => p.coldShare === coldShare);
  const marked = atShare.some((p) => !isComparable(p));
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
      "n cold / warm",
    ],
    atShare.map((p) => [
      isComparable(p) ? p.variant : `${p.variant} †`,
      String(p.memoryMb),
      p.arch,
      usd(p.cost.invoke),
      usd(p.cost.init),
      usd(p.cost.requests),
      usd(p.cost.sqs),
      `**${usd(p.cost.total)}**`,
      p.latencyMs.toFixed(1),
      samples(p),
    ]),
  ) + (marked ? `\n\n† ${NO_COLD}.` : "");
}

/**
 * The cheapest and the fastest memory per variant and arch, with the sample counts behind each
 * (successful cold starts / warm invocations), and a note naming the memory sizes left out for
 * want of a successful cold start.
 *
 * @param best Output of `bestMemory()`.
 * @returns The table, and the note when something was left out.
 */
export function bestMemoryTable(best: readonly BestMemory[]): string {
  const table = markdownTable(
    [
      "cold share",
      "variant",
      "arch",
      "cheapest memory",
      "cost per 1M",
      "n cold / warm",
      "fastest memory",
      "expected duration (ms)",
      "n cold / warm",
    ],
    best.map((b) => [
      pct(b.coldShare),
      b.variant,
      b.arch,
      `${b.cheapest.memoryMb} MB`,
      usd(b.cheapest.cost.total),
      samples(b.cheapest),
      `${b.fastest.memoryMb} MB`,
      b.fastest.latencyMs.toFixed(1),
      samples(b.fastest),
    ]),
  );
  const out = best.filter((b) => b.excluded.length > 0).map((b) =>
    `${b.variant} ${b.arch} ${b.excluded.map((p) => `${p.memoryMb} MB`).join(", ")} at ${
      pct(b.coldShare)
    }`
  );
  return out.length === 0 ? table : `${table}\n\n${LEFT_OUT}: ${out.join("; ")}.`;
}

/**
 * The cost–latency Pareto front at one cold-start share, over the variants that deliver the
 * payload (`none` does less and is not compared), with sample counts, and a note naming the
 * configurations left out for want of a successful cold start.
 *
 * @param points Output of `memorySweep()`.
 * @param coldShare The share to show.
 * @returns The table, cheapest first, and the note when something was left out.
 */
export function paretoTable(points: readonly CostPoint[], coldShare: number): string {
  const candidates = deliveringPoints(points.filter((p) => p.coldShare === coldShare));
  return markdownTable(
    ["variant", "memory (MB)", "arch", "cost per 1M", "expected duration (ms)", "n cold / warm"],
    paretoFront(candidates).map((p) => [
      p.variant,
      String(p.memoryMb),
      p.arch,
      usd(p.cost.total),
      p.latencyMs.toFixed(1),
      samples(p),
    ]),
  ) + leftOutNote(candidates);
}
