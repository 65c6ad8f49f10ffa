/**
 * SHUTDOWN with a backlog, per extension and per concurrency: how many of a full outbox
 * (2,000 × 1 KB by default) each extension delivers within Lambda's 2 s SHUTDOWN deadline
 * against ElasticMQ, and how long it takes (see `lib/contract/backlog.ts`). Needs
 * `deno task build` first.
 *
 * Usage: `deno run -A scripts/perf_shutdown_backlog.ts [--runs N] [--concurrency 4,8,16]
 * [--extensions rust,node,llrt] [--count 2000]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CONTRACT } from "../extensions/src/contract.ts";
import type { ExtensionCommand } from "../lib/contract/harness.ts";
import { shutdownWithBacklog, warmUp } from "../lib/contract/backlog.ts";
import { startElasticMQ } from "../lib/elasticmq/mod.ts";
import { builtExtensions } from "../lib/contract/built.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "5" },
    concurrency: { type: "string", default: String(CONTRACT.batch.concurrency.default) },
    extensions: { type: "string", default: "rust,node,llrt" },
    count: { type: "string", default: String(CONTRACT.outbox.maxMessages.default) },
  },
});

const EXTENSIONS: Record<string, ExtensionCommand> = builtExtensions();

await using sqs = await startElasticMQ();
await warmUp(sqs);
console.log(
  "extension  concurrency  runs  lost (per run)                  exit in ms (median, max)",
);
for (const name of values.extensions.split(",")) {
  const extension = EXTENSIONS[name];
  if (!extension) throw new RangeError(`Unknown extension "${name}": use rust, node or llrt`);
  for (const concurrency of values.concurrency.split(",")) {
    const lost: number[] = [];
    const ms: number[] = [];
    const cpu: number[] = [];
    const loads: number[] = [];
    for (let run = 1; run <= Number(values.runs); run++) {
      loads.push(Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]));
      const r = await shutdownWithBacklog(extension, sqs, {
        run,
        count: Number(values.count),
        env: { [CONTRACT.batch.concurrency.variable]: concurrency },
      });
      lost.push(r.lost);
      ms.push(Math.round(r.exitMs ?? NaN));
      if (r.cpuMs !== null) cpu.push(Math.round(r.cpuMs));
    }
    const sorted = [...ms].sort((a, b) => a - b);
    const cpuSorted = [...cpu].sort((a, b) => a - b);
    console.log(
      `${name.padEnd(10)} ${concurrency.padStart(11)}  ${String(lost.length).padStart(4)}  ` +
        `${lost.join(",").padEnd(30)}  ${sorted[Math.floor(sorted.length / 2)]}, ${sorted.at(-1)}` +
        `      ${cpuSorted[Math.floor(cpuSorted.length / 2)] ?? "?"}` +
        `      ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
    );
  }
}
