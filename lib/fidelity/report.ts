/**
 * The fidelity check's result as a file (`data/fidelity/latest.json`) and as Markdown, for the
 * terminal and for every report's fidelity section.
 *
 * @module
 */
import { BUSY, isBusy } from "../bench/host_load.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../paths.ts";
import type { FidelityRow, LocalCell } from "./compare.ts";

/** Where fidelity results are written. */
export const FIDELITY_DIR: string = join(ROOT, "data", "fidelity");
/** The newest result. */
export const FIDELITY_LATEST: string = join(FIDELITY_DIR, "latest.json");

/** One fidelity check, as written to disk. */
export interface FidelityResult {
  schemaVersion: 1;
  at: string;
  arch: "x86_64" | "arm64";
  host: { cpuModel: string | null; cores: number; sha256MBps?: number };
  /** The sandbox controls and models in force (Init CPU, code loading, period). */
  sandbox: Record<string, unknown>;
  versions: Record<string, string>;
  cold: number;
  warm: number;
  cells: LocalCell[];
  rows: FidelityRow[];
  order: {
    metric: string;
    memoryMb: number;
    local: string[];
    published: string[];
    agree: boolean;
  }[];
  skipped: { runtime: string; reason: string }[];
}

/**
 * Reads the newest fidelity result.
 *
 * @param path Default {@link FIDELITY_LATEST}.
 * @returns The result, or null where no check was run on this machine.
 */
export function readLatestFidelity(path: string = FIDELITY_LATEST): FidelityResult | null {
  if (!existsSync(path)) return null;
  try {
    const value = JSON.parse(Deno.readTextFileSync(path)) as FidelityResult;
    return value.schemaVersion === 1 ? value : null;
  } catch {
    return null;
  }
}

function fmt(n: number | null, digits = 2): string {
  if (n === null || !Number.isFinite(n)) return "—";
  return n >= 100 ? n.toFixed(0) : n.toFixed(digits);
}

function pct(e: number | null): string {
  if (e === null) return "—";
  return `${e >= 0 ? "+" : ""}${(e * 100).toFixed(0)}%`;
}

/**
 * The result as Markdown: a line per check with local, published, error and target.
 *
 * @param r The result.
 * @param options `brief` keeps only the Init ratios, scaling and a count of the rest.
 * @returns Markdown text.
 */
export function fidelityMarkdown(r: FidelityResult, options: { brief?: boolean } = {}): string {
  const lines: string[] = [];
  const rows = options.brief
    ? r.rows.filter((x) => x.check === "init_ratio" || x.check === "init_128_over_1024")
    : r.rows;
  const within = r.rows.filter((x) => x.withinTarget === true).length;
  const judged = r.rows.filter((x) => x.withinTarget !== null).length;
  lines.push(
    `Hello functions in this sandbox against published real-Lambda figures (${r.arch}, ` +
      `${r.cold} cold starts per cell, checked ${r.at.slice(0, 10)} on ${
        r.host.cpuModel ?? "an unknown CPU"
      }${
        r.host.sha256MBps ? `, ${r.host.sha256MBps} MB/s SHA-256 per core` : ""
      }): ${within} of ${judged} checks within target.`,
    "",
    "| check | local | Lambda (published) | error | target | within |",
    "| --- | --- | --- | --- | --- | --- |",
  );
  const busy = r.cells.filter((c) => c.host && isBusy(c.host));
  if (busy.length > 0) {
    const most = Math.max(...busy.map((c) => c.host!.othersCpu));
    lines.splice(
      1,
      0,
      "",
      `**${busy.length} of ${r.cells.length} cells of this check ran on a busy host** (other ` +
        `processes used up to ${Math.round(most * 100)}% of its CPU, or the hypervisor took ` +
        `more than ${Math.round(BUSY.steal * 100)}%): ${
          busy.map((c) => `${c.runtime} at ${c.memoryMb} MB`).join(", ")
        }. Re-run \`deno task fidelity\` on an idle host before trusting these figures.`,
    );
  }
  for (const x of rows) {
    lines.push(
      `| ${x.what} | ${fmt(x.local)} | ${fmt(x.published)} | ${pct(x.error)} | ${x.target} | ${
        x.withinTarget === null ? "—" : x.withinTarget ? "yes" : "**no**"
      } |`,
    );
  }
  const orders = r.order.filter((o) => !o.agree);
  lines.push("");
  if (!options.brief) {
    lines.push(
      "Init is compared median with median; the first Duration mean with mean (Lambda's is " +
        "published only as a mean); Max Memory Used, the local median with the published mean.",
      "",
    );
  }
  if (orders.length === 0) lines.push("Runtimes rank in the published order on every metric.");
  for (const o of orders) {
    lines.push(
      `Order differs (${o.metric} at ${o.memoryMb} MB): local ${o.local.join(" < ")}; Lambda ${
        o.published.join(" < ")
      }.`,
    );
  }
  for (const s of r.skipped) lines.push(`Skipped ${s.runtime}: ${s.reason}.`);
  return lines.join("\n");
}
