/**
 * `deno task report [--run DIR]... [--out DIR] [--prices FILE] [--cold-share 0.01,0.1]
 * [--payload-bytes B] [--no-images] [--inline-plotly] [--study NAME]
 * [--group-by variant|function_runtime|extension|workload]`
 *
 * Writes every chart as PNG, SVG and standalone HTML, and `summary.md` with the tables (medians
 * with 95% intervals, ratios between variants, costs, the LLRT label and backend of each run),
 * with `lib/report/`. Default run: the newest under `data/runs/`; default output:
 * `reports/<run-id>/`. HTML pages use `plotly.min.js` written beside them (or inlined with
 * `--inline-plotly`), so they work offline. With `--study NAME`, `summary.md` opens with that
 * study's headline (its question, the answer with intervals, the source it reproduces). PNG and SVG need Chromium
 * (`apt-get install -y chromium`); without it the HTML and summary are still written, then the
 * command fails naming the missing browser. Prints the report folder last; exits 2 on a bad
 * command line, 1 when the report cannot be written.
 *
 * @module
 */
import { newestRunDir } from "../analysis/load.ts";
import { resolveRunDir } from "../store/runs.ts";
import { loadPriceTable } from "../cost/prices.ts";
import { writeReport } from "../report/mod.ts";
import { type GroupColumn, parseGroupColumn } from "../analysis/group.ts";
import { studyByName } from "../studies/registry.ts";
import { studyHeadline } from "../studies/headline.ts";
import { commaList, numberFlag, parseFlags, runCommand } from "./_flags.ts";

/** Parsed command line of `deno task report`. */
export interface ReportArgs {
  /** Run folders; empty for the newest run. */
  runDirs: string[];
  outDir?: string;
  /** Price table file. */
  pricesFile?: string;
  coldShares?: number[];
  payloadBytes?: number;
  images: boolean;
  inlinePlotly: boolean;
  /** The study whose headline `summary.md` opens with. */
  study?: string;
  /** What tables and charts group by (default `variant`). */
  groupBy?: GroupColumn;
}

function share(s: string): number {
  const pct = s.endsWith("%");
  const n = Number(pct ? s.slice(0, -1) : s) / (pct ? 100 : 1);
  if (!(Number.isFinite(n) && n >= 0 && n <= 1)) {
    throw new RangeError(`--cold-share: "${s}" is not a share in [0, 1] (or 0%–100%)`);
  }
  return n;
}

/**
 * Reads the command line.
 *
 * @param args Command-line arguments.
 * @returns The parsed arguments.
 * @throws {TypeError} An unknown flag or a missing value.
 * @throws {RangeError} A bad `--cold-share` or `--payload-bytes`, naming the value.
 */
export function parseReportArgs(args: string[]): ReportArgs {
  const { values } = parseFlags({
    args,
    options: {
      run: { type: "string", multiple: true },
      out: { type: "string" },
      prices: { type: "string" },
      "cold-share": { type: "string" },
      "payload-bytes": { type: "string" },
      "no-images": { type: "boolean", default: false },
      "inline-plotly": { type: "boolean", default: false },
      study: { type: "string" },
      "group-by": { type: "string" },
    },
  });
  return {
    runDirs: values.run ?? [],
    ...(values.out === undefined ? {} : { outDir: values.out }),
    ...(values.prices === undefined ? {} : { pricesFile: values.prices }),
    ...(values["cold-share"] === undefined
      ? {}
      : { coldShares: commaList("cold-share", values["cold-share"], share) }),
    ...(values["payload-bytes"] === undefined ? {} : {
      payloadBytes: numberFlag("payload-bytes", values["payload-bytes"], { integer: true, min: 0 }),
    }),
    images: !values["no-images"],
    inlinePlotly: values["inline-plotly"],
    ...(values.study === undefined ? {} : { study: values.study }),
    ...(values["group-by"] === undefined ? {} : { groupBy: parseGroupColumn(values["group-by"]) }),
  };
}

/**
 * Writes the report the command line asks for.
 *
 * @param args Parsed by {@link parseReportArgs}.
 * @returns The report folder.
 * @throws {Error} No run found, a bad run folder or price table, Chromium missing.
 */
export async function report(args: ReportArgs): Promise<string> {
  // A folder that is not there, or holds no run, says so before anything is read.
  let runDirs = args.runDirs.map((dir) => resolveRunDir(dir));
  if (runDirs.length === 0) {
    const newest = newestRunDir();
    if (newest === null) {
      throw new Error("No run found under data/runs: run `deno task bench` or pass --run DIR");
    }
    runDirs = [newest];
  }
  const study = args.study === undefined ? null : await studyByName(args.study);
  const result = await writeReport({
    runDirs,
    ...(study === null ? {} : { preface: (loaded) => studyHeadline(study, loaded) }),
    ...(args.outDir === undefined ? {} : { outDir: args.outDir }),
    ...(args.pricesFile === undefined ? {} : { prices: loadPriceTable(args.pricesFile) }),
    ...(args.coldShares === undefined ? {} : { coldShares: args.coldShares }),
    ...(args.payloadBytes === undefined ? {} : { payloadBytes: args.payloadBytes }),
    images: args.images,
    inlinePlotly: args.inlinePlotly,
    ...(args.groupBy === undefined ? {} : { groupBy: args.groupBy }),
  });
  return result.outDir;
}

/**
 * Reads the command line and writes the report.
 *
 * @param args Command-line arguments.
 * @returns The report folder.
 * @throws {Error} With a one-line message on bad input.
 */
export async function main(args: readonly string[]): Promise<string> {
  return await report(parseReportArgs([...args]));
}

if (import.meta.main) {
  Deno.exit(
    await runCommand("report", Deno.args, {
      parse: parseReportArgs,
      run: async (args) => console.log(await report(args)),
    }),
  );
}
